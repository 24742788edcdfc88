"""Questions about the documents rather than what they say: a document the library does not hold
(a 《title》, a province's 方案, a law written out), another region's own policy, a document fact
(文号, 发文机关, 施行日期) and the parts of a document or of one part. ``qa.answer`` asks these first."""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Sequence
from importlib import resources

from index.hits import short_title
from index.hybrid import Filters, Hit, HybridIndex
from index.query import Query, named_documents
from qa.citations import cite
from qa.compose import Composer, label, overlap
from qa.document_facts import (
    PROVINCES,
    DocumentFacts,
    asked_facts,
    document_facts_text,
    other_region,
    region_policy_asked,
    stating_sentences,
    unquoted_law_names,
    which_document,
)
from qa.outline import WHOLE_ASKED_RE, asks_contents, outline, part_asked, parts, title_sentence
from qa.shapes import OTHER_REGION_TEXT, REGION_NOT_HELD_TEXT, Answer


def in_documents(index: HybridIndex, words: str) -> bool:
    """Whether any record of ``index`` contains ``words`` verbatim — in its text, headings or
    document title. A scan, no cache: it runs only for a question the gate declines or one that
    names a place or a law, and holds no copy of the corpus."""
    return any(words in r.text or words in r.doc_title or any(words in h for h in r.headings)
               for r in index.records)


_TITLES: weakref.WeakKeyDictionary[HybridIndex, frozenset[str]] = weakref.WeakKeyDictionary()


def _short(title: str) -> str:
    return re.sub(r"[\s（）()〔〕\d—-]", "", short_title(title))


#: A policy document named without 《》 by the province it is from (广东省促进家政服务业提质扩容的
#: 实施方案, 北京市“十四五”时期托育服务体系建设规划): how people name another region's document.
#: The province must carry 省/市/自治区 (河南岸 is no 河南), and the span up to the document word may
#: hold no question word or talk of people (…在兰州养老有什么办法 names no document).
PLACE_DOCUMENT_RE = re.compile(
    rf"(?P<place>{'|'.join(PROVINCES)})(?P<suffix>省|市|自治区)"
    r"(?:有没有|有无|是否有)?(?:类似|同样)?的?"  # 陕西省有没有类似的…行动方案 asks for Shaanxi's own
    r"(?P<title>(?:(?!什么|怎么|怎样|如何|哪|吗|有没有|能不能|可以|户口|人|在|来|去)[^，。？！；,?!;]){0,30}?"
    r"(?:实施方案|行动方案|方案|条例|实施办法|规划|实施意见|工作报告))")


def documents_not_held(query: Query, index: HybridIndex) -> list[str]:
    """The documents the question names that the library does not hold: a 《name》 no title
    contains (or shares most of its character pairs with: 《甘肃生活性服务业行动方案》 is the plan),
    and, when no record mentions it at all, a region's document or a law written out without 《》."""
    titles = _TITLES.get(index)
    if titles is None:
        titles = _TITLES[index] = frozenset(_short(r.doc_title) for r in index.records)
    missing = []
    for name in named_documents(query.text):
        short = _short(name)
        if short and not any(short in t or t in short or overlap(short, t) >= 0.6 for t in titles):
            missing.append(name)
    if not missing:
        missing = [m["place"] + m["suffix"] + m["title"] for m in PLACE_DOCUMENT_RE.finditer(query.text)
                   if not in_documents(index, m["place"])]
    if not missing:  # 按消费者权益保护法…, 民法典规定的…: a law written out that no record even mentions
        missing = [n for n in unquoted_law_names(query.text) if not any(n in t or t in n for t in titles)
                   and not in_documents(index, n)]
    return missing


