"""``qa.answer()``: a question → an extractive answer whose every statement is cited.

Each statement is a line of the answer ending in ``〔n〕``, the n-th citation; a
citation is a span of the cited record and is verified before the answer is
returned. When the evidence is weak the answer abstains
(``未在已收录的政策文件中找到相关规定``), or — when the question asks for an amount, a date, a
form … that the best clause does not state — says what the documents do not state; either
way it lists the nearest clauses as possibly related.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from corpus.config import Settings, get_settings
from corpus.records import Departments
from index.answer_types import AnswerType
from index.hits import search_text, short_title
from index.hybrid import Filters, Hit, HybridIndex, Retrieval
from index.query import Query
from index.unstated import unstated
from qa.about import about_the_documents, documents_not_held, in_documents, matter_not_held
from qa.compose import (
    Composer,
    answer_department,
    answer_dept_tasks,
    answer_general,
    answer_lookup,
    answer_target,
    figure_for_other_sectors,
    label,
)
from qa.document_facts import (
    DocumentFacts,
    named_by_number,
    named_by_title,
)
from qa.intent import classify
from qa.shapes import (
    ABSTAIN_TEXT,
    MATTER_NOT_HELD_TEXT,
    NAMED_DOCUMENT_TEXT,
    NO_MEASURE_TEXT,
    NOT_HELD_TEXT,
    OFF_DOMAIN_TEXT,
    UNSTATED_TEXT,
    Answer,
)
from qa.support import (
    answer_support,
    answer_support_fallback,
    answer_support_measures,
    support_topic,
)

__all__ = ["abstains", "answer", "coverage", "is_off_domain", "is_weak", "make_query", "off_domain",
           "out_of_scope", "unstated_answer"]

#: Words of a question that say *how* it asks, not *what* about (kept out of coverage).
QUESTION_WORDS = frozenset(
    ["多少", "哪些", "什么", "哪个", "谁", "部门", "单位", "牵头", "负责", "目标", "要求", "达到", "政策", "规定", "方案", "有没有", "是否", "能", "吗", "呢", "怎么", "如何", "可以", "支持", "企业", "我们", "我", "想", "要", "会", "请问", "一下", "有", "没有", "哪", "几个", "多", "大", "情况", "内容", "讲", "说"]
)

log = logging.getLogger(__name__)


def make_query(question: str, settings: Settings | None = None) -> Query:
    """The question parsed once: normalized, cut to the length limit, tokens, clause
    references, the departments it names and its intent."""
    settings = settings or get_settings()
    query = Query.parse(question, settings.max_question_chars, settings.expand_queries)
    parsed = classify(query.text)
    intent = "lookup" if query.names_clause else parsed.intent
    return replace(query, intent=intent, departments=tuple(parsed.departments))


def coverage(query: Query, hits: list[Hit]) -> float:
    """Share of the question's content words found in the best clauses' text."""
    words = [w for w in query.tokens if w not in QUESTION_WORDS and len(w) > 1]
    if not words:
        return 0.0
    text = "".join(h.record.text + h.record.responsibility + "".join(h.record.headings) for h in hits[:3])
    return sum(1 for w in words if w in text) / len(words)


def abstention_rule(p, best_dense, cover, unstated, out_of_scope, off_domain, below, doubt_below, doubt_dense,
                    doubt_coverage, use_unstated, scope_above, scope_guard, domain_above, domain_guard):
    """The abstention rule, element-wise: on numbers (one question) as on NumPy arrays (every
    question of a grid search, ``eval.choose_abstention``); an ``out_of_scope`` or ``off_domain``
    of NaN is none."""
    scope = np.nan_to_num(out_of_scope, nan=-1.0)
    domain = np.nan_to_num(off_domain, nan=-1.0)
    return ((p < below) | ((p < doubt_below) & (best_dense < doubt_dense) & (cover < doubt_coverage))
            | (bool(use_unstated) & unstated) | ((scope >= scope_above) & (p < scope_guard))
            | ((domain >= domain_above) & (p < domain_guard)))


def abstains(p: float, best_dense: float, cover: float, unstated: bool, settings: Settings,
             out_of_scope: float | None = None, off_domain: float | None = None) -> bool:
    """The abstention rule of the second stage — its calibrated probability ``p`` low; or in doubt
    and the dense similarity low; or the question asks for what the best clause does not state;
    or the question looks out of scope (``out_of_scope``, :mod:`index.scope`) or like no policy
    question (``off_domain``, below the gate's own threshold) and ``p`` is not high — with the
    thresholds chosen on the dev split of the library and of the plan alone
    (``python -m eval.choose_abstention``, which searches them with :func:`abstention_rule`)."""
    s = settings
    return bool(abstention_rule(p, best_dense, cover, unstated, math.nan if out_of_scope is None else out_of_scope,
                                math.nan if off_domain is None else off_domain,
                                s.abstain_below, s.abstain_doubt_below, s.abstain_doubt_dense,
                                s.abstain_doubt_coverage, s.abstain_unstated, s.abstain_scope_above,
                                s.abstain_scope_guard, s.abstain_domain_above, s.abstain_domain_guard))


def _question_probability(load, what: str, fix: str, query: Query, retrieval: Retrieval) -> float | None:
    """A question-level model's probability (:mod:`index.scope`); None without a model (``load``
    gave none), without a query vector (BM25 only) or when its weights cannot be read (logged
    once per model: the rest decides)."""
    try:
        model = load()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if what not in _WARNED:
            _WARNED.add(what)
            log.warning("%s unavailable (%s); answering without it — %s", what, exc, fix)
        return None
    return None if model is None else model.probability(query.text, retrieval.query_vector)


_WARNED: set[str] = set()


def out_of_scope(query: Query, retrieval: Retrieval) -> float | None:
    """The question-level P(out of scope) (:func:`index.scope.default_scope_model`)."""
    from index.scope import default_scope_model

    return _question_probability(default_scope_model, "out-of-scope model", "restore index/data/scope.json "
                                 "or run `python -m eval.train_scope`", query, retrieval)


def off_domain(query: Query, retrieval: Retrieval) -> float | None:
    """P(the question is not about policy, law or public services at all) — the domain gate
    (:func:`index.scope.default_domain_model`), which does not depend on the documents loaded."""
    from index.scope import default_domain_model

    return _question_probability(default_domain_model, "domain gate", "restore index/data/domain.json "
                                 "or run `python -m eval.train_domain`", query, retrieval)


#: Words of a document's title a question writes to name it: four or more Chinese characters in a
#: row (生活性服务业, 行动方案), not a year.
TITLE_WORDS_CHARS = 4


def names_title(question: str, title: str) -> bool:
    """Whether ``question`` writes :data:`TITLE_WORDS_CHARS` or more Chinese characters of ``title``
    in a row."""
    n = TITLE_WORDS_CHARS
    pieces = {run[i : i + n] for run in re.findall(r"[\u4e00-\u9fff]+", title) for i in range(len(run) - n + 1)}
    return any(piece in question for piece in pieces)


def off_document(query: Query, retrieval: Retrieval) -> float | None:
    """P(the question is not about the document every clause found belongs to), from that
    document's own scope model (:func:`index.scope.document_scope_model`: the shipped plan has
    one); None when the clauses found are of several documents (beside a law's article the plan's
    clause may be the weaker answer, not a wrong one), for a document without a model, or without
    a query vector; 0 when the question names the document by words of its title."""
    from index.scope import document_scope_model

    documents = {h.record.doc_id for h in retrieval.hits}
    if len(documents) != 1:
        return None
    doc_id = documents.pop()
    if names_title(query.shown, retrieval.hits[0].record.doc_title):  # as written, before a named title is cut
        return 0.0  # 甘肃为什么要出台这个生活性服务业方案: a question naming the document is about it
    return _question_probability(lambda: document_scope_model(doc_id), f"scope model of {doc_id}",
                                 "restore index/data/document-scope or run `python -m eval.train_document_scope`",
                                 query, retrieval)


#: A search term, as typed: the question without punctuation or white space, if that short.
KEYWORD_CHARS = 8


def is_document_term(query: Query, index: HybridIndex | None) -> bool:
    """The question is a short search term that some record contains verbatim (品牌, 一老一小,
    健身): a search of the documents' own words, whatever a question-level model makes of it."""
    term = re.sub(r"[\W_]+", "", query.text)
    return index is not None and 0 < len(term) <= KEYWORD_CHARS and in_documents(index, term)


