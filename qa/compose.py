"""Composing an answer's cited statements, one function per kind of question (used by
:func:`qa.answer.answer`)."""

from __future__ import annotations

import re
import weakref

from corpus.records import Departments, Record, Sentence, Target
from corpus.tagging import split_sentences
from corpus.targets import amount_text
from index.answer_types import AnswerType, asking_part
from index.hits import short_title
from index.hybrid import Filters, Hit, HybridIndex
from index.rerank_features import NUMBER_RE, QUOTED_RE, rarest_word_in, written_share
from index.unstated import SECTORS, about_other_sectors, sectors, unstated
from qa.citations import Citation, cite, verify
from qa.shapes import TargetAnswer


class Composer:
    """Collects (statement, citation) pairs; the answer text numbers them."""

    def __init__(self, index: HybridIndex):
        self.index = index
        self.lines: list[str] = []
        self.citations: list[Citation] = []

    def add(self, statement: str, citation: Citation | None) -> None:
        if citation is None or not verify(citation, self.index.record(citation.record_id)):
            return  # never state what cannot be quoted
        if citation in self.citations:
            number = self.citations.index(citation) + 1
        else:
            self.citations.append(citation)
            number = len(self.citations)
        self.lines.append(f"{statement}〔{number}〕")

    def text(self) -> str:
        return "\n".join(self.lines)


def label(record: Record) -> str:
    """``三(二)1 推动社区基础服务设施达标`` (path alone when the record has no title); a law
    article names its law, since in a library several documents answer:
    ``《老年人权益保障法》第四章第三十八条``."""
    if record.level == "article":
        return f"《{short_title(record.doc_title)}》{record.path.replace('/', '')}"
    return f"{record.path} {record.title}".strip()


def _plain(text: str) -> str:
    """``text`` without punctuation or spaces."""
    return re.sub(r"[^\w]", "", text)


