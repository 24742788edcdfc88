"""Latency, build and scale figures for ``reports/perf.md`` and ``reports/perf.json``.

    python -m tools.bench [--scale-sizes 10000,100000,all] [--out reports] [--skip-scale]
                          [--limit-files N] [--embed-budget-min M | --embed-all]

One run produces every figure:

* **plan** — warm query latency (p50/p95) of ``HybridIndex.search`` in the bm25, dense
  and hybrid modes and of the bare ``encoder.encode_query``, over the same questions
  (``eval/questions/plan.jsonl``), interleaved so that load from other processes hits
  every series alike; cold start of a fresh ``policyqa search`` process (and of a bare
  ``policyqa --help``: the interpreter and the CLI's imports); the same latencies in a fresh
  process per OpenMP setting (default, ``OMP_WAIT_POLICY=PASSIVE``, one torch thread).
* **scale** — the lawrefbook corpus (``$POLICYQA_SHARED/corpora/lawrefbook``, default
  ``../shared``): copying the files in (``add_document``) and parsing them
  (``corpus.build``), each in its own subprocess so its peak RSS is its own; the index
  build (``sentence_vectors=False``: clause vectors only, to fit 2 cores); query latency
  per mode on the first 10k / 100k / all records (separate in-memory ``HybridIndex``
  objects built with ``reuse=`` so nothing is embedded there); rank_bm25 ``BM25Okapi``
  against our BM25 on the same tokens; exact ``IndexFlatIP`` against ``IndexHNSWFlat``, with
  an efSearch sweep.

Embedding is by far the slowest step (a few texts per second on a loaded 2-core machine),
so scale clause vectors are cached in ``.policyqa/bench-vectors/<model fingerprint>/``
(chunks of ``.npy`` + ``.keys.json``, keyed like the index's own re-use:
``vector_key(fingerprint, search_text(record))``), in record order, resumably, within
``--embed-budget-min`` per run (``--embed-only`` just fills the cache). Records not embedded
yet get a synthetic vector (see :func:`vectors_for`); the report counts them per figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from corpus.config import MODES, REPO_ROOT, Settings
from index.hybrid import top_rows
from index.sparse import K1, B
from index.vector_cache import VectorCache as ChunkCache
from tools.common import (
    LAW_QUESTIONS,
    PLAN_QUESTIONS,
    latency_summary,
    loadavg,
    machine_info,
    offline_environment,
    percentile,
    policyqa_executable,
    progress,
    question_rows,
)

CHUNK = 1024  # texts per cache chunk
say = progress("bench")


# ------------------------------------------------------------------ helpers
class Clock:
    """Wall and CPU time of repeated calls, per named series."""

    def __init__(self, names: Iterable[str]):
        self.wall: dict[str, list[float]] = {n: [] for n in names}
        self.cpu: dict[str, list[float]] = {n: [] for n in self.wall}

    def time(self, name: str, fn: Callable, *args, **kwargs):
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn(*args, **kwargs)
        self.wall[name].append(time.perf_counter() - t0)
        self.cpu[name].append(time.process_time() - c0)
        return result

    def summary(self) -> dict:
        return {n: latency_summary(self.wall[n], self.cpu[n]) for n in self.wall}


def questions(path: Path) -> list[str]:
    return [row["question"] for row in question_rows(path)]


def shared_lawrefbook() -> Path:
    return Settings().shared / "corpora" / "lawrefbook"


def vm_hwm_mb() -> int | None:
    """Peak resident memory of this process (``VmHWM``; reset by exec, unlike ``ru_maxrss``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_stage(args: list[str], env: dict | None = None) -> tuple[dict, float]:
    """Run ``python -m tools.bench --stage …`` in a fresh process: (its JSON, wall seconds)."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tools.bench", *args], cwd=REPO_ROOT,
                          stdout=subprocess.PIPE, text=True, check=False, env=env)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"stage {args} failed with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


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
    tokenizer = encoder.tokenizer
    with tqdm(total=len(items), desc="embedding clauses", unit="text", file=sys.stderr) as bar:
        for start in range(0, len(items), CHUNK):
            if budget_s is not None and time.perf_counter() - started >= budget_s:
                break
            chunk = items[start : start + CHUNK]
            t0 = time.perf_counter()
            matrix = encode_documents(encoder, [t for _, t in chunk], batch_size)
            seconds = time.perf_counter() - t0
            tokens = sum(min(len(ids), 512) for ids in tokenizer([t for _, t in chunk])["input_ids"])
            cache.add([k for k, _ in chunk], matrix, seconds, tokens)
            done += len(chunk)
            bar.update(len(chunk))
    return {"to_embed": len(items), "embedded_now": done, "seconds_now": round(time.perf_counter() - started, 1),
            "remaining": len(items) - done}


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
    return {"documents": len(summary.documents), "records": summary.records, "seconds": round(seconds, 2),
            "peak_rss_mb": vm_hwm_mb(), "shapes": _count(d.shape for d in summary.documents),
            "warnings": sum(len(d.warnings) for d in summary.documents)}


def _count(items) -> dict:
    out: dict = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


# ------------------------------------------------------------------ plan
def bench_plan(args, encoder, model_path: str) -> dict:
    import corpus
    from index import HybridIndex, build_index
    from index.query import Query

    home = Path(args.plan_home)
    settings = Settings(home=home, model=model_path)
    corpus.build(settings)
    started = time.perf_counter()
    manifest = build_index(settings, encoder)
    build_s = time.perf_counter() - started
    idx = HybridIndex.load(settings.index_dir, encoder)
    options = search_options(settings)
    qs = questions(PLAN_QUESTIONS)[: args.queries]
    say(f"plan: {len(idx.records)} records, {len(qs)} questions × {args.repeats} repeats")
    for q in qs:  # warm-up: model, jieba, FAISS
        for mode in MODES:
            idx.search(q, k=10, mode=mode, **options)
    clock = Clock(("encode_query", *MODES, "hybrid_vector_cached"))
    series = ["encode_query", *MODES]
    from tqdm import tqdm

    with tqdm(total=args.repeats * len(qs), desc="plan latency", file=sys.stderr) as bar:
        for rep in range(args.repeats):
            for i, q in enumerate(qs):
                shift = (rep + i) % len(series)  # rotate the order: no series always runs first
                for name in series[shift:] + series[:shift]:
                    idx.clear_query_cache()  # every timed search encodes its question
                    if name == "encode_query":
                        clock.time(name, encoder.encode_query, [q], convert_to_numpy=True,
                                   normalize_embeddings=True)
                    else:
                        clock.time(name, idx.search, q, k=10, mode=name, **options)
                idx.encode_query(Query.parse(q).text)  # as after a first search of the question
                clock.time("hybrid_vector_cached", idx.search, q, k=10, mode="hybrid", **options)
                bar.update(1)
    latency = clock.summary()
    ratio = latency["hybrid"]["p50_ms"] / latency["encode_query"]["p50_ms"]
    cpu_ratio = latency["hybrid"]["cpu_p50_ms"] / latency["encode_query"]["cpu_p50_ms"]
    cold = bench_cold(home, model_path, args.cold_runs)
    threading = {}
    for label, extra, stage_args in (("default", {}, []),
                                     ("OMP_WAIT_POLICY=PASSIVE", {"OMP_WAIT_POLICY": "PASSIVE"}, []),
                                     ("torch.set_num_threads(1)", {}, ["--threads", "1"])):
        env = {**os.environ, "POLICYQA_MODEL": model_path, **extra}
        threading[label], _ = run_stage(["--stage", "plan-latency", "--home", str(home), *stage_args], env=env)
    return {
        "home": str(home), "records": len(idx.records),
        "sentence_vectors": manifest.counts.sentence_vectors,
        "build_s": round(build_s, 2), "build_counts": asdict(manifest.counts),
        "questions": len(qs), "repeats": args.repeats, "latency": latency, "search_options": options,
        "bm25_bigrams": settings.bm25_bigrams,
        "hybrid_p50_over_encode_p50": round(ratio, 3), "hybrid_over_encode_cpu_p50": round(cpu_ratio, 3),
        "goal_hybrid_over_encode": 1.3,
        "goal_met": ratio <= 1.3, "cold_start": cold, "threading": threading, "loadavg_after": loadavg(),
    }  # fmt: skip


def stage_plan_latency(home: Path, threads: int | None, questions_n: int = 60, repeats: int = 2) -> dict:
    """Encode / hybrid / bm25 p50 in a fresh process (to compare OpenMP settings, which
    must be set before torch starts)."""
    import torch

    from index import HybridIndex
    from index.build import get_encoder

    if threads:
        torch.set_num_threads(threads)
    settings = Settings(home=home)
    encoder = get_encoder(settings)
    idx = HybridIndex.load(settings.index_dir, encoder)
    options = search_options(settings)
    qs = questions(PLAN_QUESTIONS)[:questions_n]
    for q in qs[:10]:
        idx.search(q, k=10, **options)
    clock = Clock(("encode_query", "hybrid", "bm25"))
    for _ in range(repeats):
        for q in qs:
            idx.clear_query_cache()
            clock.time("encode_query", encoder.encode_query, [q], convert_to_numpy=True, normalize_embeddings=True)
            idx.clear_query_cache()
            clock.time("hybrid", idx.search, q, k=10, mode="hybrid", **options)
            clock.time("bm25", idx.search, q, k=10, mode="bm25", **options)
    out = clock.summary()
    out["hybrid_over_encode_p50"] = round(out["hybrid"]["p50_ms"] / out["encode_query"]["p50_ms"], 3)
    out["torch_threads"] = torch.get_num_threads()
    out["loadavg"] = loadavg()
    return out


def search_options(settings: Settings) -> dict:
    """What the CLI passes to ``HybridIndex.search`` (fusion, weight, candidates)."""
    return {"fusion": settings.fusion, "dense_weight": settings.dense_weight, "candidates": settings.candidates}


def run_cli(args: list[str], env: dict) -> dict:
    """Run the ``policyqa`` executable: seconds to its first output line and to its exit,
    its CPU seconds (all threads), the first line and the rest of its output."""
    started = time.perf_counter()
    proc = subprocess.Popen([policyqa_executable(), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, text=True)
    first_line = proc.stdout.readline()
    first = time.perf_counter() - started
    rest = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    total = time.perf_counter() - started
    if proc.returncode != 0 or not first_line.strip():
        raise RuntimeError(f"policyqa {' '.join(args)} failed (exit {proc.returncode}): {first_line}{rest[:200]}")
    return {"first_result_s": round(first, 3), "exit_s": round(total, 3),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 3), "loadavg": loadavg()}


def bench_cold(home: Path, model_path: str, runs: int) -> dict:
    """Wall time of a new ``policyqa search "养老" --home H`` process: to first output line, to exit;
    and of a bare ``policyqa --help`` (the interpreter and the CLI's imports, no model)."""
    env = {**os.environ, "POLICYQA_MODEL": model_path, "HF_HUB_OFFLINE": "1"}
    samples = [run_cli(["search", "养老", "--home", str(home)], env) for _ in range(runs)]
    first = [s["first_result_s"] for s in samples]
    bare = [run_cli(["--help"], env) for _ in range(runs)]
    phases, _ = run_stage(["--stage", "cold-phases", "--home", str(home)], env=env)
    return {"command": f"{policyqa_executable()} search 养老 --home {home}", "runs": samples,
            "median_first_result_s": round(statistics.median(first), 3),
            "median_cpu_s": round(statistics.median(s["cpu_s"] for s in samples), 3),
            "cli_help": {"runs": bare, "median_exit_s": round(statistics.median(s["exit_s"] for s in bare), 3),
                         "median_cpu_s": round(statistics.median(s["cpu_s"] for s in bare), 3)},
            "phases": phases, "goal_s": 8.0, "goal_met": statistics.median(first) <= 8.0}


def stage_cold_phases(home: Path) -> dict:
    """Where a fresh process spends its time before the first result (wall and CPU s), through
    the public API; the CLI's own start-up is timed apart (``policyqa --help``)."""
    marks = {}
    c0, t0 = time.process_time(), time.perf_counter()

    def mark(name):
        marks[name] = {"wall_s": round(time.perf_counter() - t0, 3), "cpu_s": round(time.process_time() - c0, 3)}

    import corpus  # noqa: F401
    from index import open_index
    from index.build import get_encoder

    mark("import corpus, index")
    settings = Settings(home=home)
    encoder = get_encoder(settings)
    mark("+ load the model (imports torch, sentence-transformers)")
    idx = open_index(settings)
    mark("+ open and verify the index")
    idx.search("养老", k=10, **search_options(settings))
    mark("+ first search")
    del encoder
    return marks


# ------------------------------------------------------------------ scale
def bench_scale(args, encoder, model_path: str) -> dict:
    import corpus
    from corpus.formats import SourceError, read_text
    from index.build import model_fingerprint
    from index.hybrid import search_text, vector_key

    root = shared_lawrefbook()
    if not root.is_dir():
        raise SystemExit(f"lawrefbook corpus not found at {root} (set POLICYQA_SHARED)")
    files = sorted(root.rglob("*.md"))
    found = len(files)
    if args.limit_files:
        files = files[: args.limit_files]
    usable, skipped = [], []
    for path in files:
        try:
            read_text(path, Settings().max_upload_mb)
            usable.append(path)
        except SourceError as exc:
            skipped.append(f"{path.relative_to(root)}: {exc.reason}")
    home = Path(args.scale_home or (REPO_ROOT / ".policyqa" / (
        "bench-lawrefbook" if not args.limit_files else f"bench-lawrefbook-{args.limit_files}")))
    home.mkdir(parents=True, exist_ok=True)
    files_list = home / "bench-files.txt"
    files_list.write_text("\n".join(str(p) for p in usable), encoding="utf-8")
    out: dict = {"corpus": str(root), "files_found": found, "files_used": len(usable),
                 "files_skipped": skipped, "home": str(home)}  # fmt: skip

    if not args.skip_ingest:
        say(f"scale: copying {len(usable)} files into {home}/docs (subprocess)")
        copy, wall = run_stage(["--stage", "copy", "--home", str(home), "--files-list", str(files_list)])
        out["copy"] = {**copy, "process_wall_s": round(wall, 2)}
        say("scale: parsing (corpus.build, subprocess)")
        parse, wall = run_stage(["--stage", "parse", "--home", str(home)])
        out["parse"] = {**parse, "process_wall_s": round(wall, 2)}
        say(f"scale: {parse['records']} records from {parse['documents']} documents")

    settings = Settings(home=home, model=model_path, sentence_vectors=False)
    t0 = time.perf_counter()
    records = corpus.load_records(settings)
    out["load_records_s"] = round(time.perf_counter() - t0, 2)
    out["documents"] = len({r.doc_id for r in records})
    texts = [search_text(r) for r in records]
    fingerprint = model_fingerprint(model_path, settings.encoder_backend)
    keys = [vector_key(fingerprint, t) for t in texts]
    out["records"] = len(records)
    out["unique_texts"] = len(set(keys))
    out["mean_text_chars"] = round(statistics.fmean(len(t) for t in texts), 1)

    # ---- embedding (cached, resumable, budgeted)
    cache = VectorCache(REPO_ROOT / ".policyqa" / "bench-vectors" / fingerprint[:16])
    budget = None if args.embed_all else args.embed_budget_min * 60
    fill = fill_cache(cache, encoder, keys, texts, args.batch_size, budget)
    real = np.array([k in cache.vectors for k in keys])
    prefix = int(np.argmin(real)) if not real.all() else len(keys)
    out["embedding"] = {
        **fill, "cache": str(cache.folder), "cached_vectors": len(cache.vectors),
        "records_with_real_vectors": int(real.sum()), "real_prefix": prefix, "all_real": bool(real.all()),
        "cache_stats": cache.stats,
        "texts_per_s": round(cache.stats["texts"] / cache.stats["seconds"], 2) if cache.stats["seconds"] else None,
        "tokens_per_text": round(cache.stats["tokens"] / cache.stats["texts"], 1) if cache.stats["texts"] else None,
    }  # fmt: skip
    if args.embed_only:
        return out
    out["embedding"]["sample"] = embed_sample(encoder, texts, args.batch_size)
    vectors, synthetic = vectors_for(keys, cache)
    out["embedding"]["synthetic_vectors"] = synthetic

    # ---- tokens once (for rank_bm25 and our BM25 on identical input)
    from tqdm import tqdm

    from index.sparse import analyze

    t0 = time.perf_counter()
    tokens = [analyze(t, settings.bm25_bigrams) or [""]
              for t in tqdm(texts, desc="tokenize", file=sys.stderr, mininterval=10)]
    out["bm25_bigrams"] = settings.bm25_bigrams
    out["tokenize_s"] = round(time.perf_counter() - t0, 2)

    law_qs = questions(LAW_QUESTIONS)
    qs = (law_qs + questions(PLAN_QUESTIONS))[: max(args.queries, len(law_qs))]
    out["query_set"] = f"{len(qs)} questions: eval/questions/laws.jsonl ({len(law_qs)}) then plan.jsonl"
    query_vectors = np.asarray(encoder.encode_query(qs, convert_to_numpy=True, normalize_embeddings=True),
                               dtype=np.float32)
    sizes = []
    for item in args.scale_sizes.split(","):
        n = len(records) if item.strip() == "all" else min(int(item), len(records))
        if n not in [s for s, _ in sizes]:
            sizes.append((n, item.strip()))
    out["sizes"] = []
    for n, label in sizes:
        say(f"scale: size {label} = {n} records ({int(real[:n].sum())} real vectors)")
        result = bench_size(args, encoder, settings, records[:n], tokens[:n], vectors, fingerprint, qs,
                            query_vectors, label)
        result["real_vectors"] = int(real[:n].sum())
        out["sizes"].append(result)

    # ---- a full build as `policyqa index build` does it, every vector already known
    say("scale: full index build with vectors re-used")
    out["index_build"] = bench_full_build(settings, records, encoder, vectors, fingerprint)
    out["index_build"]["real_vectors"] = int(real.sum())

    # ---- exact vs approximate: on the real vectors, and at full size (real + synthetic)
    hnsw_qs = list(dict.fromkeys(questions(LAW_QUESTIONS) + questions(PLAN_QUESTIONS)))[: args.hnsw_queries]
    hnsw_q = np.asarray(encoder.encode_query(hnsw_qs, convert_to_numpy=True, normalize_embeddings=True,
                                             batch_size=32), dtype=np.float32)
    out["hnsw"] = []
    real_rows = np.flatnonzero(real)
    if len(real_rows) >= 1000:
        matrix = np.stack([vectors[keys[i]] for i in real_rows])
        out["hnsw"].append({"set": "real clause vectors only", "synthetic": 0,
                            **bench_hnsw(matrix, hnsw_q)})
    if not real.all():
        matrix = np.stack([vectors[k] for k in keys])
        out["hnsw"].append({"set": "every record (real + synthetic vectors)", "synthetic": int((~real).sum()),
                            **bench_hnsw(matrix, hnsw_q)})
    out["peak_rss_main_mb"] = vm_hwm_mb()
    out["loadavg_after"] = loadavg()
    return out


def vectors_for(keys: list[str], cache: VectorCache, seed: int = 0) -> tuple[dict[str, np.ndarray], int]:
    """key → vector for every key: the real cached vector, else a synthetic one.

    A synthetic vector is 0.7·a + 0.3·b + N(0, 0.01²) of two random real vectors,
    normalized: it keeps the real vectors' anisotropy (e5 vectors share a strong common
    direction) so FAISS timings and HNSW behave roughly as on real data. Only latency and
    build time use them at face value; the report says which figures involve them.
    """
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


def embed_sample(encoder, texts: list[str], batch_size: int, n: int = 256) -> dict:
    """Fresh throughput measurement on an evenly spread sample, every run."""
    from index.dense import encode_documents

    step = max(1, len(texts) // n)
    sample = texts[::step][:n]
    t0 = time.perf_counter()
    encode_documents(encoder, sample, batch_size)
    seconds = time.perf_counter() - t0
    return {"texts": len(sample), "seconds": round(seconds, 2), "texts_per_s": round(len(sample) / seconds, 2),
            "loadavg": loadavg()}


def bench_size(args, encoder, settings: Settings, records, tokens, vectors: dict, fingerprint: str,
               qs: list[str], query_vectors: np.ndarray, label: str) -> dict:
    from tqdm import tqdm

    from index import HybridIndex
    from index.query import Query

    n = len(records)
    result: dict = {"label": label, "records": n}
    t0 = time.perf_counter()
    idx = HybridIndex.build(records, encoder, model_id=settings.model_path, model_fingerprint=fingerprint,
                            corpus_hash="bench", bigrams=settings.bm25_bigrams, sentence_vectors=False,
                            hnsw_threshold=settings.hnsw_threshold, reuse=vectors)
    assert idx.manifest.counts.embedded == 0, "the benchmark must not embed while building subsets"
    result["build_s_vectors_reused"] = round(time.perf_counter() - t0, 2)
    result["approximate_dense"] = idx.clauses.approximate
    options = search_options(settings)
    for q in qs[:5]:  # warm-up
        for mode in MODES:
            idx.search(q, k=10, mode=mode, **options)
    clock = Clock((*MODES, "bm25_core", "faiss_top100", "lookup"))
    parsed = [Query.parse(q) for q in qs]  # what search() parses first; lookup is timed alone
    with tqdm(total=args.scale_repeats * len(qs), desc=f"latency {label}", file=sys.stderr,
              mininterval=10) as bar:
        for rep in range(args.scale_repeats):
            for i, q in enumerate(qs):
                shift = (rep + i) % len(MODES)
                for mode in MODES[shift:] + MODES[:shift]:
                    idx.clear_query_cache()  # every timed search encodes its question
                    clock.time(mode, idx.search, q, k=10, mode=mode, **options)
                clock.time("bm25_core", lambda q=q: top_rows(idx.sparse.scores(q), 10))
                clock.time("faiss_top100", idx.clauses.search, query_vectors[i], 100)
                clock.time("lookup", idx.lookup, parsed[i])
                bar.update(1)
    result["latency"] = clock.summary()
    if n <= args.rank_bm25_max:
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


def bench_full_build(settings: Settings, records, encoder, vectors: dict, fingerprint: str) -> dict:
    """What `policyqa index build` costs when every vector is known: BM25 + FAISS + save + load.

    Written to a scratch folder in the bench home, never to its ``index``: synthetic vectors
    must not become the "previous index" a later real build would re-use vectors from.
    """
    from corpus import load_report
    from index import HybridIndex

    t0 = time.perf_counter()
    idx = HybridIndex.build(records, encoder, model_id=settings.model_path, model_fingerprint=fingerprint,
                            corpus_hash=load_report(settings).corpus_hash, bigrams=settings.bm25_bigrams,
                            sentence_vectors=False,
                            hnsw_threshold=settings.hnsw_threshold, reuse=vectors)
    build_s = time.perf_counter() - t0
    scratch = settings.home / ".bench-index"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    try:
        t0 = time.perf_counter()
        idx.save(scratch)
        save_s = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in scratch.rglob("*") if p.is_file())
        t0 = time.perf_counter()
        HybridIndex.load(scratch, encoder)
        load_s = time.perf_counter() - t0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"build_s_vectors_reused": round(build_s, 2), "save_s": round(save_s, 2),
            "load_verify_s": round(load_s, 2), "index_mb": round(size / 2**20, 1),
            "counts": asdict(idx.manifest.counts), "approximate_dense": idx.clauses.approximate}  # fmt: skip


def bench_hnsw(vectors: np.ndarray, queries: np.ndarray) -> dict:
    import faiss
    from tqdm import tqdm

    from index.dense import HNSW_EF_SEARCH, HNSW_M

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    flat = faiss.IndexFlatIP(dim)
    t0 = time.perf_counter()
    flat.add(vectors)
    flat_build = time.perf_counter() - t0
    hnsw = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    t0 = time.perf_counter()
    hnsw.add(vectors)
    hnsw_build = time.perf_counter() - t0
    hnsw.hnsw.efSearch = HNSW_EF_SEARCH
    flat_t, hnsw_t, recall = [], [], []
    for q in tqdm(queries, desc=f"flat vs hnsw {len(vectors)}", file=sys.stderr, mininterval=10):
        t1 = time.perf_counter()
        _, exact = flat.search(q[None, :], 10)
        flat_t.append(time.perf_counter() - t1)
        t1 = time.perf_counter()
        _, approx = hnsw.search(q[None, :], 10)
        hnsw_t.append(time.perf_counter() - t1)
        recall.append(len(set(exact[0].tolist()) & set(approx[0].tolist())) / 10)
    _, exact_all = flat.search(queries, 10)
    sweep = {}
    for ef in (64, 128, 256, 512):
        hnsw.hnsw.efSearch = ef
        times, hits = [], 0
        for q, exact in zip(queries, exact_all):
            t1 = time.perf_counter()
            _, approx = hnsw.search(q[None, :], 10)
            times.append(time.perf_counter() - t1)
            hits += len(set(exact.tolist()) & set(approx[0].tolist()))
        sweep[ef] = {"recall_at_10": round(hits / (10 * len(queries)), 4), "p50_ms": round(percentile(times, 50) * 1000, 3)}
    return {"ef_search_sweep": sweep,"vectors": len(vectors), "dim": dim, "queries": len(queries),
            "hnsw_M": HNSW_M, "efConstruction": 80, "efSearch": HNSW_EF_SEARCH,
            "flat_build_s": round(flat_build, 2), "hnsw_build_s": round(hnsw_build, 2),
            "flat": latency_summary(flat_t), "hnsw": latency_summary(hnsw_t),
            "recall_at_10_mean": round(float(np.mean(recall)), 4),
            "recall_at_10_min": round(float(np.min(recall)), 2),
            "queries_with_full_recall": int(sum(r == 1.0 for r in recall))}  # fmt: skip


# ------------------------------------------------------------------ report
def write_reports(results: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "perf.json").write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "perf.md").write_text(render_markdown(results), encoding="utf-8")