def is_off_domain(query: Query, retrieval: Retrieval, settings: Settings, index: HybridIndex | None = None,
                  probability: float | None = None) -> bool:
    """The domain gate says this is no policy question (P ≥ ``abstain_off_domain``) — unless it
    is a term of the documents searched for (:func:`is_document_term`; short keywords are where
    the gate, trained on questions, is least sure). ``probability``: :func:`off_domain`, when the
    caller has it."""
    if settings.abstain_off_domain > 1.0:
        return False
    if probability is None:
        probability = off_domain(query, retrieval)
    return (probability is not None and probability >= settings.abstain_off_domain
            and not is_document_term(query, index))


def is_weak(query: Query, retrieval: Retrieval, settings: Settings, gap: AnswerType | None = None,
            domain: float | None = None) -> bool:
    """Weak evidence: no hit; with the second stage, :func:`abstains` (``gap``: what the question
    asks for that the best clause does not state; ``domain``: :func:`off_domain`, when the caller
    has it); without it, low dense similarity and low word coverage together, or that ``gap``."""
    hits = retrieval.hits
    if not hits:
        return True
    if retrieval.confidence is not None:
        p = retrieval.confidence
        # the question-level model matters only where the rule can use it
        scope = (out_of_scope(query, retrieval)
                 if settings.abstain_scope_above <= 1.0 and p < settings.abstain_scope_guard else None)
        if domain is None and settings.abstain_domain_above <= 1.0 and p < settings.abstain_domain_guard:
            domain = off_domain(query, retrieval)
        if (settings.abstain_document_above <= 1.0 and p < settings.abstain_document_guard
                and (outside := off_document(query, retrieval)) is not None
                and outside >= settings.abstain_document_above):
            return True
        return abstains(p, retrieval.best_dense, coverage(query, hits), gap is not None, settings, scope, domain)
    return ((retrieval.best_dense < settings.abstain_dense and coverage(query, hits) < settings.abstain_coverage)
            or (settings.abstain_unstated and gap is not None))


