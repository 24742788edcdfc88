"""The scale part of the benchmark: the whole lawrefbook (``$POLICYQA_SHARED/corpora/lawrefbook``).

* ingest — copying the files in (``add_document``) and parsing them (``corpus.build``), each
  in a fresh process so its peak RSS is its own;
* embedding — clause vectors come from a resumable cache (``.policyqa/bench-vectors/…``,
  chunks keyed like the index's own re-use), filled by budgeted runs (``--embed-budget-min``,
  ``--embed-only``). Each run's chunks carry its writer id and their files' times, so the rate
  of every filling run is measured from the cache itself (see :func:`fill_runs`);
* the index build as the product does it: ``policyqa index build`` in a fresh process with
  every vector in its build cache (wall time, peak RSS), and BM25 / FAISS build times apart;
* query latency per mode at 10k / 100k / all records, interleaved with bare query encoding;
* rank_bm25 against our BM25 on the same tokens; exact vs approximate dense search
  (:mod:`tools.bench_ann`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from corpus.config import REPO_ROOT, Settings
from index.hybrid import top_rows
from index.sparse import K1, B
from index.vector_cache import VectorCache as ChunkCache
from tools.bench_ann import bench_ann
from tools.bench_common import (
    SERIES,
    Clock,
    attempt,
    questions,
    run_stage,
    search_options,
    time_series,
    vm_hwm_mb,
    warm_up,
)
from tools.common import (
    LAW_QUESTIONS,
    PLAN_QUESTIONS,
    latency_summary,
    loadavg,
    percentile,
    policyqa_executable,
    progress,
)

CHUNK = 1024  # texts per cache chunk
#: Where the load sampler (see :func:`load_during`) writes, inside the cache folder.
LOAD_LOG = "load-during-fill.log"
#: Issue #12: a cold build of the whole corpus within an hour.
GOAL_FULL_BUILD_MIN = 60
GOAL_BM25_P50_MS = 5.0
GOAL_HYBRID_OVER_ENCODE = 1.3
say = progress("bench")
_CHUNK_NAME = re.compile(r"chunk-(\d+)(?:-([0-9a-f]+))?\.keys\.json")


# ------------------------------------------------------------------ vector cache
class VectorCache(ChunkCache):
    """The product's chunked, resumable cache (index/vector_cache.py) plus ``stats.json``:
    texts, seconds and tokens of every chunk embedded into it, summed over runs."""

    def __init__(self, folder: Path):
        super().__init__(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.stats_file = self.folder / "stats.json"
        self.stats = (json.loads(self.stats_file.read_text()) if self.stats_file.is_file()
                      else {"texts": 0, "seconds": 0.0, "tokens": 0})

    def add(self, keys: list[str], matrix: np.ndarray, seconds: float = 0.0, tokens: int = 0) -> None:
        super().add(keys, matrix)
        self.stats = {"texts": self.stats["texts"] + len(keys),
                      "seconds": round(self.stats["seconds"] + seconds, 3),
                      "tokens": self.stats["tokens"] + tokens}
        self.stats_file.write_text(json.dumps(self.stats), encoding="utf-8")
        with (self.folder / LOAD_LOG).open("a", encoding="utf-8") as log:  # the load beside each chunk
            log.write(f"{time.time():.0f} {' '.join(map(str, loadavg()))}\n")


def fill_cache(cache: VectorCache, encoder, keys: list[str], texts: list[str], batch_size: int,
               budget_s: float | None) -> dict:
    """Embed the texts (in order, de-duplicated) whose keys are not cached yet."""
    from tqdm import tqdm

    from index.dense import encode_documents

    todo: dict[str, str] = {}
    for key, text in zip(keys, texts):
        if key not in cache and key not in todo:
            todo[key] = text
    items = list(todo.items())
    started = time.perf_counter()
    done = 0
    tokenizer = getattr(encoder, "tokenizer", None)
    with tqdm(total=len(items), desc="embedding clauses", unit="text", file=sys.stderr) as bar:
        for start in range(0, len(items), CHUNK):
            if budget_s is not None and time.perf_counter() - started >= budget_s:
                break
            chunk = items[start : start + CHUNK]
            t0 = time.perf_counter()
            matrix = encode_documents(encoder, [t for _, t in chunk], batch_size)
            seconds = time.perf_counter() - t0
            tokens = count_tokens(tokenizer, [t for _, t in chunk])
            cache.add([k for k, _ in chunk], matrix, seconds, tokens)
            done += len(chunk)
            bar.update(len(chunk))
    return {"to_embed": len(items), "embedded_now": done, "seconds_now": round(time.perf_counter() - started, 1),
            "remaining": len(items) - done}


def count_tokens(tokenizer, texts: list[str]) -> int:
    """Tokens the encoder sees (≤ 512 a text); 0 when the encoder exposes no tokenizer."""
    if tokenizer is None:
        return 0
    if hasattr(tokenizer, "encode_batch"):  # tokenizers.Tokenizer (the ONNX runner)
        return sum(min(len(e.ids), 512) for e in tokenizer.encode_batch(texts))
    return sum(min(len(ids), 512) for ids in tokenizer(texts)["input_ids"])


def run_rate(chunks: list[tuple[float, int]]) -> dict:
    """Rate of one filling run from its chunks' ``(file time, rows)``: the rows written after
    its first chunk over the time from the first chunk's file to the last's (the first chunk's
    own start is not recorded). Wall time, so it includes everything the run did."""
    chunks = sorted(chunks)
    texts = sum(rows for _, rows in chunks)
    if len(chunks) < 2:
        return {"chunks": len(chunks), "texts": texts, "wall_s": None, "texts_per_s": None,
                "first": chunks[0][0] if chunks else None, "last": chunks[-1][0] if chunks else None}
    wall = chunks[-1][0] - chunks[0][0]
    timed = texts - chunks[0][1]
    return {"chunks": len(chunks), "texts": texts, "wall_s": round(wall, 1),
            "texts_per_s": round(timed / wall, 2) if wall > 0 else None,
            "first": chunks[0][0], "last": chunks[-1][0]}


def fill_runs(folder: Path) -> list[dict]:
    """One :func:`run_rate` per writer (each filling run names its chunks with its own id;
    chunks without one come from the cache's first, older runs), oldest first."""
    groups: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for keys_file in folder.glob("chunk-*.keys.json"):
        match = _CHUNK_NAME.fullmatch(keys_file.name)
        if not match:
            continue
        rows = len(json.loads(keys_file.read_text(encoding="utf-8")))
        groups[match.group(2) or "(no writer id)"].append((keys_file.stat().st_mtime, rows))
    runs = [{"writer": w, **run_rate(chunks)} for w, chunks in groups.items()]
    return sorted(runs, key=lambda r: r["first"] or 0)


def load_during(samples: list[tuple[float, float]], start: float, end: float) -> dict | None:
    """min / median / max of the 1-minute load average sampled between ``start`` and ``end``
    (``samples``: (unix time, load1))."""
    inside = [load for t, load in samples if start <= t <= end]
    if not inside:
        return None
    return {"samples": len(inside), "min": min(inside), "median": round(statistics.median(inside), 2),
            "max": max(inside)}


def read_load_log(path: Path) -> list[tuple[float, float]]:
    """``unix-time load1 load5 load15`` lines (written by the cache and by a sampler beside a
    filling run) as (time, load1)."""
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            try:
                out.append((float(parts[0]), float(parts[1])))
            except ValueError:
                continue
    return out


def measured_runs(folder: Path) -> list[dict]:
    samples = read_load_log(folder / LOAD_LOG)
    runs = fill_runs(folder)
    for run in runs:
        run["load1_during"] = load_during(samples, run["first"], run["last"]) if run["first"] else None
        for key in ("first", "last"):
            if run[key]:
                run[key] = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run[key]))
    return runs


