"""A stopped ``index build`` resumes: embedded chunks go to a build cache under the home
(index/vector_cache.py), the next build takes them first, embeds only the rest, ends with
the same vectors as an uninterrupted build and removes the cache; incomplete or corrupt
chunks are ignored. Also the progress message (rate and estimate) and the length order."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest

import index.build
from corpus.config import Settings
from index.build import CACHE_DIR, build_cache_dir, build_index
from index.dense import embed_in_chunks
from index.hybrid import HybridIndex
from index.store import read_manifest
from index.vector_cache import VectorCache
from tests.conftest import clone_home

CHUNK = 16
ETA = re.compile(r"^向量 (\d+)/(\d+)(?: · \d+\.\d 条/秒( · 剩余约 \d+ (?:秒|分钟|小时 \d+ 分钟))?)?$")


class Interrupted(RuntimeError):
    """What the encoder raises to stand for Ctrl-C, SIGTERM or an out-of-memory kill."""


class CountingEncoder:
    """Wraps an encoder: records every ``encode_document`` call's texts and raises
    :class:`Interrupted` on call number ``fail_after + 1``."""

    def __init__(self, inner, fail_after: int | None = None):
        self.inner = inner
        self.fail_after = fail_after
        self.calls: list[list[str]] = []

    def encode_query(self, sentences, **kwargs):
        return self.inner.encode_query(sentences, **kwargs)

    def encode_document(self, sentences, **kwargs):
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise Interrupted("killed mid-build")
        self.calls.append(list(sentences))
        return self.inner.encode_document(sentences, **kwargs)

    @property
    def texts(self) -> list[str]:
        return [t for call in self.calls for t in call]


class HashEncoder:
    """A fast stand-in model: each text's vector is a function of the text alone."""

    dim = 8

    def encode_document(self, sentences, **kwargs):
        return np.stack([self.vector(t) for t in sentences]) if sentences else np.zeros((0, self.dim), np.float32)

    encode_query = encode_document

    @classmethod
    def vector(cls, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
        v = np.random.default_rng(seed).normal(size=cls.dim).astype(np.float32)
        return v / np.linalg.norm(v)


@pytest.fixture
def new_model(monkeypatch):
    """Every build in the test sees another model fingerprint than the served index's, so
    nothing is re-used from it: the whole plan is to be embedded while the index serves."""
    real = index.build.model_fingerprint
    monkeypatch.setattr(index.build, "model_fingerprint",
                        lambda model, backend="torch": "resume-test:" + real(model, backend))


def all_vectors(settings: Settings) -> tuple[np.ndarray, list[str]]:
    folder = settings.index_dir.resolve()
    loaded = HybridIndex.load(settings.index_dir)
    keys = json.loads((folder / "vector_keys.json").read_text(encoding="utf-8"))
    return np.vstack([loaded.clauses.vectors, loaded.sentences.vectors]), keys


def texts_of_index(settings: Settings) -> list[str]:
    loaded = HybridIndex.load(settings.index_dir)
    from index.hits import search_text

    return ([search_text(r) for r in loaded.records]
            + [loaded.records[r].sentences[i].text for r, i in zip(loaded.sentence_rows, loaded.sentence_index)])


def test_a_stopped_build_resumes_embeds_only_the_rest_and_matches_an_uninterrupted_build(
        index_settings, encoder, tmp_path, new_model):
    home = clone_home(index_settings, tmp_path / "home")
    good = read_manifest(home.index_dir)
    texts = texts_of_index(home)
    distinct = set(texts)
    assert len(distinct) > 5 * CHUNK  # enough chunks to stop in the middle

    # 1. stopped after three chunks: the served index is untouched, three chunks are cached
    first = CountingEncoder(encoder, fail_after=3)
    with pytest.raises(Interrupted):
        build_index(home, first, chunk_size=CHUNK)
    assert read_manifest(home.index_dir) == good  # every checksum verifies
    assert HybridIndex.load(home.index_dir, encoder).search("养老", k=1)
    assert not list(home.home.glob(".index-*.partial"))
    fingerprint = index.build.model_fingerprint(home.model_path, home.encoder_backend)
    folder = build_cache_dir(home, fingerprint)
    cached = VectorCache(folder)
    assert len(cached) == 3 * CHUNK and not cached.ignored
    assert len(list(folder.glob("chunk-*.keys.json"))) == 3

    # 2. resumed: only the texts not cached are embedded, in chunks, longest first
    second = CountingEncoder(encoder)
    messages: list[str] = []
    manifest = build_index(home, second, progress=lambda f, m: messages.append(m), chunk_size=CHUNK)
    resumed = set(second.texts)
    assert resumed.isdisjoint(first.texts)
    assert resumed | set(first.texts) == distinct
    assert len(second.texts) == len(resumed) == len(distinct) - 3 * CHUNK  # each text once
    assert all(len(call) <= CHUNK for call in second.calls)
    lengths = [len(t) for t in first.texts + second.texts]
    assert lengths == sorted(lengths, reverse=True)  # one order across both runs
    counts = manifest.counts
    assert counts.embedded == sum(1 for t in texts if t in resumed)
    assert counts.embedded + counts.reused == len(texts)

    # progress: done/total counts the first run's chunks; a rate and an estimate
    eta = [ETA.match(m) for m in messages if m.startswith("向量")]
    assert eta and all(eta), messages
    assert int(eta[0].group(1)) == 3 * CHUNK and int(eta[0].group(2)) == len(distinct)
    assert int(eta[-1].group(1)) == len(distinct) and eta[-1].group(3) is None  # nothing left
    assert any(m.group(3) for m in eta[1:-1])  # an estimate while texts were left

    # 3. the cache is gone, the new index verifies, and the vectors are an uninterrupted build's
    assert not folder.exists() and not (home.home / CACHE_DIR).exists()
    read_manifest(home.index_dir, verify=True)
    straight_home = clone_home(index_settings, tmp_path / "straight")
    straight = CountingEncoder(encoder)
    build_index(straight_home, straight, chunk_size=CHUNK)
    assert sorted(straight.texts) == sorted(distinct)
    resumed_vectors, keys = all_vectors(home)
    straight_vectors, straight_keys = all_vectors(straight_home)
    assert keys == straight_keys
    np.testing.assert_allclose(resumed_vectors, straight_vectors, atol=1e-6)
    served, _ = all_vectors(index_settings)  # and the served index's (other batching): same model
    np.testing.assert_allclose(resumed_vectors, served, atol=1e-4)


def test_incomplete_or_corrupt_chunks_are_ignored_and_re_embedded(index_settings, tmp_path, new_model):
    home = clone_home(index_settings, tmp_path / "home")
    texts = texts_of_index(home)
    with pytest.raises(Interrupted):
        build_index(home, CountingEncoder(HashEncoder(), fail_after=4), chunk_size=CHUNK)
    folder = build_cache_dir(home, index.build.model_fingerprint(home.model_path, home.encoder_backend))
    chunks = sorted(folder.glob("chunk-*.keys.json"))
    assert len(chunks) == 4
    npy = [c.with_name(c.name.replace(".keys.json", ".npy")) for c in chunks]
    # chunk 0: the matrix truncated; chunk 1: the keys file missing (killed between the two
    # renames); chunk 2: the matrix replaced by garbage of the right length; chunk 3 intact
    npy[0].write_bytes(npy[0].read_bytes()[: npy[0].stat().st_size // 2])
    chunks[1].unlink()
    npy[2].write_bytes(b"\x93NUMPY garbage" + b"\0" * (npy[2].stat().st_size - 14))
    (folder / "chunk-00009-deadbeef.tmp.npy").write_bytes(b"half written")
    cache = VectorCache(folder)
    assert len(cache) == CHUNK
    assert sorted(cache.ignored) == sorted([chunks[0].name, chunks[2].name])

    again = CountingEncoder(HashEncoder())
    manifest = build_index(home, again, chunk_size=CHUNK)
    assert len(again.texts) == len(set(texts)) - CHUNK  # only chunk 3 was taken from the cache
    assert manifest.counts.embedded + manifest.counts.reused == len(texts)
    vectors, _ = all_vectors(home)
    expected = np.stack([HashEncoder.vector(t) for t in texts])
    np.testing.assert_array_equal(vectors, expected)  # nothing of a bad chunk was loaded
    assert not folder.exists()


def test_vector_cache_round_trip_legacy_chunks_and_clear(tmp_path):
    folder = tmp_path / "cache"
    cache = VectorCache(folder)
    assert len(cache) == 0 and not folder.exists()  # nothing written until the first chunk
    a = np.eye(3, 4, dtype=np.float32)
    cache.add(["a", "b", "c"], a)
    with pytest.raises(ValueError):
        cache.add(["d"], a)
    # a chunk as tools/bench.py wrote them before (no writer suffix) still loads
    np.save(folder / "chunk-00001.npy", np.full((1, 4), 0.5, np.float32), allow_pickle=False)
    (folder / "chunk-00001.keys.json").write_text(json.dumps(["d"]), encoding="utf-8")
    reopened = VectorCache(folder)
    assert len(reopened) == 4 and "b" in reopened and "z" not in reopened
    np.testing.assert_array_equal(reopened.get("b"), a[1])
    np.testing.assert_array_equal(reopened.get("d"), np.full(4, 0.5, np.float32))
    assert reopened.get("z") is None
    reopened.add(["e"], np.ones((1, 4), np.float32))  # numbered after the existing chunks
    assert len(list(folder.glob("chunk-*.keys.json"))) == 3 and len(VectorCache(folder)) == 5
    reopened.clear()
    assert len(reopened) == 0 and not folder.exists()


def test_progress_reports_this_run_s_rate_and_an_estimate_from_what_is_left():
    ticks = iter([0.0, 2.0, 4.0, 6.0])
    seen: list[tuple[int, int, str]] = []
    texts = ["aaaa", "b", "cc", "dddd", "ee", "f"]  # 16 characters
    out = embed_in_chunks(HashEncoder(), texts, chunk_size=2, progress=lambda d, t, m: seen.append((d, t, m)),
                          done_before=4, clock=lambda: next(ticks))
    np.testing.assert_array_equal(out, np.stack([HashEncoder.vector(t) for t in texts]))
    # longest first: "aaaa" "dddd" (8 chars in 2 s), then "cc" "ee" (12 in 4 s), then "b" "f"
    assert seen == [(6, 10, "向量 6/10 · 1.0 条/秒 · 剩余约 2 秒"),
                    (8, 10, "向量 8/10 · 1.0 条/秒 · 剩余约 1 秒"),
                    (10, 10, "向量 10/10 · 1.0 条/秒")]
