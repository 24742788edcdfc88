"""index: finds records — hybrid BM25 + embedding search, fused and filtered.

Public surface: :class:`HybridIndex`, :class:`Filters`, :class:`Hit`,
:func:`build_index`, :func:`open_index`, and the errors of :mod:`index.store`.
"""

from index.build import build_index, open_index
from index.hybrid import Filters, Hit, HybridIndex
from index.store import CorruptIndex, IndexProblem, MissingIndex, StaleIndex

__all__ = [
           "CorruptIndex",
           "Filters",
           "Hit",
           "HybridIndex",
           "IndexProblem",
           "MissingIndex",
           "StaleIndex",
           "build_index",
           "open_index",
]
