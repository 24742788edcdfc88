"""The hand-labelled gold of the support-measure evaluation (:mod:`eval.measures`): loading
and checking it, and the records it was labelled on.

Gold (``eval/measures/``, see its README.md):

* ``gold_sentences.jsonl`` — every sentence unit of the labelled records (the whole plan
  gansu-2022-46 and 203 articles of the twelve library laws): ``{record_id, start, end, quote,
  kind, sectors, entities, people, split}``, ``kind`` null for a sentence that is no measure;
* ``profiles.jsonl`` — enterprise profiles ``{id, profile, expected, split, note}``, ``expected``
  the plan's measures (``record_id#start``) that apply.

A malformed line raises :class:`GoldError` naming the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.config import REPO_ROOT, Settings
from corpus.measures import BENEFICIARY_KINDS, Measure, empty_span, lexicon
from corpus.records import Record

GOLD_DIR = REPO_ROOT / "eval" / "measures"
GOLD_FILE = GOLD_DIR / "gold_sentences.jsonl"
PROFILES_FILE = GOLD_DIR / "profiles.jsonl"


class GoldError(ValueError):
    """A malformed gold or profile line (names the file and line)."""


# ---------------------------------------------------------------- gold
@dataclass(frozen=True)
class GoldSentence:
    record_id: str
    start: int
    end: int
    quote: str
    kind: str | None
    sectors: tuple[str, ...]
    entities: tuple[str, ...]
    people: tuple[str, ...]
    split: str

    @property
    def key(self) -> str:
        return f"{self.record_id}#{self.start}"

    def items(self) -> set[tuple[str, str]]:
        return {(b, t) for b in BENEFICIARY_KINDS for t in getattr(self, b)}


def _jsonl(path: Path) -> Iterable[tuple[int, dict]]:
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise GoldError(f"{path}:{number}: not JSON ({exc})") from None
            if not isinstance(row, dict):
                raise GoldError(f"{path}:{number}: not a JSON object")
            yield number, row


def load_gold(path: Path = GOLD_FILE) -> list[GoldSentence]:
    lex = lexicon()
    vocab = {b: set(lex.canonical(b)) for b in BENEFICIARY_KINDS}
    out = []
    seen = set()
    for number, row in _jsonl(path):
        where = f"{path}:{number}"
        try:
            g = GoldSentence(row["record_id"], int(row["start"]), int(row["end"]), row["quote"], row["kind"],
                             tuple(row.get("sectors", [])), tuple(row.get("entities", [])),
                             tuple(row.get("people", [])), row.get("split", "dev"))
        except (KeyError, TypeError, ValueError) as exc:
            raise GoldError(f"{where}: missing or bad field ({exc})") from None
        if g.kind is not None and g.kind not in lex.kinds:
            raise GoldError(f"{where}: unknown kind {g.kind!r} (one of {', '.join(lex.kinds)} or null)")
        for b in BENEFICIARY_KINDS:
            bad = set(getattr(g, b)) - vocab[b]
            if bad:
                raise GoldError(f"{where}: unknown {b} {sorted(bad)} (see corpus/data/measures.json)")
        if g.split not in ("dev", "test"):
            raise GoldError(f"{where}: split must be dev or test")
        if g.key in seen:
            raise GoldError(f"{where}: {g.key} labelled twice")
        seen.add(g.key)
        out.append(g)
    return out


@dataclass(frozen=True)
class GoldProfile:
    id: str
    profile: dict
    expected: tuple[str, ...]
    split: str
    note: str = ""


def load_profiles(path: Path = PROFILES_FILE) -> list[GoldProfile]:
    from qa.match import parse_profile

    out = []
    for number, row in _jsonl(path):
        where = f"{path}:{number}"
        try:
            p = GoldProfile(str(row["id"]), dict(row["profile"]), tuple(row["expected"]), row.get("split", "dev"),
                            row.get("note", ""))
        except (KeyError, TypeError, ValueError) as exc:
            raise GoldError(f"{where}: missing or bad field ({exc})") from None
        try:
            parse_profile(p.profile)
        except ValueError as exc:
            raise GoldError(f"{where}: {exc}") from None
        if p.split not in ("dev", "test"):
            raise GoldError(f"{where}: split must be dev or test")
        out.append(p)
    return out


def check_gold(gold: Sequence[GoldSentence], records: dict[str, Record]) -> None:
    """Every gold sentence must quote its record (the corpus it was labelled on)."""
    missing = sorted({g.record_id for g in gold if g.record_id not in records})
    if missing:
        raise GoldError(f"{len(missing)} gold records are not in the corpus (first: {missing[0]}); build the "
                        "library corpus: python -m eval.measures --build")
    for g in gold:
        if records[g.record_id].text[g.start:g.end] != g.quote:
            raise GoldError(f"gold {g.key}: quote differs from the record text — the corpus changed; relabel")


def gold_measures(gold: Iterable[GoldSentence], records: dict[str, Record]) -> list[Measure]:
    """Measures made from the gold labels (kind and beneficiaries as labelled; condition and
    instrument empty): the input of the matching-only evaluation."""
    out = []
    for g in gold:
        if g.kind is None:
            continue
        r = records[g.record_id]
        out.append(Measure(id=g.key, record_id=g.record_id, start=g.start, end=g.end, kind=g.kind,
                           beneficiaries={b: list(getattr(g, b)) for b in BENEFICIARY_KINDS},
                           condition=empty_span(), instrument=empty_span(), quote=g.quote,
                           departments=r.departments.to_dict(), doc_id=r.doc_id, doc_title=r.doc_title,
                           path=r.path, title=r.title))
    return out


# ---------------------------------------------------------------- records
#: The labelled documents beyond the library: the held-out test split of new documents.
EXTRA_DOCUMENTS = GOLD_DIR / "documents.txt"


def library_documents(settings: Settings) -> list[Path]:
    """The library's twelve laws and the further documents of the gold (the plan is shipped)."""
    from eval.library import DOCUMENTS, lawrefbook_dir, read_documents

    root = lawrefbook_dir(settings)
    return read_documents(DOCUMENTS, root) + read_documents(EXTRA_DOCUMENTS, root)


def load_library_records(home: Path, build: bool = False) -> list[Record]:
    """The records of ``home``'s corpus; with ``build``, its corpus is built first (the plan, the
    library's twelve laws and the gold's further documents)."""
    import corpus

    settings = Settings(home=Path(home))
    if build:
        corpus.build(settings, paths=library_documents(settings))
    return corpus.load_records(settings)
