"""Support measures as records: which sentences grant or promise support, to whom, on what
condition and by what instrument.

Pure functions over :class:`~corpus.records.Record` (plan, laws, any added policy) and the
editable lexicon ``corpus/data/measures.json`` (kinds with trigger patterns, beneficiary
dictionary with aliases, vetoes and masks by class, described spans, kind rules; its
``comment`` says why the taxonomy is what it is). Condition and instrument spans are
:mod:`corpus.measures_spans`.

A measure is one *sentence unit* of a record — a sentence of ``record.sentences``, or a
sentence ending in ``：`` together with the enumerated items after it (``（一）…；（二）…``),
since in a law the list is who the sentence's benefit is for. A unit that matches a veto
(penalties, definitions, delegated rules, oversight, duties of employers to their staff …:
:func:`vetoed` names the class) is no measure; masked phrases (benefits denied, rights
statements, names of systems being built, private giving, land-use control …) hold no
trigger. The unit's ``kind`` is the kind of its earliest trigger (ties: the kind listed first
in the JSON) that is not inside the condition or a *described* span (a benefit the recipient
already has, ``获得…光荣证的夫妻``) — unless every trigger is — after the lexicon's kind rules
(``学费……予以减免`` is a price benefit, not tax relief). A unit with no trigger, or whose every
trigger lies in a described span (``列入目录的产品，必须…``), is no measure; a unit that has a
support word (支持, 优惠 …) but no trigger is reported by :func:`support_without_measure` so the
lexicon can be audited.

Every span is an offset into ``record.text``: ``quote == record.text[start:end]``, and the
``condition``/``instrument`` spans (``{"text", "start", "end"}``, empty when absent) quote the
record verbatim too.

>>> from corpus.records import Record, Departments
>>> r = Record("d#1", "d", "D", "1", "item", [], "", "对符合条件的小微企业按规定给予社保补贴。", "", "",
...            [], Departments(), [], [], [])
>>> m = extract_measures(r)[0]
>>> m.kind, m.beneficiaries["entities"], m.condition["text"], m.instrument["text"]
('social_insurance_subsidy', ['小微企业'], '符合条件的小微企业', '按规定给予社保补贴')
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus.measures_lexicon import (  # re-exported: the lexicon lives there
    BENEFICIARY_KINDS,
    LEXICON_PATH,
    Lexicon,
    apply_kind_rules,
    beneficiaries,
    described_spans,
    find_triggers,
    kind_label,
    kinds,
    lexicon,
    load_lexicon,
    vetoed,
)
from corpus.measures_model import MeasuresModel
from corpus.measures_model import model as measures_model
from corpus.measures_spans import empty_span, find_condition, find_instrument, grant_instrument
from corpus.records import Record
from corpus.tagging import split_sentences

__all__ = [
    "BENEFICIARY_KINDS",
    "LEXICON_PATH",
    "Lexicon",
    "Measure",
    "beneficiaries",
    "check_measure",
    "count_by_kind",
    "empty_span",
    "extract_all",
    "extract_measures",
    "find_condition",
    "find_instrument",
    "find_triggers",
    "kind_label",
    "kinds",
    "lexicon",
    "load_lexicon",
    "read_measures",
    "sentence_units",
    "support_without_measure",
    "unit_measure",
    "vetoed",
    "write_measures",
]

#: An enumerated list item of a law (（一）, （二）…).
_ENUM_RE = re.compile(r"^（[一二三四五六七八九十]+）")
@dataclass(frozen=True)
class Measure:
    """One support measure: a sentence unit of a record.

    ``id`` is ``record_id#start`` (what gold labels and profiles name); ``kind`` a key of the
    taxonomy (:func:`kind_label` gives its Chinese name); ``beneficiaries`` ``{"sectors",
    "entities", "people"}`` canonical terms; ``condition``/``instrument`` ``{"text", "start",
    "end"}`` spans of ``record.text`` (start -1 when absent); ``departments`` the record's
    ``{"lead", "co", "implementers"}``.
    """

    id: str
    record_id: str
    start: int
    end: int
    kind: str
    beneficiaries: dict
    condition: dict
    instrument: dict
    quote: str
    departments: dict
    doc_id: str = ""
    doc_title: str = ""
    path: str = ""
    #: The record's title (a plan item's lead phrase, ``第十二条`` for an article).
    title: str = ""
    triggers: list = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Measure:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown measure fields {sorted(unknown)}")
        return cls(**data)


# ---------------------------------------------------------------- units
def sentence_units(record: Record) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence unit of ``record.text``: its sentences, a sentence
    ending in ``：`` running on over the enumerated items (（一）…) that follow it."""
    sentences = record.sentences or split_sentences(record.text)
    units = []
    i = 0
    while i < len(sentences):
        start, end = sentences[i].start, sentences[i].end
        j = i + 1
        if sentences[i].text.endswith("："):
            while j < len(sentences) and _ENUM_RE.match(sentences[j].text):
                end = sentences[j].end
                j += 1
        units.append((start, end))
        i = j
    return units


def _is_heading(record: Record, text: str) -> bool:
    return bool(record.title) and text.rstrip("。").strip() == record.title.strip()


# ---------------------------------------------------------------- measures
#: Trigger words too generic to name a kind on their own (see ``anaphora`` in the JSON).
_GENERIC = frozenset({"补贴", "补助"})