def char_pairs(text: str) -> set[str]:
    """The pairs of adjacent characters of ``text``, punctuation and spaces left out."""
    text = _plain(text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


#: Years and numbers (2023年, 1000亿): shared by a question and a clause, they say nothing of
#: what either is about.
YEAR_OR_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?[年月日]?")


def overlap(question: str, text: str) -> float:
    q = char_pairs(question)
    return len(q & char_pairs(text)) / (len(q) or 1)


def meets(index: HybridIndex, question: str, text: str) -> tuple[float, float]:
    """How much of what ``question`` is about ``text`` writes, for choosing a clause's sentence to
    quote: first the IDF-weighted share of its content words, then of its character pairs. Pairs
    alone pick a sentence for a pair such as 的失 (失业了能领多久的失业保险金 → 再次失业的…尚未
    领取的失业保险金, not the periods by years paid) or 地方 (…的地方都没有 → 县级以上地方…)."""
    return written_share(index, question, text), overlap(question, text)


def is_heading(record: Record, sentence: Sentence) -> bool:
    """True when ``sentence`` only repeats the record's title or one of its headings
    (punctuation aside): ``开展生活服务促消费活动。`` opening 三(六)5 says nothing quoted alone."""
    text = _plain(sentence.text)
    return bool(text) and any(text == _plain(name) for name in (record.title, *record.headings) if name)


def quotable(record: Record, sentences: list[Sentence]) -> list[Sentence]:
    """The sentences of ``record`` worth quoting among ``sentences``: a heading-only sentence
    gives way to the record's other sentences — when ``sentences`` holds nothing else, to all
    of them — and stays only when the record has nothing else to quote."""
    kept = [s for s in sentences if not is_heading(record, s)]
    if kept:
        return kept
    return [s for s in record.sentences if not is_heading(record, s)] or list(sentences)


def _sentence_around(record: Record, position: int) -> tuple[int, int]:
    for s in record.sentences:
        if s.start <= position < s.end:
            return s.start, s.end
    return 0, len(record.text)


def answer_lookup(index, hits, composer) -> list[Hit]:
    named = [h for h in hits if h.lookup]
    for hit in named:
        r = hit.record
        if len(r.text) <= 400 or len(named) == 1:
            composer.add(f"{label(r)}：{r.text}", cite(r, 0, len(r.text)))
        else:
            first = quotable(r, r.sentences)[0]  # the first that is more than the heading
            composer.add(f"{label(r)}：{first.text}", cite(r, first.start, first.end))
    return named


def _responsibility_statements(record: Record, index: HybridIndex, composer: Composer) -> None:
    d = record.departments
    lead_word = "负责" if record.level == "article" else "牵头"
    if d.lead:
        composer.add(f"{lead_word}：{'、'.join(d.lead)}（{label(record)}）", role_citation(record, d.lead))
    if d.co:
        composer.add(f"{'协同' if d.lead else '按职责分工'}负责：{'、'.join(d.co)}（{record.path}）",
                     role_citation(record, d.co))
    if d.implementers:
        source = _implementer_source(record, index)
        if source is not None:
            composer.add(f"具体落实：{'、'.join(d.implementers)}（{source.record_id.split('#')[1]}）", source)


def role_citation(record: Record, names: list[str]) -> Citation | None:
    """Where a record names its responsible bodies: the plan's note, or — in a law article,
    which has none — the sentence that names the body (as written, level words aside)."""
    if record.responsibility:
        return cite(record, 0, len(record.responsibility), "responsibility")
    for name in names:
        core = re.sub(r"^.*?(国务院|人民政府|各级)", "", name) or name
        for s in record.sentences:
            if name in s.text or core in s.text:
                return cite(record, s.start, s.end)
    return None


def _implementer_source(record: Record, index: HybridIndex) -> Citation | None:
    """Where the record's implementers are written: its own note, or an earlier note handing them down."""
    for name in record.departments.implementers:
        if name.replace("人民政府", "") in record.responsibility or name in record.responsibility:
            return cite(record, 0, len(record.responsibility), "responsibility")
    found = _handed_down(index).get(record.doc_id)
    return None if found is None else cite(found[0], found[1], found[2], "responsibility")


#: index → {doc_id: (record, start, end)}: the document's first note handing implementers down.
_HANDED_DOWN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _handed_down(index: HybridIndex) -> dict[str, tuple[Record, int, int]]:
    table = _HANDED_DOWN.get(index)
    if table is None:
        table = {}
        for other in index.records:
            if other.doc_id not in table and "不再一一列出" in other.responsibility:
                m = re.search(r"以下任务需.+?不再一一列出", other.responsibility)
                if m:
                    table[other.doc_id] = (other, m.start(), m.end())
        _HANDED_DOWN[index] = table
    return table


#: A sentence that names a public body (its own words answer who).
BODY_WORD_RE = re.compile(r"部门|机关|人民政府|委员会|[厅局]")


def answer_department(index, hits, composer, question: str = "") -> Departments:
    about, keys = hits[:3], []
    if question:
        # a clause's departments answer only when it is about what is asked: it writes the names the
        # question quotes (“城市书房”), else the rarest word the question shares with the best clause
        # (托位 of a target paragraph is no task of 社区托育's departments)
        keys = QUOTED_RE.findall(question) or [rarest_word_in(index, question, hits[0].record.text)]
        keys = [k for k in keys if k]
        about = [h for h in about if all(k in h.record.text for k in keys)] or about
    with_departments = [h for h in about if h.record.departments]
    if not with_departments:
        top_hit = about[0]
        top = top_hit.record
        if top_hit.evidence:
            # the sentence that writes what is asked, best among the evidence
            sentences = quotable(top, top_hit.evidence)
            s = next((x for x in (*sentences, *top.sentences) if keys and all(k in x.text for k in keys)),
                     sentences[0])
            # no department recorded; a sentence that names a body itself (向劳动行政部门申请) is quoted as is
            says = "：" if BODY_WORD_RE.search(s.text) else " 未写明责任部门："
            composer.add(f"{label(top)}{says}" + s.text, cite(top, s.start, s.end))
        return Departments()
    best = with_departments[0].record
    _responsibility_statements(best, index, composer)
    return best.departments


ROLE_WORDS = (("lead", "牵头"), ("co", "协同负责"), ("implementers", "具体落实"))


def department_tasks(index: HybridIndex, names: list[str] | tuple[str, ...]) -> list[tuple[str, Record]]:
    """(role, record) for every clause of the canonical departments ``names``: the clauses
    they lead first, then those they share, then those they implement (each in text order)."""
    out: list[tuple[str, Record]] = []
    seen: set[tuple[str, int]] = set()
    for role, _ in ROLE_WORDS:
        rows = sorted({row for name in names for row in index.department_rows(name, role)})
        out += [(role, index.records[row]) for row in rows if (role, row) not in seen]
        seen |= {(role, row) for row in rows}
    return out


def answer_dept_tasks(index, names: tuple[str, ...], composer, filters: Filters | None) -> Departments:
    """Clauses where each named department leads, then shares, then implements (only those
    the filters allow)."""
    allowed = index.allowed_rows(filters)
    allowed_ids = None if allowed is None else {index.records[row].id for row in allowed}
    found: dict[str, list[str]] = {role: [] for role, _ in ROLE_WORDS}
    words = dict(ROLE_WORDS)
    for name in names:
        for role, r in department_tasks(index, [name]):
            if allowed_ids is not None and r.id not in allowed_ids:
                continue
            citation = role_citation(r, [name])
            if citation is not None:
                found[role].append(name)
                composer.add(f"{name}{words[role]}：{label(r)}", citation)
    return Departments(*(list(dict.fromkeys(found[role])) for role, _ in ROLE_WORDS))


#: A figure a target sentence states: a number in a unit or a share (not a year: 到2025年).
FIGURE_RE = re.compile(r"\d+(?:\.\d+)?\s*[万亿千百]?\s*(?:%|元|个|名|人|家|所|张|平方米|亩|米|公里|岁|倍|户|间|床|座|处|条|项|种|次|届)"
                        r"|百分之|[一二三四五六七八九十百千万]+(?:个|名|人|家|所|张|平方米|亩|倍|种)")
#: A figure asked by what it measures: an area is stated in 平方米 or 亩 (2.5平方米, not 4.5个托位).
AREA_ASKED_RE = re.compile(r"面积|多大地方|多大的地方|占地")
AREA_RE = re.compile(r"(?:\d|[一二三四五六七八九十百千万])\s*(?:平方米|平米|亩|公顷)")


def figure_for_other_sectors(question: str, texts: list[str]) -> AnswerType | None:
    """A figure asked for a sector (托育设施的建筑面积标准) that ``texts`` state only for other
    sectors, or that the sentences about it do not state in what it measures (an area asked,
    托位 counted): the kind of answer the documents do not state, named by the sectors asked; None
    when they state one, or when the question names no sector or the texts no figure."""
    asked = sectors(question)
    if not asked:
        return None
    stating = [s.text for t in texts for s in split_sentences(t) if FIGURE_RE.search(s.text)]
    if not stating:
        return None
    measure = AREA_RE if AREA_ASKED_RE.search(asking_part(question)) else FIGURE_RE
    # the sentences about a sector asked, if any (二¶2 states 托育 figures in one sentence and the
    # 社区 area figures in another); else those about no sector
    own = [s for s in stating if sectors(s) & asked] or [s for s in stating if not sectors(s)]
    if any(measure.search(s) for s in own):
        return None
    what = "面积" if measure is AREA_RE else "数值"
    return AnswerType("figure", f"{'、'.join(s for s in SECTORS if s in asked)}方面的具体{what}",
                      re.compile(r"(?!)"), measure)


def answer_target(question, hits, composer) -> list[TargetAnswer]:
    """The targets that best match the question; a sentence with the asked-for number
    when no extracted target matches better (thresholds such as 300平方米以下)."""
    scored: list[tuple[float, Record, Target]] = []
    numeric: list[tuple[float, Record, int, int]] = []
    # what is measured must be what is asked: a year shared with the deadline alone
    # (上海市2023年…GDP增长目标 and 力争到2023年 培训“爱心理发员”) matches nothing
    subject = YEAR_OR_NUMBER_RE.sub("", question)
    # nor is a figure for another sector (人均体育场地面积 for a question on 托育设施)
    asked = sectors(question)
    for rank, hit in enumerate(hits[:3]):
        for t in hit.record.targets:
            start, end = _sentence_around(hit.record, t.start)
            if overlap(subject, t.indicator + t.phrase) > 0 and not about_other_sectors(hit.record.text[start:end], asked):
                scored.append((overlap(question, t.deadline_text + t.indicator + t.phrase) - 0.05 * rank,
                               hit.record, t))
        for s in hit.record.sentences:
            if (NUMBER_RE.search(s.text) and overlap(subject, YEAR_OR_NUMBER_RE.sub("", s.text)) > 0
                    and not about_other_sectors(s.text, asked)):
                numeric.append((overlap(question, s.text) - 0.05 * rank, hit.record, s.start, s.end))
    scored.sort(key=lambda x: -x[0])
    numeric.sort(key=lambda x: -x[0])
    best_target = scored[0][0] if scored else 0.0
    best_sentence = numeric[0][0] if numeric else 0.0
    if best_target <= 0.1 and best_sentence <= 0.2:
        return []
    if best_target < 0.4 and best_sentence > best_target + 0.1:
        _, record, start, end = numeric[0]
        composer.add(f"{label(record)}：{record.text[start:end]}", cite(record, start, end))
        return []
    chosen = [x for x in scored if x[0] >= max(0.1, best_target * 0.85)][:3]
    out = []
    for _, record, t in chosen:
        start, end = _sentence_around(record, t.start)
        deadline = t.deadline_text or "未写明期限"
        composer.add(f"{t.indicator}：{amount_text(t.comparator, t.value, t.unit)}（{deadline}）", cite(record, start, end))
        out.append(TargetAnswer.of(t, record))
    return out


def answer_general(question: str, hits, composer) -> None:
    """The best three clauses, each by the evidence sentence closest to the question's words
    — not one that only repeats the clause's title or a heading (:func:`quotable`), which
    shares the question's words and says nothing — among those that state what the question
    asks for, when it asks for an amount, a share, a date … (管理费不能超过多少: the sentence
    with 百分之十, not the one that shares 慈善组织 and 管理费)."""
    for hit in hits[:3]:
        r = hit.record
        if hit.evidence:
            s = max(quotable(r, hit.evidence),  # ties: the first
                    key=lambda e: (unstated(question, [e.text]) is None, *meets(composer.index, question, e.text)))
            composer.add(f"{label(r)}：{s.text}", cite(r, s.start, s.end))

