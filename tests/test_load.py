"""Holds under load (CI variant of ``tests/load/run_load.py``): 8 users asking the mixed
questions of ``eval/questions/plan.jsonl`` through the Gradio API for 10 s, then 15 s
more while a document is uploaded (corpus + index rebuilt and swapped) — no errors, every
answer complete, the new document searchable. No timing assertions: speed is in
``reports/load.md``; this runs in well under a minute on top of the app's start-up.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

LOAD = Path(__file__).resolve().parent / "load" / "run_load.py"
USERS, STEADY_S, UPLOAD_S = 8, 10, 15
# Gradio's own event analytics use pandas options that pandas 3 deprecates (once per event)
pytestmark = pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")


def _load_module():
    spec = importlib.util.spec_from_file_location("policyqa_run_load", LOAD)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


rl = _load_module()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a free port, serving a private copy of the built corpus and index."""
    from corpus.config import Settings

    source = Settings().home
    if (source / "corpus").exists() and (source / "index").exists():
        settings = Settings(home=rl.copy_home(source, tmp_path_factory.mktemp("load") / "home"))
    else:  # no `make data` yet: build the plan (re-embeds what the repository has not)
        from tests.test_web import built_home

        settings = built_home(tmp_path_factory, "load")
    server = rl.start_server(settings=settings)
    yield server
    server.close()


@pytest.fixture(scope="module")
def load(server):
    return rl.LoadTest(server.url, users=USERS, timeout_s=60, max_requests=2000)


@pytest.fixture(scope="module")
def upload_phase(load, server, tmp_path_factory):
    """The load with an upload in the middle; the document is removed afterwards."""
    path = rl.write_upload_doc(tmp_path_factory.mktemp("upload"))
    before = server.web.holder.version
    job = rl.upload_during_load(load, server, path, after_s=2, timeout_s=120)
    phase = load.run("during-upload", UPLOAD_S, during=job, max_extra_s=120)
    checks = rl.check_upload_phase(load, phase)
    yield phase, checks, before
    removal = rl.remove_uploaded(load, path.stem)
    assert removal["ok"] and removal["gone"], removal


def test_every_answer_is_complete(load):
    result = load.ask(load.clients[0], "谁牵头推动社区基础服务设施达标？")
    assert set(result) == rl.EXPECTED_KEYS
    assert rl.check_answer(result) is None
    assert rl.check_answer({"question": "", "error": "问题为空"}).startswith("error answer")
    assert rl.check_answer({"answer": "x"}).startswith("missing keys")


def test_steady_load_answers_every_question(load, server):
    phase = load.run("steady", STEADY_S)
    summary = phase.summary()
    assert summary["errors"] == 0, summary["error_examples"]
    assert summary["requests"] == summary["answered"] > 0
    assert {s.user for s in phase.samples} == set(range(USERS))  # every user got answers
    assert len(summary["by_type"]) >= 6  # the questions really are mixed
    assert summary["stopped_by"] == "time"
    settings = rl.queue_settings(server)
    assert settings["endpoints"]["ask"]["queue"] is True
    assert settings["endpoints"]["upload_document"]["concurrency_id"] == "manage"


def test_questions_during_an_upload_are_all_answered(upload_phase, server):
    phase, checks, before = upload_phase
    assert phase.upload["ok"], phase.upload
    assert server.web.holder.version == before + 1
    during = checks["during_rebuild"]
    assert during["requests"] > 0 and during["answered"] == during["requests"], during
    summary = phase.summary()
    assert summary["errors"] == 0, summary["error_examples"]
    assert checks["searchable_after"]["ok"], checks["searchable_after"]
    assert checks["ok"]


def test_ask_can_filter_to_the_uploaded_document(upload_phase):
    _, checks, _ = upload_phase
    assert checks["doc_filter_after"]["ok"], checks["doc_filter_after"]
