"""A query adapter: a low-rank linear map on question vectors, learned from labelled questions.

e5-small puts an everyday question (`坐轮椅出门太难了，马路公交能不能改得方便点`) far from the
clause that answers it (`无障碍设施`): the words differ and so do the vectors. The adapter moves the
question vector, ``q + q·U·Vᵀ`` (then L2-normalized), towards the clauses that labelled questions
of the same kind were answered by; documents and their vectors are unchanged, so nothing is
re-embedded. It is learned with the second stage (``python -m eval.train_rerank``: a softmax
over every clause and sentence of the library, a penalty on ``U``/``V`` to stay near the
identity) and enters it as features (``adapted_dense``, ``adapted_gap`` in
:mod:`index.rerank_features`), beside the unadapted similarities: the logistic regression
weighs the two, so a clause no labelled question pointed to keeps its plain similarity.

Stored inside the second stage's weights (``index/data/rerank.json``, plain JSON).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class QueryAdapter:
    """``q ↦ normalize(q + (q·U)·Vᵀ)``; ``U``, ``V`` are (dim, rank)."""

    u: np.ndarray
    v: np.ndarray
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.u = np.asarray(self.u, np.float32)
        self.v = np.asarray(self.v, np.float32)
        if self.u.ndim != 2 or self.u.shape != self.v.shape:
            raise ValueError("query adapter: U and V must be matrices of the same shape")
        if not (np.all(np.isfinite(self.u)) and np.all(np.isfinite(self.v))):
            raise ValueError("query adapter: U and V must be finite; run `python -m eval.train_rerank`")

    @property
    def dim(self) -> int:
        return int(self.u.shape[0])

    def apply(self, vector: np.ndarray) -> np.ndarray | None:
        """The adapted, normalized vector (None when ``vector`` is not of the trained length:
        an index built with another model)."""
        vector = np.asarray(vector, np.float32)
        if vector.shape[-1] != self.dim:
            return None
        moved = vector + (vector @ self.u) @ self.v.T
        norm = np.linalg.norm(moved, axis=-1, keepdims=True)
        return moved / np.where(norm > 0, norm, 1.0)

    def to_dict(self) -> dict:
        def rows(m: np.ndarray) -> list[list[float]]:
            return [[float(f"{x:.5g}") for x in row] for row in m.tolist()]

        return {"rank": int(self.u.shape[1]), "u": rows(self.u), "v": rows(self.v), "meta": self.meta}

    @classmethod
    def from_dict(cls, data: dict) -> QueryAdapter:
        return cls(np.array(data["u"], np.float32), np.array(data["v"], np.float32), data.get("meta", {}))
