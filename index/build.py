"""Building, opening and re-building the index of the current corpus.

``build_index`` reads the last corpus build, re-uses vectors of unchanged texts
from the current index (so adding or removing one document re-embeds only that
document), and swaps the new index in atomically. The texts it embeds go, chunk by
chunk, to a build cache (``<home>/.vector-cache/<hash of the model fingerprint>/``), so a
build stopped midway (Ctrl-C, SIGTERM, out of memory) resumes where it stopped; the cache
is removed once the new index is swapped in. ``open_index`` loads and
verifies it; a stale (corpus changed) or corrupt (checksum mismatch) index is
reported and rebuilt, a missing one is built.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from corpus.build import load_records, load_report
from corpus.config import Settings, get_settings
from corpus.storage import atomic_dir
from index.dense import EMBED_CHUNK
from index.hybrid import HybridIndex
from index.store import (
    CorruptIndex,
    IndexManifest,
    IndexProblem,
    IndexSettings,
    MissingIndex,
    StaleIndex,
    read_manifest,
)
from index.vector_cache import VectorCache

log = logging.getLogger(__name__)
_ENCODERS: dict[tuple[str, str], object] = {}
#: The build cache's folder under the home (see :func:`build_cache_dir`).
CACHE_DIR = ".vector-cache"


def model_fingerprint(model: str, backend: str = "torch") -> str:
    """Identity of the weights the vectors come from: the model's build marker when local,
    else its name; for a backend other than torch also that backend and its export's hash
    (it is in every vector key, so vectors of two backends never mix)."""
    marker = Path(model) / "policyqa-model.json"
    if marker.is_file():
        built = json.loads(marker.read_text(encoding="utf-8"))
        base = f"{built.get('q4_sha256', model)}:builder{built.get('builder', 0)}"
    else:
        config = Path(model) / "config.json"
        base = str(config.stat().st_mtime_ns) + model if config.is_file() else model
    if backend == "torch":
        return base
    from index.onnx_encoder import read_marker

    digest = ((read_marker(model) or {}).get("sha256") or {}).get(backend, "missing")
    return f"{base}:{backend}:{digest[:16]}"


def encoder_backend(encoder) -> str | None:
    """The backend an encoder object runs on (SentenceTransformer and OnnxEncoder say so)."""
    backend = getattr(encoder, "backend", None)
    return backend if isinstance(backend, str) else None


def get_encoder(settings: Settings):
    """The settings' encoder (model and backend), loaded once per process."""
    from index.model import load_encoder

    key = (settings.model_path, settings.encoder_backend)
    if key not in _ENCODERS:
        if settings.encoder_backend == "torch":
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # "Loading weights" bars on every start
        _ENCODERS[key] = load_encoder(settings.model_path, settings.encoder_backend)
    return _ENCODERS[key]


class LazyEncoder:
    """The settings' encoder, loaded at the first encode: opening an index and a BM25
    search never import torch or load the model."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    def loaded(self):
        return get_encoder(self.settings)

    def encode_query(self, sentences: list[str], **kwargs):
        return self.loaded.encode_query(sentences, **kwargs)

    def encode_document(self, sentences: list[str], **kwargs):
        return self.loaded.encode_document(sentences, **kwargs)


def build_cache_dir(settings: Settings, fingerprint: str) -> Path:
    """Where a build keeps the vectors it has embedded until its index is swapped in."""
    return settings.home / CACHE_DIR / hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()[:16]


def build_index(settings: Settings | None = None, encoder=None,
                progress: Callable[[float, str], None] | None = None,
                chunk_size: int = EMBED_CHUNK) -> IndexManifest:
    """Index the last corpus build into ``settings.index_dir``; return the manifest.

    Vectors come from the build cache of an interrupted build first, then from the
    previous index; the rest are embedded ``chunk_size`` texts at a time, each chunk
    saved to the build cache, which is removed after the swap."""
    settings = settings or get_settings()
    records = load_records(settings)
    corpus_hash = load_report(settings).corpus_hash
    backend = settings.encoder_backend
    encoder = encoder or get_encoder(settings)
    if encoder_backend(encoder) not in (None, backend):
        raise ValueError(f"the encoder runs on {encoder_backend(encoder)!r}, the settings say {backend!r}")
    fingerprint = model_fingerprint(settings.model_path, backend)
    reuse = {}
    try:
        previous = HybridIndex.load(settings.index_dir)
        if previous.manifest.model.fingerprint == fingerprint and previous.manifest.model.backend == backend:
            reuse = previous.vectors_by_key(settings.index_dir)
    except (IndexProblem, OSError, ValueError) as exc:
        log.info("no previous index to re-use vectors from (%s)", exc)
    cache = VectorCache(build_cache_dir(settings, fingerprint))
    if len(cache) or cache.ignored:
        log.info("resuming: %d vectors in the build cache %s (%d incomplete chunks ignored)",
                 len(cache), cache.folder, len(cache.ignored))
    index = HybridIndex.build(
        records, encoder, model_id=settings.model_path, model_fingerprint=fingerprint,
        corpus_hash=corpus_hash, bigrams=settings.bm25_bigrams,
        sentence_vectors=settings.sentence_vectors, hnsw_threshold=settings.hnsw_threshold,
        batch_size=settings.embed_batch_size, reuse=reuse, cache=cache, chunk_size=chunk_size,
        progress=progress,
    )
    index.manifest = replace(index.manifest, model=replace(index.manifest.model, backend=backend))
    with atomic_dir(settings.index_dir) as staging:
        manifest = index.save(staging)
    cache.clear()
    with contextlib.suppress(OSError):  # other models' caches may remain
        cache.folder.parent.rmdir()
    return manifest


def check_fresh(settings: Settings, manifest: IndexManifest) -> None:
    """Raise :class:`StaleIndex` when the corpus or the model changed since the build."""
    corpus_hash = load_report(settings).corpus_hash
    if manifest.corpus_hash != corpus_hash:
        raise StaleIndex("the corpus changed since the index was built")
    wanted = IndexSettings(settings.bm25_bigrams, settings.sentence_vectors, settings.hnsw_threshold)
    if manifest.settings != wanted:
        raise StaleIndex("index settings changed since the index was built")
    if manifest.model.backend != settings.encoder_backend:
        raise StaleIndex(f"the index was embedded with the {manifest.model.backend} encoder backend, "
                         f"the settings ask for {settings.encoder_backend}")
    if manifest.model.fingerprint != model_fingerprint(settings.model_path, settings.encoder_backend):
        raise StaleIndex("the embedding model changed since the index was built")


def open_index(settings: Settings | None = None, rebuild: bool = True, with_encoder: bool = True,
               progress: Callable[[float, str], None] | None = None) -> HybridIndex:
    """Load and verify the index; rebuild it (if allowed) when missing, stale or corrupt."""
    settings = settings or get_settings()
    encoder = LazyEncoder(settings) if with_encoder else None
    try:
        manifest = read_manifest(settings.index_dir)
        check_fresh(settings, manifest)
        return HybridIndex.load(settings.index_dir, encoder, verify=False)
    except (MissingIndex, StaleIndex, CorruptIndex) as problem:
        if not rebuild:
            raise
        log.warning("%s; rebuilding the index", problem)
        build_index(settings, get_encoder(settings), progress)
        return HybridIndex.load(settings.index_dir, encoder, verify=False)
