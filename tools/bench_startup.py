"""Cold start and memory of fresh processes (``reports/perf.md``, "Cold start and memory").

* ``policyqa search Q --mode bm25`` and ``--mode hybrid``, interleaved, each a new process:
  seconds to the first result line, CPU seconds, peak RSS (``ru_maxrss`` of the child);
* which heavy modules each mode imports (``PYTHONPROFILEIMPORTTIME``, a separate run, since
  the import log slows the process down);
* ``policyqa serve``: seconds from the command to an HTTP 200 on ``/``, then the peak RSS of
  the server process after a few questions through its API.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from tools.common import free_port, loadavg, policyqa_executable

GOAL_BM25_S = 2.0
GOAL_HYBRID_S = 4.0
GOAL_SERVE_RSS_MB = 1536
#: Modules a BM25 search must never import (they mean the encoder is being loaded).
ENCODER_MODULES = ("torch", "transformers", "sentence_transformers", "onnxruntime", "tokenizers")
COLD_QUERY = "养老托育"


def heavy_imports(importtime_log: str, names: tuple[str, ...] = ENCODER_MODULES) -> list[str]:
    """The top-level packages among ``names`` that a ``-X importtime`` log shows imported.

    Lines look like ``import time:       123 |        456 |     torch.nn``."""
    found = set()
    for line in importtime_log.splitlines():
        if not line.startswith("import time:"):
            continue
        module = line.rsplit("|", 1)[-1].strip()
        top = module.split(".", 1)[0]
        if top in names:
            found.add(top)
    return sorted(found)


class PeakRss:
    """A child's peak RSS, read from its ``/proc/<pid>/status`` (``VmHWM``) every ``every`` s
    until it exits. Not ``ru_maxrss`` from ``wait4``: Linux carries the parent's peak over a
    fork + exec into the child's, so a child of this (large) process would report at least
    this process's own size."""

    def __init__(self, pid: int, every: float = 0.02):
        import threading

        self.pid, self.every, self.peak_kb = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            except (OSError, ValueError):
                pass
            self._stop.wait(self.every)

    def stop(self) -> int:
        """Stop polling (call before reaping the child); the peak in MB."""
        self._stop.set()
        self._thread.join()
        return self.peak_kb // 1024


def run_cli(args: list[str], env: dict) -> dict:
    """The ``policyqa`` executable in a new process: seconds to its first output line and to
    its exit, CPU seconds (all threads) and peak RSS (MB, :class:`PeakRss`)."""
    started = time.perf_counter()
    proc = subprocess.Popen([policyqa_executable(), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, text=True)
    peak = PeakRss(proc.pid)
    first_line = proc.stdout.readline()
    first = time.perf_counter() - started
    rest = proc.stdout.read()  # EOF: the child is exiting; its memory is at its peak
    peak_mb = peak.stop()
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    total = time.perf_counter() - started
    if code != 0 or not first_line.strip():
        raise RuntimeError(f"policyqa {' '.join(args)} failed (exit {code}): {first_line}{rest[:200]}")
    return {"first_result_s": round(first, 3), "exit_s": round(total, 3),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 3), "peak_rss_mb": peak_mb,
            "loadavg": loadavg()}


def imports_of(args: list[str], env: dict) -> list[str]:
    proc = subprocess.run([policyqa_executable(), *args], env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    return heavy_imports(proc.stderr)


def bench_cold_search(home: Path, env: dict, runs: int) -> dict:
    """bm25 and hybrid CLI searches, interleaved ``runs`` times (bm25 first, then hybrid). A mode
    whose command fails gets ``{"error": …}`` and the other is still measured."""
    out: dict = {"home": str(home), "query": COLD_QUERY, "modes": {}}
    samples: dict[str, list[dict]] = {"bm25": [], "hybrid": []}
    errors: dict[str, str] = {}
    for _ in range(runs):
        for mode, taken in samples.items():
            if mode in errors:
                continue
            try:
                taken.append(run_cli(["search", COLD_QUERY, "--mode", mode, "--home", str(home)], env))
            except RuntimeError as exc:
                errors[mode] = str(exc)[:300]
    goals = {"bm25": GOAL_BM25_S, "hybrid": GOAL_HYBRID_S}
    for mode, taken in samples.items():
        if mode in errors:
            out["modes"][mode] = {"error": errors[mode], "goal_s": goals[mode], "goal_met": False}
            continue
        median = statistics.median(s["first_result_s"] for s in taken)
        imports = imports_of(["search", COLD_QUERY, "--mode", mode, "--home", str(home)], env)
        # bm25 must also stay clear of every encoder module
        ok = median <= goals[mode] and (mode != "bm25" or not imports)
        out["modes"][mode] = {
            "runs": taken, "median_first_result_s": round(median, 3),
            "median_cpu_s": round(statistics.median(s["cpu_s"] for s in taken), 3),
            "peak_rss_mb": max(s["peak_rss_mb"] for s in taken), "imports": imports,
            "goal_s": goals[mode], "goal_met": ok,
        }  # fmt: skip
    help_runs = [run_cli(["--help"], env) for _ in range(runs)]
    out["cli_help_median_s"] = round(statistics.median(s["exit_s"] for s in help_runs), 3)
    return out


def vm_status(pid: int) -> dict:
    """``VmHWM`` (peak) and ``VmRSS`` of a live process, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0]) // 1024
    return {"peak_rss_mb": out.get("VmHWM"), "rss_mb": out.get("VmRSS")}


def wait_http_200(url: str, proc: subprocess.Popen, timeout_s: float) -> float | None:
    """Seconds until ``url`` answers 200 (None if the process died or time ran out)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        if proc.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.1)
    return None


def ask_questions(url: str, questions: list[str]) -> tuple[list[float], list[str]]:
    """Seconds per question through the app's ``/ask`` API (as a browser's request would), and
    the errors of the questions that failed (their time still counts: the server did the work)."""
    from gradio_client import Client

    client = Client(url, download_files=False, verbose=False, analytics_enabled=False)
    times, errors = [], []
    for q in questions:
        t0 = time.perf_counter()
        try:
            client.predict(q, "", "", "", api_name="/ask")
        except Exception as exc:  # noqa: BLE001 — reported beside the memory figure
            errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        times.append(round(time.perf_counter() - t0, 3))
    return times, errors


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def bench_serve(home: Path, env: dict, questions: list[str], timeout_s: float = 600) -> dict:
    """``policyqa serve`` until HTTP 200, peak RSS after start-up and after ``questions``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    started_load = loadavg()
    proc = subprocess.Popen([policyqa_executable(), "serve", "--home", str(home), "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        seconds = wait_http_200(url, proc, timeout_s)
        if seconds is None:
            return {"home": str(home), "error": f"no HTTP 200 within {timeout_s} s (exit {proc.poll()})"}
        after_start = vm_status(proc.pid)
        ask_s, ask_errors = ask_questions(url, questions)
        after_questions = vm_status(proc.pid)
    finally:
        stop(proc)
    return {"home": str(home), "start_to_http_200_s": round(seconds, 2), "after_start": after_start,
            "questions": len(questions), "ask_s": ask_s, "ask_errors": ask_errors, "after_questions": after_questions,
            "loadavg_before": started_load, "loadavg_after": loadavg()}
