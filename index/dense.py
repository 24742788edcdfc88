"""Dense side: e5 embeddings of whole clauses and of their sentences, searched with FAISS.

Vectors are L2-normalized, so inner product = cosine. ``IndexFlatIP`` (exact) is
used up to ``hnsw_threshold`` vectors, ``IndexHNSWFlat`` above it. Filters become
a FAISS ``IDSelectorBatch`` so they apply *before* top-k.

Files: ``clause_vectors.npy``, ``sentence_vectors.npy`` (float32, rows aligned with
records / ``sentences.json``), and ``*.hnsw.faiss`` (FAISS-native) when approximate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

HNSW_M = 32
HNSW_EF_SEARCH = 128


class Encoder(Protocol):
    """What the index needs from a sentence-transformers model."""

    def encode_query(self, sentences: list[str], **kwargs) -> np.ndarray: ...
    def encode_document(self, sentences: list[str], **kwargs) -> np.ndarray: ...


def encode_documents(encoder: Encoder, texts: list[str], batch_size: int = 32,
                     progress=None) -> np.ndarray:
    """(len(texts), dim) float32, normalized; ``progress(done, total)`` after each chunk."""
    chunks = []
    step = batch_size * 8
    for start in range(0, len(texts), step):
        chunk = encoder.encode_document(texts[start : start + step], batch_size=batch_size,
                                        convert_to_numpy=True, normalize_embeddings=True)
        chunks.append(np.asarray(chunk, dtype=np.float32))
        if progress:
            progress(min(start + step, len(texts)), len(texts))
    if not chunks:
        return np.zeros((0, 0), dtype=np.float32)
    return np.ascontiguousarray(np.vstack(chunks), dtype=np.float32)


class VectorIndex:
    """Top-k inner-product search over one matrix of vectors."""

    def __init__(self, vectors: np.ndarray, index: faiss.Index):
        self.vectors = vectors
        self.index = index

    @property
    def approximate(self) -> bool:
        return not isinstance(self.index, faiss.IndexFlat)

    @classmethod
    def build(cls, vectors: np.ndarray, hnsw_threshold: int) -> VectorIndex:
        dim = vectors.shape[1]
        if len(vectors) > hnsw_threshold:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
        else:
            index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return cls(vectors, index)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the best ``k`` rows, only among ``allowed`` rows if given."""
        k = min(k, self.index.ntotal)
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        if allowed is not None:
            if len(allowed) == 0:
                return np.zeros(0, np.float32), np.zeros(0, np.int64)
            if not self.approximate or len(allowed) < 5000:
                # Exact over the allowed rows: cheap, and HNSW with a tight filter loses recall.
                scores = self.vectors[allowed] @ query
                top = np.argsort(-scores)[:k]
                return scores[top], allowed[top]
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, k))
            scores, rows = self.index.search(query[None, :], k, params=params)
        elif self.approximate:
            self.index.hnsw.efSearch = max(HNSW_EF_SEARCH, k)
            scores, rows = self.index.search(query[None, :], k)
        else:
            scores, rows = self.index.search(query[None, :], k)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep]

    def save(self, folder: Path, name: str) -> None:
        np.save(folder / f"{name}_vectors.npy", self.vectors, allow_pickle=False)
        if self.approximate:
            faiss.write_index(self.index, str(folder / f"{name}.hnsw.faiss"))

    @classmethod
    def load(cls, folder: Path, name: str) -> VectorIndex:
        vectors = np.load(folder / f"{name}_vectors.npy", allow_pickle=False)
        hnsw = folder / f"{name}.hnsw.faiss"
        if hnsw.exists():
            return cls(vectors, faiss.read_index(str(hnsw)))
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        return cls(vectors, index)
