"""Features of the second stage (:mod:`index.rerank`): what a reader checks when judging
whether a clause answers a question, as numbers that keep their meaning across queries and
corpora.

Features of one pair (names in :data:`FEATURES`, in this order):

* dense — cosine of the question with the whole clause and with its best sentence, the
  best sentence's gap to the best candidate's, and hinges ``max(0, 0.88 − cosine)`` for
  the clause and for the best candidate (very low similarity counts more than high); the
  same best cosine with the question moved by the second stage's query adapter
  (:mod:`index.adapter`) and its gap to the best candidate's (without an adapter: the plain one);
* BM25 — the clause's score divided by the query's maximum over **all** records (not
  min-max over the candidates), and ``log1p`` of the raw score;
* ranks — position in the first-stage list, in the candidates' BM25 order and dense order;
* coverage — IDF-weighted share of the question's content words (jieba, minus stopwords
  and question words such as 多少/哪个部门) found in the clause, in its dense-best sentence,
  in its best-covered sentence, in its headings and title, and in its document's title;
  the largest IDF of a content word the clause lacks; IDF from the BM25 index's document
  frequencies;
* specifics the question names and the clause lacks — a quoted name (“城市书房”,
  《四川省养老服务条例》), a number (2024), the kind of answer asked for (an amount of
  money, a rate, a date or period, a clock time, a count or size, a telephone number or
  web address, a form or list of papers) — and how much of the question no document
  mentions at all (a question about the weather shares 兰州 with the plan, not 天气);
* intent — the clause has what the question's intent needs: a number (``target``), a
  responsibility note (``department``/``dept_tasks``), a support verb (``support``); a
  department the question names is responsible in it; it was named by number
  (``lookup``, unless the question names another document);
* shape — ``log`` of the clause length, whether it is a law article;
* per intent — a one-hot of the intent, and the intent times the dense-best sentence
  cosine, the clause and best-sentence coverage and the relative BM25 (each intent gets
  its own prior and slopes).
"""

from __future__ import annotations

import functools
import math
import re
import threading
import weakref
from typing import NamedTuple

import numpy as np

from corpus.departments import load_dictionary
from corpus.normalize import normalize_text
from corpus.numerals import writes_number
from corpus.tokenize import tokenize_for_search
from index.answer_types import asked_types, asking_part
from index.expansion import matched_rules
from index.hybrid import Hit, HybridIndex
from index.query import named_documents

INTENTS = ("lookup", "dept_tasks", "department", "target", "support", "general")

BASE_FEATURES: tuple[str, ...] = (
    "dense_clause",        # cosine(question, clause)
    "dense_sentence",      # cosine(question, best sentence); the clause's when it has one sentence
    "dense_gap",           # best-sentence cosine minus the best candidate's (≤ 0)
    "adapted_dense",       # the best of clause and sentence cosine with the adapted question (index.adapter)
    "adapted_gap",         # … minus the best candidate's (≤ 0)
    "dense_deficit",       # max(0, DENSE_KNOT − the clause's best cosine): very low similarity
    "query_dense_deficit", # max(0, DENSE_KNOT − the best cosine among the candidates)
    "bm25_rel",            # BM25 / the query's max BM25 over all records
    "bm25_log",            # log1p(BM25)
    "rank_first",          # log1p(first-stage rank − 1)
    "rank_bm25",           # log1p(rank among the candidates by BM25)
    "rank_dense",          # log1p(rank among the candidates by dense)
    "cov_clause",          # IDF-weighted share of content words in the clause (headings, text, note)
    "cov_sentence",        # … in the best sentence
    "cov_heading",         # … in the headings and title
    "cov_doc_title",       # … in the document title
    "cov_missing_idf",     # the largest IDF among content words missing from the clause, / log N
    "cov_sentence_max",    # … in the clause's best-covered sentence
    "quoted_missing",      # share of the question's quoted names (“…” 《…》) the clause lacks
    "number_missing",      # the question asks with a number (2024年的标准, 1.5%交吗) the clause does not write
    "dept_match",          # a department the question names is responsible in the clause
    "answer_type_missing", # the question asks for money / a rate / a date …, the clause states none
    "answer_types_missing",# how many of the kinds of answer asked for the clause states none of
    "query_oov",           # IDF-weighted share of the question's content words no record contains
    "intent_number",       # target question and the clause has a number
    "intent_department",   # department / dept_tasks question and the clause has a responsibility note
    "intent_support",      # support question and the clause has a support verb
    "lookup",              # the clause was named by number in the question
    "log_chars",           # log(clause length in characters)
    "is_article",          # a law article (vs a plan item/section/paragraph)
    "everyday_clause",     # share of the question's everyday words (corpus/data/everyday.tsv: 爸妈, 年卡)
                           # whose policy words the clause writes (老年人, 预付消费); 0 when it uses none
)
#: Base features that also enter once per intent (the intent's prior and slopes differ:
#: a colloquial "general" question matches by meaning, a target question by its words).
BY_INTENT = ("dense_sentence", "cov_clause", "cov_sentence_max", "bm25_rel", "cov_missing_idf",
             "answer_types_missing")
