"""Building and persisting a :class:`~index.hybrid.HybridIndex`: embedding the records,
writing its files and manifest, and reading them back (``HybridIndex.build/save/load``
delegate here)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from corpus.config import DEFAULT_HNSW_THRESHOLD
from corpus.records import Record, read_jsonl, write_jsonl
from index.dense import EMBED_CHUNK, Encoder, VectorIndex, embed_in_chunks
from index.hits import search_text, vector_key
from index.sparse import SparseIndex
from index.store import (
    CorruptIndex,
    IndexCounts,
    IndexManifest,
    IndexSettings,
    ModelInfo,
    read_manifest,
    write_manifest,
)
from index.vector_cache import VectorCache

if TYPE_CHECKING:
    from index.hybrid import HybridIndex


def build_hybrid(cls: type[HybridIndex], records: list[Record], encoder: Encoder, *, model_id: str,
                 model_fingerprint: str, corpus_hash: str, bigrams: bool = False, sentence_vectors: bool = True,
                 hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD, batch_size: int = 32,
                 reuse: dict[str, np.ndarray] | None = None, cache: VectorCache | None = None,
                 chunk_size: int = EMBED_CHUNK,
                 progress: Callable[[float, str], None] | None = None) -> HybridIndex:
    """Index ``records``. A vector is taken from ``cache`` (an interrupted build's chunks)
    first, then from ``reuse`` (key → vector, the previous index); the remaining texts are
    embedded once per distinct text, longest first, ``chunk_size`` at a time, each chunk
    appended to ``cache`` as soon as it is embedded (so a build stopped midway resumes)."""
    say = progress or (lambda fraction, message: None)
    say(0.02, "BM25")
    texts = [search_text(r) for r in records]
    sparse = SparseIndex.build(texts, bigrams)
    sentence_rows, sentence_index, sentence_texts = [], [], []
    if sentence_vectors:
        for row, record in enumerate(records):
            if len(record.sentences) > 1:
                for i, sentence in enumerate(record.sentences):
                    sentence_rows.append(row)
                    sentence_index.append(i)
                    sentence_texts.append(sentence.text)
    all_texts = texts + sentence_texts
    keys = [vector_key(model_fingerprint, t) for t in all_texts]
    reuse = reuse or {}
    known: dict[str, np.ndarray] = {}
    todo: dict[str, str] = {}  # key → text, each distinct text once
    from_cache = 0
    for key, text in zip(keys, all_texts):
        if key in known or key in todo:
            continue
        vector = cache.get(key) if cache is not None else None
        if vector is not None:
            known[key] = vector
            from_cache += 1
        elif key in reuse:
            known[key] = reuse[key]
        else:
            todo[key] = text
    todo_keys = list(todo)

    def embed_progress(done: int, total: int, message: str) -> None:
        say(0.05 + 0.9 * done / max(total, 1), message)

    def keep_chunk(rows: np.ndarray, vectors: np.ndarray) -> None:
        if cache is not None:
            cache.add([todo_keys[i] for i in rows], vectors)

    if todo:
        say(0.05, f"向量 {from_cache}/{from_cache + len(todo)}")
    fresh = embed_in_chunks(encoder, list(todo.values()), batch_size, chunk_size, keep_chunk, embed_progress,
                            done_before=from_cache)
    known.update(zip(todo_keys, fresh))
    if known:
        dim = next(iter(known.values())).shape[0]
    else:  # no records at all
        dim = int(getattr(encoder, "get_sentence_embedding_dimension", lambda: 0)() or 0)
    vectors = np.empty((len(all_texts), dim), dtype=np.float32)
    for i, key in enumerate(keys):
        vectors[i] = known[key]
    embedded = sum(1 for key in keys if key in todo)
    say(0.96, "FAISS")
    clauses = VectorIndex.build(vectors[: len(texts)], hnsw_threshold)
    sentences = VectorIndex.build(vectors[len(texts) :], hnsw_threshold) if sentence_texts else None
    manifest = IndexManifest(  # a draft: save() adds the checksums, versions and date
        corpus_hash=corpus_hash, model=ModelInfo(model_id, int(dim), model_fingerprint),
        settings=IndexSettings(bigrams, sentence_vectors, hnsw_threshold),
        counts=IndexCounts(len(records), len(sentence_texts), embedded, len(all_texts) - embedded),
    )
    return cls(records, sparse, clauses, sentences, np.array(sentence_rows, dtype=np.int64),
               np.array(sentence_index, dtype=np.int64), manifest, encoder)


def save_hybrid(index: HybridIndex, folder: Path) -> dict:
    write_jsonl(index.records, folder / "records.jsonl")
    index.sparse.save(folder / "bm25")
    index.clauses.save(folder, "clause")
    if index.sentences is not None:
        index.sentences.save(folder, "sentence")
    np.save(folder / "sentence_rows.npy", index.sentence_rows, allow_pickle=False)
    np.save(folder / "sentence_index.npy", index.sentence_index, allow_pickle=False)
    fingerprint = index.manifest.model.fingerprint
    keys = [vector_key(fingerprint, search_text(r)) for r in index.records]
    keys += [vector_key(fingerprint, index.records[r].sentences[i].text)
             for r, i in zip(index.sentence_rows, index.sentence_index)]
    (folder / "vector_keys.json").write_text(json.dumps(keys), encoding="utf-8")
    index.manifest = write_manifest(folder, index.manifest)
    return index.manifest


def load_hybrid(folder: Path, encoder: Encoder | None = None, verify: bool = True,
                cls: type[HybridIndex] | None = None) -> HybridIndex:
    if cls is None:
        from index.hybrid import HybridIndex as cls  # (it imports this module)
    # Resolve the version symlink once, so a build swapping it mid-load cannot mix versions.
    folder = Path(folder).resolve()
    manifest = read_manifest(folder, verify=verify)
    try:
        records = list(read_jsonl(folder / "records.jsonl"))
        sparse = SparseIndex.load(folder / "bm25", manifest.settings.bm25_bigrams)
        clauses = VectorIndex.load(folder, "clause")
        sentences = (VectorIndex.load(folder, "sentence")
                     if (folder / "sentence_vectors.npy").exists() else None)
        rows = np.load(folder / "sentence_rows.npy", allow_pickle=False)
        index = np.load(folder / "sentence_index.npy", allow_pickle=False)
    except (OSError, ValueError, KeyError) as exc:
        raise CorruptIndex(f"index at {folder} cannot be read ({exc}) — run `policyqa index build`") from exc
    if len(clauses.vectors) != len(records):
        raise CorruptIndex(f"index at {folder}: vectors and records disagree — run `policyqa index build`")
    return cls(records, sparse, clauses, sentences, rows, index, manifest, encoder)


def vectors_by_key(index: HybridIndex, folder: Path) -> dict[str, np.ndarray]:
    """key → vector for every stored vector (for re-use by the next build)."""
    keys = json.loads((folder / "vector_keys.json").read_text(encoding="utf-8"))
    stacked = [index.clauses.vectors] + ([index.sentences.vectors] if index.sentences else [])
    vectors = np.vstack(stacked)
    return dict(zip(keys, vectors))
