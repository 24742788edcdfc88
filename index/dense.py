"""Dense side: e5 embeddings of whole clauses and of their sentences, searched with FAISS.

Vectors are L2-normalized, so inner product = cosine. ``IndexFlatIP`` (exact) is
used up to ``hnsw_threshold`` vectors, ``IndexHNSWFlat`` above it. Filters become
a FAISS ``IDSelectorBatch`` so they apply *before* top-k.

Files: ``clause_vectors.npy``, ``sentence_vectors.npy`` (float32, rows aligned with
records / ``sentences.json``), and ``*.hnsw.faiss`` (FAISS-native) when approximate.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

# HNSW settings, chosen on the real lawrefbook clause vectors (151k, reports/perf.md, "Exact vs
# approximate dense search"): efConstruction 80 / efSearch 128 gave recall@10 ≈ 0.94 there;
# a better-built graph and a wider search reach the 0.97 goal well under 2 ms a query.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 256
#: OpenMP threads FAISS uses for one query. A single-query scan split over threads waits for
#: the slowest of them: on the 2-core machine two threads were slower than one at every size,
#: by far when other jobs kept the cores busy (reports/perf.md, exact search by size). Set per
#: calling thread (an OpenMP ICV), so a build in another thread keeps every core.
SEARCH_THREADS = 1


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


#: Texts per chunk of a long embedding run: one ``encode_document`` call, one cache chunk.
EMBED_CHUNK = 1024


def longest_first(texts: list[str]) -> np.ndarray:
    """Positions of ``texts``, longest first (ties keep their order): neighbouring texts
    have similar lengths, so a batch pads little. (sentence-transformers and the ONNX
    runner also sort within each call; this makes the chunks themselves homogeneous.)"""
    return np.argsort([-len(t) for t in texts], kind="stable")


def format_eta(seconds: float) -> str:
    if seconds < 60:
        return f"剩余约 {max(1, round(seconds))} 秒"
    if seconds < 3600:
        return f"剩余约 {round(seconds / 60)} 分钟"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"剩余约 {hours} 小时 {minutes} 分钟"


def embed_in_chunks(encoder: Encoder, texts: list[str], batch_size: int = 32, chunk_size: int = EMBED_CHUNK,
                    on_chunk: Callable[[np.ndarray, np.ndarray], None] | None = None,
                    progress: Callable[[int, int, str], None] | None = None,
                    done_before: int = 0, clock: Callable[[], float] = time.monotonic) -> np.ndarray:
    """(len(texts), dim) float32 normalized vectors, rows in the order of ``texts``.

    The texts are embedded longest first, ``chunk_size`` per ``encode_document`` call; after
    each call ``on_chunk(positions, vectors)`` gets the chunk (positions into ``texts``) — to
    persist it — and ``progress(done, total, message)`` a message such as
    ``向量 12288/148233 · 45.1 条/秒 · 剩余约 50 分钟``. ``done_before`` texts (embedded by an
    earlier run) count as done; the rate and the estimate are this run's, the estimate from
    the characters still to embed (the longest come first, so texts/s rises as it goes)."""
    order = longest_first(texts)
    total = done_before + len(texts)
    chars_left = sum(len(t) for t in texts)
    out: np.ndarray | None = None
    started, done_now, chars_done = clock(), 0, 0
    for start in range(0, len(order), max(1, chunk_size)):
        rows = order[start : start + chunk_size]
        batch = [texts[i] for i in rows]
        vectors = np.asarray(encoder.encode_document(batch, batch_size=batch_size, convert_to_numpy=True,
                                                     normalize_embeddings=True), dtype=np.float32)
        if out is None:
            out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
        out[rows] = vectors
        if on_chunk:
            on_chunk(rows, vectors)
        done_now += len(rows)
        chars = sum(len(t) for t in batch)
        chars_done, chars_left = chars_done + chars, chars_left - chars
        if progress:
            elapsed = max(clock() - started, 1e-9)
            message = f"向量 {done_before + done_now}/{total} · {done_now / elapsed:.1f} 条/秒"
            if chars_left > 0:
                message += f" · {format_eta(chars_left * elapsed / max(chars_done, 1))}"
            progress(done_before + done_now, total, message)
    if out is None:
        return np.zeros((0, 0), dtype=np.float32)
    return out


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
        faiss.omp_set_num_threads(os.cpu_count() or 1)  # adding many vectors does use every core
        if len(vectors) > hnsw_threshold:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        else:
            index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return cls(vectors, index)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the best ``k`` rows, only among ``allowed`` rows if given."""
        faiss.omp_set_num_threads(SEARCH_THREADS)
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
