"""Fusing BM25 and dense rankings into one clause ranking.

In: two score arrays over the same records (``bm25`` ≥ 0, unbounded; ``dense``
cosine in [-1, 1]), each with a candidate list (its own top-N rows). Out: fused
scores for the union of candidates, higher is better.

* ``rrf`` — reciprocal-rank fusion: Σ w / (k + rank); ignores score scales.
* ``weighted`` — min-max normalize each side over the candidates to [0, 1], then
  ``w_dense · dense + (1 − w_dense) · bm25``; a record missing from one side's
  candidates gets 0 there.
* ``scaled`` (the default) — the same weighted sum on fixed scales: BM25 ÷ the query's
  best BM25 score, dense ``clip((cos − DENSE_FLOOR) / (1 − DENSE_FLOOR), 0, 1)``.
  Min-max crowns whatever ranks first on each side, however weak, so in a library of
  many documents a barely related article scored like a real match; fixed scales keep
  a weak dense side weak (eval/report-rerank.md, "First-stage variants").

For ``scaled`` and ``weighted``, ``HybridIndex.retrieve`` passes the union of both sides'
candidates with both scores (the exact cosine of a record the dense top N cut, the BM25 of
one BM25's top N cut): a side's cut is not a score of 0.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

FusionMethod = Literal["scaled", "weighted", "rrf"]
RRF_K = 60
#: Cosine at or below which the dense side adds nothing in ``scaled`` fusion (e5 cosines of
#: unrelated Chinese texts sit around 0.7–0.75; chosen on the library dev split).
DENSE_FLOOR = 0.75


def _minmax(values: np.ndarray) -> np.ndarray:
    if len(values) == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.ones_like(values) if high > 0 else np.zeros_like(values)
    return (values - low) / (high - low)


def _by_max(values: np.ndarray) -> np.ndarray:
    """BM25 ÷ the query's best score (the first BM25 candidate is the best over all records)."""
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def _above_floor(values: np.ndarray) -> np.ndarray:
    return np.clip((np.asarray(values) - DENSE_FLOOR) / (1.0 - DENSE_FLOOR), 0.0, 1.0)


def fuse(
    bm25_rows: np.ndarray,
    bm25_scores: np.ndarray,
    dense_rows: np.ndarray,
    dense_scores: np.ndarray,
    method: FusionMethod = "scaled",
    dense_weight: float = 0.5,
) -> dict[int, float]:
    """{record row: fused score}. Rows and scores are each side's candidates, best first."""
    fused: dict[int, float] = {}
    if method == "rrf":
        for weight, rows in ((1 - dense_weight, bm25_rows), (dense_weight, dense_rows)):
            for rank, row in enumerate(rows, 1):
                fused[int(row)] = fused.get(int(row), 0.0) + weight / (RRF_K + rank)
        return fused
    if method == "scaled":
        normalized = _by_max(bm25_scores), _above_floor(dense_scores)
    elif method == "weighted":
        normalized = _minmax(bm25_scores), _minmax(dense_scores)
    else:
        raise ValueError(f"unknown fusion method {method!r}; choose 'scaled', 'weighted' or 'rrf'")
    for weight, rows, scores in (
        (1 - dense_weight, bm25_rows, normalized[0]),
        (dense_weight, dense_rows, normalized[1]),
    ):
        for row, score in zip(rows, scores):
            fused[int(row)] = fused.get(int(row), 0.0) + weight * float(score)
    return fused
