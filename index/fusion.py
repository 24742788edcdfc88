"""Fusing BM25 and dense rankings into one clause ranking.

In: two score arrays over the same records (``bm25`` ≥ 0, unbounded; ``dense``
cosine in [-1, 1]), each with a candidate list (its own top-N rows). Out: fused
scores for the union of candidates, higher is better.

* ``rrf`` — reciprocal-rank fusion: Σ w / (k + rank); ignores score scales.
* ``weighted`` — min-max normalize each side over the candidates to [0, 1], then
  ``w_dense · dense + (1 − w_dense) · bm25``; a record missing from one side's
  candidates gets 0 there.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

FusionMethod = Literal["rrf", "weighted"]
RRF_K = 60


def _minmax(values: np.ndarray) -> np.ndarray:
    if len(values) == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.ones_like(values) if high > 0 else np.zeros_like(values)
    return (values - low) / (high - low)


def fuse(
    bm25_rows: np.ndarray,
    bm25_scores: np.ndarray,
    dense_rows: np.ndarray,
    dense_scores: np.ndarray,
    method: FusionMethod = "weighted",
    dense_weight: float = 0.5,
) -> dict[int, float]:
    """{record row: fused score}. Rows and scores are each side's candidates, best first."""
    fused: dict[int, float] = {}
    if method == "rrf":
        for weight, rows in ((1 - dense_weight, bm25_rows), (dense_weight, dense_rows)):
            for rank, row in enumerate(rows, 1):
                fused[int(row)] = fused.get(int(row), 0.0) + weight / (RRF_K + rank)
        return fused
    if method != "weighted":
        raise ValueError(f"unknown fusion method {method!r}; choose 'rrf' or 'weighted'")
    for weight, rows, scores in (
        (1 - dense_weight, bm25_rows, _minmax(bm25_scores)),
        (dense_weight, dense_rows, _minmax(dense_scores)),
    ):
        for row, score in zip(rows, scores):
            fused[int(row)] = fused.get(int(row), 0.0) + weight * float(score)
    return fused
