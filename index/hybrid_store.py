"""Building and persisting a :class:`~index.hybrid.HybridIndex`: embedding the records,
writing its files and manifest, and reading them back (``HybridIndex.build/save/load``
delegate here)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from corpus.records import Record, read_jsonl, write_jsonl
from index.dense import Encoder, VectorIndex, encode_documents
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

if TYPE_CHECKING:
    from index.hybrid import HybridIndex


def build_hybrid(cls: type[HybridIndex], records: list[Record], encoder: Encoder, *, model_id: str,
                 model_fingerprint: str, corpus_hash: str, bigrams: bool = False, sentence_vectors: bool = True,
                 hnsw_threshold: int = 200_000, batch_size: int = 32,
                 reuse: dict[str, np.ndarray] | None = None,
                 progress: Callable[[float, str], None] | None = None) -> HybridIndex:
    """Index ``records``; vectors found in ``reuse`` (key → vector) are not re-embedded."""
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
    missing = [i for i, key in enumerate(keys) if key not in reuse]

    def embed_progress(done: int, total: int) -> None:
        say(0.05 + 0.9 * done / max(total, 1), f"向量 {done}/{total}")

    fresh = encode_documents(encoder, [all_texts[i] for i in missing], batch_size, embed_progress)
    dim = fresh.shape[1] if len(missing) else next(iter(reuse.values())).shape[0]
    vectors = np.empty((len(all_texts), dim), dtype=np.float32)
    for j, i in enumerate(missing):
        vectors[i] = fresh[j]
    for i, key in enumerate(keys):
        if key in reuse:
            vectors[i] = reuse[key]
    say(0.96, "FAISS")
    clauses = VectorIndex.build(vectors[: len(texts)], hnsw_threshold)
    sentences = VectorIndex.build(vectors[len(texts) :], hnsw_threshold) if sentence_texts else None
    manifest = IndexManifest(  # a draft: save() adds the checksums, versions and date
        corpus_hash=corpus_hash, model=ModelInfo(model_id, int(dim), model_fingerprint),
        settings=IndexSettings(bigrams, sentence_vectors, hnsw_threshold),
        counts=IndexCounts(len(records), len(sentence_texts), len(missing), len(all_texts) - len(missing)),
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
