"""Quality of the quantized encoder against fp32, and the second stage's cost
(``reports/perf.md``: "Quantized encoder: quality", "Second stage on the library").

Each backend gets its own homes under ``.policyqa/bench-quality/<backend>/`` (``plan``: the
shipped plan; ``library``: the plan + the twelve laws of ``eval/library/documents.txt``), built
and evaluated by the product's own commands in fresh processes:

* ``policyqa corpus build`` + ``policyqa index build --backend B`` + ``policyqa eval
  eval/questions/plan.jsonl --split test``;
* ``python -m eval.library --split test`` (builds the library home; vectors of unchanged
  texts are re-used by a later run, so only the first run embeds).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from corpus.config import REPO_ROOT
from tools.bench_common import attempt
from tools.common import loadavg, policyqa_executable, progress

BACKENDS = ("onnx-fp32", "onnx-int8")
QUALITY_ROOT = REPO_ROOT / ".policyqa" / "bench-quality"
#: Hybrid + second stage p50 over bare query encoding p50, on the library.
GOAL_RERANK_OVER_ENCODE = 2.0
say = progress("bench")


def quality_figures(results: dict) -> dict:
    """MRR@10 (hybrid) and abstention (precision, recall, false-abstention rate) from an eval
    ``results.json``: ``policyqa eval``'s (top-level ``retrieval``/``answers``) or
    ``eval.library``'s (under ``summary``, hybrid over ``all files``)."""
    summary = results.get("summary", results)
    retrieval = summary["retrieval"]
    hybrid = retrieval["all files"]["hybrid"] if "all files" in retrieval else retrieval["hybrid"]
    answers = summary.get("answers") or {}
    abstention = answers.get("abstention") or {}
    false = answers.get("false_abstention") or {}
    return {"mrr_at_10": hybrid.get("mrr@10"), "recall_at_5": hybrid.get("recall@5"),
            "in_scope": hybrid.get("n") or false.get("n"),
            "abstention_precision": abstention.get("precision"), "abstention_recall": abstention.get("recall"),
            "out_of_scope": (abstention.get("tp", 0) + abstention.get("fn", 0)) if abstention else None,
            "false_abstention": false.get("rate")}


def run_logged(command: list[str], env: dict, log: Path) -> float:
    """Run ``command`` (output to ``log``); its wall seconds. Raises on a non-zero exit."""
    started = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        proc = subprocess.run(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed (exit {proc.returncode}); see {log}")
    return time.perf_counter() - started


def backend_env(backend: str, home: Path) -> dict:
    return {**os.environ, "POLICYQA_ENCODER_BACKEND": backend, "POLICYQA_HOME": str(home), "HF_HUB_OFFLINE": "1"}


def evaluate_plan(backend: str, root: Path) -> dict:
    home, report = root / "plan", root / "plan-report"
    env, log = backend_env(backend, home), root / "log.txt"
    exe = policyqa_executable()
    build_s = run_logged([exe, "corpus", "build", "--home", str(home)], env, log)
    build_s += run_logged([exe, "index", "build", "--backend", backend, "--home", str(home)], env, log)
    eval_s = run_logged([exe, "eval", "eval/questions/plan.jsonl", "--split", "test", "--home", str(home),
                         "--report", str(report)], env, log)
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    return {**quality_figures(results), "build_s": round(build_s, 1), "eval_s": round(eval_s, 1),
            "loadavg": loadavg()}


def evaluate_library(backend: str, root: Path) -> dict:
    home, report = root / "library", root / "library-report"
    env, log = backend_env(backend, home), root / "log.txt"
    eval_s = run_logged([sys.executable, "-m", "eval.library", "--split", "test", "--home", str(home),
                         "--report", str(report)], env, log)
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    return {**quality_figures(results), "build_and_eval_s": round(eval_s, 1), "loadavg": loadavg()}


def bench_quality(root: Path = QUALITY_ROOT) -> dict:
    """fp32 vs int8 on the plan's and the library's test splits."""
    out: dict = {"backends": {}, "root": str(root)}
    for backend in BACKENDS:
        folder = root / backend
        folder.mkdir(parents=True, exist_ok=True)
        say(f"quality: {backend}: plan test split")
        plan = attempt(f"plan eval ({backend})", evaluate_plan, backend, folder)
        say(f"quality: {backend}: library test split")
        library = attempt(f"library eval ({backend})", evaluate_library, backend, folder)
        out["backends"][backend] = {"plan": plan, "library": library}
    return out


def library_home(quality: dict | None) -> Path:
    """The fp32 library home of the quality part (built by this run or an earlier one). Never
    the default ``.policyqa/library``: opening it with other settings would rebuild someone
    else's index."""
    root = Path(quality["root"]) if quality and "root" in quality else QUALITY_ROOT
    return root / "onnx-fp32" / "library"


def bench_second_stage(home: Path, questions: int = 60) -> dict:
    """``tools/rerank_latency`` in a fresh process on the library home (default backend)."""
    if not (home / "index").exists():
        return {"skipped": f"no library index at {home} (run the benchmark once without --skip-quality)"}
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("POLICYQA_ENCODER_BACKEND", None)
    proc = subprocess.run([sys.executable, "-m", "tools.rerank_latency", "--home", str(home),
                           "--questions", str(questions)], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                          text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"tools.rerank_latency failed with exit code {proc.returncode}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    ratio = out["hybrid_rerank_over_encode_p50"]
    return {**out, "home": str(home), "goal": GOAL_RERANK_OVER_ENCODE, "goal_met": ratio <= GOAL_RERANK_OVER_ENCODE}
