"""The two faces agree: for the same input, ``policyqa ask --json``, a line of
``policyqa ask --batch``, ``PolicyWeb.ask`` and the served ``/ask`` endpoint (through
gradio_client) give the same answer object, and for bad input the same error object
``{"error": {code, message, fix}}``; ``search --json`` and ``search --batch`` give the
same hits. Everything runs on the session's indexed plan home (``index_settings``)."""

from __future__ import annotations

import json
import socket
from dataclasses import replace

import pytest
from click.testing import CliRunner

from app.cli import main
from tests.conftest import MODEL_PATH

PLAN = "gansu-2022-46"
SCOPE = ("doc", "dept", "role", "domain", "section")

ASKS = [
    {"question": "谁牵头推动社区基础服务设施达标？"},
    {"question": "到2025年每千人口托位数要达到多少？"},
    {"question": "养老服务设施", "dept": "卫健委", "role": "lead"},
    {"question": "有哪些支持政策？", "section": "四(二)"},
    {"question": "三(五)1讲的是什么？", "doc": PLAN},
    {"question": "火星殖民计划的补贴是多少？"},  # abstains
]
BAD_ASKS = [
    ({"question": "？？？"}, "empty_question"),
    ({"question": "养老服务", "dept": "火星局"}, "unknown_department"),
    ({"question": "养老服务", "doc": "no-such-doc"}, "unknown_document"),
]
SEARCHES = [
    {"query": "托育服务设施", "k": 5},
    {"query": "城镇老旧小区改造", "mode": "bm25", "dept": "省住建厅"},
    {"query": "养老", "k": 3, "dept": "卫健委", "role": "co"},
    {"query": "三(五)1", "k": 2, "mode": "dense", "doc": PLAN},
    {"query": "有哪些支持政策", "section": "四(二)", "k": 3},
]
BAD_SEARCHES = [
    ({"query": "？？？"}, "empty_question"),
    ({"query": "养老服务", "dept": "火星局"}, "unknown_department"),
    ({"query": "养老服务", "doc": "no-such-doc"}, "unknown_document"),
]
ANSWER_KEYS = {"question", "intent", "answer", "abstained", "citations", "departments", "targets", "hits",
               "notice"}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_json(obj) -> dict:
    """What a JSON consumer sees (tuples become lists)."""
    return json.loads(json.dumps(obj, ensure_ascii=False))


def flags(item: dict) -> list[str]:
    out = []
    for name in SCOPE:
        if item.get(name):
            out += [f"--{name}", item[name]]
    for name, flag in (("k", "-k"), ("mode", "--mode")):
        if name in item:
            out += [flag, str(item[name])]
    return out


def the_error(obj: dict) -> dict:
    assert set(obj) == {"error"}, obj
    assert set(obj["error"]) == {"code", "message", "fix"}, obj
    assert obj["error"]["message"] and obj["error"]["fix"]
    return obj["error"]


@pytest.fixture(scope="module")
def settings(index_settings):
    return replace(index_settings, auth="", auth_file="")


@pytest.fixture(scope="module")
def cli(settings):
    """``policyqa ARGS --home <indexed plan home>`` → the click Result."""
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, [*args, "--home", str(settings.home)],
                             env={"POLICYQA_MODEL": MODEL_PATH}, catch_exceptions=False)

    return run


@pytest.fixture(scope="module")
def served(settings):
    """The app served on a free port by ``launch`` (its PolicyWeb, and a raw client)."""
    from gradio_client import Client

    from app.web import launch

    demo = launch(settings, host="127.0.0.1", port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        client = Client(demo.local_url, verbose=False, analytics_enabled=False, download_files=False)
        yield demo.policyqa, client
    finally:
        demo.close()


def write_batch(tmp_path, name: str, items: list[dict]):
    path = tmp_path / name
    path.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), encoding="utf-8")
    return path


def cli_json(result) -> dict:
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.output
    return json.loads(lines[0])


def web_args(item: dict) -> tuple:
    """PolicyWeb.ask / the /ask endpoint take (question, doc, dept, domain, role, section)."""
    return (item["question"], item.get("doc", ""), item.get("dept", ""), item.get("domain", ""),
            item.get("role", "any"), item.get("section", ""))


