"""kill -9 during ``policyqa index build`` and ``policyqa corpus build FILE``; count what is lost.

Each run copies a home that has a good corpus and index, starts the ``policyqa`` CLI on the
copy in a subprocess, sends it SIGKILL after a seeded random delay (stratified over the build's
measured duration, so the kills cover it from start to end), then checks that

* the previous index (or the new one, if the swap happened first) verifies
  (``read_manifest(verify=True)``: schema and every checksum), loads (``HybridIndex.load``)
  and a search for 养老 returns hits;
* the corpus (``records.jsonl``, ``report.json``) and the documents still load;
* a rebuild then succeeds: ``build_index`` again for index runs; for corpus runs the upload
  is repeated and ``open_index`` finds the index stale and rebuilds it with the new document.

An index that fails the first check is *lost* (the goal is 0). Index runs alternate
between sentence vectors on and off (``POLICYQA_SENTENCE_VECTORS=0``, a cheaper build);
corpus runs need no model and take a couple of seconds.

    python -m tools.faults --runs 20 --report reports/faults.md

(:mod:`tools.kill_at` kills the CLI at one chosen step of a write instead, deterministically.)

The report's kill-loop section (between ``<!-- kill-loop:start -->`` and
``<!-- kill-loop:end -->``) is replaced; the rest of the file is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus.config import Settings
from tools.common import (
    REPO,
    copy_home,
    loadavg,
    machine_info,
    offline_environment,
    policyqa_executable,
    progress,
)

offline_environment()

START, END = "<!-- kill-loop:start -->", "<!-- kill-loop:end -->"
QUERY = "养老"
UPLOAD_NAME = "社区养老服务通知.txt"
UPLOAD_DOC_ID = "社区养老服务通知"
UPLOAD_TEXT = (
    "关于加强社区养老服务的通知\n一、总体要求\n（一）指导思想。坚持以人民为中心的发展思想，推动社区养老服务高质量发展。\n"
    "（二）发展目标。到2025年，社区养老服务覆盖率达到90%以上，每个街道建成1个综合养老服务中心。"
    "（省民政厅牵头，省财政厅、省住建厅等部门按职责分工负责）\n"
    "二、重点任务\n（一）发展社区食堂。鼓励社会力量举办老年食堂，为高龄、独居老年人提供助餐服务。\n"
)  # fmt: skip
KINDS = ("index", "corpus", "index-sv0", "corpus")  # the order runs cycle through


@dataclass
class Run:
    number: int
    kind: str
    delay_s: float
    fraction: float  # delay / measured duration
    killed: bool = False  # False: the build finished before the kill was due
    exit_code: int | None = None
    index_after: str = ""  # "previous" or "new" version serving after the kill
    corpus_after: str = ""
    index_ok: bool = False
    corpus_ok: bool = False
    docs_ok: bool = False
    rebuild_ok: bool = False
    leftovers: list[str] = field(default_factory=list)
    check_s: float = 0.0
    rebuild_s: float = 0.0
    error: str = ""


def model_path() -> str:
    return Settings().model_path


def cli_env(sentence_vectors: bool = True) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYQA_")}
    env.update(HF_HUB_OFFLINE="1", POLICYQA_MODEL=model_path(), TQDM_DISABLE="1",
               POLICYQA_SENTENCE_VECTORS="1" if sentence_vectors else "0")
    return env


def command(kind: str, home: Path, upload: Path) -> list[str]:
    """The ``policyqa`` command line of a run of ``kind``."""
    base = [policyqa_executable()]
    if kind.startswith("index"):
        return [*base, "index", "build", "--home", str(home)]
    return [*base, "corpus", "build", str(upload), "--home", str(home)]


def home_copy(base: Path, dest: Path) -> Settings:
    """Settings of a private copy of the built home ``base`` (:func:`tools.common.copy_home`)."""
    return Settings(home=copy_home(base, dest), model=model_path())


def prepare_base(workdir: Path, encoder, seed_index: Path | None) -> Settings:
    """A home with the plan's corpus and index (vectors re-used from ``seed_index``)."""
    import corpus
    from index import build_index

    settings = Settings(home=workdir / "base", model=model_path())
    corpus.build(settings)
    if seed_index is not None and (seed_index / "manifest.json").is_file():
        try:  # vectors to re-use; another process may be replacing that index right now
            shutil.copytree(seed_index.resolve(), settings.home / "index-seed")
            os.symlink("index-seed", settings.index_dir)
        except OSError:
            shutil.rmtree(settings.home / "index-seed", ignore_errors=True)
    build_index(settings, encoder)
    return settings


def _link(path: Path) -> str:
    return os.readlink(path) if path.is_symlink() else ""


