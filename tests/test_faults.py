"""Faults: kill -9 during builds, a damaged index, a missing model, a document removed while
the app runs (issue: holds under load, faults and bad input; loses nothing).

Every test works on a private copy of the session's indexed plan home (``index_settings``).
The CLI runs in a subprocess (``python -m app.cli``) where a crash or a traceback would
show; the kill -9 loop and the deterministic kills are :mod:`tools.faults` and
:mod:`tools.kill_at`; ``reports/faults.md`` has the results and timings.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import corpus
from app.cli import main
from corpus.config import Settings
from index.build import build_index, open_index
from index.hybrid import HybridIndex, search_text, vector_key
from index.store import SCHEMA_VERSION, StaleIndex, read_manifest
from tools import faults

pytestmark = pytest.mark.faults

REPO = Path(__file__).resolve().parent.parent
#: The embedding model the index fixtures use (conftest's ``MODEL_PATH``).
MODEL_PATH = Settings().model_path


def kill_at(point: str, *args: str) -> subprocess.CompletedProcess:
    """``policyqa args…`` killed at ``point`` by :mod:`tools.kill_at` (in a subprocess)."""
    return subprocess.run([sys.executable, "-m", "tools.kill_at", point, *args], cwd=REPO, env=cli_env(),
                          capture_output=True, text=True, timeout=300, check=False)


def copy_home(settings: Settings, dest: Path) -> Settings:
    shutil.copytree(settings.home, dest, symlinks=True)
    return replace(settings, home=dest)


def cli_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYQA_")}
    env.update({"HF_HUB_OFFLINE": "1", "POLICYQA_MODEL": MODEL_PATH, "TQDM_DISABLE": "1", **extra})
    return env


def run_cli(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=REPO, env=env or cli_env(),
                          capture_output=True, text=True, timeout=timeout, check=False)


def assert_verifies(settings: Settings, encoder=None) -> HybridIndex:
    manifest = read_manifest(settings.index_dir, verify=True)
    assert manifest.schema_version == SCHEMA_VERSION
    index = HybridIndex.load(settings.index_dir, encoder)
    assert len(index.records) == manifest.counts.records
    return index


# ---------------------------------------------------------------- kill -9
def test_kill_9_during_index_and_corpus_builds_loses_no_index(index_settings, encoder, tmp_path):
    """6 seeded kills (3 `index build`, 3 `corpus build FILE`); the 20-run report is made by
    ``python -m tools.faults --runs 20 --report reports/faults.md``."""
    summary = faults.kill_loop(6, tmp_path / "kill", encoder=encoder, base=index_settings.home, seed=7,
                               log=lambda *a: None)
    report = tmp_path / "faults.md"
    faults.write_report(report, faults.render(summary, "pytest tests/test_faults.py"))
    assert faults.START in report.read_text(encoding="utf-8")
    detail = json.dumps(summary["runs"], ensure_ascii=False, indent=1)
    assert summary["indexes_lost"] == 0, detail
    assert summary["corpora_lost"] == 0 and summary["documents_lost"] == 0, detail
    assert summary["rebuilds_failed"] == 0, detail
    assert summary["killed"] >= 3, detail  # most kills landed while the builds ran


@pytest.fixture
def plan_copy(index_settings, tmp_path) -> Settings:
    return copy_home(index_settings, tmp_path / "home")


UPLOAD = "关于加强社区养老服务的通知\n一、总体要求\n（一）指导思想。推动社区养老服务高质量发展。\n（二）发展目标。到2025年，社区嵌入式养老驿站覆盖率达到90%以上。\n"


@pytest.mark.parametrize("point, serving", [
    ("write", "previous"), ("fsync", "previous"), ("rename", "previous"), ("symlink", "previous"),
    ("replace", "previous"), ("prune", "new"),
])  # fmt: skip
def test_kill_9_at_each_step_of_the_atomic_swap_keeps_a_whole_corpus(plan_copy, tmp_path, point, serving):
    """The swap in corpus/storage.py (the index uses the same one), killed at each step."""
    from corpus.docstore import add_document

    upload = tmp_path / "社区养老通知.txt"
    upload.write_text(UPLOAD, encoding="utf-8")
    add_document(upload, plan_copy.user_docs_dir, 20)  # the build will differ from the last one
    before = os.readlink(plan_copy.build_dir)
    records_before = (plan_copy.build_dir / "records.jsonl").read_bytes()
    proc = kill_at(point, "corpus", "build", "--home", str(plan_copy.home))
    assert proc.returncode == -9, proc.stderr[-2000:]
    records = corpus.load_records(plan_copy)  # a whole corpus serves, the old or the new one
    assert corpus.load_report(plan_copy).records == len(records)
    if serving == "previous":
        assert os.readlink(plan_copy.build_dir) == before
        assert (plan_copy.build_dir / "records.jsonl").read_bytes() == records_before
    else:
        assert os.readlink(plan_copy.build_dir) != before
        assert any(r.doc_id == "社区养老通知" for r in records)
    corpus.build(plan_copy)  # and the next build succeeds, whatever was left behind
    assert any(r.doc_id == "社区养老通知" for r in corpus.load_records(plan_copy))


def test_kill_9_while_replacing_an_added_document_keeps_the_document(plan_copy, tmp_path):
    """``corpus add --replace`` killed in the middle of the swap (the new source file in place,
    the old manifest still there): the document is still there and builds, and replacing it
    again leaves one clean folder."""
    from corpus.docstore import add_document
    from corpus.sources import discover

    upload = tmp_path / "社区养老通知.txt"
    upload.write_text(UPLOAD, encoding="utf-8")
    add_document(upload, plan_copy.user_docs_dir, 20)
    upload.write_text(UPLOAD + "（三）基本原则。坚持政府引导、社会参与。\n", encoding="utf-8")  # a new version
    proc = kill_at("add-replace", "corpus", "add", "--replace", str(upload), "--home", str(plan_copy.home))
    assert proc.returncode == -9, proc.stderr[-2000:]
    docs = {d.manifest.doc_id: d for d in discover(plan_copy.docs_dir, plan_copy.user_docs_dir)}
    assert "社区养老通知" in docs and docs["社区养老通知"].source_path.is_file()
    corpus.build(plan_copy)
    assert any(r.doc_id == "社区养老通知" for r in corpus.load_records(plan_copy))
    result = CliRunner().invoke(main, ["corpus", "add", "--replace", str(upload), "--home", str(plan_copy.home)])
    assert result.exit_code == 0, result.output  # replacing it again repairs the folder
    assert [p.name for p in plan_copy.user_docs_dir.iterdir() if not p.name.startswith(".")] == ["社区养老通知"]
    assert not list(plan_copy.user_docs_dir.glob(".*.tmp"))  # no staging left behind


def test_pruning_keeps_the_current_version_with_a_relative_home(plan_settings, tmp_path, monkeypatch):
    """``--home rel`` (or a home reached through a symlink) with two versions whose stamps sort
    after the new one (the clock was set back: stamps are local time) must not lose the corpus."""
    copy_home(plan_settings, tmp_path / "rel")
    for stamp in ("29991231-235959-aaaaaa", "29991231-235959-bbbbbb"):
        shutil.copytree((tmp_path / "rel" / "corpus").resolve(), tmp_path / "rel" / f"corpus-{stamp}")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["corpus", "build", "--home", "rel"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["corpus", "records", "--home", "rel"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 35


# ---------------------------------------------------------------- damaged index, missing model
def _truncate(index: Path) -> None:
    path = index / "clause_vectors.npy"
    os.truncate(path, path.stat().st_size // 2)


def _flip(index: Path) -> None:
    path = index / "sentence_vectors.npy"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40  # a float in the middle: still loads, only the checksum knows
    path.write_bytes(bytes(data))


def _other_schema(index: Path) -> None:
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    manifest["schema_version"] = SCHEMA_VERSION + 1
    (index / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _garbage_manifest(index: Path) -> None:
    (index / "manifest.json").write_text('{"schema_version": 1, "files": {', encoding="utf-8")


def _missing_file(index: Path) -> None:
    (index / "bm25" / "params.index.json").unlink()


def _dangling_link(index: Path) -> None:
    shutil.rmtree(index.resolve())


#: case: (damage to the index, what the one stderr line names, run in a subprocess?)
REBUILDS = {
    "truncated-file": (_truncate, "clause_vectors.npy does not match its checksum", True),
    "byte-flipped-file": (_flip, "sentence_vectors.npy does not match its checksum", True),
    "other-schema-version": (_other_schema, f"schema version {SCHEMA_VERSION + 1}", True),
    "garbage-manifest": (_garbage_manifest, "manifest", False),
    "missing-file": (_missing_file, "params.index.json is missing", False),
    "dangling-index-link": (_dangling_link, "no index at", False),
}
#: case: (environment, args before `--home H`, fragments of the one error line, subprocess?)
FAILS = {
    "model-dir-missing": ({"POLICYQA_MODEL": "/nonexistent"}, ["search", "养老"],
                          ["/nonexistent", "policyqa model build"], True),
    "model-relative-path-missing": ({"POLICYQA_MODEL": "models/e5-small"}, ["search", "养老"],
                                    ["models/e5-small", "POLICYQA_MODEL"], True),
    "index-build-model-nowhere": ({}, ["index", "build", "--model", "/nonexistent/model"],
                                  ["/nonexistent/model", "policyqa model build"], False),
    "no-corpus-built": ({}, ["search", "养老"], ["no corpus built", "policyqa corpus build"], False),
}  # fmt: skip
TINY = ("关于社区养老服务的通知\n一、总体要求\n（一）目标。到2025年，社区养老服务覆盖率达到90%以上。推动养老服务高质量发展。\n"
        "（二）原则。坚持政府引导、社会参与。鼓励社会力量参与养老服务。\n")  # fmt: skip


@pytest.fixture(scope="module")
def tiny_home(encoder, tmp_path_factory) -> Settings:
    """A home whose corpus is one small document (``POLICYQA_DOCS``), indexed: a damaged index
    has no vectors to re-use, so every rebuild embeds the whole corpus — this keeps that cheap."""
    from corpus.docstore import add_document

    root = tmp_path_factory.mktemp("tiny")
    source = root / "社区养老通知.txt"
    source.write_text(TINY, encoding="utf-8")
    add_document(source, root / "docs", 20)
    settings = Settings(home=root / "home", docs_dir=root / "docs", model=MODEL_PATH)
    corpus.build(settings)
    build_index(settings, encoder)
    assert HybridIndex.load(settings.index_dir).sentences is not None
    return settings


def _damaged_home(tiny_home: Settings, root: Path, case: str) -> Settings:
    settings = copy_home(tiny_home, root / case)
    if case in REBUILDS:
        REBUILDS[case][0](settings.index_dir)
    elif case == "no-corpus-built":
        shutil.rmtree(settings.build_dir.resolve())
        settings.build_dir.unlink()
    return settings


def _case(case: str) -> tuple[dict, list[str]]:
    if case in REBUILDS:
        return {}, ["search", "养老", "-k", "3"]
    return FAILS[case][0], FAILS[case][1]


@pytest.fixture(scope="module")
def subprocess_runs(tiny_home, tmp_path_factory) -> dict:
    """`policyqa … --home H` of the subprocess cases, two at a time (model loads overlap)."""
    root = tmp_path_factory.mktemp("damaged")
    cases = [c for c, v in REBUILDS.items() if v[2]] + [c for c, v in FAILS.items() if v[3]]

    def run(case):
        settings = _damaged_home(tiny_home, root, case)
        env, args = _case(case)
        return case, (settings, run_cli(*args, "--home", str(settings.home),
                                        env=cli_env(POLICYQA_DOCS=str(tiny_home.docs_dir), **env)))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, cases))


def _in_process(tiny_home: Settings, tmp_path: Path, case: str) -> tuple[Settings, str, str]:
    """The case through CliRunner; (settings, stdout, stderr). An exception fails the test."""
    settings = _damaged_home(tiny_home, tmp_path, case)
    env, args = _case(case)
    environment = {"POLICYQA_MODEL": MODEL_PATH, "POLICYQA_HOME": None,
                   "POLICYQA_DOCS": str(tiny_home.docs_dir), **env}
    result = CliRunner().invoke(main, [*args, "--home", str(settings.home)], env=environment)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"unhandled {type(result.exception).__name__}: {result.exception}") \
            from result.exception
    code = result.exit_code
    return settings, result.stdout, result.stderr + ("" if code == 0 else f"\n[exit {code}]")


def _meaningful(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("case", list(REBUILDS))
def test_damaged_index_is_reported_in_one_line_and_rebuilt(request, tiny_home, tmp_path, caplog, case):
    if REBUILDS[case][2]:
        settings, proc = request.getfixturevalue("subprocess_runs")[case]
        assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
        assert proc.returncode == 0, proc.stderr[-3000:]
        lines, stdout = _meaningful(proc.stderr), proc.stdout
    else:  # pytest's log capture takes the warning that goes to stderr in a real run
        settings, stdout, stderr = _in_process(tiny_home, tmp_path, case)
        assert "[exit" not in stderr, stderr
        lines = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(lines) == 1, lines
    assert REBUILDS[case][1] in lines[0] and lines[0].endswith("rebuilding the index"), lines
    assert "run `policyqa index build`" in lines[0]  # names the fix, should it happen again
    assert stdout.startswith(" 1. [社区养老通知]"), stdout
    index = assert_verifies(settings)  # the rebuilt index verifies
    assert [r.doc_id for r in index.records] == ["社区养老通知"] * 2


@pytest.mark.parametrize("case", list(FAILS))
def test_unusable_setup_exits_with_one_line_naming_the_fix(request, tiny_home, tmp_path, case):
    if FAILS[case][3]:
        settings, proc = request.getfixturevalue("subprocess_runs")[case]
        assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
        assert proc.returncode != 0
        stderr = proc.stderr
    else:
        settings, _, stderr = _in_process(tiny_home, tmp_path, case)
        assert "[exit" in stderr
    errors = [line for line in _meaningful(stderr) if line.startswith("Error:")]
    assert len(errors) == 1, stderr[-3000:]
    for fragment in FAILS[case][2]:
        assert fragment in errors[0], errors[0]
    if case != "no-corpus-built":  # the index that was there is untouched
        assert read_manifest(settings.index_dir, verify=True).files == \
            read_manifest(tiny_home.index_dir, verify=True).files


# ---------------------------------------------------------------- under load: a rebuild during a load
def test_a_rebuild_swapped_in_during_a_load_gives_the_reader_one_whole_version(tiny_home, encoder, tmp_path,
                                                                                monkeypatch):
    """A reader (the app, a CLI search) loading the index while a build swaps a new one in must
    get one version whole — the old or the new — never the manifest of one and the files of
    the other. The swap is made to happen right after ``HybridIndex.load`` read the manifest."""
    import hashlib

    from corpus.docstore import add_document
    from index import hybrid_store as hybrid

    settings = copy_home(tiny_home, tmp_path / "home")
    second = tmp_path / "托育通知.txt"
    second.write_text("关于托育服务的通知\n一、总体要求\n（一）目标。发展普惠托育服务。\n（二）原则。社会参与。\n"
                      "（三）保障。加强用地保障。\n", encoding="utf-8")  # fmt: skip
    real = hybrid.read_manifest

    def read_then_swap(folder, verify=True):
        manifest = real(folder, verify=verify)
        monkeypatch.setattr(hybrid, "read_manifest", real)
        add_document(second, settings.user_docs_dir, 20)
        corpus.build(settings)
        build_index(settings, encoder)  # a writer swaps a new version in
        return manifest

    monkeypatch.setattr(hybrid, "read_manifest", read_then_swap)
    loaded = HybridIndex.load(settings.index_dir, encoder)
    assert len(loaded.records) == loaded.manifest.counts.records == len(loaded.clauses.vectors)
    written = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in loaded.records)
    assert hashlib.sha256(written.encode()).hexdigest() == loaded.manifest.corpus_hash
    assert loaded.search("养老", k=1)


# ---------------------------------------------------------------- a document removed while the app runs
REMOVED_TEXT = (
    "关于推进老年助餐服务的通知\n一、总体要求\n（一）目标任务。到2025年，全省城乡社区老年助餐点达到5000个以上，"
    "重点保障高龄、空巢、失能老年人用餐需求。（省民政厅牵头，省财政厅、省商务厅等部门按职责分工负责）\n"
    "（二）工作原则。坚持政府引导、社会参与、市场运作，推动助餐服务可持续发展。\n"
    "二、重点任务\n（一）拓展助餐服务网络。依托社区食堂、养老机构和餐饮企业设置助餐点，探索“中央厨房+配送”模式。\n"
)  # fmt: skip


def test_document_removed_while_the_app_runs_leaves_no_records_or_vectors(plan_copy, encoder, tmp_path):
    runner = CliRunner()

    def cli(*args):
        result = runner.invoke(main, [*args, "--home", str(plan_copy.home)],
                               env={"POLICYQA_MODEL": MODEL_PATH, "POLICYQA_HOME": None})
        assert result.exit_code == 0 and result.exception is None, result.output
        return result.stdout

    path = tmp_path / "老年助餐通知.txt"
    path.write_text(REMOVED_TEXT, encoding="utf-8")
    cli("corpus", "build", str(path))
    running = open_index(plan_copy)  # the app loads the index: stale → rebuilt with the document
    removed = [r for r in running.records if r.doc_id == "老年助餐通知"]
    assert len(removed) == 3
    fingerprint = running.manifest.model.fingerprint
    removed_keys = {vector_key(fingerprint, search_text(r)) for r in removed}
    removed_keys |= {vector_key(fingerprint, s.text) for r in removed for s in r.sentences}

    assert cli("corpus", "remove", "老年助餐通知").strip() == "removed 老年助餐通知"
    cli("corpus", "build")
    assert running.search("老年助餐点", k=3)  # the running app keeps serving its loaded index
    with pytest.raises(StaleIndex, match="corpus changed"):
        open_index(plan_copy, rebuild=False)
    index = open_index(plan_copy)  # the app's next load detects the stale index and rebuilds

    folder = plan_copy.index_dir
    assert_verifies(plan_copy)
    assert not [r for r in index.records if r.doc_id == "老年助餐通知"]
    on_disk = [json.loads(line) for line in (folder / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert not [r for r in on_disk if r["doc_id"] == "老年助餐通知" or r["id"].startswith("老年助餐通知#")]
    clause_rows = np.load(folder / "clause_vectors.npy").shape[0]
    sentence_rows = np.load(folder / "sentence_vectors.npy").shape[0]
    keys = json.loads((folder / "vector_keys.json").read_text(encoding="utf-8"))
    assert len(on_disk) == clause_rows == len(index.records) == 35
    assert len(keys) == clause_rows + sentence_rows
    assert len(np.load(folder / "sentence_rows.npy")) == sentence_rows
    assert int(np.load(folder / "sentence_rows.npy").max()) < clause_rows
    kept_texts = {search_text(r) for r in index.records} | {s.text for r in index.records for s in r.sentences}
    stale = {vector_key(fingerprint, t) for t in kept_texts} & removed_keys  # texts both documents share
    assert not (set(keys) & removed_keys) - stale
    assert all(h.record.doc_id != "老年助餐通知" for h in index.search("老年助餐点 中央厨房", k=10))
    assert cli("corpus", "records", "--doc", "老年助餐通知") == ""
