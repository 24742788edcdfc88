"""The support-measure lexicon: ``corpus/data/measures.json`` (kinds with trigger patterns,
beneficiary dictionary with aliases, vetoes and masks by class, described spans, kind rules,
support words) read and compiled into a :class:`Lexicon`; :func:`lexicon` (the shipped one,
read once), :func:`kinds` and :func:`kind_label`; and applying it to text
(:func:`find_triggers`, :func:`vetoed`, :func:`described_spans`, :func:`beneficiaries`).
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
class KindRule:
    """A trigger of kind ``source`` that lies inside a match of ``around`` grants ``target``
    instead (``学费……予以减免``: a fee waived by a school, not a tax)."""

    source: str
    target: str
    around: re.Pattern


@dataclass(frozen=True)
class Lexicon:
    kinds: tuple[str, ...]
    labels: dict[str, str]
    triggers: tuple[tuple[str, re.Pattern], ...]  # (kind, pattern), in kind order
    veto: re.Pattern | None
    #: Blanked before looking for triggers.
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
    #: ``(class, pattern)`` of each veto: why a sentence is no measure (:func:`vetoed`).
    veto_classes: tuple[tuple[str, re.Pattern], ...] = ()
    #: Spans naming a benefit the recipient already has (``获得…光荣证的``): not the one granted.
    described: re.Pattern | None = None
    kind_rules: tuple[KindRule, ...] = ()
    #: Blanked before looking for beneficiaries too (``mask_beneficiaries`` classes: 不得缓缴、减免 …).
    beneficiary_mask: re.Pattern | None = None

    def canonical(self, kind: str) -> list[str]:
        """The canonical terms of a beneficiary kind (``sectors``, ``entities``, ``people``)."""
        return [name for name, _ in self.terms[kind]]


def _alternation(patterns: Iterable[str]) -> re.Pattern | None:
    patterns = list(patterns)
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def _classes(value, what: str, path: Path) -> list[tuple[str, str]]:
    """``(class, pattern)`` pairs of a ``veto``/``mask`` entry: a dict of named lists (the
    class says why), or a plain list (class ``""``)."""
    pairs = [(name, p) for name, ps in value.items() for p in ps] if isinstance(value, dict) \
        else [("", p) for p in value or []]
    for name, pattern in pairs:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{path}: {what} {name}: bad pattern {pattern!r} ({exc})") from None
    return pairs


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
    vetoes = _classes(data.get("veto", []), "veto", path)
    masks = _classes(data.get("mask", []), "mask", path)
    # a plain list (no classes) masks beneficiaries too, as every mask once did
    of_beneficiaries = set(data.get("mask_beneficiaries", [""]))
    described = _classes(data.get("described", []), "described", path)
    rules = []
    for n, rule in enumerate(data.get("kind_rules", [])):
        if rule.get("from") not in labels or rule.get("to") not in labels:
            raise ValueError(f"{path}: kind_rules[{n}]: from/to must be kinds")
        try:
            rules.append(KindRule(rule["from"], rule["to"], re.compile(rule["around"])))
        except (KeyError, re.error) as exc:
            raise ValueError(f"{path}: kind_rules[{n}]: bad rule ({exc})") from None
    return Lexicon(
        kinds=tuple(labels),
        labels=labels,
        triggers=tuple(triggers),
        veto=_alternation(p for _, p in vetoes),
        mask=_alternation(p for _, p in masks),
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
        veto_classes=tuple((name, re.compile(p)) for name, p in vetoes),
        described=_alternation(p for _, p in described),
        kind_rules=tuple(rules),
        beneficiary_mask=_alternation(p for name, p in masks if name in of_beneficiaries),
    )


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The shipped lexicon, read once."""
    return load_lexicon()


@lru_cache(maxsize=1)
def lexicon_fingerprint() -> str:
    """sha256 of the shipped ``measures.json`` and ``measures_model.json`` (the support model,
    :mod:`corpus.measures_model`): a corpus build records it, so measures stored with another
    lexicon or model are known for what they are."""
    import hashlib

    from corpus.measures_model import MODEL_PATH

    return hashlib.sha256(LEXICON_PATH.read_bytes() + MODEL_PATH.read_bytes()).hexdigest()


def kinds() -> tuple[str, ...]:
    return lexicon().kinds


def kind_label(kind: str) -> str:
    return lexicon().labels.get(kind, kind)


# ---------------------------------------------------------------- applied to text
def _masked(text: str, lex: Lexicon, mask: re.Pattern | None = None) -> str:
    """``text`` with the spans of ``mask`` (default: the trigger mask) blanked (same length,
    so offsets hold)."""
    mask = lex.mask if mask is None else mask
    if mask is None:
        return text
    return mask.sub(lambda m: "　" * len(m.group()), text)


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


def vetoed(text: str, lex: Lexicon | None = None) -> str | None:
    """The class of the first veto ``text`` matches (``penalty``, ``definition`` …; ``""`` for
    an unnamed one), or None when no veto applies."""
    lex = lex or lexicon()
    if lex.veto is None or not lex.veto.search(text):
        return None
    return next(name for name, pattern in lex.veto_classes if pattern.search(text))


def described_spans(text: str, lex: Lexicon | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` of the spans of ``text`` that describe a benefit the recipient already
    has (``获得《独生子女父母光荣证》的``): a trigger inside one is not what the sentence grants."""
    lex = lex or lexicon()
    return [m.span() for m in lex.described.finditer(text)] if lex.described is not None else []


def apply_kind_rules(text: str, start: int, kind: str, lex: Lexicon | None = None) -> str:
    """The kind a trigger of ``kind`` at ``start`` grants, after the lexicon's kind rules."""
    lex = lex or lexicon()
    masked = _masked(text, lex)
    for rule in lex.kind_rules:
        if rule.source == kind and any(m.start() <= start < m.end() for m in rule.around.finditer(masked)):
            return rule.target
    return kind


def beneficiaries(text: str, lex: Lexicon | None = None) -> dict[str, list[str]]:
    """Canonical sectors, entities and people named in ``text`` (spans of the beneficiary mask
    skipped: a benefit denied), each list in dictionary order."""
    lex = lex or lexicon()
    masked = _masked(text, lex, lex.beneficiary_mask) if lex.beneficiary_mask is not None else text
    return {bkind: [name for name, pattern in lex.terms[bkind] if pattern.search(masked)]
            for bkind in BENEFICIARY_KINDS}