def unstated_answer(query: Query, hits: list[Hit]) -> AnswerType | None:
    """What the question asks for (an amount, a date, a form …) that the best clause — the one
    an answer leads with — does not state, if anything."""
    return unstated(query.text, [search_text(hits[0].record)]) if hits else None


#: A department-tasks question that asks what the department *leads* (牵头, 主抓, 负总责).
LEAD_ASKED_RE = re.compile(r"牵头|主抓|主责|负总责|挑大梁")


def answer(question: str | Query, index: HybridIndex, filters: Filters | None = None,
           settings: Settings | None = None, measures: list | None = None,
           documents: Sequence[DocumentFacts] = ()) -> Answer:
    """Answer ``question`` from ``index`` (one retrieval); an empty question is a PolicyError.
    ``measures`` (the corpus's support measures) answer support questions; without them a
    support answer picks support sentences of the best clauses. ``documents`` (their
    manifests: title, 文号, issuer, date) answer questions about a document itself."""
    settings = settings or get_settings()
    query = question if isinstance(question, Query) else make_query(question, settings)
    asked = query.text  # as written: a 文号 in it names the document a question about facts means
    named = named_by_number(query.text, documents) or named_by_title(query.text, documents)
    if named and re.search(r"\w", named[1]) and not (filters and filters.doc):
        # "甘政办发〔2022〕46号里对家政企业有什么税收优惠", "中小企业促进法现行这一版从哪天开始施行":
        # the number or the title says which document, not what about (searched, its digits are
        # numbers no clause states, its words match every clause of it) — it becomes the filter
        filters = replace(filters or Filters(), doc=named[0].doc_id)
        query = replace(make_query(named[1], settings), written=query.shown, truncated=query.truncated)
    notice = f"问题过长，只使用了前 {settings.max_question_chars} 个字。" if query.truncated else ""
    if named and filters and filters.doc == named[0].doc_id and len(documents) > 1:
        # say where the answer was looked for: the question named one document of several
        notice = "；".join(filter(None, [notice, NAMED_DOCUMENT_TEXT.format(short_title(named[0].title))]))
    retrieval = index.retrieve(query, k=5, mode="hybrid", filters=filters, fusion=settings.fusion,
                               dense_weight=settings.dense_weight, candidates=settings.candidates,
                               rerank=settings.rerank)
    hits = retrieval.hits
    composer = Composer(index)
    departments, targets = Departments(), []
    intent = query.intent
    no_measure = False  # a support question no measure (nor support sentence) answers
    gap = unstated_answer(query, hits)
    if gap is None and intent == "target":
        # a target asked for a sector the best clauses give figures of other sectors for
        gap = figure_for_other_sectors(query.text, [search_text(h.record) for h in hits[:3]])
    not_held = documents_not_held(query, index)
    if not not_held and (about := about_the_documents(asked, query, index, filters, documents, hits, notice)):
        return about
    # the gate's probability, read once: the gate and the abstention rule both use it
    domain = off_domain(query, retrieval) if settings.abstain_off_domain <= 1.0 else None
    outside = not not_held and is_off_domain(query, retrieval, settings, index, domain)
    # a matter of another field no record writes about (房贷提前还款, 驾照扣分) — unless the second
    # stage is sure of a clause
    matter = None if not_held or outside else matter_not_held(query.text, index)
    if matter and retrieval.confidence is not None and retrieval.confidence >= settings.abstain_matter_guard:
        matter = None
    if not_held or outside or matter:
        pass  # a document the library does not hold, no policy question, another field: say so below
    elif intent == "dept_tasks" and query.departments:
        departments = answer_dept_tasks(index, query.departments, composer, filters)
        # "省商务厅牵头干什么": it leads no clause — say so before the clauses it shares
        leads_nothing = [d for d in query.departments if d not in departments.lead
                         and (d in departments.co or d in departments.implementers)]
        if LEAD_ASKED_RE.search(query.text) and leads_nothing:
            where = "在所选范围内" if filters else "在已收录的文件中"
            leads_none = f"{'、'.join(leads_nothing)}{where}没有牵头的条款，以下是其协同负责或具体落实的条款。"
            notice = "；".join(filter(None, [notice, leads_none]))
    elif intent == "lookup" and any(h.lookup for h in hits):
        answer_lookup(index, hits, composer)
    elif not is_weak(query, retrieval, settings, gap, domain):
        if intent == "department":
            departments = answer_department(index, hits, composer, query.text)
        elif intent == "target":
            targets = answer_target(query.text, hits, composer)
        elif intent == "support" and measures:
            if (rows := index.allowed_rows(filters)) is not None:  # the filters hold for measures too
                kept = {index.records[row].id for row in rows.tolist()}
                measures = [m for m in measures if m.record_id in kept]
            # the second stage's probability, when it ran, says which clauses it is fairly sure of
            sure_p = settings.support_fallback_p if settings.rerank else None
            topic = support_topic(query.text, index)  # jieba's tagger once, for both
            answer_support_measures(query.text, hits, measures, composer, sure_p, topic)
            if not composer.lines:
                answer_support_fallback(query.text, hits, composer, topic, sure_p)
            no_measure = not composer.lines
        elif intent == "support":
            answer_support(query.text, hits, composer)
        if not composer.lines and not (intent == "support" and measures):
            answer_general(query.text, hits, composer)
    if not composer.lines:
        unrelated = outside or matter  # no search result is "related" to a question about no policy
        related = "" if unrelated else "；".join(label(h.record) for h in hits[:3])
        lead = (NOT_HELD_TEXT.format("》《".join(not_held)) if not_held else OFF_DOMAIN_TEXT if outside
                else MATTER_NOT_HELD_TEXT.format(*matter) if matter
                else UNSTATED_TEXT.format(gap.label) if gap else NO_MEASURE_TEXT if no_measure
                else ABSTAIN_TEXT)
        text = lead + (f"可能相关的条款：{related}。" if related else "")
        return Answer(query.shown, intent, text, True, hits=() if unrelated else tuple(hits), notice=notice)
    return Answer(query.shown, intent, composer.text(), False, tuple(composer.citations), departments,
                  tuple(targets), tuple(hits), notice)