def unit_measure(record: Record, start: int, end: int, lex: Lexicon | None = None,
                 previous_kind: str | None = None, learned: MeasuresModel | None = None) -> Measure | None:
    """The measure of one sentence unit ``record.text[start:end]``, or None. ``previous_kind``
    is the kind of the unit before it (its earliest trigger's), for anaphoric sentences;
    ``learned`` is the support model (default: the shipped one)."""
    lex = lex or lexicon()
    learned = learned or measures_model()
    unit = record.text[start:end]
    if _is_heading(record, unit) or vetoed(unit, lex) is not None:
        return None
    found = find_triggers(unit, lex)
    condition = find_condition(unit, start)
    # a benefit named inside the condition (免费和低收费开放的…，享受补助) or one the recipient
    # already has (获得…光荣证的夫妻) is not the one granted, when the sentence names another
    aside = described_spans(unit, lex)

    def set_aside(trigger) -> bool:
        return any(a0 <= trigger[0] and trigger[1] <= a1 for a0, a1 in aside)

    # the lexicon's reading: a trigger, not every one only describing what someone already has
    # (纳入支付范围的…药品目录 under evaluation)
    lexicon_grants = bool(found) and not (aside and all(map(set_aside, found)))
    if not found:  # no trigger names it: the instrument runs from the first verb that gives — and
        # with none it is a duty or a statement (…毕业后应当按照协议到中小学任教), not a grant (unscored)
        instrument = grant_instrument(unit, start, condition)
        if not instrument["text"]:
            return None
    # the learned reading decides; the lexicon's agreement lowers the bar (see corpus.measures_model)
    p = learned.support_probability(unit)
    if p < (learned.floor if lexicon_grants else learned.threshold):
        return None
    if not found:
        kind = learned.kind_of(unit)
    else:
        if condition["text"]:
            aside.append((condition["start"] - start, condition["end"] - start))
        found = [t for t in found if not set_aside(t)] or found
        t_start, _, kind = found[0]
        kind = apply_kind_rules(unit, t_start, kind, lex)
        if (previous_kind and lex.anaphora is not None and lex.anaphora.search(unit)
                and all(unit[ts:te] in _GENERIC for ts, te, _ in found)):
            kind = previous_kind
        instrument = find_instrument(unit, t_start, start, condition)
    return Measure(
        id=f"{record.id}#{start}",
        record_id=record.id,
        start=start,
        end=end,
        kind=kind,
        beneficiaries=beneficiaries(unit, lex),
        condition=condition,
        instrument=instrument,
        quote=unit,
        departments=record.departments.to_dict(),
        doc_id=record.doc_id,
        doc_title=record.doc_title,
        path=record.path,
        title=record.title,
        triggers=sorted({unit[s:e] for s, e, _ in found}),
    )


def extract_measures(record: Record, lex: Lexicon | None = None) -> list[Measure]:
    """Every support measure of ``record``, in text order."""
    lex = lex or lexicon()
    out = []
    previous = None
    for start, end in sentence_units(record):
        measure = unit_measure(record, start, end, lex, previous)
        if measure is not None:
            out.append(measure)
            previous = measure.kind
        else:
            found = find_triggers(record.text[start:end], lex)
            previous = found[0][2] if found else None
    return out


def extract_all(records: Iterable[Record], lex: Lexicon | None = None) -> list[Measure]:
    lex = lex or lexicon()
    return [m for r in records for m in extract_measures(r, lex)]


def support_without_measure(record: Record, measures: Iterable[Measure] | None = None,
                            lex: Lexicon | None = None) -> list[dict]:
    """Sentence units of ``record`` that have a support word (支持, 优惠 …) but gave no measure:
    ``{"record_id", "start", "end", "text", "words"}`` each — for auditing the lexicon."""
    lex = lex or lexicon()
    taken = {m.start for m in (extract_measures(record, lex) if measures is None else measures)
             if m.record_id == record.id}
    out = []
    for start, end in sentence_units(record):
        unit = record.text[start:end]
        if start in taken or _is_heading(record, unit):
            continue
        words = sorted({m.group() for m in lex.support_words.finditer(unit)})
        if words:
            out.append({"record_id": record.id, "start": start, "end": end, "text": unit, "words": words})
    return out


def count_by_kind(measures: Iterable[Measure]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in measures:
        counts[m.kind] = counts.get(m.kind, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def check_measure(measure: Measure, record: Record) -> None:
    """Raise ValueError unless every span of ``measure`` quotes ``record.text`` verbatim."""
    if record.text[measure.start:measure.end] != measure.quote:
        raise ValueError(f"measure {measure.id}: quote is not record.text[{measure.start}:{measure.end}]")
    for name in ("condition", "instrument"):
        span = getattr(measure, name)
        if span["text"] and record.text[span["start"]:span["end"]] != span["text"]:
            raise ValueError(f"measure {measure.id}: {name} is not record.text[{span['start']}:{span['end']}]")


# ---------------------------------------------------------------- JSON Lines
def write_measures(measures: Iterable[Measure], path: Path) -> int:
    count = 0
    with Path(path).open("w", encoding="utf-8") as out:
        for m in measures:
            out.write(json.dumps(m.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count


def read_measures(path: Path) -> list[Measure]:
    out = []
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    out.append(Measure.from_dict(json.loads(line)))
                except (ValueError, TypeError, KeyError) as exc:
                    raise ValueError(f"{path}:{number}: not a policyqa measure ({exc})") from exc
    return out
