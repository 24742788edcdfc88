"""Holds under load (CI variant of ``python -m tools.load``): 8 users asking the mixed
questions of ``eval/questions/plan.jsonl`` through the Gradio API for 10 s, then 15 s
more while a document is uploaded (corpus + index rebuilt and swapped) — no errors, every
answer complete, the new document searchable. No timing assertions: speed is in
``reports/load.md``; this runs in well under a minute on top of the app's start-up.
"""

from __future__ import annotations

import pytest

from tools import load as rl
from tools.common import copy_home

USERS, STEADY_S, UPLOAD_S = 8, 10, 15
pytestmark = [
    pytest.mark.load,
    # Gradio's own event analytics use pandas options that pandas 3 deprecates (once per event)
    pytest.mark.filterwarnings("ignore::Warning:gradio.queueing"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    """The app on a free port, serving a private copy of the built corpus and index: the
    configured home's (``make data``) if it has both, else the session's indexed plan."""
    from corpus.config import Settings

    source = Settings().home
    if not ((source / "corpus").exists() and (source / "index").exists()):
        source = request.getfixturevalue("index_settings").home  # builds the plan (conftest)
    settings = Settings(home=copy_home(source, tmp_path_factory.mktemp("load") / "home"))
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
    before = server.index_version
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
    if before is not None:  # the in-process app says which index it serves
        assert server.index_version == before + 1
    assert phase.upload["processing_s"] > 0, phase.upload  # timed from the server's status
    during = checks["during_rebuild"]
    assert during["requests"] > 0 and during["answered"] == during["requests"], during
    summary = phase.summary()
    assert summary["errors"] == 0, summary["error_examples"]
    assert checks["searchable_after"]["ok"], checks["searchable_after"]
    assert checks["ok"]


def test_ask_can_filter_to_the_uploaded_document(upload_phase):
    _, checks, _ = upload_phase
    assert checks["doc_filter_after"]["ok"], checks["doc_filter_after"]
