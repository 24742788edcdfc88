"""The support-measure lexicon: ``corpus/data/measures.json`` (kinds with trigger patterns,
beneficiary dictionary with aliases, vetoes, masks, support words) read and compiled into a
:class:`Lexicon`; :func:`lexicon` (the shipped one, read once), :func:`kinds` and
:func:`kind_label`; and applying it to text (:func:`find_triggers`, :func:`beneficiaries`).
Extraction over records is :mod:`corpus.measures`, which re-exports these names."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from corpus.config import DATA_DIR

LEXICON_PATH = DATA_DIR / "measures.json"
BENEFICIARY_KINDS = ("sectors", "entities", "people")


@dataclass(frozen=True)
class Lexicon:
    kinds: tuple[str, ...]
    labels: dict[str, str]
    triggers: tuple[tuple[str, re.Pattern], ...]  # (kind, pattern), in kind order
    veto: re.Pattern | None
    mask: re.Pattern | None
    support_words: re.Pattern
    terms: dict[str, tuple[tuple[str, re.Pattern], ...]]  # beneficiary kind -> (canonical, pattern)
    area_sectors: frozenset[str]
    general_entities: frozenset[str]
    workforce_people: frozenset[str]
    entity_parents: dict[str, tuple[str, ...]]
    aliases: dict[str, str]
    traits: dict[str, dict]
    anaphora: re.Pattern | None = None
    #: Every trigger in one pattern: a sentence it does not match has none (a fast first look).
    any_trigger: re.Pattern | None = None

    def canonical(self, kind: str) -> list[str]:
        """The canonical terms of a beneficiary kind (``sectors``, ``entities``, ``people``)."""
        return [name for name, _ in self.terms[kind]]


def _alternation(patterns: Iterable[str]) -> re.Pattern | None:
    patterns = list(patterns)
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """Read and compile ``measures.json``; a bad pattern names the kind or term it is in."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    triggers = []
    labels = {}
    for entry in data["kinds"]:
        kind = entry["kind"]
        labels[kind] = entry["label"]
        for pattern in entry["triggers"]:
            try:
                triggers.append((kind, re.compile(pattern)))
            except re.error as exc:
                raise ValueError(f"{path}: kind {kind}: bad trigger {pattern!r} ({exc})") from None
    terms = {}
    for bkind in BENEFICIARY_KINDS:
        compiled = []
        for name, aliases in data[bkind].items():
            try:
                compiled.append((name, re.compile("|".join(f"(?:{a})" for a in aliases))))
            except re.error as exc:
                raise ValueError(f"{path}: {bkind} {name}: bad alias ({exc})") from None
        terms[bkind] = tuple(compiled)
    return Lexicon(
        kinds=tuple(labels),
        labels=labels,
        triggers=tuple(triggers),
        veto=_alternation(data.get("veto", [])),
        mask=_alternation(data.get("mask", [])),
        support_words=_alternation(data["support_words"]),
        terms=terms,
        area_sectors=frozenset(data.get("area_sectors", [])),
        general_entities=frozenset(data.get("general_entities", [])),
        workforce_people=frozenset(data.get("workforce_people", [])),
        entity_parents={k: tuple(v) for k, v in data.get("entity_parents", {}).items()},
        aliases=dict(data.get("aliases", {})),
        traits=dict(data.get("traits", {})),
        anaphora=re.compile(data["anaphora"]) if data.get("anaphora") else None,
        any_trigger=_alternation(p.pattern for _, p in triggers),
    )


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The shipped lexicon, read once."""
    return load_lexicon()


def kinds() -> tuple[str, ...]:
    return lexicon().kinds


def kind_label(kind: str) -> str:
    return lexicon().labels.get(kind, kind)


# ---------------------------------------------------------------- applied to text
def _masked(text: str, lex: Lexicon) -> str:
    """``text`` with the masked spans blanked (same length, so offsets hold)."""
    if lex.mask is None:
        return text
    return lex.mask.sub(lambda m: "　" * len(m.group()), text)


def find_triggers(text: str, lex: Lexicon | None = None) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` of every trigger in ``text`` (masked spans skipped), ordered by
    start, then kind order, then length (longest first)."""
    lex = lex or lexicon()
    masked = _masked(text, lex)
    if lex.any_trigger is not None and not lex.any_trigger.search(masked):
        return []
    order = {k: n for n, k in enumerate(lex.kinds)}
    found = []
    for kind, pattern in lex.triggers:
        for m in pattern.finditer(masked):
            if m.end() > m.start():
                found.append((m.start(), m.end(), kind))
    found.sort(key=lambda t: (t[0], order[t[2]], -(t[1] - t[0])))
    return found


def beneficiaries(text: str, lex: Lexicon | None = None) -> dict[str, list[str]]:
    """Canonical sectors, entities and people named in ``text`` (masked spans skipped), each
    list in dictionary order."""
    lex = lex or lexicon()
    masked = _masked(text, lex)
    return {bkind: [name for name, pattern in lex.terms[bkind] if pattern.search(masked)]
            for bkind in BENEFICIARY_KINDS}
