"""Support measures as records: which sentences grant or promise support, to whom, on what
condition and by what instrument.

Pure functions over :class:`~corpus.records.Record` (plan, laws, any added policy) and the
editable lexicon ``corpus/data/measures.json`` (kinds with trigger patterns, beneficiary
dictionary with aliases, vetoes; its ``comment`` says why the taxonomy is what it is).

A measure is one *sentence unit* of a record — a sentence of ``record.sentences``, or a
sentence ending in ``：`` together with the enumerated items after it (``（一）…；（二）…``),
since in a law the list is who the sentence's benefit is for. The unit's ``kind`` is the kind
of its earliest trigger (ties: the kind listed first in the JSON). A unit with no trigger is
no measure; a unit that has a support word (支持, 优惠 …) but no trigger is reported by
:func:`support_without_measure` so the lexicon can be audited.

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
    beneficiaries,
    find_triggers,
    kind_label,
    kinds,
    lexicon,
    load_lexicon,
)
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
    "find_triggers",
    "kind_label",
    "kinds",
    "lexicon",
    "load_lexicon",
    "read_measures",
    "sentence_units",
    "support_without_measure",
    "unit_measure",
    "write_measures",
]

#: An enumerated list item of a law (（一）, （二）…).
_ENUM_RE = re.compile(r"^（[一二三四五六七八九十]+）")
#: Where a clause ends inside a sentence.
_CLAUSE_END = "，；：。！？"


def empty_span() -> dict:
    return {"text": "", "start": -1, "end": -1}


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


# ---------------------------------------------------------------- condition and instrument
_CONDITION_CLAUSE_RE = re.compile(r"(?:^|(?<=[，；：。]))(?:对于|对|凡)?([^，；：。]{3,80}?的)(?=，)")
_QUALIFIED_RE = re.compile(
    r"(符合[^，；。]{0,12}?(?:条件|规定|要求|政策)的[^，；。]{0,60}?)"
    r"(?=按|依|可|应当|实行|实施|给予|享受|纳入|采取|优先|免征|以|通过|设立|开展|，|；|。|$)")
_OF_RE = re.compile(r"(?<![针相绝反面核应比])对((?:[^，；。对]{2,40}?)的)")
_PREMISE_RE = re.compile(r"在[^，；。]{1,30}?前提下")
#: ``免费和低收费开放的体育场地设施，按照有关规定享受补助``: the subject's 的-modifier is the condition.
_SUBJECT_OF_RE = re.compile(r"^(?:对于|对)?([^，；。]{2,30}的)[^，；。的]{1,12}，(?=[^，；。]{0,12}(?:享受|给予|按照|依法|可以|可))")
_CAPABLE_RE = re.compile(r"有条件的")
#: Where the condition proper starts inside a "X企业吸纳…的" clause (the subject is a beneficiary).
_ACTION_RE = re.compile(r"吸纳|招用|安置|安排|提供|使用|开展|参加|参与|从事|创办|投资|设立|捐赠|申请|接受|深度参与")
_SUBJECT_END_RE = re.compile(r"(?:企业|单位|机构|主体|组织|个体工商户|人员|残疾人|毕业生)$")
#: Verbs and modal words an instrument starts with, and what may stand before them.
_GRANT_RE = re.compile(r"给予|予以|实行|实施|享受|提供|落实|执行|纳入|列入|安排|采取|加大|运用|简化|推广|推行|建立|设立|"
                       r"允许|可以|可|免费|免除|免征|减征|缓征|优先|发放|支持|鼓励|引导|推动|帮助|开展|组织|通过|"
                       r"增加|降低|放宽|适当|及时|逐步")
_MODIFIER_RE = re.compile(r"(?:按照国家(?:有关)?规定|按照(?:有关)?规定|按规定|依法依规|依法|应当|积极|全面)+$")


def _span(record_start: int, text: str, start: int, end: int) -> dict:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return empty_span()
    start += piece.index(stripped)
    return {"text": stripped, "start": record_start + start, "end": record_start + start + len(stripped)}


def _without_subject(unit: str, start: int, end: int) -> tuple[int, int]:
    """A ``…的`` condition without the beneficiary it opens with: ``员工制养老、托育服务企业吸纳…的``
    → ``吸纳…的`` (the beneficiary is in ``beneficiaries``)."""
    clause = unit[start:end]
    action = _ACTION_RE.search(clause)
    if action and action.start() > 0 and _SUBJECT_END_RE.search(clause[: action.start()]):
        return start + action.start(), end
    return start, end


def find_condition(unit: str, offset: int = 0) -> dict:
    """The condition of a measure sentence as written, ``{text, start, end}`` with offsets
    ``offset + …`` (the unit's start in the record); empty when the sentence has none.

    Candidates, the earliest in the sentence wins: a ``…的，`` clause (``对员工制养老、托育服务企业
    吸纳就业困难人员及高校毕业生就业的，`` → ``吸纳就业困难人员及高校毕业生就业的``), ``符合条件的…``,
    ``对…的`` (``对建筑面积300平方米以下…的社区服务设施`` → ``建筑面积300平方米以下…的``),
    ``在…前提下`` and ``有条件的``.
    """
    candidates: list[tuple[int, int]] = []
    for pattern, group in ((_CONDITION_CLAUSE_RE, 1), (_QUALIFIED_RE, 1), (_OF_RE, 1), (_SUBJECT_OF_RE, 1),
                           (_PREMISE_RE, 0), (_CAPABLE_RE, 0)):
        for m in pattern.finditer(unit):
            candidates.append(_without_subject(unit, m.start(group), m.end(group)))
    if not candidates:
        return empty_span()
    start, end = min(candidates, key=lambda c: (c[0], -(c[1] - c[0])))
    return _span(offset, unit, start, end)


def find_instrument(unit: str, trigger_start: int, offset: int = 0, condition: dict | None = None) -> dict:
    """The instrument: the clause holding the measure's trigger, from the grant verb (给予,
    实行, 享受, 可 …) before the trigger, with the modifiers just before that verb (按规定,
    依法 …): ``…就业的，按规定给予社保补贴，…`` → ``按规定给予社保补贴``."""
    left = max((unit.rfind(ch, 0, trigger_start) for ch in _CLAUSE_END), default=-1) + 1
    if condition and condition.get("text"):
        cond_end = condition["end"] - offset
        if left <= cond_end <= trigger_start:
            left = cond_end
    right_candidates = [i for ch in _CLAUSE_END if (i := unit.find(ch, trigger_start)) >= 0]
    right = min(right_candidates) if right_candidates else len(unit)
    start = left
    verbs = [m for m in _GRANT_RE.finditer(unit, left, trigger_start + 1) if m.start() <= trigger_start]
    if verbs:
        start = verbs[-1].start()
        # a run of grant words (可以依法享受, 按规定给予) counts from its first word
        for m in reversed(verbs[:-1]):
            if m.end() == start:
                start = m.start()
            else:
                break
        before = _MODIFIER_RE.search(unit[left:start])
        if before:
            start = left + before.start()
    return _span(offset, unit, start, right)


# ---------------------------------------------------------------- measures
#: Trigger words too generic to name a kind on their own (see ``anaphora`` in the JSON).
_GENERIC = frozenset({"补贴", "补助"})


def unit_measure(record: Record, start: int, end: int, lex: Lexicon | None = None,
                 previous_kind: str | None = None) -> Measure | None:
    """The measure of one sentence unit ``record.text[start:end]``, or None. ``previous_kind``
    is the kind of the unit before it (its earliest trigger's), for anaphoric sentences."""
    lex = lex or lexicon()
    unit = record.text[start:end]
    if _is_heading(record, unit) or (lex.veto is not None and lex.veto.search(unit)):
        return None
    found = find_triggers(unit, lex)
    if not found:
        return None
    condition = find_condition(unit, start)
    if condition["text"]:
        # a benefit named inside the condition (免费和低收费开放的…，享受补助) is not the one granted
        c_start, c_end = condition["start"] - start, condition["end"] - start
        outside = [t for t in found if not (c_start <= t[0] and t[1] <= c_end)]
        found = outside or found
    t_start, _, kind = found[0]
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
