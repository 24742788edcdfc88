"""Every figure of ``reports/perf.md`` and ``reports/perf.json``, from one run.

    python -m tools.bench [--skip-quality] [--skip-scale] [--skip-plan] [--out reports]
                          [--scale-sizes 10000,100000,all] [--limit-files N]
                          [--embed-budget-min M | --embed-all] [--skip-ingest]

Parts, in this order (``make bench`` runs them all):

* **plan** — warm query latency of ``HybridIndex.search`` per mode and of the bare
  ``encoder.encode_query``, interleaved question by question; cold start of fresh
  ``policyqa search --mode bm25|hybrid`` processes (and which encoder modules each imports);
  ``policyqa serve`` until HTTP 200 and its peak RSS (:mod:`tools.bench_startup`);
* **quality** — the quantized encoder (onnx-int8) against onnx-fp32 on the plan's and the
  library's test splits, and the second stage's cost on the library (:mod:`tools.bench_quality`);
* **scale** — the whole lawrefbook: ingest, embedding rate (from the vector cache's own
  runs), ``policyqa index build``, latency at 10k / 100k / all records, rank_bm25, exact vs
  approximate dense search, serving the whole index (:mod:`tools.bench_scale`,
  :mod:`tools.bench_ann`).

The report is rendered by :mod:`tools.bench_report` from ``perf.json`` alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

from corpus.config import REPO_ROOT, Settings
from tools.bench_common import (
    SERIES,
    Clock,
    attempt,
    questions,
    search_options,
    time_series,
    vm_hwm_mb,
    warm_up,
)
from tools.common import (
    LAW_QUESTIONS,
    PLAN_QUESTIONS,
    loadavg,
    machine_info,
    offline_environment,
    progress,
)

say = progress("bench")
GOAL_HYBRID_OVER_ENCODE = 1.3
#: Questions asked through a served app before its peak RSS is read.
SERVE_QUESTIONS = 3


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
    warm_up(idx, qs, options)
    clock = Clock((*SERIES, "hybrid_vector_cached"))
    load_before = loadavg()
    for rep in range(args.repeats):
        for i, q in enumerate(qs):
            time_series(clock, idx, encoder, q, rep + i, options)
            idx.encode_query(Query.parse(q).text)  # as after a first search of the question
            clock.time("hybrid_vector_cached", idx.search, q, k=10, mode="hybrid", **options)
    latency = clock.summary()
    ratio = latency["hybrid"]["p50_ms"] / latency["encode_query"]["p50_ms"]
    cpu_ratio = latency["hybrid"]["cpu_p50_ms"] / latency["encode_query"]["cpu_p50_ms"]
    return {
        "home": str(home), "records": len(idx.records), "sentence_vectors": manifest.counts.sentence_vectors,
        "build_s": round(build_s, 2), "build_counts": asdict(manifest.counts),
        "questions": len(qs), "repeats": args.repeats, "latency": latency, "search_options": options,
        "bm25_bigrams": settings.bm25_bigrams,
        "hybrid_p50_over_encode_p50": round(ratio, 3), "hybrid_over_encode_cpu_p50": round(cpu_ratio, 3),
        "goal_hybrid_over_encode": GOAL_HYBRID_OVER_ENCODE, "goal_met": ratio <= GOAL_HYBRID_OVER_ENCODE,
        "loadavg_before": load_before, "loadavg_after": loadavg(),
    }  # fmt: skip


def bench_plan_startup(home: Path, runs: int) -> dict:
    """Fresh processes on the plan home: CLI searches, the phases of a first search, serve."""
    from tools.bench_common import run_stage
    from tools.bench_startup import bench_cold_search, bench_serve

    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = {"cold_search": bench_cold_search(home, env, runs)}
    out["phases"] = attempt("cold phases", lambda: run_stage(["--stage", "cold-phases", "--home", str(home)],
                                                              env=env)[0])
    say("plan: policyqa serve until HTTP 200")
    out["serve"] = attempt("plan serve", bench_serve, home, env, questions(PLAN_QUESTIONS)[:SERVE_QUESTIONS])
    return out


def stage_cold_phases(home: Path) -> dict:
    """Where a fresh process spends its time before the first hybrid result (wall and CPU s,
    cumulative), through the public API."""
    marks = {}
    c0, t0 = time.process_time(), time.perf_counter()

    def mark(name):
        marks[name] = {"wall_s": round(time.perf_counter() - t0, 3), "cpu_s": round(time.process_time() - c0, 3)}

    import corpus  # noqa: F401
    from index import open_index
    from index.build import get_encoder

    mark("import corpus, index")
    settings = Settings(home=home)
    get_encoder(settings)
    mark(f"+ load the encoder ({settings.encoder_backend})")
    idx = open_index(settings)
    mark("+ open and verify the index")
    idx.search("养老", k=10, **search_options(settings))
    mark("+ first search")
    return marks


# ------------------------------------------------------------------ scale serving
def bench_scale_serving(scale: dict) -> dict:
    """``policyqa serve`` on the whole-lawrefbook home, when its index was built this run."""
    from tools.bench_scale import scale_env
    from tools.bench_startup import bench_serve

    if "seconds" not in scale.get("index_build", {}):
        return {"skipped": "no whole-corpus index was built in this run"}
    home = Path(scale["home"])
    say("scale: policyqa serve until HTTP 200")
    return bench_serve(home, scale_env(home), questions(LAW_QUESTIONS)[:SERVE_QUESTIONS])


# ------------------------------------------------------------------ main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale-sizes", default="10000,100000,all", help="record counts (or 'all') for the scale part")
    parser.add_argument("--out", default=str(REPO_ROOT / "reports"), help="folder for perf.md and perf.json")
    parser.add_argument("--skip-scale", action="store_true", help="leave out the whole-lawrefbook part")
    parser.add_argument("--skip-plan", action="store_true", help="leave out the plan part (latency, cold start)")
    parser.add_argument("--skip-quality", action="store_true",
                        help="leave out the fp32 vs int8 evaluations (~10–20 min); the second stage still runs")
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
    parser.add_argument("--stage", choices=["copy", "parse", "cold-phases"], help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--files-list", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_stage_command(args: argparse.Namespace) -> int:
    """``--stage``: one piece of work in this fresh process, its JSON on the last line."""
    from tools.bench_scale import stage_copy, stage_parse

    home = Path(args.home)
    if args.stage == "copy":
        result = stage_copy(home, Path(args.files_list))
    elif args.stage == "parse":
        result = stage_parse(home)
    else:
        result = stage_cold_phases(home)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    offline_environment()
    if args.stage:
        return run_stage_command(args)

    from index.build import get_encoder
    from tools.bench_quality import bench_quality, bench_second_stage, library_home
    from tools.bench_report import write_reports
    from tools.bench_scale import bench_scale

    started = time.perf_counter()
    command = "python -m tools.bench " + " ".join(sys.argv[1:] if argv is None else argv)
    machine = machine_info()
    results: dict = {"command": command.strip(), "date": machine["date"], "machine": machine}
    base = Settings()
    t0 = time.perf_counter()
    encoder = get_encoder(base)
    results["model"] = {"path": base.model_path, "backend": base.encoder_backend,
                        "load_s": round(time.perf_counter() - t0, 2)}
    if not args.skip_plan:
        results["plan"] = bench_plan(args, encoder, base.model_path)
        say(f"plan: hybrid / encode p50 {results['plan']['hybrid_p50_over_encode_p50']}")
        results["plan_startup"] = attempt("plan start-up", bench_plan_startup, Path(args.plan_home), args.cold_runs)
    if not args.skip_quality:
        results["quality"] = attempt("quality", bench_quality)
    quality = results.get("quality")
    results["second_stage"] = attempt("second stage", bench_second_stage,
                                      library_home(quality if quality and "error" not in quality else None))
    if not args.skip_scale:
        results["scale"] = bench_scale(args, encoder, base.model_path)
        results["scale"]["repeats"] = args.scale_repeats
        if args.embed_only:
            print(json.dumps(results["scale"], ensure_ascii=False, indent=1))
            return 0
        results["scale"]["serve"] = attempt("scale serving", bench_scale_serving, results["scale"])
    results["peak_rss_bench_mb"] = vm_hwm_mb()
    results["loadavg_end"] = loadavg()
    results["duration_min"] = round((time.perf_counter() - started) / 60, 1)
    out = Path(args.out)
    write_reports(results, out)
    say(f"wrote {out / 'perf.md'} and {out / 'perf.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
