"""Helpers the benchmark's parts share (``tools/bench*.py``)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from corpus.config import MODES, REPO_ROOT, Settings
from tools.common import latency_summary, question_rows


def attempt(label: str, fn: Callable, *args):
    """``fn(*args)``, or ``{"error": …}`` when it fails: one broken part (another engineer's
    work in progress, say) must not cost the figures of every other part of a long run."""
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 — recorded in the report, the run goes on
        print(f"[bench] {label} failed: {exc!r}", file=sys.stderr, flush=True)
        return {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}


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


#: The latency series timed side by side: the bare query encoding, then each search mode.
SERIES = ("encode_query", *MODES)


def warm_up(idx, qs: Iterable[str], options: dict) -> None:
    """Every question in every mode once (model, jieba, FAISS and caches loaded)."""
    for q in qs:
        for mode in MODES:
            idx.search(q, k=10, mode=mode, **options)


def time_series(clock: Clock, idx, encoder, question: str, turn: int, options: dict) -> None:
    """``question`` through every :data:`SERIES`, interleaved: the order rotates with ``turn`` so
    no series always runs first, and the query cache is cleared before each, so every timed
    search encodes its question as the bare encoding does."""
    shift = turn % len(SERIES)
    for name in SERIES[shift:] + SERIES[:shift]:
        idx.clear_query_cache()
        if name == "encode_query":
            clock.time(name, encoder.encode_query, [question], convert_to_numpy=True, normalize_embeddings=True)
        else:
            clock.time(name, idx.search, question, k=10, mode=name, **options)


def questions(path: Path) -> list[str]:
    return [row["question"] for row in question_rows(path)]


def search_options(settings: Settings) -> dict:
    """What the CLI passes to ``HybridIndex.search`` (fusion, weight, candidates)."""
    return {"fusion": settings.fusion, "dense_weight": settings.dense_weight, "candidates": settings.candidates}


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