#: Every feature, in the order of a row of :func:`features` and of the stored weights.
FEATURES: tuple[str, ...] = (*BASE_FEATURES, *(f"intent={i}" for i in INTENTS),
            *(f"intent={i}*{f}" for i in INTENTS for f in BY_INTENT))

#: Knot of the dense-deficit hinge features: about the cosine under which the plan's
#: in-scope questions become rare (the former abstention threshold was 0.878), so a
#: linear model can punish very low similarity harder than it rewards high similarity.
DENSE_KNOT = 0.88
#: Words that say *how* a question asks, not *what* about (kept out of coverage).
QUESTION_WORDS = frozenset(
    ["多少", "哪些", "什么", "哪个", "哪里", "谁", "部门", "单位", "牵头", "负责", "目标", "要求", "达到", "政策", "规定", "方案", "有没有", "是否", "能", "吗", "呢", "怎么", "怎么样", "如何", "可以", "支持", "我们", "我", "想", "要", "会", "请问", "一下", "有", "没有", "哪", "几个", "多", "大", "情况", "内容", "讲", "说", "什么样", "哪几个", "哪家", "啥", "是不是", "能不能", "可不可以", "能否", "为什么", "需要", "应该", "一般", "主要", "具体", "相关", "有关", "文件", "条款", "法律", "规定", "明确", "提出", "提到", "里面"]
)
SUPPORT_RE = re.compile(
    r"补贴|补助|减免|免征|先征后退|贷款|信贷|优惠|给予|奖励|激励|专项债|返还|支持|鼓励|允许|放宽|简化|降低|"
    r"绿色通道|纾困|免费|低收费|划拨|出让|租赁|优先|税|扶持|资助|帮扶"
)
QUOTED_RE = re.compile(r"[“\"《「『]([^”\"》」』]{2,30})[”\"》」』]")
DIGITS_RE = re.compile(r"\d+(?:\.\d+)?")
NUMBER_RE = re.compile(r"\d|百分之|[一二三四五六七八九十两][十百千万]?[个张名人所家岁年倍成]")


class _RowText(NamedTuple):
    """What the features read of one record, computed once per index."""

    clause: str  # headings, plan title, text, responsibility note
    heading: str
    doc_title: str
    sentences: list[str]
    has_number: bool
    has_note: bool
    has_support: bool
    departments: frozenset[str]
    log_chars: float
    is_article: float


class _IndexTables:
    """Per-index look-up tables, built once per index (no per-query loop over records)."""

    def __init__(self, index: HybridIndex):
        self.n_docs = int(index.sparse.retriever.scores["num_docs"])
        self.vocab = index.sparse.retriever.vocab_dict
        self.log_n = math.log(self.n_docs + 1.0)
        self.sentence_start = np.searchsorted(index.sentence_rows, np.arange(len(index.records) + 1))
        self._texts: dict[int, _RowText] = {}
        self._lock = threading.Lock()

    def texts(self, index: HybridIndex, row: int) -> _RowText:
        cached = self._texts.get(row)
        if cached is None:
            r = index.records[row]
            title = "" if r.level == "article" else r.title
            clause = "\n".join(p for p in (" ".join(r.headings), title, r.text, r.responsibility) if p)
            cached = _RowText(
                clause=clause, heading=" ".join([*r.headings, title]), doc_title=r.doc_title,
                sentences=[s.text for s in r.sentences] or [r.text],
                has_number=bool(r.targets) or bool(NUMBER_RE.search(r.text)),
                has_note=bool(r.responsibility), has_support=bool(SUPPORT_RE.search(r.text)),
                departments=frozenset(r.departments.all()),
                log_chars=math.log(max(len(r.text), 1)), is_article=float(r.level == "article"))
            with self._lock:
                self._texts[row] = cached
        return cached


_TABLES: weakref.WeakKeyDictionary[HybridIndex, _IndexTables] = weakref.WeakKeyDictionary()
_TABLES_LOCK = threading.Lock()