def check_home(settings: Settings, encoder, run: Run, before: dict[str, str]) -> None:
    """Does the index (and corpus, and documents) the kill left behind still serve?"""
    import corpus
    from corpus.sources import discover
    from index import HybridIndex
    from index.store import read_manifest

    started = time.monotonic()
    try:
        read_manifest(settings.index_dir, verify=True)
        index = HybridIndex.load(settings.index_dir, encoder)
        assert index.search(QUERY, k=3), f"no hits for {QUERY}"
        run.index_ok = True
    except Exception as exc:  # noqa: BLE001 — anything at all: the index is lost
        run.error = f"index: {type(exc).__name__}: {exc}"
    try:
        records = corpus.load_records(settings)
        assert records and corpus.load_report(settings).records == len(records)
        run.corpus_ok = True
    except Exception as exc:  # noqa: BLE001 — any failure is counted, not raised
        run.error += f" corpus: {type(exc).__name__}: {exc}"
    try:
        for doc in discover(settings.docs_dir, settings.user_docs_dir):
            assert doc.source_path.is_file(), f"{doc.manifest.doc_id}: source file missing"
        run.docs_ok = True
    except Exception as exc:  # noqa: BLE001 — any failure is counted, not raised
        run.error += f" docs: {type(exc).__name__}: {exc}"
    run.index_after = "previous" if _link(settings.index_dir) == before["index"] else "new"
    run.corpus_after = "previous" if _link(settings.build_dir) == before["corpus"] else "new"
    run.leftovers = sorted(p.name for p in settings.home.iterdir() if p.name.startswith("."))
    if settings.user_docs_dir.is_dir():
        run.leftovers += sorted(f"docs/{p.name}" for p in settings.user_docs_dir.iterdir()
                                if p.name.startswith("."))
    run.check_s = time.monotonic() - started


def rebuild(settings: Settings, encoder, run: Run, upload: Path) -> None:
    """What a user does next: build again (and, after an upload, search the new document)."""
    import corpus
    from index import HybridIndex, build_index, open_index
    from index.store import read_manifest

    started = time.monotonic()
    try:
        if run.kind.startswith("index"):
            build_index(settings, encoder)
            index = HybridIndex.load(settings.index_dir, encoder)
        else:
            corpus.build(settings, paths=[upload])
            index = open_index(settings)  # stale (new corpus) → rebuilt
            assert any(r.doc_id == UPLOAD_DOC_ID for r in index.records), "upload not indexed"
        read_manifest(settings.index_dir, verify=True)
        assert index.search(QUERY, k=3)
        run.rebuild_ok = True
    except Exception as exc:  # noqa: BLE001 — any failure is counted, not raised
        run.error += f" rebuild: {type(exc).__name__}: {exc}"
    run.rebuild_s = time.monotonic() - started