# ------------------------------------------------------------------ subprocess stages
def stage_copy(home: Path, files_list: Path) -> dict:
    from corpus.docstore import add_document

    settings = Settings(home=home)
    files = [Path(p) for p in files_list.read_text(encoding="utf-8").splitlines() if p]
    shutil.rmtree(settings.user_docs_dir, ignore_errors=True)
    started = time.perf_counter()
    ids = set()
    for path in files:
        # lawrefbook has a few laws under two folders: the later file replaces the earlier one
        ids.add(add_document(path, settings.user_docs_dir, settings.max_upload_mb, replace=True).doc_id)
    seconds = time.perf_counter() - started
    return {"files": len(files), "documents": len(ids), "seconds": round(seconds, 2), "peak_rss_mb": vm_hwm_mb()}


def stage_parse(home: Path) -> dict:
    import corpus

    settings = Settings(home=home)
    started = time.perf_counter()
    summary = corpus.build(settings)
    seconds = time.perf_counter() - started
    shapes: dict = defaultdict(int)
    for d in summary.documents:
        shapes[d.shape] += 1
    return {"documents": len(summary.documents), "records": summary.records, "seconds": round(seconds, 2),
            "peak_rss_mb": vm_hwm_mb(), "shapes": dict(shapes),
            "warnings": sum(len(d.warnings) for d in summary.documents)}


