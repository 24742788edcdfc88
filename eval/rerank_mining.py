"""Candidate mining and labelling for the reranker training (:mod:`eval.train_rerank`):
the hybrid top 30 of every question with its features and 0/1 labels (:class:`Mined`),
and the ranking / abstention measures computed on them."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from corpus.config import DEFAULT_DENSE_WEIGHT, DEFAULT_FUSION
from eval.rerank_questions import Item
from index.rerank import features

TOP = 30
CANDIDATES = 200
#: The production fusion (Settings defaults); the reranker's rank features come from it.
FUSION = DEFAULT_FUSION
DENSE_WEIGHT = DEFAULT_DENSE_WEIGHT
#: The production first stage (Settings defaults): what "hybrid" means in the tables.
PROD_CANDIDATES = 100
MAX_FALSE_ABSTENTION = 0.03
#: The raw-cosine abstention rule of qa.answer (Settings.abstain_dense / abstain_coverage).
OLD_DENSE, OLD_COVERAGE = 0.878, 0.8
OLD_QUESTION_WORDS = frozenset(
    ["多少", "哪些", "什么", "哪个", "谁", "部门", "单位", "牵头", "负责", "目标", "要求", "达到", "政策",
     "规定", "方案", "有没有", "是否", "能", "吗", "呢", "怎么", "如何", "可以", "支持", "企业", "我们",
     "我", "想", "要", "会", "请问", "一下", "有", "没有", "哪", "几个", "多", "大", "情况", "内容", "讲", "说"]
)



# ---------------------------------------------------------------- mining
@dataclass
class Mined:
    item: Item
    ids: list[str]  # first-stage top-30 record ids (candidates=200)
    x: np.ndarray
    y: np.ndarray
    prod_ids: list[str]  # production first stage (candidates=100), top 10
    old_abstain: bool  # the raw-cosine rule of qa.answer
    hits: list = field(default_factory=list, repr=False)


def _old_coverage(text: str, hits) -> float:
    from corpus.tokenize import tokenize_for_search

    words = [w for w in tokenize_for_search(text) if w not in OLD_QUESTION_WORDS and len(w) > 1]
    if not words:
        return 0.0
    joined = "".join(h.record.text + h.record.responsibility + "".join(h.record.headings) for h in hits[:3])
    return sum(1 for w in words if w in joined) / len(words)


def mine(index, items: Iterable[Item], *, search: Callable | None = None, old_rule: bool = True,
         adapter_of: Callable | None = None) -> list[Mined]:
    """The candidates, features and labels of every question; ``adapter_of(item)`` is the query
    adapter its features use (a dev question's: the one fitted without its fold)."""
    raw_search = search or index.search

    def search(text, **options):
        try:
            return raw_search(text, **options)
        except ValueError:  # PolicyError: a question without words (？？？) finds nothing
            return []

    out = []
    for item in items:
        hits = search(item.text, k=TOP, fusion=FUSION, dense_weight=DENSE_WEIGHT, candidates=CANDIDATES)
        prod = search(item.text, k=10, fusion=FUSION, dense_weight=DENSE_WEIGHT, candidates=PROD_CANDIDATES)
        x = features(index, item.text, hits, item.intent, item.departments,
                     adapter_of(item) if adapter_of else None)
        y = np.array([1.0 if h.record.id in item.gold else 0.0 for h in hits])
        old = False
        if old_rule:
            dense_hits = search(item.text, k=1, mode="dense")
            dense = dense_hits[0].dense if dense_hits and dense_hits[0].dense is not None else 0.0
            top5 = prod[:5]
            old = (not top5) or (dense < OLD_DENSE and _old_coverage(item.text, top5) < OLD_COVERAGE)
        out.append(Mined(item, [h.record.id for h in hits], x, y, [h.record.id for h in prod[:10]], old, hits))
    return out


# ---------------------------------------------------------------- metrics
def mrr_at(ranked: Sequence[str], gold: dict[str, int], k: int = 10) -> float:
    for rank, rid in enumerate(ranked[:k], 1):
        if rid in gold:
            return 1.0 / rank
    return 0.0


def recall_at(ranked: Sequence[str], gold: dict[str, int], k: int = 5) -> float:
    return len(set(ranked[:k]) & set(gold)) / len(gold) if gold else 0.0


def reranked_ids(m: Mined, p: np.ndarray) -> list[str]:
    return [m.ids[i] for i in np.argsort(-p, kind="stable")]


def abstention(top: dict[str, float], mined: Sequence[Mined], threshold: float) -> dict:
    """Precision / recall of abstaining when the top probability < threshold; false abstention."""
    oos = [m for m in mined if not m.item.in_scope]
    ins = [m for m in mined if m.item.in_scope]
    abst_oos = sum(top[m.item.key] < threshold for m in oos)
    abst_in = sum(top[m.item.key] < threshold for m in ins)
    return _abst_row(abst_oos, len(oos), abst_in, len(ins))


def _abst_row(abst_oos: int, n_oos: int, abst_in: int, n_in: int) -> dict:
    total = abst_oos + abst_in
    return {"precision": abst_oos / total if total else float("nan"),
            "recall": abst_oos / n_oos if n_oos else float("nan"),
            "false": abst_in / n_in if n_in else float("nan"),
            "abst_oos": abst_oos, "n_oos": n_oos, "abst_in": abst_in, "n_in": n_in}


def choose_threshold(in_scope_top: Sequence[float], limit: float = MAX_FALSE_ABSTENTION) -> float:
    """The largest threshold abstaining on at most ``limit`` of the in-scope questions
    (abstain when top < threshold): the ⌊limit·n⌋+1-th smallest in-scope top probability."""
    values = sorted(in_scope_top)
    allowed = math.floor(limit * len(values) + 1e-9)
    return float(values[allowed]) if allowed < len(values) else 1.0
