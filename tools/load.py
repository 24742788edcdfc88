"""A bounded load test of the web app through its Gradio API (issue: "Holds under load").

N simulated users (default 16), each with its own ``gradio_client.Client`` created up
front (``download_files=False``), ask the mixed questions of ``eval/questions/plan.jsonl``
(seeded shuffle) on ``/ask`` for D seconds (default 60). Every call has a timeout, the
number of requests is capped, and the run stops by itself.

With ``--during-upload`` a second phase runs the same load while a small generated .txt
policy is uploaded through ``/upload_document`` (the corpus and the index are rebuilt and
swapped); every question asked while the rebuild ran must be answered, and afterwards the
new document must be searchable. The document is removed again through
``/remove_document`` after the phase.

Without ``--url`` the app is started in this process (``app.web.launch`` with
``prevent_thread_lock=True, quiet=True``) on a free 127.0.0.1 port, with a temporary home
holding a copy of the repository's built corpus and index (nothing is re-embedded).
Everything else goes through the server's HTTP API (``gradio_client``), so an external
server (``--url``) is measured the same way.

    .venv/bin/python -m tools.load                        # 16 users x 60 s
    .venv/bin/python -m tools.load --during-upload        # + the upload phase
    .venv/bin/python -m tools.load --url http://127.0.0.1:7860 --users 4 -d 20

Writes ``reports/load.json`` and ``reports/load.md`` (``--no-report`` to skip) and exits 1
when any request failed or an upload check did not hold.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tools.common import (
    PLAN_QUESTIONS,
    REPO,
    copy_home,
    free_port,
    latency_summary,
    loadavg,
    machine_info,
    offline_environment,
    progress,
    question_rows,
)

offline_environment()  # before gradio is imported

QUESTIONS = PLAN_QUESTIONS
REPORT_JSON = REPO / "reports" / "load.json"
REPORT_MD = REPO / "reports" / "load.md"

#: The keys of ``Answer.to_dict()``: every /ask answer must carry all of them.
EXPECTED_KEYS = frozenset({"question", "intent", "answer", "abstained", "citations",
                           "departments", "targets", "hits", "notice"})
#: Speed targets for the report (proposed for the issue; reported, never asserted).
TARGETS = {"p95_ms": 3000, "p99_ms": 5000, "answered_rps": 5.0}
#: Everything in an existing reports/load.md after this line is kept when it is rewritten
#: (a line starting with ``KEEP_PREFIX``: older reports name the old script in it).
KEEP_MARKER = "<!-- hand-written below: kept when tools.load rewrites this report -->"
KEEP_PREFIX = "<!-- hand-written below"
#: ``--vary``: ways of asking the same question, so the questions are (nearly) all distinct.
PREFIXES = ["", "请问", "想了解一下，", "咨询一下：", "麻烦问下，"]
SUFFIXES = ["", "谢谢", "麻烦告知", "请解答", "请说明依据"]


# ---------------------------------------------------------------- questions
@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: str


def load_questions(path: Path = QUESTIONS, seed: int = 0) -> list[Question]:
    """Every question of the eval file (all types), in a seeded shuffle."""
    questions = [Question(row.get("id", ""), row.get("type", "?"), row["question"])
                 for row in question_rows(path)]
    random.Random(seed).shuffle(questions)
    return questions


def varied(text: str, n: int) -> str:
    """The ``n``-th way of asking ``text`` (``--vary``)."""
    prefix = PREFIXES[n % len(PREFIXES)]
    suffix = SUFFIXES[(n // len(PREFIXES)) % len(SUFFIXES)]
    body = text.rstrip("？?。") if suffix else text
    return f"{prefix}{body}{'，' + suffix if suffix else ''}"


def check_answer(result: Any) -> str | None:
    """None for a good /ask answer, else why it counts as an error."""
    if not isinstance(result, dict):
        return f"not a JSON object: {type(result).__name__}"
    if "error" in result:
        return f"error answer: {str(result['error'])[:200]}"
    if "answer" not in result:
        return "no 'answer' in the response"
    missing = EXPECTED_KEYS - set(result)
    if missing:
        return f"missing keys: {sorted(missing)}"
    return None


# ---------------------------------------------------------------- the server
@dataclass
class Server:
    url: str
    demo: Any = None  # the Blocks when started in this process
    home: Path | None = None
    started_s: float = 0.0

    @property
    def index_version(self) -> int | None:
        """How many indexes the in-process app has served (1 at start; +1 per swap), when the
        app says (``demo.policyqa.core.version``, the ``core.Assistant``); else None."""
        web = getattr(self.demo, "policyqa", None)
        for owner in (getattr(web, "core", None), getattr(web, "holder", None)):
            version = getattr(owner, "version", None)
            if isinstance(version, int):
                return version
        return None

    def close(self) -> None:
        if self.demo is not None:
            self.demo.close()
            self.demo = None
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None


def start_server(home_source: Path | None = None, settings=None) -> Server:
    """The app in this process on a free port; ``settings`` as given, else a temporary
    home copied from ``home_source`` (default: the repository's ``.policyqa``)."""
    from app.web import launch
    from corpus.config import Settings

    t0 = time.monotonic()
    home = None
    if settings is None:
        home = Path(tempfile.mkdtemp(prefix="policyqa-load-"))
        copy_home(home_source or Settings().home, home)
        settings = Settings(home=home)
    demo = launch(settings, host="127.0.0.1", port=free_port(), prevent_thread_lock=True, quiet=True)
    return Server(demo.local_url, demo, home, round(time.monotonic() - t0, 1))


def queue_settings(server: Server) -> dict:
    """The queue and concurrency settings in effect: from the Blocks when in this process,
    else what the server's /config shows (it does not expose the concurrency limits)."""
    if server.demo is not None:
        import gradio

        demo = server.demo
        queue = demo._queue
        default = queue.default_concurrency_limit
        endpoints = {}
        for fn in demo.fns.values():
            if not fn.api_name or fn.api_visibility != "public":
                continue
            limit = fn.concurrency_limit
            endpoints[fn.api_name] = {
                "queue": fn.queue,
                "concurrency_limit": default if limit == "default" else limit,
                "concurrency_id": ("(own)" if str(fn.concurrency_id).isdigit() else fn.concurrency_id),
                "shares_a_limit_with": sorted(
                    other.api_name for other in demo.fns.values()
                    if other is not fn and other.concurrency_id == fn.concurrency_id and other.api_name),
            }
        return {"source": "Blocks (in process)", "gradio": gradio.__version__,
                "queue": {"default_concurrency_limit": default, "max_size": queue.max_size,
                          "max_thread_count": queue.max_thread_count},
                "endpoints": endpoints}
    import httpx

    config = httpx.get(server.url.rstrip("/") + "/config", timeout=30).json()
    endpoints = {d["api_name"]: {"queue": d.get("queue"), "concurrency_limit": d.get("concurrency_limit"),
                                 "concurrency_id": d.get("concurrency_id")}
                 for d in config.get("dependencies", [])
                 if d.get("api_name") and d.get("api_visibility", "public") == "public"}
    return {"source": "GET /config (concurrency limits are not exposed there: null means unknown)",
            "gradio": config.get("version"), "queue": {"enable_queue": config.get("enable_queue")},
            "endpoints": endpoints}


def server_process_times(server: Server, since: float, until: float, api_name: str = "ask") -> dict | None:
    """Server-side run time of ``api_name`` (queue wait excluded) from Gradio's event
    records, for events queued in [since, until] (wall clock); None when not in process."""
    if server.demo is None:
        return None
    records = list(getattr(server.demo._queue, "event_analytics", {}).values())
    times = [r["process_time"] for r in records
             if r.get("function") == api_name and since <= (r.get("time") or 0) <= until
             and r.get("process_time") is not None]
    return {"events": len(times), **latency_summary(times)} if times else None


# ---------------------------------------------------------------- the machine
def machine_notes() -> dict:
    """:func:`tools.common.machine_info`, the busiest other processes and the command line."""
    return {
        **machine_info(),
        "busy_processes": busy_processes(),
        "command": shlex.join([os.path.relpath(sys.executable, Path.cwd())
                               if sys.executable.startswith(str(Path.cwd())) else sys.executable,
                               "-m", "tools.load", *sys.argv[1:]]),
        "cwd": str(Path.cwd()),
    }


def busy_processes(limit: int = 6) -> list[str]:
    """The busiest other processes (ps), to show what else the machine was doing."""
    try:
        out = subprocess.run(["ps", "-eo", "pid,pcpu,etime,args", "--sort=-pcpu"], check=False,
                             capture_output=True,
                             text=True, timeout=10).stdout.splitlines()[1:]
    except (OSError, subprocess.SubprocessError):
        return []
    mine = str(os.getpid())
    rows = [" ".join(line.split())[:140] for line in out if line.split()[0] != mine and " ps -eo " not in line]
    return rows[:limit]


class LoadSampler:
    """The 1-minute load average every few seconds while a phase runs."""

    def __init__(self, every: float = 5.0):
        self.every, self.samples = every, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="loadavg")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.extend(loadavg()[:1])
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.samples.extend(loadavg()[:1])