def render_markdown(r: dict) -> str:
    m = r["machine"]
    lines = [
        "# policyqa performance",
        "",
        (f"Generated by `{r['command']}` on {r['date']} (took {r['duration_min']} min); "
        f"model `{r['model']['path']}` loaded in {r['model']['load_s']} s."),
        "",
        "## Machine",
        "",
        (f"* `nproc`: {m['cores']}; CPU: {m['cpu_model']}; memory: {m['memory_gb']} GB; "
        f"torch threads: {m['torch_threads']}"),
        f"* Python {m['python']} on {m['platform']}",
        "* libraries: " + ", ".join(f"{k} {v}" for k, v in m["libraries"].items()),
        f"* environment: {m['env'] or 'no thread/BLAS overrides'}",
        (f"* load average (1/5/15 min) at start: {m['loadavg']} — the machine is shared "
        "with other jobs, so absolute times are pessimistic. Series are interleaved query by "
        "query (their order rotating), so the load hits them alike and ratios stay meaningful."),
        "",
    ]
    p = r.get("plan")
    if p:
        lines += render_plan(p)
    s = r.get("scale")
    if s:
        lines += render_scale(s)
    lines += [
        "## Notes",
        "",
        ("* Latency is the wall time of one call (`time.perf_counter`): one query, k = 10, one "
        "process, warm (after a warm-up pass)."),
        ("* The scale index is built with `Settings(sentence_vectors=False)` (clause vectors "
        "only): sentence vectors would multiply the embedding work several-fold on 2 cores. "
        "Dense search there ranks clauses by their own vector."),
        ("* Scale clause vectors come from a resumable cache keyed like the index's own re-use "
        "(`vector_key(model fingerprint, search_text(record))`), filled by budgeted runs "
        "(`--embed-budget-min`, `--embed-only`). Records it does not hold yet get a synthetic "
        "vector (a noisy mix of two real ones, normalized); the tables say how many. Exact "
        "search cost does not depend on vector values, so latency and build figures stand; "
        "HNSW recall is given separately on real vectors only."),
        "* Raw figures: `reports/perf.json`.",
        "",
    ]
    return "\n".join(lines)


