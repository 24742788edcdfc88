"""Latency, build and scale figures for ``reports/perf.md`` and ``reports/perf.json``.

    python -m index.bench [--scale-sizes 10000,100000,all] [--out reports] [--skip-scale]
                          [--limit-files N] [--embed-budget-min M]

One run produces every figure:

* **plan** — warm query latency (p50/p95) of ``HybridIndex.search`` in the bm25, dense
  and hybrid modes and of the bare ``encoder.encode_query`` over the same questions
  (``eval/questions/plan.jsonl``), measured interleaved so that load from other
  processes hits every series alike; cold start of a fresh ``policyqa search`` process.
* **scale** — the lawrefbook corpus (``$POLICYQA_SHARED/corpora/lawrefbook``, default
  ``../shared``): copying the files in (``add_document``) and parsing them
  (``corpus.build``), each in its own subprocess so its peak RSS is its own; the index
  build (``sentence_vectors=False``: clause vectors only, to fit 2 cores); query latency
  per mode on the first 10k / 100k / all records (separate in-memory ``HybridIndex``
  objects built with ``reuse=`` so nothing is embedded twice); rank_bm25 ``BM25Okapi``
  against our BM25 on the same tokens; exact ``IndexFlatIP`` against ``IndexHNSWFlat``.

Embedding ~150k clauses is by far the slowest step, so clause vectors are cached in
``.policyqa/bench-vectors/<model fingerprint>/`` (chunks of ``.npy`` + ``.keys.json``,
keyed exactly like the index re-uses them: ``vector_key(fingerprint, search_text)``);
an interrupted or budget-limited run resumes where it stopped. Sizes whose records are
not all embedded yet get BM25 figures only and are marked so in the report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path

import numpy as np

from corpus.config import REPO_ROOT, Settings

PLAN_QUESTIONS = REPO_ROOT / "eval" / "questions" / "plan.jsonl"
LAW_QUESTIONS = REPO_ROOT / "eval" / "questions" / "laws.jsonl"
MODES = ("bm25", "dense", "hybrid")
CHUNK = 1024  # texts per cache chunk


# ------------------------------------------------------------------ helpers
def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def summary_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 3), "p95_ms": round(percentile(ms, 95), 3),
            "mean_ms": round(statistics.fmean(ms), 3) if ms else None}


def questions(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line)["question"] for line in lines if line.strip()]


def shared_lawrefbook() -> Path:
    shared = Path(os.environ.get("POLICYQA_SHARED", REPO_ROOT.parent / "shared"))
    return shared / "corpora" / "lawrefbook"


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def machine_info() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    names = ["bm25s", "rank-bm25", "faiss-cpu", "sentence-transformers", "transformers", "torch",
             "jieba", "numpy", "tqdm"]
    libs = {}
    for name in names:
        try:
            libs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            libs[name] = "not installed"
    import torch

    return {
        "nproc": os.cpu_count(), "cpu_model": cpu, "memory_gb": mem_gb,
        "python": platform.python_version(), "platform": platform.platform(),
        "torch_threads": torch.get_num_threads(), "libraries": libs,
        "env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OMP_NUM_THREADS") if k in os.environ},
        "loadavg_at_start": loadavg(),
    }  # fmt: skip


def run_stage(args: list[str]) -> tuple[dict, float, int]:
    """Run ``python -m index.bench --stage …`` in a fresh process: (its JSON, wall s, peak RSS MB)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "index.bench", *args], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"stage {args} failed with exit code {proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    return result, wall, int(usage.ru_maxrss / 1024)  # ru_maxrss is in KiB on Linux


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ vector cache
class VectorCache:
    """Clause vectors keyed by ``vector_key``; appended in chunks, resumable."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.vectors: dict[str, np.ndarray] = {}
        for keys_file in sorted(folder.glob("chunk-*.keys.json")):
            npy = keys_file.with_name(keys_file.name.replace(".keys.json", ".npy"))
            if not npy.is_file():
                continue
            keys = json.loads(keys_file.read_text(encoding="utf-8"))
            matrix = np.load(npy, allow_pickle=False)
            if len(keys) == len(matrix):
                self.vectors.update(zip(keys, matrix))
        self.stats_file = folder / "stats.json"
        self.stats = (json.loads(self.stats_file.read_text()) if self.stats_file.is_file()
                      else {"texts": 0, "seconds": 0.0, "tokens": 0})

    def add(self, keys: list[str], matrix: np.ndarray, seconds: float, tokens: int) -> None:
        number = len(list(self.folder.glob("chunk-*.keys.json")))
        stem = self.folder / f"chunk-{number:05d}"
        np.save(f"{stem}.tmp.npy", matrix.astype(np.float32), allow_pickle=False)
        os.replace(f"{stem}.tmp.npy", f"{stem}.npy")
        Path(f"{stem}.keys.json.tmp").write_text(json.dumps(keys), encoding="utf-8")
        os.replace(f"{stem}.keys.json.tmp", f"{stem}.keys.json")  # the keys file marks a chunk complete
        self.vectors.update(zip(keys, matrix))
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
        if key not in cache.vectors and key not in todo:
            todo[key] = text
    items = list(todo.items())
    started = time.perf_counter()
    done = 0
    tokenizer = encoder.tokenizer
    with tqdm(total=len(items), desc="embedding clauses", unit="text", file=sys.stderr) as bar:
        for start in range(0, len(items), CHUNK):
            if budget_s is not None and time.perf_counter() - started > budget_s:
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
    from corpus.sources import add_document

    settings = Settings(home=home)
    files = [Path(p) for p in files_list.read_text(encoding="utf-8").splitlines() if p]
    shutil.rmtree(settings.user_docs_dir, ignore_errors=True)
    started = time.perf_counter()
    ids = set()
    for path in files:
        ids.add(add_document(path, settings.user_docs_dir, settings.max_upload_mb).doc_id)
    return {"files": len(files), "documents": len(ids), "seconds": time.perf_counter() - started}


def stage_parse(home: Path) -> dict:
    import corpus

    settings = Settings(home=home)
    started = time.perf_counter()
    summary = corpus.build(settings)
    seconds = time.perf_counter() - started
    return {"documents": len(summary["documents"]), "records": summary["records"], "seconds": seconds,
            "shapes": _count(d["shape"] for d in summary["documents"])}


def _count(items) -> dict:
    out: dict = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


# ------------------------------------------------------------------ plan
def bench_plan(args, encoder, model_path: str) -> dict:
    import corpus
    from index.build import build_index
    from index.hybrid import HybridIndex

    home = Path(args.plan_home)
    settings = Settings(home=home, model=model_path)
    corpus.build(settings)
    started = time.perf_counter()
    manifest = build_index(settings, encoder)
    build_s = time.perf_counter() - started
    idx = HybridIndex.load(settings.index_dir, encoder)
    qs = questions(PLAN_QUESTIONS)[: args.queries]
    say(f"plan: {len(idx.records)} records, {len(qs)} questions × {args.repeats} repeats")
    for q in qs:  # warm-up: model, jieba, FAISS, caches
        for mode in MODES:
            idx.search(q, k=10, mode=mode)
    times = {name: [] for name in ("encode_query", *MODES)}
    series = ["encode_query", *MODES]
    from tqdm import tqdm

    with tqdm(total=args.repeats * len(qs), desc="plan latency", file=sys.stderr) as bar:
        for rep in range(args.repeats):
            for i, q in enumerate(qs):
                shift = (rep + i) % len(series)  # rotate the order: no series always runs first
                for name in series[shift:] + series[:shift]:
                    t0 = time.perf_counter()
                    if name == "encode_query":
                        encoder.encode_query([q], convert_to_numpy=True, normalize_embeddings=True)
                    else:
                        idx.search(q, k=10, mode=name)
                    times[name].append(time.perf_counter() - t0)
                bar.update(1)
    latency = {name: summary_ms(v) for name, v in times.items()}
    ratio = latency["hybrid"]["p50_ms"] / latency["encode_query"]["p50_ms"]
    cold = bench_cold(home, model_path, args.cold_runs)
    return {
        "home": str(home), "records": len(idx.records),
        "sentence_vectors": manifest["counts"]["sentence_vectors"],
        "build_s": round(build_s, 2), "build_counts": manifest["counts"],
        "questions": len(qs), "repeats": args.repeats, "latency": latency,
        "hybrid_p50_over_encode_p50": round(ratio, 3), "goal_hybrid_over_encode": 1.3,
        "goal_met": ratio <= 1.3, "cold_start": cold, "loadavg_after": loadavg(),
    }  # fmt: skip


def bench_cold(home: Path, model_path: str, runs: int) -> dict:
    """Wall time of a new ``policyqa search "养老" --home H`` process: to first output line, to exit."""
    cli = Path(sys.executable).with_name("policyqa")
    env = {**os.environ, "POLICYQA_MODEL": model_path, "HF_HUB_OFFLINE": "1"}
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.Popen([str(cli), "search", "养老", "--home", str(home)], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env, text=True)
        first_line = proc.stdout.readline()
        first = time.perf_counter() - started
        rest = proc.stdout.read()
        proc.wait()
        total = time.perf_counter() - started
        if proc.returncode != 0 or not first_line.strip():
            raise RuntimeError(f"cold-start search failed (exit {proc.returncode}): {first_line}{rest[:200]}")
        samples.append({"first_result_s": round(first, 3), "exit_s": round(total, 3)})
    first = [s["first_result_s"] for s in samples]
    return {"command": f"{cli} search 养老 --home {home}", "runs": samples,
            "median_first_result_s": round(statistics.median(first), 3),
            "goal_s": 8.0, "goal_met": statistics.median(first) <= 8.0}


# ------------------------------------------------------------------ scale
def bench_scale(args, encoder, model_path: str) -> dict:
    import corpus
    from corpus.sources import SourceError, read_text
    from index.build import model_fingerprint
    from index.hybrid import search_text, vector_key
    from index.sparse import analyze

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
                 "files_skipped": skipped, "home": str(home)}

    say(f"scale: copying {len(usable)} files into {home}/docs (subprocess)")
    copy, wall, rss = run_stage(["--stage", "copy", "--home", str(home), "--files-list", str(files_list)])
    out["copy"] = {**copy, "seconds": round(copy["seconds"], 2), "process_wall_s": round(wall, 2), "peak_rss_mb": rss}
    say("scale: parsing (corpus.build, subprocess)")
    parse, wall, rss = run_stage(["--stage", "parse", "--home", str(home)])
    out["parse"] = {**parse, "seconds": round(parse["seconds"], 2), "process_wall_s": round(wall, 2), "peak_rss_mb": rss}
    say(f"scale: {parse['records']} records from {parse['documents']} documents")

    settings = Settings(home=home, model=model_path, sentence_vectors=False)
    t0 = time.perf_counter()
    records = corpus.load_records(settings)
    out["load_records_s"] = round(time.perf_counter() - t0, 2)
    texts = [search_text(r) for r in records]
    fingerprint = model_fingerprint(model_path)
    keys = [vector_key(fingerprint, t) for t in texts]
    out["records"] = len(records)
    out["unique_texts"] = len(set(keys))

    # ---- embedding (cached, resumable)
    cache = VectorCache(REPO_ROOT / ".policyqa" / "bench-vectors" / fingerprint[:16])
    budget = args.embed_budget_min * 60 if args.embed_budget_min else None
    fill = fill_cache(cache, encoder, keys, texts, args.batch_size, budget)
    covered = 0
    while covered < len(keys) and keys[covered] in cache.vectors:
        covered += 1
    out["embedding"] = {**fill, "cache": str(cache.folder), "cached_vectors": len(cache.vectors),
                        "records_embedded_prefix": covered, "all_embedded": covered == len(keys),
                        "cache_stats": cache.stats,
                        "texts_per_s": round(cache.stats["texts"] / cache.stats["seconds"], 2) if cache.stats["seconds"] else None,
                        "tokens_per_text": round(cache.stats["tokens"] / cache.stats["texts"], 1) if cache.stats["texts"] else None}  # fmt: skip
    out["embedding"]["sample"] = embed_sample(encoder, texts, args.batch_size)

    # ---- tokens once (for rank_bm25 and our BM25 on identical input)
    from tqdm import tqdm

    t0 = time.perf_counter()
    tokens = [analyze(t) or [""] for t in tqdm(texts, desc="tokenize", file=sys.stderr, mininterval=5)]
    out["tokenize_s"] = round(time.perf_counter() - t0, 2)

    sizes = []
    for item in args.scale_sizes.split(","):
        n = len(records) if item.strip() == "all" else min(int(item), len(records))
        if n not in [s for s, _ in sizes]:
            sizes.append((n, item.strip()))
    law_qs = questions(LAW_QUESTIONS)
    qs = (law_qs + questions(PLAN_QUESTIONS))[: max(args.queries, len(law_qs))]
    out["query_set"] = f"{len(qs)} questions: eval/questions/laws.jsonl then plan.jsonl"
    reuse = {k: cache.vectors[k] for k in keys[:covered]}
    out["sizes"] = []
    for n, label in sizes:
        say(f"scale: size {label} = {n} records")
        out["sizes"].append(bench_size(args, encoder, records[:n], tokens[:n], n <= covered, reuse,
                                       model_path, fingerprint, qs, label))

    # ---- full index build as `policyqa index build` does it (vectors re-used from the cache)
    if covered == len(records):
        out["index_build"] = bench_full_build(settings, records, encoder, reuse, fingerprint)
    else:
        out["index_build"] = {"skipped": f"only {covered} of {len(records)} records embedded"}

    # ---- exact vs approximate at the largest embedded size
    n_hnsw = covered if covered else 0
    if n_hnsw >= 1000:
        vectors = np.stack([cache.vectors[k] for k in keys[:n_hnsw]]).astype(np.float32)
        out["hnsw"] = bench_hnsw(vectors, encoder, questions(LAW_QUESTIONS) + questions(PLAN_QUESTIONS),
                                 args.hnsw_queries)
    out["peak_rss_main_mb"] = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["loadavg_after"] = loadavg()
    return out


def embed_sample(encoder, texts: list[str], batch_size: int, n: int = 512) -> dict:
    """Fresh throughput measurement on an evenly spread sample, every run."""
    from index.dense import encode_documents

    step = max(1, len(texts) // n)
    sample = texts[::step][:n]
    t0 = time.perf_counter()
    encode_documents(encoder, sample, batch_size)
    seconds = time.perf_counter() - t0
    return {"texts": len(sample), "seconds": round(seconds, 2), "texts_per_s": round(len(sample) / seconds, 2),
            "loadavg": loadavg()}


def bench_size(args, encoder, records, tokens, dense_ok: bool, reuse: dict, model_path: str,
               fingerprint: str, qs: list[str], label: str) -> dict:
    from tqdm import tqdm

    from index.hybrid import HybridIndex, _top
    from index.sparse import SparseIndex

    n = len(records)
    result: dict = {"label": label, "records": n, "dense": dense_ok}
    t0 = time.perf_counter()
    if dense_ok:
        idx = HybridIndex.build(records, encoder, model_id=model_path, model_fingerprint=fingerprint,
                                corpus_hash="bench", sentence_vectors=False, hnsw_threshold=Settings().hnsw_threshold,
                                reuse=reuse)
        assert idx.manifest["counts"]["embedded"] == 0, "bench must not embed while building subsets"
        sparse = idx.sparse
        result["approximate_dense"] = idx.clauses.approximate
    else:
        idx = None
        from index.hybrid import search_text

        sparse = SparseIndex.build([search_text(r) for r in records])
    result["build_s_vectors_reused"] = round(time.perf_counter() - t0, 2)
    modes = MODES if dense_ok else ("bm25",)
    for q in qs[:10]:  # warm-up
        for mode in modes:
            if idx is not None:
                idx.search(q, k=10, mode=mode)
            else:
                _top(sparse.scores(q), 10)
    times: dict[str, list[float]] = {m: [] for m in modes}
    times["bm25_scores_top10"] = []
    with tqdm(total=args.repeats * len(qs), desc=f"latency {label}", file=sys.stderr) as bar:
        for rep in range(args.repeats):
            for i, q in enumerate(qs):
                order = list(modes)
                shift = (rep + i) % len(order)
                for mode in order[shift:] + order[:shift]:
                    t1 = time.perf_counter()
                    if idx is not None:
                        idx.search(q, k=10, mode=mode)
                    else:
                        _top(sparse.scores(q), 10)
                    times[mode].append(time.perf_counter() - t1)
                t1 = time.perf_counter()
                _top(sparse.scores(q), 10)
                times["bm25_scores_top10"].append(time.perf_counter() - t1)
                bar.update(1)
    result["latency"] = {m: summary_ms(v) for m, v in times.items()}
    if n <= args.rank_bm25_max:
        result["rank_bm25"] = compare_rank_bm25(sparse, tokens, qs)
    return result


def compare_rank_bm25(sparse, tokens: list[list[str]], qs: list[str]) -> dict:
    """rank_bm25 BM25Okapi (k1 1.5, b 0.75, epsilon 0) vs ours on the same tokens."""
    from rank_bm25 import BM25Okapi
    from tqdm import tqdm

    from index.hybrid import _top
    from index.sparse import K1, analyze

    t0 = time.perf_counter()
    okapi = BM25Okapi(tokens, k1=1.5, b=0.75, epsilon=0)
    build_s = time.perf_counter() - t0
    ours_t, theirs_t = [], []
    identical = tie_only = different = 0
    max_abs = 0.0
    for q in tqdm(qs, desc=f"rank_bm25 {len(tokens)}", file=sys.stderr):
        t1 = time.perf_counter()
        ours = sparse.scores(q)
        ours_top = _top(ours, 10)
        ours_t.append(time.perf_counter() - t1)
        t1 = time.perf_counter()
        theirs = okapi.get_scores(analyze(q))
        theirs_top = _top(theirs, 10)
        theirs_t.append(time.perf_counter() - t1)
        scaled = ours.astype(np.float64) * (K1 + 1)
        max_abs = max(max_abs, float(np.max(np.abs(scaled - theirs))))
        if list(ours_top) == list(theirs_top):
            identical += 1
        elif np.allclose(np.sort(theirs[ours_top])[::-1], theirs[theirs_top], rtol=1e-4, atol=1e-6):
            tie_only += 1  # same scores, tied records in another order
        else:
            different += 1
    ours_p50 = percentile(ours_t, 50)
    theirs_p50 = percentile(theirs_t, 50)
    return {"queries": len(qs), "build_s": round(build_s, 2), "ours": summary_ms(ours_t),
            "rank_bm25": summary_ms(theirs_t), "speedup_p50": round(theirs_p50 / ours_p50, 1),
            "top10_identical": identical, "top10_tie_order_only": tie_only, "top10_different": different,
            "max_abs_diff_scaled": max_abs, "goal_speedup": 50}


def bench_full_build(settings: Settings, records, encoder, reuse, fingerprint) -> dict:
    """What `policyqa index build` costs with every vector already known, written to disk."""
    from corpus.build import load_report
    from corpus.storage import atomic_dir
    from index.hybrid import HybridIndex

    t0 = time.perf_counter()
    idx = HybridIndex.build(records, encoder, model_id=settings.model_path, model_fingerprint=fingerprint,
                            corpus_hash=load_report(settings)["corpus_hash"], sentence_vectors=False,
                            hnsw_threshold=settings.hnsw_threshold, reuse=reuse)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with atomic_dir(settings.index_dir) as staging:
        idx.save(staging)
    save_s = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in settings.index_dir.resolve().rglob("*") if p.is_file())
    t0 = time.perf_counter()
    HybridIndex.load(settings.index_dir, encoder)
    load_s = time.perf_counter() - t0
    return {"build_s_vectors_reused": round(build_s, 2), "save_s": round(save_s, 2),
            "load_verify_s": round(load_s, 2), "index_mb": round(size / 2**20, 1),
            "counts": idx.manifest["counts"], "approximate_dense": idx.clauses.approximate}


def bench_hnsw(vectors: np.ndarray, encoder, qs: list[str], n_queries: int) -> dict:
    import faiss
    from tqdm import tqdm

    from index.dense import HNSW_EF_SEARCH, HNSW_M

    qs = list(dict.fromkeys(qs))[:n_queries]
    t0 = time.perf_counter()
    queries = np.asarray(encoder.encode_query(qs, convert_to_numpy=True, normalize_embeddings=True,
                                              batch_size=32), dtype=np.float32)
    encode_s = time.perf_counter() - t0
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
    for q in tqdm(queries, desc="flat vs hnsw", file=sys.stderr):
        t1 = time.perf_counter()
        _, exact = flat.search(q[None, :], 10)
        flat_t.append(time.perf_counter() - t1)
        t1 = time.perf_counter()
        _, approx = hnsw.search(q[None, :], 10)
        hnsw_t.append(time.perf_counter() - t1)
        recall.append(len(set(exact[0].tolist()) & set(approx[0].tolist())) / 10)
    return {"vectors": len(vectors), "dim": dim, "queries": len(queries), "query_encode_s": round(encode_s, 2),
            "hnsw_M": HNSW_M, "efConstruction": 80, "efSearch": HNSW_EF_SEARCH,
            "flat_build_s": round(flat_build, 2), "hnsw_build_s": round(hnsw_build, 2),
            "flat": summary_ms(flat_t), "hnsw": summary_ms(hnsw_t),
            "recall_at_10_mean": round(float(np.mean(recall)), 4),
            "recall_at_10_min": round(float(np.min(recall)), 2),
            "queries_with_full_recall": int(sum(r == 1.0 for r in recall))}


# ------------------------------------------------------------------ report
def write_reports(results: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "perf.json").write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "perf.md").write_text(render_markdown(results), encoding="utf-8")


def _ms(d: dict | None, key: str = "p50_ms") -> str:
    return "—" if not d else f"{d[key]:.1f}"


def render_markdown(r: dict) -> str:
    m = r["machine"]
    lines = [
        "# policyqa performance",
        "",
        f"Generated by `{r['command']}` on {r['date']} (took {r['duration_min']} min).",
        "",
        "## Machine",
        "",
        f"* `nproc`: {m['nproc']}; CPU: {m['cpu_model']}; memory: {m['memory_gb']} GB; torch threads: {m['torch_threads']}",
        f"* Python {m['python']} on {m['platform']}",
        "* libraries: " + ", ".join(f"{k} {v}" for k, v in m["libraries"].items()),
        f"* environment: {m['env'] or 'no thread/BLAS overrides'}",
        (f"* load average (1/5/15 min) at start: {m['loadavg_at_start']}. "
        "The machine is shared: other processes were running during the measurements, so "
        "absolute latencies are pessimistic; series are interleaved query by query so the load "
        "hits them alike and the ratios stay meaningful."),
        "",
    ]
    p = r.get("plan")
    if p:
        lat = p["latency"]
        lines += [
            "## The plan (warm queries)",
            "",
            (f"{p['records']} records, {p['sentence_vectors']} sentence vectors; {p['questions']} questions from "
            f"`eval/questions/plan.jsonl` × {p['repeats']} repeats (after one warm-up pass), k = 10."),
            "",
            "| series | n | p50 ms | p95 ms | mean ms |",
            "|---|---:|---:|---:|---:|",
        ]
        for name in ("encode_query", *MODES):
            d = lat[name]
            label = "bare `encoder.encode_query`" if name == "encode_query" else f"`search(mode=\"{name}\")`"
            lines.append(f"| {label} | {d['n']} | {d['p50_ms']:.1f} | {d['p95_ms']:.1f} | {d['mean_ms']:.1f} |")
        cold = p["cold_start"]
        lines += [
            "",
            (f"* hybrid p50 / bare encode p50 = **{p['hybrid_p50_over_encode_p50']}** "
            f"(goal ≤ {p['goal_hybrid_over_encode']}: {'met' if p['goal_met'] else 'NOT met'})."),
            (f"* cold start, a new `policyqa search \"养老\" --home H` process to its first result line: "
            f"median **{cold['median_first_result_s']} s** over {len(cold['runs'])} runs "
            f"({', '.join(str(x['first_result_s']) for x in cold['runs'])} s; goal ≤ {cold['goal_s']} s: "
            f"{'met' if cold['goal_met'] else 'NOT met'})."),
            (f"* plan index build in this run: {p['build_s']} s ({p['build_counts']['embedded']} texts embedded, "
            f"{p['build_counts']['reused']} re-used from the previous index in `{p['home']}`)."),
            f"* load average after: {p['loadavg_after']}.",
            "",
        ]
    s = r.get("scale")
    if s:
        lines += render_scale(s)
    lines += [
        "## Notes",
        "",
        "* Latency is wall time of one call (`time.perf_counter`), single query, k = 10, one process.",
        ("* The scale index is built with `Settings(sentence_vectors=False)` (clause vectors only): "
        "embedding every sentence of ~150k clauses as well would multiply the embedding time "
        "several-fold on 2 cores. Dense search there ranks clauses by their own vector."),
        ("* Clause vectors for the scale corpus come from a resumable cache keyed like the index's own "
        "re-use (`vector_key(model fingerprint, search_text(record))`); the embedding figures are the "
        "cumulative time of the runs that filled it plus a fresh 512-text sample in this run."),
        "* Raw figures: `reports/perf.json`.",
        "",
    ]
    return "\n".join(lines)


def _cell(lat: dict, mode: str) -> str:
    return f"{lat[mode]['p50_ms']:.1f} / {lat[mode]['p95_ms']:.1f}" if mode in lat else "— (not embedded)"


def render_scale(s: dict) -> list[str]:
    e = s["embedding"]
    c, pa = s["copy"], s["parse"]
    lines = [
        "## Scale: lawrefbook",
        "",
        f"`{s['corpus']}`: {s['files_found']} `.md` files, {s['files_used']} used "
        f"({len(s['files_skipped'])} skipped: " + ("; ".join(s["files_skipped"][:3]) + ("…" if len(s["files_skipped"]) > 3 else "")) + "), "
        f"{pa['documents']} documents after doc-id de-duplication (plus the shipped plan), "
        f"**{s['records']} records**, {s['unique_texts']} distinct clause texts.",
        "",
        "### Ingest and build",
        "",
        "| step | time | peak RSS |",
        "|---|---:|---:|",
        f"| copy files in (`add_document` × {c['files']}, reads + validates each) | {c['seconds']:.1f} s | {c['peak_rss_mb']} MB |",
        f"| parse (`corpus.build`: structure, departments, targets, tokens) | {pa['seconds']:.1f} s | {pa['peak_rss_mb']} MB |",
        f"| load records.jsonl | {s['load_records_s']:.1f} s | |",
        f"| BM25 tokens (`analyze`, jieba) for all records | {s['tokenize_s']:.1f} s | |",
    ]
    b = s.get("index_build", {})
    if "build_s_vectors_reused" in b:
        lines += [
            f"| index build with every vector re-used (BM25 + FAISS) | {b['build_s_vectors_reused']:.1f} s | |",
            f"| index save (checksummed, atomic) / load + verify | {b['save_s']:.1f} s / {b['load_verify_s']:.1f} s | |",
        ]
    rate = e.get("texts_per_s")
    lines += [
        (f"| embedding (clause vectors; cache total) | {e['cache_stats']['seconds'] / 60:.1f} min for {e['cache_stats']['texts']} texts "
        f"= {rate} texts/s (mean {e['tokens_per_text']} tokens) | |"),
        f"| embedding sample in this run | {e['sample']['texts']} texts in {e['sample']['seconds']} s = {e['sample']['texts_per_s']} texts/s | |",
        "",
    ]
    if "build_s_vectors_reused" in b:
        cold = b["build_s_vectors_reused"] + b["save_s"] + s["unique_texts"] / (rate or e["sample"]["texts_per_s"])
        lines += [(f"A cold `policyqa index build` of the whole corpus would take about **{cold / 60:.0f} min**, "
                  f"almost all of it embedding ({s['unique_texts']} texts at {rate} texts/s); "
                  f"the index is {b['index_mb']} MB on disk."), ""]
    elif "skipped" in b:
        lines += [f"Full index build not measured: {b['skipped']}.", ""]
    lines += [
        (f"Peak RSS of the benchmark process (records, tokens, vectors and the indexes in memory): "
        f"{s['peak_rss_main_mb']} MB."),
        "",
        "### Query latency by corpus size",
        "",
        f"{s['query_set']}; each × {s.get('repeats', '?')}; p50 / p95 in ms. `bm25 core` = `SparseIndex.scores` + top-10 only.",
        "",
        "| records | dense | bm25 | dense | hybrid | bm25 core |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for z in s["sizes"]:
        lat = z["latency"]
        cell = partial(_cell, lat)
        kind = ("HNSW" if z.get("approximate_dense") else "exact") if z["dense"] else "—"
        lines.append(f"| {z['records']} ({z['label']}) | {kind} | {cell('bm25')} | {cell('dense')} | {cell('hybrid')} | {cell('bm25_scores_top10')} |")
    lines += ["", "### BM25: ours (bm25s) vs rank_bm25 `BM25Okapi(k1=1.5, b=0.75, epsilon=0)`", "",
              "Same tokens; both timings include tokenizing the query and taking the top 10.", "",
              "| records | BM25Okapi build | rank_bm25 p50 / p95 ms | ours p50 / p95 ms | speed-up (p50) | top-10 identical | tie order only | different |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for z in s["sizes"]:
        rb = z.get("rank_bm25")
        if rb:
            lines.append(f"| {z['records']} | {rb['build_s']} s | {rb['rank_bm25']['p50_ms']:.1f} / {rb['rank_bm25']['p95_ms']:.1f} | "
                         f"{rb['ours']['p50_ms']:.2f} / {rb['ours']['p95_ms']:.2f} | **{rb['speedup_p50']}×** | "
                         f"{rb['top10_identical']}/{rb['queries']} | {rb['top10_tie_order_only']} | {rb['top10_different']} |")
    h = s.get("hnsw")
    if h:
        lines += ["", "### Exact vs approximate dense search", "",
                  (f"{h['vectors']} real clause vectors (dim {h['dim']}), {h['queries']} real questions (laws + plan), k = 10; "
                  f"HNSW M = {h['hnsw_M']}, efConstruction = {h['efConstruction']}, efSearch = {h['efSearch']} (the index's own settings)."), "",
                  "| index | build | p50 ms | p95 ms | recall@10 vs exact |", "|---|---:|---:|---:|---:|",
                  f"| `IndexFlatIP` (exact) | {h['flat_build_s']} s | {h['flat']['p50_ms']:.2f} | {h['flat']['p95_ms']:.2f} | 1 |",
                  (f"| `IndexHNSWFlat` | {h['hnsw_build_s']} s | {h['hnsw']['p50_ms']:.2f} | {h['hnsw']['p95_ms']:.2f} | "
                  f"{h['recall_at_10_mean']} (min {h['recall_at_10_min']}, {h['queries_with_full_recall']}/{h['queries']} perfect) |")]
    lines += ["", f"Load average after the scale part: {s['loadavg_after']}.", ""]
    return lines


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale-sizes", default="10000,100000,all", help="record counts (or 'all') for the scale part")
    parser.add_argument("--out", default=str(REPO_ROOT / "reports"), help="folder for perf.md and perf.json")
    parser.add_argument("--skip-scale", action="store_true", help="only the plan figures")
    parser.add_argument("--skip-plan", action="store_true", help="only the scale figures")
    parser.add_argument("--limit-files", type=int, default=0, help="use only the first N lawrefbook files (trial runs)")
    parser.add_argument("--embed-budget-min", type=float, default=0,
                        help="stop embedding the scale corpus after this many minutes (0 = embed all); resumable")
    parser.add_argument("--queries", type=int, default=60, help="questions per latency series (≥ 50)")
    parser.add_argument("--repeats", type=int, default=3, help="times each question is run per series")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--hnsw-queries", type=int, default=250)
    parser.add_argument("--rank-bm25-max", type=int, default=100_000, help="largest size rank_bm25 is compared at")
    parser.add_argument("--batch-size", type=int, default=Settings().embed_batch_size)
    parser.add_argument("--plan-home", default=str(REPO_ROOT / ".policyqa" / "bench-plan"))
    parser.add_argument("--scale-home", default="")
    parser.add_argument("--stage", choices=["copy", "parse"], help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--files-list", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.stage == "copy":
        print(json.dumps(stage_copy(Path(args.home), Path(args.files_list))))
        return 0
    if args.stage == "parse":
        print(json.dumps(stage_parse(Path(args.home))))
        return 0

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    command = "python -m index.bench " + " ".join(sys.argv[1:] if argv is None else argv)
    results: dict = {"command": command.strip(),
                     "date": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
                     "machine": machine_info()}
    from index.build import get_encoder

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
        results["scale"]["repeats"] = args.repeats
    results["duration_min"] = round((time.perf_counter() - started) / 60, 1)
    write_reports(results, out)
    say(f"wrote {out / 'perf.md'} and {out / 'perf.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
