"""Second stage: re-score the first stage's top candidates with a calibrated probability.

The hybrid search (``HybridIndex.search``) fuses BM25 and dense scores by per-query
min-max normalization, so its scores rank but do not say *how good* the best clause
is. ``Reranker.score`` gives each (question, candidate clause) pair the probability
that the clause answers the question, from features that keep their meaning across
queries and corpora, combined by a logistic regression trained on the dev split
(``python -m eval.train_rerank``; weights in ``index/data/rerank.json``).

>>> reranker = Reranker.load()                                        # doctest: +SKIP
>>> hits = idx.search("托位数要达到多少", k=30, candidates=200)          # doctest: +SKIP
>>> [(h.record.path, round(p, 2)) for h, p in rerank(idx, "托位数要达到多少", hits, "target")][:2]  # doctest: +SKIP
[('二¶2', 0.97), ('三(二)2', 0.08)]

The features are :mod:`index.rerank_features`. Inference is plain NumPy: ``sigmoid(((x - mean) / scale) · coef + intercept)``, with the
feature names and standardization stored beside the coefficients (no pickle).
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.adapter import QueryAdapter
from index.hybrid import Hit, HybridIndex
from index.rerank_features import FEATURES, INTENTS, features

__all__ = ["DEFAULT_PATH", "FEATURES", "INTENTS", "Reranker", "default_reranker", "features", "rerank"]

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "rerank.json"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


@dataclass
class Reranker:
    """Logistic regression over :data:`FEATURES`; ``abstain_below`` is the calibrated
    probability under which the best candidate is too weak to answer from."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    abstain_below: float = 0.5
    meta: dict = field(default_factory=dict)
    #: The query adapter learned with the model (its features ``adapted_*``); None → plain vectors.
    adapter: QueryAdapter | None = None

    def __post_init__(self) -> None:
        self.names = tuple(self.names)
        self.mean = np.asarray(self.mean, np.float64)
        self.scale = np.asarray(self.scale, np.float64)
        self.coef = np.asarray(self.coef, np.float64)
        if not (len(self.names) == len(self.mean) == len(self.scale) == len(self.coef)):
            raise ValueError("rerank weights: names, mean, scale and coef differ in length")
        if self.names != FEATURES:
            raise ValueError("rerank weights were trained for other features "
                             f"({', '.join(self.names)}); run `python -m eval.train_rerank`")
        if not (np.all(np.isfinite(self.coef)) and np.all(self.scale > 0) and math.isfinite(self.intercept)):
            raise ValueError("rerank weights are not finite (or a scale is ≤ 0)")

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> Reranker:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, data: dict) -> Reranker:
        """The weights of :meth:`to_dict` (one model of ``rerank.json`` or of the fold models)."""
        return cls(names=tuple(data["features"]), mean=data["mean"], scale=data["scale"],
                   coef=data["coef"], intercept=float(data["intercept"]),
                   abstain_below=float(data.get("abstain_below", 0.5)), meta=data.get("meta", {}),
                   adapter=QueryAdapter.from_dict(data["adapter"]) if data.get("adapter") else None)

    def to_dict(self) -> dict:
        return {"model": "logistic_regression", "features": list(self.names),
                "mean": [float(v) for v in self.mean], "scale": [float(v) for v in self.scale],
                "coef": [float(v) for v in self.coef], "intercept": float(self.intercept),
                "abstain_below": float(self.abstain_below), "meta": self.meta,
                "adapter": self.adapter.to_dict() if self.adapter is not None else None}

    def save(self, path: str | Path = DEFAULT_PATH) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.to_dict()
        adapter = data.pop("adapter")
        text = json.dumps(data, ensure_ascii=False, indent=1)
        # the adapter's matrices on one line each, not one number per line
        text = text[:-2] + ',\n "adapter": ' + json.dumps(adapter, separators=(",", ":")) + "\n}"
        path.write_text(text + "\n", encoding="utf-8")
        return path

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probabilities for a feature matrix (rows = pairs)."""
        x = np.asarray(x, np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.names):
            raise ValueError(f"expected (n, {len(self.names)}) features, got {x.shape}")
        return _sigmoid(((x - self.mean) / self.scale) @ self.coef + self.intercept)

    def score(self, index: HybridIndex, question: str, hits: list[Hit], intent: str = "general",
              departments: list[str] | tuple[str, ...] | None = None) -> np.ndarray:
        """Probability that each hit answers ``question`` (aligned with ``hits``).

        ``question`` may also be an ``index.query.Query`` (its ``text`` is used).
        """
        if not hits:
            return np.zeros(0, np.float64)
        return self.predict(features(index, question, hits, intent, departments, self.adapter))

    def abstain(self, probabilities: np.ndarray) -> bool:
        """True when even the best candidate is below the calibrated threshold."""
        return len(probabilities) == 0 or float(np.max(probabilities)) < self.abstain_below


_DEFAULT: Reranker | None = None
_DEFAULT_LOCK = threading.Lock()


def default_reranker() -> Reranker:
    """The shipped weights, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = Reranker.load()
    return _DEFAULT


def rerank(index: HybridIndex, question: str, hits: list[Hit], intent: str = "general",
           reranker: Reranker | None = None,
           departments: list[str] | tuple[str, ...] | None = None) -> list[tuple[Hit, float]]:
    """``hits`` with their probabilities, most probable first (ties keep first-stage order)."""
    probabilities = (reranker or default_reranker()).score(index, question, hits, intent, departments)
    order = np.argsort(-probabilities, kind="stable")
    return [(hits[i], float(probabilities[i])) for i in order]