def _tables(index: HybridIndex) -> _IndexTables:
    tables = _TABLES.get(index)
    if tables is None:
        with _TABLES_LOCK:
            tables = _TABLES.get(index)
            if tables is None:
                tables = _TABLES[index] = _IndexTables(index)
    return tables


def in_vocabulary(index: HybridIndex, word: str) -> bool:
    """Whether some record of ``index`` contains the token ``word``."""
    return word in _tables(index).vocab


@functools.lru_cache(maxsize=1024)  # an answer asks it of every sentence it weighs (qa.compose.meets)
def content_words(question: str) -> tuple[str, ...]:
    """The question's words that say what it is about (jieba, no stopwords or question words)."""
    words = [w for w in tokenize_for_search(question) if len(w) > 1 and w not in QUESTION_WORDS]
    return tuple(dict.fromkeys(words))


def rarest_word_in(index: HybridIndex, question: str, text: str) -> str | None:
    """Of the question's content words that ``text`` writes, the rarest in ``index`` (largest
    IDF): what the question and that text share that fewest clauses do (城市书房, not 建设)."""
    shared = [w for w in content_words(question) if w in text]
    return max(shared, key=index.sparse.idf) if shared else None


def writes(text: str, word: str) -> bool:
    """Whether ``text`` writes the question's ``word``; a number typed in digits also when the
    text spells it (16 → 十六周岁: laws write numbers in words)."""
    return word in text or (word.isdigit() and writes_number(text, word))


def words_share(index: HybridIndex, words, text: str) -> float:
    """IDF-weighted share of ``words`` that ``text`` writes (0 without words)."""
    weights = {w: index.sparse.idf(w) for w in words}
    total = sum(weights.values())
    return sum(v for w, v in weights.items() if writes(text, w)) / total if total else 0.0


def written_share(index: HybridIndex, question: str, text: str) -> float:
    """IDF-weighted share of the question's content words that ``text`` writes: what it says of
    what the question is about (失业保险金 and 期限 weigh; 地方, 单位, 政策 hardly)."""
    return words_share(index, content_words(question), text)