def scale_env(home: Path) -> dict:
    """The scale home's settings for a product process: clause vectors only."""
    env = {**os.environ, "POLICYQA_HOME": str(home), "POLICYQA_SENTENCE_VECTORS": "0", "HF_HUB_OFFLINE": "1"}
    env.pop("POLICYQA_ENCODER_BACKEND", None)  # the default backend, as the cache's vectors
    return env


# ------------------------------------------------------------------ the scale part
def usable_files(root: Path, limit: int) -> tuple[list[Path], list[str], int]:
    from corpus.formats import SourceError, read_text

    files = sorted(root.rglob("*.md"))
    found = len(files)
    if limit:
        files = files[:limit]
    usable, skipped = [], []
    for path in files:
        try:
            read_text(path, Settings().max_upload_mb)
            usable.append(path)
        except SourceError as exc:
            skipped.append(f"{path.relative_to(root)}: {exc.reason}")
    return usable, skipped, found


def ingest(home: Path, files: list[Path]) -> dict:
    files_list = home / "bench-files.txt"
    files_list.write_text("\n".join(str(p) for p in files), encoding="utf-8")
    say(f"scale: copying {len(files)} files into {home}/docs (subprocess)")
    copy, wall = run_stage(["--stage", "copy", "--home", str(home), "--files-list", str(files_list)])
    out = {"ingest_home": str(home), "copy": {**copy, "process_wall_s": round(wall, 2)}}
    say("scale: parsing (corpus.build, subprocess)")
    parse, wall = run_stage(["--stage", "parse", "--home", str(home)])
    out["parse"] = {**parse, "process_wall_s": round(wall, 2)}
    return out


def ingest_home(home: Path) -> Path:
    """Where ingest is timed: the scale home itself on a first run; once that holds a corpus
    build, a scratch home beside it, so the records whose vectors are cached never change under
    the cache (a parser change would otherwise leave records without a vector)."""
    if not (home / "corpus").exists():
        return home
    scratch = home.with_name(home.name + "-ingest")
    scratch.mkdir(parents=True, exist_ok=True)
    return scratch


def sentence_counts(records) -> dict:
    """Sentence vectors a build with ``sentence_vectors=True`` would add: every sentence of a
    record with more than one (as index/hybrid_store.py does), and the distinct texts."""
    texts = [s.text for r in records if len(r.sentences) > 1 for s in r.sentences]
    return {"sentences": len(texts), "distinct": len(set(texts)),
            "mean_chars": round(statistics.fmean(map(len, texts)), 1) if texts else 0}