def render_plan(p: dict) -> list[str]:
    lat = p["latency"]
    cold = p["cold_start"]
    lines = [
        "## The plan (warm queries)",
        "",
        (f"{p['records']} records, {p['sentence_vectors']} sentence vectors; {p['questions']} "
        f"questions from `eval/questions/plan.jsonl` × {p['repeats']} repeats, k = 10, "
        f"search options as the CLI passes them ({p['search_options']}, BM25 bigrams "
        f"{p['bm25_bigrams']}). The index caches recent question vectors, so the cache is "
        "cleared before every timed search: each one pays for encoding its question; the "
        "last row is a repeat with the vector cached."),
        "",
        "| series | n | p50 ms | p95 ms | mean ms | CPU p50 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    labels = {"encode_query": "bare `encoder.encode_query`",
              "hybrid_vector_cached": '`search(mode="hybrid")`, question vector already cached'}
    for name in ("encode_query", *MODES, "hybrid_vector_cached"):
        d = lat[name]
        label = labels.get(name, f'`search(mode="{name}")`')
        lines.append(f"| {label} | {d['n']} | {d['p50_ms']:.1f} | {d['p95_ms']:.1f} | {d['mean_ms']:.1f} | "
                     f"{d['cpu_p50_ms']:.1f} |")
    runs = ", ".join(str(x["first_result_s"]) for x in cold["runs"])
    lines += [
        "",
        (f"* hybrid p50 / bare encode p50 = **{p['hybrid_p50_over_encode_p50']}** (goal ≤ "
        f"{p['goal_hybrid_over_encode']}: **{'met' if p['goal_met'] else 'NOT met'}**); in CPU time "
        f"{p['hybrid_over_encode_cpu_p50']}."),
        (f"* cold start — a new `policyqa search \"养老\" --home H` process until its first "
        f"result line: median **{cold['median_first_result_s']} s** over {len(cold['runs'])} "
        f"runs ({runs} s; goal ≤ {cold['goal_s']} s: **{'met' if cold['goal_met'] else 'NOT met'}**); "
        f"the process used a median {cold['median_cpu_s']} s of CPU (both cores; load average "
        f"{cold['runs'][-1]['loadavg']} at the last run)."
        + (f" A bare `policyqa --help` (interpreter start and the CLI's imports): median "
           f"{cold['cli_help']['median_exit_s']} s wall / {cold['cli_help']['median_cpu_s']} s CPU."
           if "cli_help" in cold else "")
        + " Phases of a fresh process through the public API, cumulative: "
        + "; ".join(f"{name} {v['wall_s']} s wall / {v['cpu_s']} s CPU" for name, v in cold["phases"].items())
        + "."),
        ("* OpenMP threading, same questions in a fresh process per setting (encode → hybrid → "
         "bm25 per question, 60 × 2): "
         + "; ".join(f"{name}: encode p50 {v['encode_query']['p50_ms']:.1f} ms, hybrid "
                     f"{v['hybrid']['p50_ms']:.1f} ms (ratio {v['hybrid_over_encode_p50']}), bm25 "
                     f"{v['bm25']['p50_ms']:.1f} ms" for name, v in p.get("threading", {}).items())
         + "."),
        (f"* plan index build in this run: {p['build_s']} s ({p['build_counts']['embedded']} "
        f"texts embedded, {p['build_counts']['reused']} re-used from the previous index in "
        f"`{p['home']}`). Load average after: {p['loadavg_after']}."),
        "",
    ]
    return lines


