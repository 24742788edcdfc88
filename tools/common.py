"""What the tools share, written once.

* :func:`percentile` and :func:`latency_summary` — one shape for every latency figure:
  ``n, p50_ms, p95_ms, p99_ms, mean_ms, max_ms`` (+ ``cpu_p50_ms`` where CPU time was measured);
* :func:`loadavg`, :func:`machine_info` — the machine a figure was taken on;
* :func:`free_port` — a free loopback port;
* :func:`copy_home` — a private copy of a built home (corpus + index + their version links);
* :func:`progress` — a ``[tag HH:MM:SS] message`` printer to stderr;
* :func:`offline_environment`, :func:`question_rows`, :func:`policyqa_executable`.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

from corpus.config import offline_environment as product_offline_environment
from index.store import library_versions as index_library_versions

REPO = Path(__file__).resolve().parent.parent
PLAN_QUESTIONS = REPO / "eval" / "questions" / "plan.jsonl"
LAW_QUESTIONS = REPO / "eval" / "questions" / "laws.jsonl"

#: Library versions every report records.
LIBRARIES = ("bm25s", "rank-bm25", "faiss-cpu", "sentence-transformers", "transformers", "torch",
             "jieba", "numpy", "tqdm", "gradio", "gradio_client")
#: Environment variables that change threading (and so the timings).
THREAD_ENV = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "OPENBLAS_CORETYPE", "TOKENIZERS_PARALLELISM")


# ---------------------------------------------------------------- environment
def offline_environment() -> None:
    """No telemetry, no hub, no proxy for 127.0.0.1 (the product's own settings)."""
    product_offline_environment()


def policyqa_executable() -> str:
    """The ``policyqa`` console script of this interpreter's environment (else on ``PATH``)."""
    beside = Path(sys.executable).with_name("policyqa")
    if beside.is_file():
        return str(beside)
    found = shutil.which("policyqa")
    if found is None:
        raise FileNotFoundError("no `policyqa` executable: install the project (make setup)")
    return found


def question_rows(path: Path = PLAN_QUESTIONS) -> list[dict]:
    """The JSON objects of a question file (JSON Lines; each has at least ``question``)."""
    with Path(path).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


# ---------------------------------------------------------------- statistics
def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile, linear between closest ranks (numpy's default); None if empty."""
    s = sorted(values)
    if not s:
        return None
    pos = (len(s) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def latency_summary(seconds: Sequence[float], cpu_seconds: Sequence[float] | None = None) -> dict:
    """The one latency shape: ``n``, ``p50_ms``, ``p95_ms``, ``p99_ms``, ``mean_ms``, ``max_ms``
    of wall times given in seconds (None for an empty series), and ``cpu_p50_ms`` when the CPU
    times of the same calls are given."""
    ms = [s * 1000 for s in seconds]

    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 3)

    out = {"n": len(ms), "p50_ms": r(percentile(ms, 50)), "p95_ms": r(percentile(ms, 95)),
           "p99_ms": r(percentile(ms, 99)), "mean_ms": r(statistics.fmean(ms)) if ms else None,
           "max_ms": r(max(ms)) if ms else None}
    if cpu_seconds is not None:
        out["cpu_p50_ms"] = r(percentile([c * 1000 for c in cpu_seconds], 50))
    return out


# ---------------------------------------------------------------- the machine
def loadavg() -> list[float]:
    """The 1/5/15-minute load average (``os.getloadavg``), or [] where there is none."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _meminfo() -> dict[str, float]:
    out = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("MemTotal", "MemAvailable"):
                out[key] = round(int(value.split()[0]) / 2**20, 1)
    except (OSError, ValueError, IndexError):
        pass
    return out


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def library_versions(names: Iterable[str] = LIBRARIES) -> dict[str, str]:
    return index_library_versions(names)


def machine_info(libraries: Iterable[str] = LIBRARIES) -> dict:
    """Cores, memory (GiB), load average now, Python, platform, library versions and the
    threading environment — without importing any of those libraries."""
    mem = _meminfo()
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(),
        "cores": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": _cpu_model(),
        "memory_gb": mem.get("MemTotal"), "memory_available_gb": mem.get("MemAvailable"),
        "loadavg": loadavg(),
        "python": platform.python_version(), "platform": platform.platform(),
        "libraries": library_versions(libraries),
        "env": {k: os.environ[k] for k in THREAD_ENV if k in os.environ},
    }  # fmt: skip


# ---------------------------------------------------------------- servers and homes
def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def copy_home(source: Path, dest: Path, names: Sequence[str] = ("corpus", "index", "docs")) -> Path:
    """Copy a built home's corpus and index — each version link and the directory it points
    at (``shutil.copytree(..., symlinks=True)``) — and its added documents (``docs``, if any)
    into ``dest``; returns ``dest``. Nothing is re-embedded: a build in the copy re-uses the
    copied index's vectors. ``corpus`` and ``index`` must exist."""
    source, dest = Path(source), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        link = source / name
        if not link.exists():
            if name in ("corpus", "index"):
                raise FileNotFoundError(f"{link} is missing: build it first (make data)")
            continue
        if link.is_symlink():
            target = Path(os.readlink(link))
            local = target.name if target.is_absolute() else str(target)
            shutil.copytree(link.resolve(), dest / local, symlinks=True)
            os.symlink(local, dest / name)
        else:
            shutil.copytree(link, dest / name, symlinks=True)
    return dest


# ---------------------------------------------------------------- output
def progress(tag: str, stream=None) -> Callable[..., None]:
    """A printer: ``say("message")`` writes ``[tag HH:MM:SS] message`` to stderr (or ``stream``)."""

    def say(*parts: object) -> None:
        print(f"[{tag} {time.strftime('%H:%M:%S')}]", *parts, file=stream or sys.stderr, flush=True)

    return say