@functools.lru_cache(maxsize=1)
def other_fields() -> dict[str, str]:
    """word → field of qa/data/other_fields.tsv: matters (房贷, 驾照, 宅基地) that policies on
    services, employment and welfare do not govern."""
    text = resources.files("qa").joinpath("data/other_fields.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return {word.strip(): field.strip() for word, field in rows}


#: Per index, whether a record writes each other-field word asked so far (an index never changes).
_WRITTEN: weakref.WeakKeyDictionary[HybridIndex, dict[str, bool]] = weakref.WeakKeyDictionary()


def matter_not_held(question: str, index: HybridIndex) -> tuple[str, str] | None:
    """(word, field) of the first matter of another field (:func:`other_fields`) that ``question``
    writes and no record of ``index`` contains — checked against the library, so one that holds
    道路交通安全法 answers a 驾照 question (each word scanned for once per index)."""
    written = _WRITTEN.setdefault(index, {})
    for word, field in other_fields().items():
        if word in question:
            if word not in written:
                written[word] = in_documents(index, word)
            if not written[word]:
                return word, field
    return None


_PARTS: weakref.WeakKeyDictionary[HybridIndex, dict] = weakref.WeakKeyDictionary()


def structure_lines(question: str, index: HybridIndex, filters: Filters | None,
                    documents: Sequence[DocumentFacts], hits: list[Hit]) -> list[tuple[str, object, object]]:
    """(statement, record, title sentence) for a question about a document's structure: the
    clauses of the part it names (重点任务有哪些), or the parts of the document it asks about
    (这个方案主要讲了什么: each top-level heading with its first clause); [] for any other."""
    if not (asks_contents(question) or WHOLE_ASKED_RE.search(question)):
        return []  # most questions: no part to list, nothing built or scanned
    all_parts = _PARTS.get(index)
    if all_parts is None:
        all_parts = _PARTS[index] = parts(index.records)
    rows = index.allowed_rows(filters)
    allowed = None if rows is None else {index.records[row].id for row in rows}
    lines = []
    for r in part_asked(question, all_parts, allowed):
        if (s := title_sentence(r)) is not None:
            # a clause with a title is named by it; a paragraph (二¶1) or a law article (第八条,
            # a number, no title) by its first sentence
            named = r.title and r.level != "article"
            lines.append((label(r) if named else f"{label(r)}：{s.text}", r, s))
    if lines or not WHOLE_ASKED_RE.search(question):
        return lines
    doc = which_document(question, documents, [h.record.doc_id for h in hits])
    doc_id = doc.doc_id if doc else (hits[0].record.doc_id if hits else None)
    document = [r for r in index.records if r.doc_id == doc_id and (allowed is None or r.id in allowed)]
    for heading, clauses in outline(document):
        first = clauses[0]
        if (s := title_sentence(first)) is not None:
            more = f" 等 {len(clauses)} 条" if len(clauses) > 1 else ""
            lines.append((f"{heading}：{label(first)}{more}", first, s))
    return lines


def about_the_documents(asked: str, query: Query, index: HybridIndex, filters: Filters | None,
                        documents: Sequence[DocumentFacts], hits: list[Hit], notice: str) -> Answer | None:
    """The answer to a question about the documents rather than their content, if it is one:
    another province than the documents cover; a document fact a best clause states (cited) or
    only the manifest does (said, no clause cited); the parts of a document or of one part."""
    intent = query.intent

    def mentioned(place: str) -> bool:
        return in_documents(index, place)

    if region := other_region(query.text, documents, mentioned):
        place, held = region
        # no clause is "related" to another province's policy, nor to the document's own 文号
        return Answer(query.shown, intent, OTHER_REGION_TEXT.format("、".join(held), place), True, notice=notice)
    if place := region_policy_asked(query.text, mentioned):
        return Answer(query.shown, intent, REGION_NOT_HELD_TEXT.format(place), True, notice=notice)
    composer = Composer(index)
    # who drafted a plan and why: its 前言; why a law was made: its 第一条 — each document's first
    # record (a 前言 always is), looked up only when a document fact is asked
    opening = index.opening_records() if asked_facts(asked) else []
    for record, sentence in stating_sentences(asked, documents, hits, opening):
        composer.add(f"{label(record)}：{sentence.text}", cite(record, sentence.start, sentence.end))
    if not composer.lines:
        for statement, record, sentence in structure_lines(asked, index, filters, documents, hits):
            composer.add(statement, cite(record, sentence.start, sentence.end))
    if composer.lines:
        return Answer(query.shown, intent, composer.text(), False, tuple(composer.citations), hits=tuple(hits),
                      notice=notice)
    if about_document := document_facts_text(asked, documents, [h.record.doc_id for h in hits]):
        # no clause states a 文号 or a signature date: the manifest says it, and no clause is cited
        return Answer(query.shown, intent, about_document, True, notice=notice)
    return None
