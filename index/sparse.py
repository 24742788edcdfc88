"""BM25 over jieba tokens (bm25s, ``method="robertson"``).

Robertson's BM25 is what rank-bm25's ``BM25Okapi`` computes (with ``epsilon=0``);
bm25s stores the scores as a sparse matrix, so a query costs a sparse column sum
instead of a Python loop over every document. Scores equal BM25Okapi's divided by
``k1 + 1`` — a constant factor, so rankings are identical (tests/test_index.py).

Files (all NumPy / JSON, written by bm25s with ``allow_pickle=False``):
``bm25/data.csc.index.npy``, ``indices…``, ``indptr…``, ``vocab.index.json``,
``params.index.json``, ``nonoccurrence_array.index.npy``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import bm25s
import numpy as np

from corpus.tokenize import tokenize_for_search
from index.store import StaleIndex

K1 = 1.5
#: Length normalization. 0.3, not the textbook 0.75: with 0.75 a one-line law article that
#: repeats a query word outranked the plan's long clause that answers it (library dev
#: split, eval/report-rerank.md). An index built with another ``b`` is stale.
B = 0.3
_CJK_RUN_RE = re.compile(r"[\u3400-\u9fff]{2,}")


def analyze(text: str, bigrams: bool = False) -> list[str]:
    """Tokens BM25 indexes and queries with; ``bigrams`` adds CJK character bigrams.

    >>> analyze("养老托育")
    ['养老', '托育']
    """
    tokens = tokenize_for_search(text)
    return tokens + _bigrams(text) if bigrams else tokens


def _bigrams(text: str) -> list[str]:
    return [run[i : i + 2] for run in _CJK_RUN_RE.findall(text) for i in range(len(run) - 1)]


class SparseIndex:
    """BM25 scores for all records; ``scores(query)`` → float32 array, one per record."""

    def __init__(self, retriever: bm25s.BM25, bigrams: bool):
        self.retriever = retriever
        self.bigrams = bigrams
        self._df: np.ndarray | None = None  # documents per token, read on the first idf()

    @classmethod
    def build(cls, texts: list[str], bigrams: bool = False) -> SparseIndex:
        retriever = bm25s.BM25(method="robertson", k1=K1, b=B)
        # An empty document still needs a token so bm25s keeps one row per record.
        corpus_tokens = [analyze(t, bigrams) or [""] for t in texts]
        retriever.index(corpus_tokens, show_progress=False)
        return cls(retriever, bigrams)

    def scores(self, query: str, tokens: tuple[str, ...] | None = None) -> np.ndarray:
        """BM25 of every record; ``tokens`` are the query's jieba tokens when already made."""
        if tokens is None:
            tokens = tuple(tokenize_for_search(query))
        terms = list(tokens) + (_bigrams(query) if self.bigrams else [])
        tokens = [t for t in terms if t in self.retriever.vocab_dict]
        if not tokens:
            return np.zeros(self.retriever.scores["num_docs"], dtype=np.float32)
        return self.retriever.get_scores(tokens).astype(np.float32, copy=False)

    def idf(self, word: str) -> float:
        """Robertson IDF of token ``word`` (as BM25 weighs it); a word no record has gets the largest."""
        if self._df is None:
            self._df = np.diff(np.asarray(self.retriever.scores["indptr"]))
        n_docs = int(self.retriever.scores["num_docs"])
        token = self.retriever.vocab_dict.get(word)
        df = int(self._df[token]) if token is not None and token < len(self._df) else 0
        return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder), allow_pickle=False, show_progress=False)

    @classmethod
    def load(cls, folder: Path, bigrams: bool) -> SparseIndex:
        retriever = bm25s.BM25.load(str(folder), allow_pickle=False, show_progress=False, verbosity=0)
        if (retriever.k1, retriever.b) != (K1, B):
            raise StaleIndex(f"BM25 parameters changed since the index was built "
                             f"(k1={retriever.k1}, b={retriever.b}; now k1={K1}, b={B})")
        return cls(retriever, bigrams)