# ---------------------------------------------------------------- the load
@dataclass
class Sample:
    user: int
    qid: str
    qtype: str
    question: str
    start: float  # monotonic seconds from the phase start
    end: float
    error: str | None = None
    abstained: bool | None = None

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class Phase:
    name: str
    users: int
    duration_s: float
    samples: list[Sample] = field(default_factory=list)
    elapsed_s: float = 0.0
    wall_start: float = 0.0  # time.time() at the start
    stopped_by: str = ""
    loadavg: list[float] = field(default_factory=list)
    upload: dict | None = None
    server: dict | None = None

    def summary(self) -> dict:
        ok = [s for s in self.samples if s.error is None]
        errors = [s for s in self.samples if s.error is not None]
        out = {
            "name": self.name, "users": self.users, "duration_s": self.duration_s,
            "elapsed_s": round(self.elapsed_s, 2), "stopped_by": self.stopped_by,
            "requests": len(self.samples), "answered": len(ok), "errors": len(errors),
            "error_kinds": dict(Counter(_kind(s.error) for s in errors).most_common()),
            "error_examples": [f"{s.qid}: {s.error}" for s in errors[:5]],
            "throughput_rps": round(len(self.samples) / self.elapsed_s, 2) if self.elapsed_s else None,
            "answered_rps": round(len(ok) / self.elapsed_s, 2) if self.elapsed_s else None,
            "latency": latency_summary([s.seconds for s in ok]),
            "abstained": sum(1 for s in ok if s.abstained),
            "distinct_questions": len({s.question for s in self.samples}),
            "by_type": {},
            "loadavg_1min": {"samples": self.loadavg, "min": min(self.loadavg, default=None),
                             "max": max(self.loadavg, default=None)},
            "server_ask_process_time": self.server,
        }
        for qtype in sorted({s.qtype for s in self.samples}):
            rows = [s for s in self.samples if s.qtype == qtype]
            good = [s.seconds for s in rows if s.error is None]
            out["by_type"][qtype] = {"requests": len(rows), "errors": len(rows) - len(good),
                                     "abstained": sum(1 for s in rows if s.abstained),
                                     "latency": latency_summary(good)}
        lat = out["latency"]
        out["targets"] = dict(TARGETS)
        out["targets_met"] = bool(
            not errors and lat["p95_ms"] is not None and lat["p95_ms"] <= TARGETS["p95_ms"]
            and lat["p99_ms"] <= TARGETS["p99_ms"] and (out["answered_rps"] or 0) >= TARGETS["answered_rps"])
        if self.upload is not None:
            out["upload"] = self.upload
        return out


