"""`policyqa search` and `policyqa index build` through click's CliRunner, on the
session's indexed plan home (``index_settings``)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from app.cli import main
from tests.conftest import MODEL_PATH, clone_home

HIT_FIELDS = {"rank", "id", "doc_id", "doc_title", "path", "title", "text", "evidence", "score",
              "scores", "departments"}  # fmt: skip


@pytest.fixture
def cli(index_settings):
    """Run ``policyqa ARGS --home <indexed plan home>``; the model comes from POLICYQA_MODEL."""
    runner = CliRunner()

    def run(*args, home=None):
        return runner.invoke(main, [*args, "--home", str(home or index_settings.home)],
                             env={"POLICYQA_MODEL": MODEL_PATH}, catch_exceptions=False)

    return run


def test_search_json_hits_carry_every_documented_field(cli):
    result = cli("search", "养老服务机构覆盖率", "-k", "3", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["query"] == "养老服务机构覆盖率" and out["mode"] == "hybrid"
    assert [h["rank"] for h in out["hits"]] == [1, 2, 3]
    for hit in out["hits"]:
        assert set(hit) == HIT_FIELDS
        assert hit["id"] == f"{hit['doc_id']}#{hit['path']}"
        assert set(hit["scores"]) == {"bm25", "dense"}
        assert isinstance(hit["scores"]["bm25"], float) and isinstance(hit["scores"]["dense"], float)
        assert set(hit["departments"]) == {"lead", "co", "implementers"}
        assert hit["evidence"] and all(hit["text"][e["start"] : e["end"]] == e["text"] for e in hit["evidence"])
    assert out["hits"][0]["path"] == "二¶2"


def test_search_bm25_mode_with_a_department(cli):
    result = cli("search", "城镇老旧小区改造", "--mode", "bm25", "--dept", "省住建厅", "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["hits"]
    assert hits
    for hit in hits:
        assert hit["scores"]["dense"] is None and hit["scores"]["bm25"] > 0
        assert "省住建厅" in [*hit["departments"]["lead"], *hit["departments"]["co"],
                            *hit["departments"]["implementers"]]  # fmt: skip


def test_search_text_output_lists_ranked_clauses(cli):
    result = cli("search", "三(五)1", "-k", "2", "--mode", "bm25")
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith(" 1. [gansu-2022-46] 三(五)1 ")


def test_batch_answers_each_line_in_order_with_its_id(cli, tmp_path):
    batch = tmp_path / "questions.jsonl"
    items = [
        {"id": "q1", "query": "托位数要达到多少", "k": 2},
        {"id": "q2", "query": "三(五)1", "mode": "bm25"},
        {"id": "q3", "query": "养老", "mode": "bm25", "dept": "卫健委", "k": 3},
    ]
    lines = [json.dumps(item, ensure_ascii=False) for item in items]
    batch.write_text(lines[0] + "\n\n" + "\n".join(lines[1:]) + "\n", encoding="utf-8")  # a blank line is skipped
    result = cli("search", "--batch", str(batch), "--json")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["q1", "q2", "q3"]
    assert len(out[0]["hits"]) == 2 and out[0]["hits"][0]["path"] == "二¶2"
    assert out[1]["hits"][0]["path"] == "三(五)1" and out[1]["hits"][0]["scores"]["dense"] is None
    assert out[2]["hits"] and all("省卫生健康委" in h["departments"]["lead"] + h["departments"]["co"]
                                  + h["departments"]["implementers"] for h in out[2]["hits"])  # fmt: skip


@pytest.mark.parametrize("bad_line, message", [
    ('{"id": "q2", "query": ', "不是合法的 JSON（Expecting value）"),
    ('["not", "an", "object"]', "不是 JSON 对象"),
    ('{"id": "q2", "query": "养老", "colour": "red"}', "未知字段 ['colour']"),
    ('{"id": "q2", "k": 3}', "“query” 应为字符串"),  # no question at all
    ('{"id": "q2", "query": "养老", "mode": "fuzzy"}', "未知的检索模式 'fuzzy'"),
    ('{"id": "q2", "query": "养老", "k": 0}', "k 应为 1 到 100 之间的整数"),
])  # fmt: skip
def test_malformed_batch_line_fails_naming_its_line_number(cli, tmp_path, bad_line, message):
    batch = tmp_path / "bad.jsonl"
    batch.write_text('{"id": "q1", "query": "养老"}\n' + bad_line + "\n", encoding="utf-8")
    result = cli("search", "--batch", str(batch), "--json")
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout  # the error object only: nothing is answered from a bad file
    error = json.loads(lines[0])
    assert set(error) == {"error"} and set(error["error"]) == {"code", "message", "fix"}
    assert error["error"]["code"] == "bad_request" and error["error"]["fix"]
    assert error["error"]["message"].startswith(f"{batch}:2: ") and message in error["error"]["message"]


def test_malformed_batch_line_without_json_is_message_and_fix_on_stderr(cli, tmp_path):
    batch = tmp_path / "bad.jsonl"
    batch.write_text('{"id": "q1", "query": "养老"}\n{"id": "q2", "query": "？？？"}\n', encoding="utf-8")
    result = cli("search", "--batch", str(batch))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"Error: {batch}:2: 问题为空") and " — " in result.stderr


def test_empty_batch_is_an_error(cli, tmp_path):
    batch = tmp_path / "empty.jsonl"
    batch.write_text("\n  \n", encoding="utf-8")
    result = cli("search", "--batch", str(batch), "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "empty_batch"


def test_unknown_department_is_a_one_line_error(cli):
    result = cli("search", "养老", "--dept", "省魔法部")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: 未找到部门“省魔法部” — ") and "Traceback" not in result.output
    result = cli("search", "养老", "--dept", "省魔法部", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "unknown_department"


def test_search_without_query_or_batch_is_a_usage_error(cli):
    result = cli("search")
    assert result.exit_code == 2 and "give a QUERY or --batch FILE" in result.output


def test_index_build_reuses_every_vector_of_an_unchanged_corpus(cli, index_settings, tmp_path):
    copy = clone_home(index_settings, tmp_path / "home")
    result = cli("index", "build", home=copy.home)
    assert result.exit_code == 0, result.output
    assert "35 records" in result.stdout and "(0 embedded," in result.stdout