def bench_scale(args, encoder, model_path: str) -> dict:
    import corpus
    from index.build import model_fingerprint
    from index.hybrid import search_text, vector_key

    root = Settings().shared / "corpora" / "lawrefbook"
    if not root.is_dir():
        raise SystemExit(f"lawrefbook corpus not found at {root} (set POLICYQA_SHARED)")
    usable, skipped, found = usable_files(root, args.limit_files)
    home = Path(args.scale_home or (REPO_ROOT / ".policyqa" / (
        "bench-lawrefbook" if not args.limit_files else f"bench-lawrefbook-{args.limit_files}")))
    home.mkdir(parents=True, exist_ok=True)
    out: dict = {"corpus": str(root), "files_found": found, "files_used": len(usable),
                 "files_skipped": skipped, "home": str(home)}  # fmt: skip
    if not args.skip_ingest:
        out.update(ingest(ingest_home(home), usable))

    settings = Settings(home=home, model=model_path, sentence_vectors=False)
    t0 = time.perf_counter()
    records = corpus.load_records(settings)
    out["load_records_s"] = round(time.perf_counter() - t0, 2)
    out["documents"] = len({r.doc_id for r in records})
    texts = [search_text(r) for r in records]
    fingerprint = model_fingerprint(model_path, settings.encoder_backend)
    keys = [vector_key(fingerprint, t) for t in texts]
    out.update(records=len(records), unique_texts=len(set(keys)),
               mean_text_chars=round(statistics.fmean(len(t) for t in texts), 1),
               encoder_backend=settings.encoder_backend, sentence_counts=sentence_counts(records))

    # ---- embedding (cached, resumable, budgeted)
    cache = VectorCache(REPO_ROOT / ".policyqa" / "bench-vectors" / fingerprint[:16])
    budget = None if args.embed_all else args.embed_budget_min * 60
    fill = fill_cache(cache, encoder, keys, texts, args.batch_size, budget)
    real = np.array([k in cache.vectors for k in keys])
    out["embedding"] = {
        **fill, "cache": str(cache.folder), "cached_vectors": len(cache.vectors),
        "records_with_real_vectors": int(real.sum()), "all_real": bool(real.all()),
        "cache_stats": cache.stats, "runs": measured_runs(cache.folder),
        "tokens_per_text": round(cache.stats["tokens"] / cache.stats["texts"], 1) if cache.stats["texts"] else None,
    }  # fmt: skip
    if args.embed_only:
        return out
    out["embedding"]["sample"] = embed_sample(encoder, texts, args.batch_size)
    sentences = [s.text for r in records if len(r.sentences) > 1 for s in r.sentences]
    out["embedding"]["sentence_sample"] = embed_sample(encoder, sentences, args.batch_size)
    vectors, synthetic = vectors_for(keys, cache)
    out["embedding"]["synthetic_vectors"] = synthetic

    # ---- the index build as `policyqa index build` does it, every vector in its build cache
    if real.all():
        say("scale: policyqa index build (subprocess, every vector cached)")
        out["index_build"] = attempt("policyqa index build", product_build, home, settings, cache.folder, fingerprint)
    else:
        out["index_build"] = {"skipped": f"{int((~real).sum())} records have no real vector yet"}
    out["bm25_build_s"] = time_bm25_build(texts, settings.bm25_bigrams)

    # ---- latency per size
    law_qs = questions(LAW_QUESTIONS)
    qs = (law_qs + questions(PLAN_QUESTIONS))[: max(args.queries, len(law_qs))]
    out["query_set"] = f"{len(qs)} questions: eval/questions/laws.jsonl ({len(law_qs)}) then plan.jsonl"
    query_vectors = np.asarray(encoder.encode_query(qs, convert_to_numpy=True, normalize_embeddings=True),
                               dtype=np.float32)
    from index.sparse import analyze

    t0 = time.perf_counter()
    n_tokens = min(len(texts), args.rank_bm25_max)
    tokens = [analyze(t, settings.bm25_bigrams) or [""] for t in texts[:n_tokens]]
    out["tokenize_s"] = {"records": n_tokens, "seconds": round(time.perf_counter() - t0, 2)}
    out["bm25_bigrams"] = settings.bm25_bigrams
    out["sizes"] = []
    for n, label in scale_sizes(args.scale_sizes, len(records)):
        say(f"scale: size {label} = {n} records ({int(real[:n].sum())} real vectors)")
        result = bench_size(args, encoder, settings, records[:n], tokens[:n] if n <= n_tokens else None, vectors,
                            fingerprint, qs, query_vectors, label,
                            product_index=home / "index" if n == len(records) and "seconds" in out["index_build"]
                            else None)
        result["real_vectors"] = int(real[:n].sum())
        out["sizes"].append(result)

    # ---- exact vs approximate, real vectors only
    ann_qs = list(dict.fromkeys(questions(LAW_QUESTIONS) + questions(PLAN_QUESTIONS)))[: args.hnsw_queries]
    ann_q = np.asarray(encoder.encode_query(ann_qs, convert_to_numpy=True, normalize_embeddings=True,
                                            batch_size=32), dtype=np.float32)
    real_rows = np.flatnonzero(real)
    if len(real_rows) >= 1000:
        say(f"scale: exact vs approximate on {len(real_rows)} real vectors")
        matrix = np.stack([vectors[keys[i]] for i in real_rows])
        out["ann"] = attempt("exact vs approximate", bench_ann, matrix, ann_q, settings.hnsw_threshold)
        out["ann"]["set"] = ("every record (real vectors)" if real.all()
                             else f"the {len(real_rows)} records with real vectors")
    out["peak_rss_main_mb"] = vm_hwm_mb()
    out["loadavg_after"] = loadavg()
    return out