def _cell(lat: dict, mode: str) -> str:
    return f"{lat[mode]['p50_ms']:.1f} / {lat[mode]['p95_ms']:.1f}" if mode in lat else "—"


def render_scale(s: dict) -> list[str]:
    e = s["embedding"]
    skipped = s["files_skipped"]
    skipped_note = "; ".join(skipped[:2]) + ("; …" if len(skipped) > 2 else "")
    lines = [
        "## Scale: lawrefbook",
        "",
        (f"`{s['corpus']}`: {s['files_found']} `.md` files, {s['files_used']} used "
        f"({len(skipped)} skipped: {skipped_note}); {s['documents']} documents (files "
        f"sharing a doc id replace each other; the shipped plan is included), "
        f"**{s['records']} records**, {s['unique_texts']} distinct clause texts "
        f"(mean {s['mean_text_chars']} characters)."),
        "",
        "### Ingest and index build",
        "",
        "| step | time | peak RSS |",
        "|---|---:|---:|",
    ]
    if "copy" in s:
        c, pa = s["copy"], s["parse"]
        lines += [
            (f"| copy the files in (`add_document` × {c['files']}: read, validate, copy) | "
            f"{c['seconds']:.1f} s | {c['peak_rss_mb']} MB |"),
            (f"| parse (`corpus.build`: structure, departments, targets, domains, tokens) | "
            f"{pa['seconds']:.1f} s | {pa['peak_rss_mb']} MB |"),
        ]
    b = s["index_build"]
    rate = e.get("texts_per_s") or e["sample"]["texts_per_s"]
    lines += [
        f"| load records.jsonl | {s['load_records_s']:.1f} s | |",
        f"| BM25 tokens for every record (`analyze`: jieba) | {s['tokenize_s']:.1f} s | |",
        (f"| index build, every vector known (BM25 incl. tokens + FAISS {'HNSW' if b['approximate_dense'] else 'flat'}) | "
        f"{b['build_s_vectors_reused']:.1f} s | |"),
        f"| index save (checksummed) / load + verify | {b['save_s']:.1f} s / {b['load_verify_s']:.1f} s | |",
        (f"| embedding, cumulative over the cache-filling runs | {e['cache_stats']['texts']} texts in "
        f"{e['cache_stats']['seconds'] / 60:.1f} min = **{e.get('texts_per_s')} texts/s** "
        f"(mean {e['tokens_per_text']} tokens) | |"),
        (f"| embedding, fresh {e['sample']['texts']}-text sample in this run | {e['sample']['seconds']} s = "
        f"{e['sample']['texts_per_s']} texts/s | |"),
        "",
    ]
    cold = b["build_s_vectors_reused"] + b["save_s"] + s["unique_texts"] / rate
    lines += [
        (f"Index on disk: {b['index_mb']} MB. A cold `policyqa index build` of the whole corpus "
        f"is therefore about **{cold / 3600:.1f} h** on this machine, almost all of it embedding "
        f"{s['unique_texts']} texts at {rate} texts/s; {e['records_with_real_vectors']} of "
        f"{s['records']} records have real vectors in the cache so far "
        f"({e['synthetic_vectors']} synthetic vectors stand in for the rest)."),
        "",
        (f"Peak RSS of the benchmark process (records, tokens, vectors and up to two indexes "
        f"in memory): {s['peak_rss_main_mb']} MB."),
        "",
        "### Query latency by corpus size",
        "",
        (f"{s['query_set']}, each × {s.get('repeats', '?')}; p50 / p95 in ms. `search()` "
        "columns are the whole call (query normalization, BM25 and/or encoding + FAISS, "
        "fusion, clause lookup, evidence; query-vector cache cleared first); BM25 with CJK "
        f"bigrams: {s.get('bm25_bigrams')}; `bm25 core` = `SparseIndex.scores` + top 10; "
        "`faiss` = `VectorIndex.search` top 100 with a precomputed query vector; `lookup` = "
        "`HybridIndex.lookup` alone (on the parsed `Query`)."),
        "",
        "| records | real vectors | dense index | bm25 | dense | hybrid | bm25 core | faiss | lookup |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for z in s["sizes"]:
        lat = z["latency"]
        kind = "HNSW" if z["approximate_dense"] else "exact"
        lines.append(
            f"| {z['records']} ({z['label']}) | {z['real_vectors']} | {kind} | {_cell(lat, 'bm25')} | "
            f"{_cell(lat, 'dense')} | {_cell(lat, 'hybrid')} | {_cell(lat, 'bm25_core')} | "
            f"{_cell(lat, 'faiss_top100')} | {_cell(lat, 'lookup')} |"
        )
    lines += [
        "",
        f"### BM25: ours (bm25s) vs rank_bm25 `BM25Okapi(k1={K1}, b={B}, epsilon=0)`",
        "",
        ("Same tokens; both timings include tokenizing the query and taking the top 10; "
        "ours × (k1 + 1) is compared with theirs."),
        "",
        ("| records | BM25Okapi build | rank_bm25 p50 / p95 ms | ours p50 / p95 ms | speed-up (p50) "
        "| top-10 identical | tie order only | different | max diff / max score |"),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for z in s["sizes"]:
        rb = z.get("rank_bm25")
        if rb:
            lines.append(
                f"| {z['records']} | {rb['build_s']} s | {_cell(rb, 'rank_bm25')} | "
                f"{rb['ours']['p50_ms']:.2f} / {rb['ours']['p95_ms']:.2f} | **{rb['speedup_p50']}×** "
                f"(goal ≥ {rb['goal_speedup']}×) | {rb['top10_identical']}/{rb['queries']} | "
                f"{rb['top10_tie_order_only']} | {rb['top10_different']} | {rb['max_diff_over_max_score']:.1e} |"
            )
    if s.get("hnsw"):
        h0 = s["hnsw"][0]
        lines += [
            "",
            "### Exact vs approximate dense search",
            "",
            (f"{h0['queries']} real questions (laws + plan), k = 10; HNSW M = {h0['hnsw_M']}, "
            f"efConstruction = {h0['efConstruction']}, efSearch = {h0['efSearch']} (the index's "
            "own settings); recall@10 = overlap with the exact top 10."),
            "",
            "| vectors | index | build | p50 ms | p95 ms | recall@10 |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for h in s["hnsw"]:
            lines += [
                (f"| {h['vectors']}: {h['set']} | `IndexFlatIP` (exact) | {h['flat_build_s']} s | "
                f"{h['flat']['p50_ms']:.2f} | {h['flat']['p95_ms']:.2f} | 1 |"),
                (f"| {h['vectors']}: {h['set']} | `IndexHNSWFlat` | {h['hnsw_build_s']} s | "
                f"{h['hnsw']['p50_ms']:.2f} | {h['hnsw']['p95_ms']:.2f} | {h['recall_at_10_mean']} "
                f"(min {h['recall_at_10_min']}; {h['queries_with_full_recall']}/{h['queries']} perfect) |"),
            ]
        lines += ["", "HNSW efSearch sweep (recall@10 / p50 ms): " + "; ".join(
            f"{h['vectors']} vectors: " + ", ".join(f"ef {ef} → {v['recall_at_10']} / {v['p50_ms']:.2f}"
                                                    for ef, v in h["ef_search_sweep"].items())
            for h in s["hnsw"]) + "."]
    lines += ["", f"Load average after the scale part: {s['loadavg_after']}.", ""]
    return lines


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale-sizes", default="10000,100000,all", help="record counts (or 'all') for the scale part")
    parser.add_argument("--out", default=str(REPO_ROOT / "reports"), help="folder for perf.md and perf.json")
    parser.add_argument("--skip-scale", action="store_true", help="only the plan figures")
    parser.add_argument("--skip-plan", action="store_true", help="only the scale figures")
    parser.add_argument("--limit-files", type=int, default=0, help="use only the first N lawrefbook files (trial runs)")
    parser.add_argument("--embed-budget-min", type=float, default=30,
                        help="minutes this run may spend embedding scale-corpus clauses into the cache "
                             "(0 = none; records still without a vector get a synthetic one)")
    parser.add_argument("--embed-all", action="store_true", help="embed every scale record, however long it takes")
    parser.add_argument("--embed-only", action="store_true",
                        help="scale part: ingest (unless --skip-ingest) and fill the vector cache, then stop")
    parser.add_argument("--skip-ingest", action="store_true",
                        help="scale part: use the corpus already built in the scale home")
    parser.add_argument("--queries", type=int, default=60, help="questions per latency series (≥ 50)")
    parser.add_argument("--repeats", type=int, default=3, help="times each plan question is run per series")
    parser.add_argument("--scale-repeats", type=int, default=2, help="times each scale question is run per series")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--hnsw-queries", type=int, default=250)
    parser.add_argument("--rank-bm25-max", type=int, default=100_000, help="largest size rank_bm25 is compared at")
    parser.add_argument("--batch-size", type=int, default=Settings().embed_batch_size)
    parser.add_argument("--plan-home", default=str(REPO_ROOT / ".policyqa" / "bench-plan"))
    parser.add_argument("--scale-home", default="")
    parser.add_argument("--stage", choices=["copy", "parse", "cold-phases", "plan-latency"], help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--files-list", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    offline_environment()

    if args.stage == "copy":
        print(json.dumps(stage_copy(Path(args.home), Path(args.files_list))))
        return 0
    if args.stage == "parse":
        print(json.dumps(stage_parse(Path(args.home))))
        return 0
    if args.stage == "plan-latency":
        print(json.dumps(stage_plan_latency(Path(args.home), args.threads)))
        return 0
    if args.stage == "cold-phases":
        print(json.dumps(stage_cold_phases(Path(args.home))))
        return 0

    started = time.perf_counter()
    command = "python -m tools.bench " + " ".join(sys.argv[1:] if argv is None else argv)
    machine = machine_info()
    results: dict = {"command": command.strip(), "date": machine["date"], "machine": machine}
    import torch

    from index.build import get_encoder

    machine["torch_threads"] = torch.get_num_threads()

    base = Settings()
    model_path = base.model_path
    t0 = time.perf_counter()
    encoder = get_encoder(base)
    results["model"] = {"path": model_path, "load_s": round(time.perf_counter() - t0, 2)}
    out = Path(args.out)
    if not args.skip_plan:
        results["plan"] = bench_plan(args, encoder, model_path)
        say(f"plan: hybrid p50 {results['plan']['latency']['hybrid']['p50_ms']} ms, "
            f"encode p50 {results['plan']['latency']['encode_query']['p50_ms']} ms")
    if not args.skip_scale:
        results["scale"] = bench_scale(args, encoder, model_path)
        results["scale"]["repeats"] = args.scale_repeats
        if args.embed_only:
            print(json.dumps(results["scale"], ensure_ascii=False, indent=1))
            return 0
    results["duration_min"] = round((time.perf_counter() - started) / 60, 1)
    write_reports(results, out)
    say(f"wrote {out / 'perf.md'} and {out / 'perf.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