def _ranks(values: np.ndarray) -> np.ndarray:
    """0 for the largest value, 1 for the next … (ties share the better rank)."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), np.float64)
    ranks[order] = np.arange(len(values))
    # ties: the smallest rank among equal values
    for value in np.unique(values):
        same = values == value
        if same.sum() > 1:
            ranks[same] = ranks[same].min()
    return ranks


def _question_text(question) -> str:
    """A question string, or the text of an object carrying one (``index.query.Query``)."""
    return normalize_text(question if isinstance(question, str) else getattr(question, "text", ""))


def features(index: HybridIndex, question, hits: list[Hit], intent: str = "general",
             departments: list[str] | tuple[str, ...] | None = None, adapter=None) -> np.ndarray:
    """``(len(hits), len(FEATURES))`` float64 feature matrix of the (question, hit) pairs.

    ``departments``: canonical names the question mentions (``qa.intent.classify``); None →
    the department dictionary's matches in the question. ``adapter``: the second stage's
    :class:`index.adapter.QueryAdapter` (None → the adapted features equal the plain ones).
    """
    n = len(hits)
    out = np.zeros((n, len(FEATURES)), np.float64)
    if n == 0:
        return out
    if intent not in INTENTS:
        raise ValueError(f"unknown intent {intent!r}; choose one of {', '.join(INTENTS)}")
    tables = _tables(index)
    query = _question_text(question)
    col = {name: out[:, i] for i, name in enumerate(FEATURES)}  # views into ``out``
    rows = np.array([index._by_id[h.record.id] for h in hits], dtype=np.int64)

    # dense: whole clause, and best sentence (records with one sentence have no sentence vectors),
    # for the question as asked and as moved by the adapter (one pass over the sentence vectors)
    qv = index.encode_query(query)
    moved = adapter.apply(qv) if adapter is not None else None
    both = np.stack([qv, moved]).T if moved is not None else qv[:, None]
    clause_both = (index.clauses.vectors[rows] @ both).astype(np.float64)
    clause = clause_both[:, 0]
    sentence = clause.copy()
    adapted = clause_both[:, -1].copy()
    best_sentence = np.zeros(n, np.int64)
    if index.sentences is not None:
        spans = [np.arange(tables.sentence_start[r], tables.sentence_start[r + 1]) for r in rows]
        flat = np.concatenate(spans)
        if len(flat):
            sims = index.sentences.vectors[flat] @ both
            offset = 0
            for i, span in enumerate(spans):
                if len(span):
                    part = sims[offset : offset + len(span)]
                    j = int(np.argmax(part[:, 0]))
                    sentence[i] = part[j, 0]
                    best_sentence[i] = index.sentence_index[span[j]]
                    adapted[i] = max(adapted[i], float(part[:, -1].max()))
                    offset += len(span)
    best_dense = np.maximum(clause, sentence)  # = ``adapted`` when there is no adapter (one column)
    col["adapted_dense"][:] = adapted
    col["adapted_gap"][:] = adapted - adapted.max()
    col["dense_clause"][:] = clause
    col["dense_sentence"][:] = sentence
    col["dense_gap"][:] = best_dense - best_dense.max()
    col["dense_deficit"][:] = np.maximum(0.0, DENSE_KNOT - best_dense)
    col["query_dense_deficit"][:] = max(0.0, DENSE_KNOT - float(best_dense.max()))

    # BM25, normalized by the query's own maximum over every record
    bm25_all = index.sparse.scores(query)
    bm25 = bm25_all[rows].astype(np.float64)
    top = float(bm25_all.max()) if len(bm25_all) else 0.0
    col["bm25_rel"][:] = bm25 / top if top > 0 else 0.0
    col["bm25_log"][:] = np.log1p(np.maximum(bm25, 0.0))
    col["rank_first"][:] = np.log1p(np.array([h.rank - 1 for h in hits], np.float64).clip(0))
    col["rank_bm25"][:] = np.log1p(_ranks(bm25))
    col["rank_dense"][:] = np.log1p(_ranks(best_dense))

    # coverage of the question's content words (IDF-weighted), quoted names, numbers
    words = content_words(query)
    idf = np.array([index.sparse.idf(w) for w in words], np.float64)
    total = float(idf.sum())
    unseen = np.array([w not in tables.vocab for w in words], bool)
    col["query_oov"][:] = float(idf[unseen].sum()) / total if total > 0 else 0.0
    quoted = list(dict.fromkeys(QUOTED_RE.findall(query)))
    numbers = [d for d in dict.fromkeys(DIGITS_RE.findall(asking_part(query)))]
    asked = asked_types(query)
    books = named_documents(query)
    if departments is None:
        departments = load_dictionary().find_in(query)
    wanted = set(departments)
    want_number = intent == "target"
    want_note = intent in ("department", "dept_tasks")
    want_support = intent == "support"
    everyday = matched_rules(query)
    for i, row in enumerate(rows):
        t = tables.texts(index, int(row))
        if total > 0:
            in_clause = np.array([writes(t.clause, w) for w in words])
            best = t.sentences[best_sentence[i]] if best_sentence[i] < len(t.sentences) else t.sentences[0]
            col["cov_clause"][i] = idf[in_clause].sum() / total
            col["cov_sentence"][i] = sum(v for w, v in zip(words, idf) if writes(best, w)) / total
            col["cov_sentence_max"][i] = max(sum(v for w, v in zip(words, idf) if writes(s, w))
                                             for s in t.sentences) / total
            col["cov_heading"][i] = sum(v for w, v in zip(words, idf) if w in t.heading) / total
            col["cov_doc_title"][i] = sum(v for w, v in zip(words, idf) if w in t.doc_title) / total
            missing = idf[~in_clause]
            col["cov_missing_idf"][i] = (missing.max() if len(missing) else 0.0) / tables.log_n
        if quoted:
            col["quoted_missing"][i] = sum(q not in t.clause and q not in t.doc_title for q in quoted) / len(quoted)
        col["number_missing"][i] = float(any(not writes_number(t.clause, d) for d in numbers))
        col["dept_match"][i] = float(bool(wanted) and bool(wanted & t.departments))
        col["intent_number"][i] = float(want_number and t.has_number)
        col["intent_department"][i] = float(want_note and t.has_note)
        col["intent_support"][i] = float(want_support and t.has_support)
        missing_types = sum(not kind.stated_in(t.clause) for kind in asked)
        col["answer_type_missing"][i] = float(missing_types > 0)
        col["answer_types_missing"][i] = float(missing_types)
        # named by number — unless the question names a 《document》 this is not (第十条 of another law)
        col["lookup"][i] = float(hits[i].lookup and not any(b not in t.doc_title and t.doc_title not in b
                                                             for b in books))
        col["log_chars"][i] = t.log_chars
        if everyday:
            col["everyday_clause"][i] = sum(any(w in t.clause for w in policy) for policy in everyday) / len(everyday)
        col["is_article"][i] = t.is_article
    col[f"intent={intent}"][:] = 1.0
    for f in BY_INTENT:
        col[f"intent={intent}*{f}"][:] = col[f]
    return out