def _kind(error: str) -> str:
    return error.split(":", 1)[0][:60]


class LoadTest:
    """The clients (one per simulated user, created up front) and the phases run on them."""

    def __init__(self, url: str, users: int = 16, timeout_s: float = 60.0, max_requests: int = 5000,
                 questions: list[Question] | None = None, seed: int = 0, vary: bool = False,
                 say: Callable[..., None] | None = None):
        from gradio_client import Client

        self.url, self.users, self.timeout_s, self.max_requests = url, users, timeout_s, max_requests
        self.questions = questions or load_questions(seed=seed)
        self.vary, self.say = vary, say or progress("load")

        def connect(_):
            return Client(url, download_files=False, verbose=False, analytics_enabled=False,
                          max_workers=2, httpx_kwargs={"timeout": timeout_s})

        t0 = time.monotonic()
        with ThreadPoolExecutor(min(users, 8)) as pool:
            self.clients = list(pool.map(connect, range(users)))
        self.admin = connect(None)  # uploads and checks; never counted as a simulated user
        self.connect_s = round(time.monotonic() - t0, 2)
        self._issued = 0
        self._lock = threading.Lock()

    # one call with a hard timeout -------------------------------------------------
    def call(self, client, *args, api_name: str, timeout_s: float | None = None) -> Any:
        job = client.submit(*args, api_name=api_name)
        try:
            return job.result(timeout=timeout_s or self.timeout_s)
        except TimeoutError:
            job.cancel()
            raise

    def ask(self, client, question: str, doc: str = "", dept: str = "", domain: str = "") -> Any:
        return self.call(client, question, doc, dept, domain, api_name="/ask")

    def warm_up(self) -> float:
        t0 = time.monotonic()
        result = self.ask(self.admin, self.questions[0].text)
        if check_answer(result):
            raise RuntimeError(f"warm-up question failed: {check_answer(result)}")
        return round((time.monotonic() - t0) * 1000, 1)

    # the load ------------------------------------------------------------------------
    def _user(self, u: int, phase: Phase, t0: float, keep_going: Callable[[], bool]) -> None:
        client = self.clients[u]
        n = len(self.questions)
        i = u * max(1, n // self.users)  # users start at different places in the shuffle
        while keep_going():
            with self._lock:
                if self._issued >= self.max_requests:
                    phase.stopped_by = phase.stopped_by or "max_requests"
                    return
                self._issued += 1
                serial = self._issued
            q = self.questions[i % n]
            text = varied(q.text, serial) if self.vary else q.text
            i += 1
            start = time.monotonic() - t0
            error, abstained = None, None
            try:
                result = self.ask(client, text)
                error = check_answer(result)
                if error is None:
                    abstained = bool(result.get("abstained"))
            except TimeoutError:
                error = f"timeout: no answer within {self.timeout_s:.0f} s"
            except Exception as exc:  # noqa: BLE001 — any exception is an error of the run
                error = f"{type(exc).__name__}: {str(exc)[:200]}"
            sample = Sample(u, q.id, q.type, text, start, time.monotonic() - t0, error, abstained)
            with self._lock:
                phase.samples.append(sample)

    def run(self, name: str, duration_s: float, during: Callable[[float], dict] | None = None,
            max_extra_s: float = 0.0) -> Phase:
        """Load for ``duration_s``; with ``during`` (called in a thread with the phase start)
        the load also goes on until it has returned, at most ``max_extra_s`` longer."""
        phase = Phase(name, self.users, duration_s)
        self._issued = 0
        t0 = time.monotonic()
        phase.wall_start = time.time()
        deadline, hard_deadline = t0 + duration_s, t0 + duration_s + max_extra_s
        side_done = threading.Event()
        if during is None:
            side_done.set()

        def keep_going() -> bool:
            now = time.monotonic()
            return now < hard_deadline and (now < deadline or not side_done.is_set())

        threads = [threading.Thread(target=self._user, args=(u, phase, t0, keep_going), daemon=True,
                                    name=f"user-{u}") for u in range(self.users)]
        side: dict = {}

        def side_job():
            try:
                side.update(during(t0))
            except Exception as exc:  # noqa: BLE001
                side.update({"ok": False, "exception": f"{type(exc).__name__}: {exc}"})
            finally:
                side_done.set()

        with LoadSampler() as sampler:
            for t in threads:
                t.start()
            helper = threading.Thread(target=side_job, daemon=True) if during else None
            if helper:
                helper.start()
            # every user stops once its current call ends (each call has a timeout)
            limit = hard_deadline + self.timeout_s + 10
            for t in threads:
                t.join(timeout=max(0.1, limit - time.monotonic()))
            if helper:
                helper.join(timeout=max(0.1, limit - time.monotonic()))
        stuck = [t.name for t in threads if t.is_alive()]
        phase.elapsed_s = max([s.end for s in phase.samples], default=time.monotonic() - t0)
        phase.stopped_by = phase.stopped_by or ("time" if not stuck else f"join timeout ({stuck})")
        phase.loadavg = sampler.samples
        if during is not None:
            phase.upload = side
        return phase


# ---------------------------------------------------------------- the upload phase
UPLOAD_DOC = """关于开展银杏社区助浴服务试点的通知
一、总体要求
（一）指导思想。围绕老年人助浴需求，在银杏社区开展助浴服务试点。
（二）工作目标。到2026年，银杏社区助浴点覆盖率达到60%。
二、主要任务
（一）建设银杏助浴点。每个街道建设至少1个银杏助浴点。（省民政厅牵头，省卫生健康委配合）
（二）培训助浴护理员。每年培训银杏助浴护理员200名。（省人力资源社会保障厅负责）
三、保障措施
（一）加强资金保障。统筹养老服务资金支持银杏助浴服务试点。
（二）加强督促检查。定期通报银杏助浴服务试点进展。
"""
UPLOAD_QUESTION = "银杏助浴点由哪个部门牵头建设？"


def write_upload_doc(folder: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"policyqa-load-{stamp}-{random.randrange(16**4):04x}.txt"
    path.write_text(UPLOAD_DOC, encoding="utf-8")
    return path


def _running_codes() -> set:
    """Job states in which the server has started running the call (queue wait over)."""
    from gradio_client.utils import Status

    return {Status.PROCESSING, Status.PROGRESS, Status.ITERATING}


def upload_during_load(test: LoadTest, server: Server, path: Path, after_s: float,
                       timeout_s: float) -> Callable[[float], dict]:
    """The ``during`` job of the upload phase: wait ``after_s``, upload ``path`` through
    /upload_document and time it — the request (client side) and its processing on the
    server (validation, corpus + index rebuild, swap): from the ``process_starts`` status
    the server sends (queue wait excluded) to the answer. All through the HTTP API."""
    from gradio_client import handle_file

    running = _running_codes()

    def job(t0: float) -> dict:
        time.sleep(max(0.0, t0 + after_s - time.monotonic()))
        version = server.index_version
        start = time.monotonic()
        processing = None
        submitted = test.admin.submit(handle_file(str(path)), "", "", api_name="/upload_document")
        try:
            while not submitted.done():
                if time.monotonic() - start > timeout_s:
                    submitted.cancel()
                    raise TimeoutError(f"no answer to the upload within {timeout_s:.0f} s")
                status = submitted.status()
                if processing is None and status.code in running:
                    # when the client received the status (not when this loop saw it)
                    seen = status.time.timestamp() if status.time else time.time()
                    processing = time.monotonic() - (time.time() - seen)
                time.sleep(0.02)
            html = submitted.result(timeout=1)
        finally:
            end = time.monotonic()
        out = {"file": path.name, "doc_id": path.stem, "status_html": html,
               "ok": 'class="pq-ok"' in str(html),
               "request_start_s": round(start - t0, 3), "request_end_s": round(end - t0, 3),
               "request_s": round(end - start, 3)}
        if processing is not None:
            processing = min(max(processing, start), end)
            out.update(processing_start_s=round(processing - t0, 3), processing_end_s=round(end - t0, 3),
                       processing_s=round(end - processing, 3))
        if version is not None:
            out.update(index_version_before=version, index_version_after=server.index_version)
        return out

    return job


def check_upload_phase(test: LoadTest, phase: Phase) -> dict:
    """Questions answered during the rebuild, and the new document searchable after it."""
    up = phase.upload or {}
    window = (up.get("processing_start_s", up.get("request_start_s")),
              up.get("processing_end_s", up.get("request_end_s")))
    checks: dict[str, Any] = {"window": "rebuild (the upload's processing on the server)"
                              if "processing_start_s" in up else "upload request (client side)"}
    if None in window:
        checks.update(ok=False, reason=up.get("exception", "the upload did not run"))
        return checks
    during = [s for s in phase.samples if s.start < window[1] and s.end > window[0]]
    checks["during_rebuild"] = {"requests": len(during),
                                "answered": sum(1 for s in during if s.error is None),
                                "errors": [f"{s.qid}: {s.error}" for s in during if s.error][:10],
                                "latency": latency_summary([s.seconds for s in during if s.error is None])}
    doc_id = up.get("doc_id")
    checks["searchable_after"] = searchable_after(test, doc_id)
    checks["doc_filter_after"] = doc_filter_after(test, doc_id)
    checks["ok"] = bool(up.get("ok") and during and all(s.error is None for s in during)
                        and all(s.error is None for s in phase.samples)
                        and checks["searchable_after"].get("ok"))
    return checks


def searchable_after(test: LoadTest, doc_id: str) -> dict:
    """The new document answers an unfiltered question about it (cited, top hit)."""
    out: dict[str, Any] = {"question": UPLOAD_QUESTION}
    try:
        result = test.ask(test.admin, UPLOAD_QUESTION)
        hits = result.get("hits") or [{}]
        out.update(error=check_answer(result), top_hit=hits[0].get("id"),
                   cites_new_doc=any(c.get("doc_id") == doc_id for c in result.get("citations", [])),
                   lead=result.get("departments", {}).get("lead"), answer=str(result.get("answer", ""))[:200])
        out["ok"] = out["error"] is None and out["cites_new_doc"]
    except Exception as exc:  # noqa: BLE001
        out.update(ok=False, exception=f"{type(exc).__name__}: {str(exc)[:300]}")
    return out


def doc_filter_after(test: LoadTest, doc_id: str) -> dict:
    """/ask filtered to the new document (its ``doc`` input is a Dropdown: Gradio checks
    the value against the choices the server has for the API session)."""
    out: dict[str, Any] = {"question": UPLOAD_QUESTION, "doc": doc_id}
    try:
        result = test.ask(test.admin, UPLOAD_QUESTION, doc_id)
        out.update(error=check_answer(result),
                   cites_new_doc=any(c.get("doc_id") == doc_id for c in result.get("citations", [])))
        out["ok"] = out["error"] is None and out["cites_new_doc"]
    except Exception as exc:  # noqa: BLE001
        out.update(ok=False, exception=f"{type(exc).__name__}: {str(exc)[:300]}")
    return out


def remove_uploaded(test: LoadTest, doc_id: str) -> dict:
    try:
        status = test.call(test.admin, doc_id, "", "", api_name="/remove_document", timeout_s=300)
        after = test.ask(test.admin, UPLOAD_QUESTION)
        return {"ok": 'class="pq-ok"' in str(status), "status_html": status,
                "gone": not any(h.get("doc_id") == doc_id for h in after.get("hits", []))}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "exception": f"{type(exc).__name__}: {exc}"}


# ---------------------------------------------------------------- the report
def write_reports(result: dict, json_path: Path = REPORT_JSON, md_path: Path = REPORT_MD) -> None:
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    kept = ""
    if md_path.is_file():
        old = md_path.read_text(encoding="utf-8")
        if KEEP_PREFIX in old:  # the hand-written part, whatever its marker line says
            marker = old.index(KEEP_PREFIX)
            end = old.find("-->", marker)
            kept = old[end + 3:] if end >= 0 else ""
    md_path.write_text(markdown(result) + "\n" + KEEP_MARKER + (kept or "\n"), encoding="utf-8")


def _f(v, digits: int = 0) -> str:
    return "–" if v is None else (f"{v:,.{digits}f}" if isinstance(v, (int, float)) else str(v))


def markdown(result: dict) -> str:
    m, phases = result["machine"], result["phases"]
    lines = [
        "# Load test: the web app under concurrent questions (issue: “Holds under load”)",
        "",
        (f"Generated by `python -m tools.load` on {m['date']}. "
        f"{'**All checks held.**' if result['ok'] else '**Some checks FAILED** (see below).'}"),
        "",
        "## Results",
        "",
        "| phase | users | duration | requests | errors | throughput | p50 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in phases:
        lat = p["latency"]
        lines.append(f"| {p['name']} | {p['users']} | {_f(p['elapsed_s'], 1)} s | {p['requests']} | "
                     f"{p['errors']} | {_f(p['throughput_rps'], 2)} req/s | {_f(lat['p50_ms'])} ms | "
                     f"{_f(lat['p95_ms'])} ms | {_f(lat['p99_ms'])} ms | {_f(lat['max_ms'])} ms |")
    lines += ["", f"Speed targets (proposed, reported here and never asserted): p95 ≤ {TARGETS['p95_ms']} ms, "
              f"p99 ≤ {TARGETS['p99_ms']} ms, ≥ {TARGETS['answered_rps']} answered req/s, with "
              f"{phases[0]['users'] if phases else '–'} users and zero errors: "
              + "; ".join(f"{p['name']} **{'met' if p.get('targets_met') else 'not met'}**" for p in phases) + "."]
    lines += ["", ("Latency is client side, from `submit` to the answer: queue wait included. "
              "Errors are exceptions (timeouts included), answers with `error`, and answers "
              "without `answer` or any other key of `Answer.to_dict()`.")]
    for p in phases:
        server = p.get("server_ask_process_time")
        if server:
            lines += ["", (f"Server-side run time of `/ask` in **{p['name']}** (Gradio's event records, "
                      f"queue wait excluded): p50 {_f(server['p50_ms'])} ms, p95 {_f(server['p95_ms'])} ms, "
                      f"p99 {_f(server['p99_ms'])} ms over {server['events']} events.")]
    lines += ["", "### By question type", ""]
    names = [p["name"] for p in phases]
    lines.append("| type | " + " | ".join(f"{n}: requests / errors / abstained / p50 / p95" for n in names) + " |")
    lines.append("|---|" + "---|" * len(names))
    for qtype in sorted({t for p in phases for t in p["by_type"]}):
        cells = []
        for p in phases:
            b = p["by_type"].get(qtype)
            cells.append("–" if b is None else f"{b['requests']} / {b['errors']} / {b['abstained']} / "
                         f"{_f(b['latency']['p50_ms'])} ms / {_f(b['latency']['p95_ms'])} ms")
        lines.append(f"| {qtype} | " + " | ".join(cells) + " |")
    for p in phases:
        if p["errors"]:
            lines += ["", f"Errors in **{p['name']}**: {p['error_kinds']}", ""]
            lines += [f"- `{e}`" for e in p["error_examples"]]
    for p in phases:
        up, chk = p.get("upload"), p.get("upload_checks")
        if not up:
            continue
        d = (chk or {}).get("during_rebuild", {})
        s = (chk or {}).get("searchable_after", {})
        fl = (chk or {}).get("doc_filter_after", {})
        lines += [
            "", f"### Upload during load ({p['name']})", "",
            f"- Uploaded `{up.get('file')}` (10 lines, 一、…（一）… structure) through `/upload_document` "
            f"at t = {_f(up.get('request_start_s'), 1)} s; the request took {_f(up.get('request_s'), 2)} s"
            + (f", its processing on the server (validation, corpus + index rebuild, swap; queue wait "
               f"excluded) {_f(up.get('processing_s'), 2)} s "
               f"(t = {_f(up.get('processing_start_s'), 1)}–{_f(up.get('processing_end_s'), 1)} s)"
               if up.get("processing_s") is not None else "") + ".",
            f"- Status: {'ok' if up.get('ok') else 'FAILED'}"
            + (f"; served index version {up.get('index_version_before')} → {up.get('index_version_after')}"
               if up.get("index_version_before") is not None else "") + ".",
            f"- Questions in flight during the {chk.get('window', 'rebuild') if chk else 'rebuild'}: "
            f"{d.get('requests', 0)}, answered {d.get('answered', 0)}, errors {len(d.get('errors', []))}"
            + (f"; their p50 {_f(d['latency']['p50_ms'])} ms, p95 {_f(d['latency']['p95_ms'])} ms"
               if d.get("latency") else "") + ".",
            f"- Searchable afterwards (unfiltered): “{s.get('question')}” cites the new document: "
            f"{s.get('cites_new_doc')} (top hit `{s.get('top_hit')}`, lead {s.get('lead')})"
            + (f"; {s.get('exception') or s.get('error')}" if (s.get('exception') or s.get('error')) else "") + ".",
            "- The same question with `/ask`'s `doc` filter set to the new document: "
            + ("ok." if fl.get("ok") else f"**fails**: `{fl.get('exception') or fl.get('error')}`"),
        ]
        if p.get("removal"):
            r = p["removal"]
            lines.append(f"- Removed again through `/remove_document` after the phase: ok {r.get('ok')}, "
                         f"gone from the hits {r.get('gone')}.")
    q = result["queue_settings"]
    lines += ["", "## Queue and concurrency settings in effect", "",
              f"Read from: {q['source']}; Gradio {q.get('gradio')}. Queue: "
              + ", ".join(f"`{k}={v}`" for k, v in q["queue"].items()) + ".", "",
              "| endpoint | queued | concurrency_limit | concurrency_id | shares the limit with |",
              "|---|---|---:|---|---|"]
    for name, e in q["endpoints"].items():
        lines.append(f"| /{name} | {e.get('queue')} | {_f(e.get('concurrency_limit'))} | "
                     f"{e.get('concurrency_id')} | {', '.join(e.get('shares_a_limit_with') or []) or '–'} |")
    r = result["run"]
    lines += ["", "## Setup", "",
              f"- Server: {r['server']} ({r['url']})" + (f", started in {r['server_start_s']} s" if
                                                         r.get("server_start_s") else "") + ".",
              (f"- {r['users']} simulated users, each its own `gradio_client.Client(url, download_files=False)` "
              f"created before the clock starts ({r['connect_s']} s for all), asking in a closed loop "
              "(the next question as soon as the last is answered), no think time."),
              f"- Questions: the {r['questions']} of `eval/questions/plan.jsonl` (all types), shuffled "
              f"with seed {r['seed']}; users start at different places"
              + ("; `--vary`: each request reworded with one of 25 prefix/suffix pairs, so nearly all "
                 "questions are distinct (as with real users)" if r.get("vary") else "") + ".",
              (f"- Bounds: per-call timeout {r['timeout_s']} s, at most {r['max_requests']} requests per phase; "
              f"warm-up question before the clock: {r.get('warm_up_ms')} ms."),
              "", "## Machine", "",
              (f"- Date: {m['date']}; host `{m['host']}`; Python {m['python']}, gradio "
              f"{m['libraries'].get('gradio')}, gradio_client {m['libraries'].get('gradio_client')}."),
              (f"- nproc {m['cores']}, memory {m['memory_gb']} GiB total / {m['memory_available_gb']} GiB "
              "available at start."),
              f"- Load average at start (1/5/15 min): {' / '.join(str(x) for x in m['loadavg'])}; "
              "during the phases (1 min, sampled every 5 s): "
              + "; ".join(f"{p['name']} {p['loadavg_1min']['min']}–{p['loadavg_1min']['max']}" for p in phases)
              + (f"; at the end: {' / '.join(str(x) for x in m['loadavg_end'])}" if m.get("loadavg_end") else "")
              + ".",
              "- The machine is shared: the busiest other processes at start were", ""]
    lines += [f"      {row}" for row in m.get("busy_processes", [])]
    lines += ["", f"- Command (in `{m['cwd']}`):", "", f"      {m['command']}", ""]
    if r["server"].startswith("in process"):
        lines += [("The load generator runs in the same Python process as the server (as the brief asks), "
                  "so its threads share the GIL with the app; they mostly wait on sockets, but on a "
                  "2-CPU machine this is part of what is measured."), ""]
    notes = result.get("notes") or []
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(lines)


# ---------------------------------------------------------------- main
def run(args: argparse.Namespace) -> dict:
    say = progress("load")
    machine = machine_notes()
    say(f"load average {machine['loadavg']}, nproc {machine['cores']}")
    server = Server(args.url) if args.url else None
    try:
        if server is None:
            say("starting the app in process (temporary home copied from .policyqa) …")
            server = start_server(Path(args.home) if args.home else None)
            say(f"  {server.url} in {server.started_s} s")
        test = LoadTest(server.url, users=args.users, timeout_s=args.timeout, max_requests=args.max_requests,
                        questions=load_questions(Path(args.questions), args.seed), seed=args.seed,
                        vary=args.vary)
        warm = test.warm_up()
        result: dict[str, Any] = {
            "machine": machine, "queue_settings": queue_settings(server),
            "run": {"server": "in process (app.web.launch, temporary home)" if server.demo else "external",
                    "url": server.url, "server_start_s": server.started_s or None, "users": args.users,
                    "duration_s": args.duration, "timeout_s": args.timeout, "max_requests": args.max_requests,
                    "seed": args.seed, "vary": args.vary, "questions": len(test.questions),
                    "connect_s": test.connect_s, "warm_up_ms": warm},
            "phases": [], "notes": [],
        }
        phases = []
        if not args.upload_only:
            say(f"phase steady: {args.users} users x {args.duration} s …")
            phase = test.run("steady", args.duration)
            phase.server = server_process_times(server, phase.wall_start, phase.wall_start + phase.elapsed_s + 1)
            phases.append((phase, None, None))
            say(_line(phase.summary()))
        if args.during_upload or args.upload_only:
            if server.demo is None:
                result["notes"].append("The upload phase ran against an external server: the document was "
                                       "uploaded there and removed again afterwards.")
            duration = args.upload_duration or args.duration
            path = write_upload_doc(Path(tempfile.mkdtemp(prefix="policyqa-load-doc-")))
            say(f"phase during-upload: {args.users} users x {duration} s, upload of {path.name} at "
                f"t = {args.upload_at} s …")
            job = upload_during_load(test, server, path, args.upload_at, args.upload_timeout)
            phase = test.run("during-upload", duration, during=job, max_extra_s=args.upload_timeout)
            phase.server = server_process_times(server, phase.wall_start, phase.wall_start + phase.elapsed_s + 1)
            checks = check_upload_phase(test, phase)
            removal = remove_uploaded(test, path.stem) if args.remove_after else None
            shutil.rmtree(path.parent, ignore_errors=True)
            phases.append((phase, checks, removal))
            say(_line(phase.summary()) + f"; upload checks ok={checks.get('ok')}")
        for phase, checks, removal in phases:
            summary = phase.summary()
            if checks is not None:
                summary["upload_checks"] = checks
            if removal is not None:
                summary["removal"] = removal
            result["phases"].append(summary)
            if args.samples:
                summary["samples"] = [asdict(s) for s in phase.samples]
        result["machine"]["loadavg_end"] = loadavg()
        result["ok"] = all(p["errors"] == 0 and (p.get("upload_checks") or {"ok": True})["ok"]
                           for p in result["phases"])
        return result
    finally:
        if server is not None:
            server.close()


def _line(s: dict) -> str:
    lat = s["latency"]
    return (f"  {s['name']}: {s['requests']} requests, {s['errors']} errors, {s['throughput_rps']} req/s, "
            f"p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, p99 {lat['p99_ms']} ms")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tools.load", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="an already running server (default: start the app in this process)")
    p.add_argument("--home", help="built home to copy for the in-process server (default: .policyqa)")
    p.add_argument("-u", "--users", type=int, default=16, help="concurrent simulated users (16)")
    p.add_argument("-d", "--duration", type=float, default=60, help="seconds of load per phase (60)")
    p.add_argument("--timeout", type=float, default=60, help="per-call timeout in seconds (60)")
    p.add_argument("--max-requests", type=int, default=5000, help="request cap per phase (5000)")
    p.add_argument("--seed", type=int, default=0, help="question shuffle seed (0)")
    p.add_argument("--questions", default=str(QUESTIONS), help="JSONL with `question` (and `type`) fields")
    p.add_argument("--vary", action="store_true",
                   help="reword each request (prefix/suffix) so nearly every question is distinct")
    p.add_argument("--during-upload", action="store_true",
                   help="after the steady phase, a phase with an upload + rebuild in the middle")
    p.add_argument("--upload-only", action="store_true", help="only the during-upload phase")
    p.add_argument("--upload-duration", type=float, help="seconds of the upload phase (default: --duration)")
    p.add_argument("--upload-at", type=float, default=5, help="start the upload this many s into the phase (5)")
    p.add_argument("--upload-timeout", type=float, default=300, help="timeout of the upload call (300)")
    p.add_argument("--keep-upload", dest="remove_after", action="store_false",
                   help="leave the uploaded document in place (default: removed after the phase)")
    p.add_argument("--samples", action="store_true", help="put every request in the JSON report")
    p.add_argument("--json", default=str(REPORT_JSON), help="JSON report (reports/load.json)")
    p.add_argument("--md", default=str(REPORT_MD), help="Markdown report (reports/load.md)")
    p.add_argument("--no-report", action="store_true", help="print the summary, write no report")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    if args.no_report:
        print(json.dumps({k: v for k, v in result.items() if k != "machine"}, ensure_ascii=False, indent=2))
    else:
        write_reports(result, Path(args.json), Path(args.md))
        print(f"wrote {args.json} and {args.md}", file=sys.stderr)
    print("OK" if result["ok"] else "FAILED", file=sys.stderr)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