def timed_run(cmd: list[str], env: dict, delay: float | None) -> tuple[bool, int, float]:
    """Run ``cmd``; SIGKILL its process group after ``delay`` s (None: let it finish).
    Returns (killed, exit code, seconds)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    killed = False
    if delay is not None:
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            killed = True
    _, stderr = proc.communicate()
    if delay is None and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {stderr.decode()[-2000:]}")
    return killed, proc.returncode, time.monotonic() - started


def kill_loop(runs: int, workdir: Path, encoder=None, base: Path | None = None, seed: int = 46,
              seed_index: Path | None = None, log: Callable[..., None] | None = None) -> dict:
    """Run the loop; return a summary dict (``runs``: one dict per run). ``base``: a built
    home to copy (default: build the plan, re-using the vectors of ``seed_index``, default
    the configured home's index); ``log``: a progress printer (default: to stderr)."""
    from index.build import get_encoder

    log = log or progress("faults")
    machine = machine_info()
    if seed_index is None:
        seed_index = Settings().index_dir
    t0 = time.monotonic()
    encoder = encoder or get_encoder(Settings(model=model_path()))
    workdir.mkdir(parents=True, exist_ok=True)
    if base is None:
        base = prepare_base(workdir, encoder, seed_index).home
    upload = workdir / "upload" / UPLOAD_NAME
    upload.parent.mkdir(exist_ok=True)
    upload.write_text(UPLOAD_TEXT, encoding="utf-8")
    prepared = time.monotonic() - t0

    rng = random.Random(seed)
    kinds = [KINDS[i % len(KINDS)] for i in range(runs)]
    # Measure an uninterrupted build of each kind (also proves it succeeds).
    durations = {}
    for kind in sorted(set(kinds)):
        home = home_copy(base, workdir / f"measure-{kind}").home
        _, _, durations[kind] = timed_run(command(kind, home, upload), cli_env(kind != "index-sv0"), None)
        shutil.rmtree(home, ignore_errors=True)
        log(f"measured {kind} build: {durations[kind]:.1f}s")
    delays: dict[int, float] = {}
    for kind in durations:  # stratified: the j-th of n kills lands in the j-th n-th of the build
        members = [i for i, k in enumerate(kinds) if k == kind]
        fractions = [(j + rng.random()) / len(members) for j in range(len(members))]
        rng.shuffle(fractions)
        for i, fraction in zip(members, fractions):
            delays[i] = fraction
    results: list[Run] = []
    for i, kind in enumerate(kinds):
        run = Run(i + 1, kind, round(delays[i] * durations[kind], 3), round(delays[i], 3))
        settings = home_copy(base, workdir / f"run-{i + 1:02d}")
        before = {"index": _link(settings.index_dir), "corpus": _link(settings.build_dir)}
        run.killed, run.exit_code, _ = timed_run(command(kind, settings.home, upload),
                                                 cli_env(kind != "index-sv0"), run.delay_s)
        check_home(settings, encoder, run, before)
        rebuild(settings, encoder, run, upload)
        results.append(run)
        log(f"run {run.number:2d} {kind:9s} kill at {run.delay_s:5.2f}s ({run.fraction:4.0%}) "
            f"{'killed' if run.killed else 'finished'}; index {run.index_after} "
            f"{'ok' if run.index_ok else 'LOST'}; rebuild {'ok' if run.rebuild_ok else 'FAILED'}"
            + (f"; {run.error}" if run.error else ""))
        shutil.rmtree(settings.home, ignore_errors=True)
    return {
        "runs": [asdict(r) for r in results],
        "seed": seed,
        "durations_s": {k: round(v, 2) for k, v in durations.items()},
        "prepare_s": round(prepared, 1),
        "total_s": round(time.monotonic() - t0, 1),
        "indexes_lost": sum(not r.index_ok for r in results),
        "corpora_lost": sum(not r.corpus_ok for r in results),
        "documents_lost": sum(not r.docs_ok for r in results),
        "rebuilds_failed": sum(not r.rebuild_ok for r in results),
        "killed": sum(r.killed for r in results),
        "machine": machine,
        "loadavg_end": loadavg(),
    }


def render(summary: dict, argv: str) -> str:
    runs = summary["runs"]
    by_kind: dict[str, list[dict]] = {}
    for r in runs:
        by_kind.setdefault(r["kind"], []).append(r)
    lines = [
        START,
        "## kill -9 during builds",
        "",
        (f"`{argv}` — seed {summary['seed']}, {len(runs)} runs, "
         f"{time.strftime('%Y-%m-%d %H:%M')} on {summary['machine']['cores']} cores "
         f"(load average {(summary['loadavg_end'] or ['?'])[0]} at the end)."),
        "",
        "| | count |",
        "|---|---|",
        f"| runs (killed before the build finished) | {len(runs)} ({summary['killed']}) |",
        f"| **indexes lost** (goal 0) | **{summary['indexes_lost']}** |",
        f"| corpora lost | {summary['corpora_lost']} |",
        f"| documents lost | {summary['documents_lost']} |",
        f"| rebuilds that failed afterwards | {summary['rebuilds_failed']} |",
        "",
        ("Uninterrupted build of each kind in a subprocess: "
         + ", ".join(f"{k} {v} s" for k, v in summary["durations_s"].items())
         + " (`index build` is mostly loading the model: every vector is re-used; `index-sv0` is"
         " `POLICYQA_SENTENCE_VECTORS=0`). Kill delays are stratified over each kind's duration. "
         f"Preparing the base home took {summary['prepare_s']} s; the whole loop {summary['total_s']} s."),
        "",
        "| kind | runs | killed | new version swapped in | index ok | rebuild ok | mean check s | mean rebuild s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, rs in sorted(by_kind.items()):
        lines.append(
            f"| {kind} | {len(rs)} | {sum(r['killed'] for r in rs)} | "
            f"{sum(r['index_after' if kind.startswith('index') else 'corpus_after'] == 'new' for r in rs)} | "
            f"{sum(r['index_ok'] for r in rs)} | {sum(r['rebuild_ok'] for r in rs)} | "
            f"{sum(r['check_s'] for r in rs) / len(rs):.1f} | {sum(r['rebuild_s'] for r in rs) / len(rs):.1f} |"
        )
    lines += ["", "<details><summary>every run</summary>", "",
              ("| # | kind | kill at s | of duration | killed | index after | corpus after | index ok | "
               "rebuild ok | leftovers | error |"),
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(
            f"| {r['number']} | {r['kind']} | {r['delay_s']:.2f} | {r['fraction']:.0%} | {r['killed']} | "
            f"{r['index_after']} | {r['corpus_after']} | {r['index_ok']} | {r['rebuild_ok']} | "
            f"{', '.join(r['leftovers']) or '—'} | {r['error'] or '—'} |"
        )
    lines += ["", "</details>", END]
    return "\n".join(lines)


def write_report(path: Path, section: str) -> None:
    """Replace the kill-loop section of ``path`` (or create the file with it)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Faults\n\n"
    if START in text and END in text:
        head, _, rest = text.partition(START)
        _, _, tail = rest.partition(END)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.faults", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=46)
    parser.add_argument("--report", type=Path, help="Markdown file whose kill-loop section is written")
    parser.add_argument("--base", type=Path, help="a built home to copy (default: build one)")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="policyqa-kill-"))
    log = progress("faults")
    try:
        summary = kill_loop(args.runs, workdir, base=args.base, seed=args.seed, log=log)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.report:
        shown = "python -m tools.faults " + " ".join(argv if argv is not None else sys.argv[1:])
        write_report(args.report, render(summary, shown.strip()))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(f"{summary['indexes_lost']} indexes lost in {len(summary['runs'])} runs "
              f"({summary['total_s']} s)")
    return 0 if summary["indexes_lost"] == 0 and summary["rebuilds_failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