def scale_sizes(spec: str, total: int) -> list[tuple[int, str]]:
    """``"10000,100000,all"`` → [(10000, "10000"), (100000, "100000"), (total, "all")], sizes
    capped at ``total`` and each size once."""
    sizes: list[tuple[int, str]] = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        n = total if item == "all" else min(int(item), total)
        if n not in [s for s, _ in sizes]:
            sizes.append((n, item))
    return sizes


def product_build(home: Path, settings: Settings, bench_cache: Path, fingerprint: str) -> dict:
    """``policyqa index build`` in a fresh process, its build cache holding every vector (hard
    links to the benchmark cache's chunks: a build resumes from them and embeds nothing).
    Wall seconds, peak RSS (polled ``VmHWM``, see :class:`~tools.bench_startup.PeakRss`) and
    the index's size on disk."""
    from index.build import build_cache_dir
    from tools.bench_startup import PeakRss

    remove_index(home)  # a first build every run: a previous index would be loaded for re-use too
    cache_dir = build_cache_dir(settings, fingerprint)
    shutil.rmtree(cache_dir, ignore_errors=True)
    cache_dir.mkdir(parents=True)
    for chunk in bench_cache.glob("chunk-*"):
        os.link(chunk, cache_dir / chunk.name)
    load = loadavg()
    started = time.perf_counter()
    proc = subprocess.Popen([policyqa_executable(), "index", "build", "--home", str(home)], env=scale_env(home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = PeakRss(proc.pid, every=0.2)
    _, status, usage = os.wait4(proc.pid, 0)
    peak_mb = peak.stop()
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"policyqa index build --home {home} failed")
    index_dir = (home / "index").resolve()
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    size = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
    return {"seconds": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_mb": peak_mb, "index_mb": round(size / 2**20, 1),
            "counts": manifest["counts"], "hnsw_threshold": manifest["settings"]["hnsw_threshold"],
            "approximate": (index_dir / "clause.hnsw.faiss").exists(),
            "loadavg_before": load, "loadavg_after": loadavg()}


def remove_index(home: Path) -> None:
    """The benchmark home's index: the ``index`` link and every ``index-*`` version."""
    link = home / "index"
    if link.is_symlink():
        link.unlink()
    elif link.exists():
        shutil.rmtree(link)
    for version in home.glob("index-*"):
        shutil.rmtree(version, ignore_errors=True)


def time_bm25_build(texts: list[str], bigrams: bool) -> float:
    """``SparseIndex.build`` over every record, as the index build calls it (tokens included)."""
    from index.sparse import SparseIndex

    t0 = time.perf_counter()
    SparseIndex.build(texts, bigrams)
    return round(time.perf_counter() - t0, 1)


def vectors_for(keys: list[str], cache: VectorCache, seed: int = 0) -> tuple[dict[str, np.ndarray], int]:
    """key → vector for every key: the real cached vector, else a synthetic one (trial runs
    only; the report counts them and the ANN figures never use them).

    A synthetic vector is 0.7·a + 0.3·b + N(0, 0.01²) of two random real vectors, normalized:
    it keeps the real vectors' anisotropy (e5 vectors share a strong common direction)."""
    out = {k: cache.vectors[k] for k in keys if k in cache.vectors}
    missing = list(dict.fromkeys(k for k in keys if k not in out))
    if not missing:
        return out, 0
    rng = np.random.default_rng(seed)
    if out:
        pool = np.stack(list(out.values()))
    else:
        pool = rng.normal(size=(1000, 384)).astype(np.float32)
        pool /= np.linalg.norm(pool, axis=1, keepdims=True)
    a = rng.integers(len(pool), size=len(missing))
    b = rng.integers(len(pool), size=len(missing))
    fake = 0.7 * pool[a] + 0.3 * pool[b] + rng.normal(0, 0.01, size=(len(missing), pool.shape[1]))
    fake = (fake / np.linalg.norm(fake, axis=1, keepdims=True)).astype(np.float32)
    out.update(zip(missing, fake))
    return out, len(missing)


def embed_sample(encoder, texts: list[str], batch_size: int, n: int = 1024) -> dict:
    """Fresh throughput on ``n`` evenly spread texts, in this run."""
    from index.dense import encode_documents

    step = max(1, len(texts) // n)
    sample = texts[::step][:n]
    load = loadavg()
    t0 = time.perf_counter()
    encode_documents(encoder, sample, batch_size)
    seconds = time.perf_counter() - t0
    return {"texts": len(sample), "mean_chars": round(statistics.fmean(map(len, sample)), 1) if sample else 0,
            "seconds": round(seconds, 2), "texts_per_s": round(len(sample) / seconds, 2) if seconds else None,
            "loadavg_before": load, "loadavg_after": loadavg()}


def bench_size(args, encoder, settings: Settings, records, tokens, vectors: dict, fingerprint: str,
               qs: list[str], query_vectors: np.ndarray, label: str, product_index: Path | None = None) -> dict:
    """Latency per mode on ``records``, interleaved with bare query encoding. The index is the
    product's own saved one when given (full size), else built here from known vectors."""
    from tqdm import tqdm

    from index import HybridIndex
    from index.query import Query

    n = len(records)
    result: dict = {"label": label, "records": n}
    t0 = time.perf_counter()
    if product_index is not None:
        idx = HybridIndex.load(product_index, encoder)
        result["index"] = "the saved `policyqa index build` index (load + verify)"
    else:
        idx = HybridIndex.build(records, encoder, model_id=settings.model_path, model_fingerprint=fingerprint,
                                corpus_hash="bench", bigrams=settings.bm25_bigrams, sentence_vectors=False,
                                hnsw_threshold=settings.hnsw_threshold, reuse=vectors)
        assert idx.manifest.counts.embedded == 0, "the benchmark must not embed while building subsets"
        result["index"] = "built in memory from known vectors"
    result["index_s"] = round(time.perf_counter() - t0, 2)
    result["approximate_dense"] = idx.clauses.approximate
    options = search_options(settings)
    warm_up(idx, qs[:5], options)
    clock = Clock((*SERIES, "bm25_repeat", "bm25_core", "faiss_top100", "lookup"))
    parsed = [Query.parse(q) for q in qs]  # what search() parses first; lookup is timed alone
    with tqdm(total=args.scale_repeats * len(qs), desc=f"latency {label}", file=sys.stderr, mininterval=10) as bar:
        for rep in range(args.scale_repeats):
            for i, q in enumerate(qs):
                time_series(clock, idx, encoder, q, rep + i, options)
                # the same question again: its hits' evidence sentences are tokenized by now
                clock.time("bm25_repeat", idx.search, q, k=10, mode="bm25", **options)
                clock.time("bm25_core", lambda q=q: top_rows(idx.sparse.scores(q), 10))
                clock.time("faiss_top100", idx.clauses.search, query_vectors[i], 100)
                clock.time("lookup", idx.lookup, parsed[i])
                bar.update(1)
    lat = clock.summary()
    result["latency"] = lat
    result["hybrid_over_encode_p50"] = round(lat["hybrid"]["p50_ms"] / lat["encode_query"]["p50_ms"], 3)
    result["goal_hybrid_met"] = result["hybrid_over_encode_p50"] <= GOAL_HYBRID_OVER_ENCODE
    result["goal_bm25_met"] = lat["bm25"]["p50_ms"] <= GOAL_BM25_P50_MS
    result["loadavg"] = loadavg()
    if tokens is not None:
        result["rank_bm25"] = compare_rank_bm25(idx.sparse, tokens, qs, settings.bm25_bigrams)
    return result


def compare_rank_bm25(sparse, tokens: list[list[str]], qs: list[str], bigrams: bool) -> dict:
    """rank_bm25 BM25Okapi (our k1 and b, epsilon 0) vs ours on the same tokens."""
    from rank_bm25 import BM25Okapi
    from tqdm import tqdm

    from index.sparse import analyze

    t0 = time.perf_counter()
    okapi = BM25Okapi(tokens, k1=K1, b=B, epsilon=0)
    build_s = time.perf_counter() - t0
    ours_t, theirs_t = [], []
    identical = tie_only = different = 0
    max_rel = 0.0
    for q in tqdm(qs, desc=f"rank_bm25 {len(tokens)}", file=sys.stderr, mininterval=10):
        t1 = time.perf_counter()
        ours = sparse.scores(q)
        ours_top = top_rows(ours, 10)
        ours_t.append(time.perf_counter() - t1)
        t1 = time.perf_counter()
        theirs = okapi.get_scores(analyze(q, bigrams))
        theirs_top = top_rows(theirs, 10)
        theirs_t.append(time.perf_counter() - t1)
        scaled = ours.astype(np.float64) * (K1 + 1)
        scale = max(float(np.abs(theirs).max()), 1e-9)
        max_rel = max(max_rel, float(np.max(np.abs(scaled - theirs))) / scale)
        if list(ours_top) == list(theirs_top):
            identical += 1
        elif np.allclose(np.sort(theirs[ours_top])[::-1], theirs[theirs_top], rtol=1e-4, atol=1e-6):
            tie_only += 1  # the same scores; tied records in another order
        else:
            different += 1
    ours_p50, theirs_p50 = percentile(ours_t, 50), percentile(theirs_t, 50)
    return {"queries": len(qs), "build_s": round(build_s, 2), "ours": latency_summary(ours_t),
            "rank_bm25": latency_summary(theirs_t), "speedup_p50": round(theirs_p50 / ours_p50, 1),
            "top10_identical": identical, "top10_tie_order_only": tie_only, "top10_different": different,
            "max_diff_over_max_score": max_rel, "goal_speedup": 50}  # fmt: skip
