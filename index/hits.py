"""The plain results of a search and the small pure helpers behind them.

:class:`Filters` (restrictions applied before top-k), :class:`Hit` (one ranked record),
:class:`Retrieval` (one search's hits plus what abstention needs), the text and key both
index sides are built from (:func:`search_text`, :func:`vector_key`) and top-k selection
(:func:`top_rows`). Re-exported by :mod:`index.hybrid`, which remains the import path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import numpy as np

from corpus.config import DeptRole
from corpus.records import Record, Sentence

__all__ = ["Filters", "Hit", "Retrieval", "search_text", "top_rows", "vector_key"]


@dataclass(frozen=True)
class Filters:
    """Restrictions applied before top-k. ``dept`` accepts aliases (卫健委)."""

    doc: str | None = None
    dept: str | None = None
    dept_role: DeptRole = "any"
    domain: str | None = None
    section: str | None = None

    def __bool__(self) -> bool:
        return any((self.doc, self.dept, self.domain, self.section))


@dataclass(frozen=True)
class Hit:
    rank: int
    record: Record
    score: float
    bm25: float | None
    dense: float | None
    evidence: list[Sentence] = field(default_factory=list)
    lookup: bool = False

    def to_dict(self) -> dict:
        r = self.record
        return {
            "rank": self.rank, "id": r.id, "doc_id": r.doc_id, "doc_title": r.doc_title,
            "path": r.path, "title": r.title, "text": r.text,
            "evidence": [{"start": s.start, "end": s.end, "text": s.text} for s in self.evidence],
            "score": round(self.score, 6),
            "scores": {"bm25": _round(self.bm25), "dense": _round(self.dense)},
            "departments": r.departments.to_dict(),
        }  # fmt: skip


@dataclass(frozen=True)
class Retrieval:
    """One search: the hits, and what abstention needs without searching again."""

    hits: list[Hit]
    #: The best clause or sentence similarity among the allowed records (0 without dense).
    best_dense: float
    #: The query vector (None for ``bm25``), for later stages that score the hits.
    query_vector: np.ndarray | None = None
    #: The second stage's probability that the best unnamed hit answers the question
    #: (None when the second stage did not run: bm25/dense modes, or ``rerank=False``).
    confidence: float | None = None


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def search_text(record: Record) -> str:
    """What both sides index: headings, the clause text and its responsibility note."""
    return "\n".join(part for part in [" ".join(record.headings), record.title if record.level == "article" else "", record.text, record.responsibility] if part)


def vector_key(model_fingerprint: str, text: str) -> str:
    return hashlib.sha1(f"{model_fingerprint}\0{text}".encode()).hexdigest()


def short_title(title: str) -> str:
    """A law's title without its 中华人民共和国 prefix (《慈善法》)."""
    return re.sub(r"^中华人民共和国", "", title)


def _masked(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    pool = np.full_like(scores, -1.0)
    pool[allowed] = scores[allowed]
    return pool


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Rows of the ``k`` highest scores, best first (ties by row)."""
    k = min(k, len(scores))
    if k == 0:
        return np.zeros(0, np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]