# ---------------------------------------------------------------- ask
def test_ask_answers_agree_across_cli_batch_web_and_api(cli, served, tmp_path):
    web, client = served
    batch = write_batch(tmp_path, "asks.jsonl", [{"id": f"q{n}", **item} for n, item in enumerate(ASKS)])
    result = cli("ask", "--batch", str(batch), "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == [f"q{n}" for n in range(len(ASKS))]
    for item, line in zip(ASKS, lines):
        single = cli("ask", item["question"], *flags(item), "--json")
        assert single.exit_code == 0, single.output
        from_cli = cli_json(single)
        assert set(from_cli) == ANSWER_KEYS
        from_batch = {k: v for k, v in line.items() if k != "id"}
        from_web = as_json(web.ask(*web_args(item)))
        from_api = client.predict(*web_args(item), api_name="/ask")
        for other in (from_batch, from_web, from_api):
            assert set(other) == ANSWER_KEYS, item
            assert other["citations"] == from_cli["citations"], item
            assert [h["id"] for h in other["hits"]] == [h["id"] for h in from_cli["hits"]], item
            assert other == from_cli, item
    assert any(line["abstained"] for line in lines) and not all(line["abstained"] for line in lines)
    assert all(line["citations"] for line in lines if not line["abstained"])


@pytest.mark.parametrize("item, code", BAD_ASKS, ids=[c for _, c in BAD_ASKS])
def test_ask_errors_agree_across_cli_batch_web_and_api(cli, served, tmp_path, item, code):
    web, client = served
    single = cli("ask", item["question"], *flags(item), "--json")
    assert single.exit_code == 1
    error = the_error(cli_json(single))
    assert error["code"] == code

    plain = cli("ask", item["question"], *flags(item))  # without --json: message and fix on stderr
    assert plain.exit_code == 1 and plain.stdout == ""
    assert plain.stderr == f"Error: {error['message']} — {error['fix']}\n"  # one line

    assert the_error(as_json(web.ask(*web_args(item)))) == error
    assert the_error(client.predict(*web_args(item), api_name="/ask")) == error

    # In a batch the same error names file:line, and nothing is answered before it.
    batch = write_batch(tmp_path, "bad.jsonl", [{"id": "ok", "question": "养老服务设施"}, {"id": "bad", **item}])
    result = cli("ask", "--batch", str(batch), "--json")
    assert result.exit_code == 1
    in_batch = the_error(cli_json(result))
    assert in_batch == {**error, "message": f"{batch}:2: {error['message']}"}


# ---------------------------------------------------------------- search
def test_search_hits_agree_between_json_and_batch(cli, served, tmp_path):
    web, _ = served
    batch = write_batch(tmp_path, "searches.jsonl", [{"id": n, **item} for n, item in enumerate(SEARCHES)])
    result = cli("search", "--batch", str(batch), "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == list(range(len(SEARCHES)))
    for item, line in zip(SEARCHES, lines):
        assert set(line) == {"id", "hits"}
        single = cli("search", item["query"], *flags(item), "--json")
        assert single.exit_code == 0, single.output
        from_cli = cli_json(single)
        assert from_cli["query"] == item["query"] and from_cli["mode"] == item.get("mode", "hybrid")
        assert from_cli["hits"], item
        assert line["hits"] == from_cli["hits"], item
        assert len(from_cli["hits"]) <= item.get("k", 10)
        # the web's side-by-side table of the same mode lists the same clauses
        frames = dict(zip(("bm25", "dense", "hybrid"),
                          web.search(item["query"], item.get("k", 10), item.get("doc", ""), item.get("dept", ""),
                                     item.get("domain", ""), item.get("role", "any"), item.get("section", ""))))
        assert list(frames[item.get("mode", "hybrid")]["条款"]) == [h["path"] for h in from_cli["hits"]], item


@pytest.mark.parametrize("item, code", BAD_SEARCHES, ids=[c for _, c in BAD_SEARCHES])
def test_search_errors_agree_between_json_and_batch(cli, tmp_path, item, code):
    single = cli("search", item["query"], *flags(item), "--json")
    assert single.exit_code == 1
    error = the_error(cli_json(single))
    assert error["code"] == code
    batch = write_batch(tmp_path, "bad.jsonl", [{"id": 1, "query": "养老"}, {"id": 2, **item}])
    result = cli("search", "--batch", str(batch), "--json")
    assert result.exit_code == 1
    assert the_error(cli_json(result)) == {**error, "message": f"{batch}:2: {error['message']}"}


def test_unknown_domain_is_the_same_error_object_on_every_face(cli, served):
    """An unknown domain is a PolicyError (``unknown_domain``) in the core; the API says so too."""
    web, client = served
    item = {"question": "养老服务", "domain": "航天"}
    single = cli("ask", item["question"], *flags(item), "--json")
    assert single.exit_code == 1
    error = the_error(cli_json(single))
    assert error["code"] == "unknown_domain"
    assert the_error(as_json(web.ask(*web_args(item)))) == error
    assert the_error(client.predict(*web_args(item), api_name="/ask")) == error
