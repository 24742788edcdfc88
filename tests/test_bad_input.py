"""Bad input through the command line: every case gets an answer, an abstention or a clear
one-line error — never a stack trace (issue: holds under load, faults and bad input).

The table of cases, with the expected behaviour and the test that holds it, is
``reports/bad-input.md``. Questions run against the session's indexed plan home
(``index_settings``, read-only); file cases run on a private copy of the plan's corpus home.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import corpus
import qa
from app.cli import main
from corpus.config import REPO_ROOT, Settings
from corpus.departments import load_dictionary
from index.hybrid import Filters
from index.store import read_manifest
from qa.citations import verify
from tests.conftest import MODEL_PATH, clone_home

LONG = 10_000


# ---------------------------------------------------------------- helpers
def invoke(home: Path, *args: str, env: dict | None = None):
    """``policyqa ARGS --home HOME`` in-process; exceptions are caught so a traceback fails."""
    environment = {"POLICYQA_MODEL": MODEL_PATH, "POLICYQA_HOME": None, **(env or {})}
    return CliRunner().invoke(main, [*args, "--home", str(home)], env=environment)


def assert_no_traceback(result) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"unhandled {type(result.exception).__name__}: {result.exception}") \
            from result.exception
    assert "Traceback" not in result.output


def assert_clear_error(result, *fragments: str, exit_codes=(1, 2)) -> str:
    """A non-zero exit with one ``Error: …`` line on stderr naming ``fragments``; returns that line.

    A user error (exit 1) is that one line and nothing else: no output before it, nothing on stdout.
    """
    assert_no_traceback(result)
    assert result.exit_code in exit_codes, (result.exit_code, result.output)
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert errors[0] in result.stderr.splitlines(), f"the error belongs on stderr: {result.output}"
    if result.exit_code == 1:
        assert result.stderr.splitlines() == errors and result.stdout == "", result.output
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    return errors[0]


def assert_json_error(result, code: str, *fragments: str) -> dict:
    """``--json``: exit 1 and only ``{"error": {code, message, fix}}`` on stdout — nothing
    printed before it (a batch is checked whole first); ``fragments`` are in message or fix."""
    assert_no_traceback(result)
    assert result.exit_code == 1, (result.exit_code, result.output)
    lines = result.stdout.splitlines()
    assert len(lines) == 1, f"only the error object on stdout: {result.output}"
    out = json.loads(lines[0])
    assert list(out) == ["error"] and sorted(out["error"]) == ["code", "fix", "message"], out
    error = out["error"]
    assert error["code"] == code, error
    text = f"{error['message']} — {error['fix']}"
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    assert "Error:" not in result.stderr, result.stderr
    return error


def assert_ok(result) -> str:
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    return result.stdout


def write_batch(path: Path, *lines: str | bytes) -> Path:
    """A JSON Lines file of ``lines`` (text as UTF-8, bytes as they are), one a line."""
    path.write_bytes(b"".join((x if isinstance(x, bytes) else x.encode("utf-8")) + b"\n" for x in lines))
    return path


@pytest.fixture
def ask(index_settings, plan_index):
    """``policyqa ask QUESTION --json`` → the answer object (citations checked verbatim)."""

    def run(question: str, *options: str) -> dict:
        out = json.loads(assert_ok(invoke(index_settings.home, "ask", question, *options, "--json")))
        for citation in out["citations"]:
            record = plan_index.record(citation["record_id"])
            assert verify(qa.Citation(**citation), record), citation
        return out

    return run


@pytest.fixture
def cli(index_settings):
    def run(*args: str, env: dict | None = None):
        return invoke(index_settings.home, *args, env=env)

    return run


# ---------------------------------------------------------------- questions
def test_empty_question_is_a_usage_error(cli):
    assert_clear_error(cli("ask", ""), "give a QUESTION", exit_codes=(2,))
    assert_clear_error(cli("search", ""), "give a QUERY", exit_codes=(2,))


@pytest.mark.parametrize("question", [
    pytest.param(" \t\n  ", id="whitespace"),
    pytest.param("\u3000\u3000", id="ideographic-spaces"),
    pytest.param("？？？！！。。、……", id="only-punctuation"),
    pytest.param("\x00\x01\x1b\x7f", id="only-control-characters"),
    pytest.param("😀👵🏻🙏", id="only-emoji"),
    pytest.param("\u200b\u200d\ufeff\u202e", id="only-invisible-format-characters"),
])  # fmt: skip
def test_question_without_words_is_a_clear_error(cli, question):
    assert_json_error(cli("ask", question, "--json"), "empty_question", "问题为空或没有文字", "三(二)1")
    assert_clear_error(cli("ask", question), "问题为空或没有文字", exit_codes=(1,))


def test_long_question_is_truncated_with_a_notice(ask, cli):
    question = ("养老服务机构覆盖率要达到多少？" * (LONG // 15 + 1))[:LONG]
    out = ask(question)
    assert len(out["question"]) == Settings().max_question_chars
    assert out["notice"] == f"问题过长，只使用了前 {Settings().max_question_chars} 个字。"
    text = assert_ok(cli("ask", question))
    assert f"（{out['notice']}）" in text.splitlines()


def test_long_search_query_is_searched(cli):
    hits = json.loads(assert_ok(cli("search", "养老服务" * (LONG // 4), "-k", "3", "--json")))["hits"]
    assert len(hits) == 3


def test_control_characters_are_stripped(ask):
    plain = ask("养老服务机构覆盖率要达到多少？")
    noisy = ask("养老\x00服务\x07机构\x1b覆盖率\x7f要达到\u200b多少？\x08")
    assert noisy["question"] == plain["question"]
    assert noisy["answer"] == plain["answer"] and not noisy["abstained"]


def test_emoji_around_a_question_are_ignored(ask):
    plain = ask("养老服务机构覆盖率要达到多少？")
    emoji = ask("👵养老服务机构覆盖率要达到多少？😀🙏")
    assert [c["record_id"] for c in emoji["citations"]] == [c["record_id"] for c in plain["citations"]]
    assert not emoji["abstained"]


def test_traditional_question_answers_like_simplified(ask):
    simplified = ask("谁牵头推动社区基础服务设施达标？")
    traditional = ask("誰牽頭推動社區基礎服務設施達標？")
    assert traditional["question"] == simplified["question"]
    assert traditional["answer"] == simplified["answer"]
    assert traditional["departments"]["lead"] == ["省住建厅"]


def test_full_width_letters_digits_and_question_mark_are_normalized(ask):
    assert ask("ＡＢＣ１２３、全角问号？")["question"] == "ABC123、全角问号？"
    ascii_digits = ask("到2025年养老服务机构覆盖率达到多少?")
    full_width = ask("到２０２５年养老服务机构覆盖率达到多少？")
    assert full_width["question"] == ascii_digits["question"] == "到2025年养老服务机构覆盖率达到多少？"
    assert full_width["answer"] == ascii_digits["answer"]


def test_mixed_script_question_gets_an_answer_or_abstains(ask):
    out = ask("养老 service 補貼 for ｅｌｄｅｒｌｙ 2025 年 ﾃｽﾄ")
    assert out["question"].startswith("养老 service 补贴 for elderly 2025")
    assert out["abstained"] or out["citations"]


@pytest.mark.parametrize("markup", [
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param('<img src=x onerror="alert(1)"><b>', id="html"),
])  # fmt: skip
def test_markup_in_a_question_is_carried_as_plain_text(ask, markup):
    out = ask(markup + "谁牵头推动社区基础服务设施达标？")
    tag = markup[: markup.index(" ") if " " in markup else markup.index(">") + 1]
    assert tag in out["question"]  # the JSON carries the markup verbatim, as a string
    assert out["departments"]["lead"] == ["省住建厅"]  # …and the question is still answered
    assert "<" not in out["answer"]  # nothing of it is echoed into the answer text


def test_sql_looking_question_is_just_text(ask, index_settings):
    before = read_manifest(index_settings.index_dir, verify=True)
    out = ask("' OR 1=1; DROP TABLE records;--")
    assert "DROP TABLE records" in out["question"]
    assert out["abstained"]
    after = read_manifest(index_settings.index_dir, verify=True)
    assert after.files == before.files


@pytest.mark.parametrize("number", [pytest.param("2025", id="year"), pytest.param("12345678901234567890", id="twenty-digits"),
                                    pytest.param("３．１４", id="full-width-decimal")])
def test_number_only_question_gets_an_answer_or_abstains(ask, number):
    out = ask(number)
    assert out["abstained"] or out["citations"]


@pytest.mark.parametrize("path", [pytest.param("九(九)9", id="plan-item"), pytest.param("三(九十九)", id="plan-section"),
                                  pytest.param("第九百九十九条", id="law-article")])
def test_clause_path_that_does_not_exist_abstains(ask, path):
    out = ask(path)
    assert out["abstained"] and not out["citations"]
    assert out["answer"].startswith(qa.ABSTAIN_TEXT)


@pytest.mark.parametrize("command", ["ask", "search"])
def test_unknown_department_filter_is_a_clear_error_naming_valid_names(cli, command):
    line = assert_clear_error(cli(command, "养老服务", "--dept", "火星局"), "火星局")
    dictionary = load_dictionary()
    named = [name for name in dictionary.aliases if name in line]
    assert named, f"the message names no valid department: {line}"


def test_unknown_department_filter_in_the_api_is_a_value_error(plan_index):
    with pytest.raises(ValueError, match="火星局"):
        plan_index.search("养老", filters=Filters(dept="火星局"))
    with pytest.raises(ValueError, match="火星局"):
        qa.answer("养老补贴", plan_index, Filters(dept="火星局"))


def test_unknown_mode_is_a_clear_error(cli, plan_index):
    assert_clear_error(cli("search", "养老", "--mode", "fuzzy"), "fuzzy", "bm25", "hybrid", exit_codes=(2,))
    with pytest.raises(ValueError, match="未知的检索模式“fuzzy” — 可选：bm25、dense、hybrid"):
        plan_index.search("养老", mode="fuzzy")


@pytest.mark.parametrize("k", ["0", "-3", "101"])
def test_k_out_of_range_is_a_clear_error(cli, k):
    assert_clear_error(cli("search", "养老", "-k", k), f"k 应为 1 到 100 之间的整数，而不是 {k}", exit_codes=(1,))
    assert_json_error(cli("search", "养老", "-k", k, "--json"), "bad_request", "k 应为 1 到 100")


def test_k_that_is_not_a_number_is_a_usage_error(cli):
    assert_clear_error(cli("search", "养老", "-k", "ten"), "'ten' is not a valid integer", exit_codes=(2,))


@pytest.mark.parametrize("command", ["ask", "search"])
@pytest.mark.parametrize("option, value, code, fix", [
    pytest.param("--doc", "no-such-doc", "unknown_document", "policyqa corpus docs", id="unknown-doc"),
    pytest.param("--domain", "火星", "unknown_domain", "养老", id="unknown-domain"),
])  # fmt: skip
def test_unknown_doc_or_domain_filter_is_a_clear_error(cli, command, option, value, code, fix):
    """A filter naming nothing in the index is refused (naming it and where to find valid
    values), not answered with "no matching clauses" as if the corpus had nothing on it."""
    assert_clear_error(cli(command, "养老服务", option, value), value, fix, exit_codes=(1,))
    assert_json_error(cli(command, "养老服务", option, value, "--json"), code, value, fix)


def test_section_matching_nothing_says_so(cli):
    """A section is a path prefix, not a name from a list: matching nothing is an empty result."""
    assert assert_ok(cli("search", "养老", "--section", "九(九)")).strip() == "no matching clauses"


@pytest.mark.parametrize("query", [pytest.param("   ", id="whitespace"), pytest.param("？？？", id="punctuation")])
def test_search_without_words_is_a_clear_error(cli, query):
    """Like ``ask``: a query with no word in it is refused, not answered with arbitrary clauses."""
    assert_clear_error(cli("search", query), "问题为空或没有文字", exit_codes=(1,))
    assert_json_error(cli("search", query, "--json"), "empty_question")


# ---------------------------------------------------------------- batch files
# A batch is checked whole — every line's JSON, fields, types, words, and its filters against
# the index — before any output and before the model loads; a problem names ``file:line``.
@pytest.mark.parametrize("line, code, fragment", [
    pytest.param('{"id": 1, "query": "养老"', "bad_request", "不是合法的 JSON", id="malformed-json"),
    pytest.param('["养老"]', "bad_request", "不是 JSON 对象", id="not-an-object"),
    pytest.param('{"id": 1, "query": "养老", "colour": "red"}', "bad_request", "未知字段 ['colour']", id="unknown-field"),
    pytest.param('{"id": 1}', "bad_request", "“query”", id="missing-query"),
    pytest.param('{"id": 1, "query": "养老", "k": null}', "bad_request", "k 应为 1 到 100", id="k-null"),
    pytest.param('{"id": 1, "query": 123}', "bad_request", "“query” 应为字符串", id="query-not-a-string"),
    pytest.param('{"id": 1, "query": "养老", "mode": "fuzzy"}', "bad_request", "fuzzy", id="unknown-mode"),
    pytest.param('{"id": 1, "query": "养老", "role": "boss"}', "bad_request", "boss", id="unknown-role"),
    pytest.param('{"id": 1, "query": "养老", "dept": 7}', "bad_request", "“dept” 应为字符串", id="dept-not-a-string"),
])  # fmt: skip
def test_bad_search_batch_line_is_a_clear_error(cli, tmp_path, line, code, fragment):
    batch = write_batch(tmp_path / "queries.jsonl", '{"id": 0, "query": "托育"}', line)
    assert_json_error(cli("search", "--batch", str(batch), "--json"), code, f"{batch}:2: ", fragment)
    assert_clear_error(cli("search", "--batch", str(batch)), f"{batch}:2: ", fragment, exit_codes=(1,))


@pytest.mark.parametrize("line, code, fragment", [
    pytest.param('{"id": 1}', "bad_request", "“question”", id="missing-question"),
    pytest.param('{"id": 1, "question": "   "}', "empty_question", "问题为空或没有文字", id="blank-question"),
    pytest.param('{"id": 1, "question": 123}', "bad_request", "“question” 应为字符串", id="question-not-a-string"),
    pytest.param('{"id": 1, "question": ["养老"]}', "bad_request", "“question” 应为字符串", id="question-a-list"),
    pytest.param('{"id": 1, "question": "养老", "dept": "火星局"}', "unknown_department", "火星局",
                 id="unknown-department"),
])  # fmt: skip
def test_bad_ask_batch_line_refuses_the_batch_before_any_answer(cli, tmp_path, line, code, fragment):
    """Before: the bad line got an error object and the rest were answered (or a traceback
    ended the batch midway). Now nothing is answered until every line is right, so a run
    never leaves a half-written output file; the error says which line to fix."""
    batch = write_batch(tmp_path / "questions.jsonl", line, '{"id": 2, "question": "谁牵头推动社区基础服务设施达标？"}')
    result = cli("ask", "--batch", str(batch), "--json")
    assert_json_error(result, code, f"{batch}:1: ", fragment)
    assert "省住建厅" not in result.output  # line 2 was not answered either
    assert_clear_error(cli("ask", "--batch", str(batch)), f"{batch}:1: ", fragment, exit_codes=(1,))


def test_good_batches_are_answered_line_by_line(cli, tmp_path):
    """The control for the cases above: the same files with good lines run, one output a line."""
    searches = write_batch(tmp_path / "queries.jsonl", '{"id": 0, "query": "托育", "k": 2}', "",
                           '{"id": "b", "query": "养老", "k": 3, "mode": "bm25", "dept": "民政厅"}')
    out = [json.loads(x) for x in assert_ok(cli("search", "--batch", str(searches), "--json")).splitlines()]
    assert [(o["id"], len(o["hits"])) for o in out] == [(0, 2), ("b", 3)]
    questions = write_batch(tmp_path / "questions.jsonl", '{"id": 2, "question": "谁牵头推动社区基础服务设施达标？"}')
    (answer,) = [json.loads(x) for x in assert_ok(cli("ask", "--batch", str(questions), "--json")).splitlines()]
    assert answer["id"] == 2 and answer["departments"]["lead"] == ["省住建厅"]


@pytest.mark.parametrize("query", [pytest.param("？？？", id="punctuation"), pytest.param("", id="empty-string"),
                                   pytest.param(" \u3000 ", id="spaces")])
def test_search_batch_query_without_words_is_refused_with_file_and_line(cli, tmp_path, query):
    """Not ten arbitrary hits for a line with nothing to search."""
    batch = write_batch(tmp_path / "queries.jsonl", '{"id": 1, "query": "养老"}', json.dumps({"id": 2, "query": query}))
    assert_json_error(cli("search", "--batch", str(batch), "--json"), "empty_question", f"{batch}:2: ", "问题为空")
    assert_clear_error(cli("search", "--batch", str(batch)), f"{batch}:2: ", "问题为空", exit_codes=(1,))


@pytest.mark.parametrize("k", [-5, 0, 101, 2.5, True, "3"])
def test_search_batch_bad_k_on_line_2_prints_nothing_for_line_1(cli, tmp_path, k):
    batch = write_batch(tmp_path / "queries.jsonl", '{"id": 1, "query": "养老"}', json.dumps({"query": "养老", "k": k}))
    error = assert_json_error(cli("search", "--batch", str(batch), "--json"), "bad_request", f"{batch}:2: ",
                              "k 应为 1 到 100 之间的整数", "把 k 设为 1–100")
    assert f"{batch}:1:" not in error["message"]
    assert_clear_error(cli("search", "--batch", str(batch)), f"{batch}:2: ", exit_codes=(1,))


@pytest.mark.parametrize("command", ["search", "ask"])
@pytest.mark.parametrize("bad", [pytest.param(b'{"id": 2, "query": "\xff\xfe"}', id="invalid-bytes"),
                                 pytest.param('{"id": 2, "query": "养老"}'.encode("gbk"), id="gbk-line")])
def test_batch_line_that_is_not_utf8_names_file_and_line(cli, tmp_path, command, bad):
    field = "query" if command == "search" else "question"
    batch = write_batch(tmp_path / "batch.jsonl", json.dumps({"id": 1, field: "养老"}, ensure_ascii=False),
                        bad.replace(b'"query"', f'"{field}"'.encode()))
    assert_json_error(cli(command, "--batch", str(batch), "--json"), "bad_request", f"{batch}:2: ", "UTF-8")
    assert_clear_error(cli(command, "--batch", str(batch)), f"{batch}:2: ", "不是 UTF-8 编码", exit_codes=(1,))


@pytest.mark.parametrize("command", ["search", "ask"])
@pytest.mark.parametrize("content", [pytest.param(b"", id="zero-bytes"), pytest.param(b"\n" * 10_000, id="10000-blank-lines"),
                                     pytest.param(b" \t\r\n" * 100, id="whitespace-lines")])
def test_empty_batch_is_an_error_not_a_silent_success(cli, tmp_path, command, content):
    batch = tmp_path / "batch.jsonl"
    batch.write_bytes(content)
    assert_json_error(cli(command, "--batch", str(batch), "--json"), "empty_batch", str(batch), "没有任何请求")
    assert_clear_error(cli(command, "--batch", str(batch)), str(batch), "没有任何请求", exit_codes=(1,))


@pytest.mark.parametrize("command", ["search", "ask"])
@pytest.mark.parametrize("field, value, code", [
    pytest.param("dept", "火星局", "unknown_department", id="unknown-department"),
    pytest.param("doc", "no-such-doc", "unknown_document", id="unknown-doc"),
    pytest.param("domain", "火星", "unknown_domain", id="unknown-domain"),
])  # fmt: skip
def test_batch_filter_unknown_to_the_index_is_refused_before_any_output(cli, tmp_path, command, field, value, code):
    text = "query" if command == "search" else "question"
    batch = write_batch(tmp_path / "batch.jsonl", json.dumps({"id": 1, text: "谁牵头推动社区基础服务设施达标？"}),
                        json.dumps({"id": 2, text: "养老服务", field: value}, ensure_ascii=False))
    assert_json_error(cli(command, "--batch", str(batch), "--json"), code, f"{batch}:2: ", value)
    assert_clear_error(cli(command, "--batch", str(batch)), f"{batch}:2: ", value, exit_codes=(1,))


def test_batch_with_a_utf8_bom_is_read(cli, tmp_path):
    """Windows tools save "UTF-8" with a BOM (policyqa's own CSV output has one); the first
    line of such a batch is the same JSON object. Bug today: refused as ``FILE:1: 不是合法的
    JSON（Unexpected UTF-8 BOM …）— 每行写一个 JSON 对象``, a fix the file already follows."""
    batch = tmp_path / "queries.jsonl"
    batch.write_bytes(b"\xef\xbb\xbf" + '{"id": 1, "query": "养老", "k": 1}\r\n{"id": 2, "query": "托育", "k": 1}\r\n'.encode())
    out = [json.loads(x) for x in assert_ok(cli("search", "--batch", str(batch), "--json")).splitlines()]
    assert [(o["id"], len(o["hits"])) for o in out] == [(1, 1), (2, 1)]


# ---------------------------------------------------------------- checked before the model loads
def test_k_0_is_refused_before_the_model_loads(index_settings, tmp_path):
    """With no model at POLICYQA_MODEL any model load fails with ``model_not_found``; ``-k 0``
    (and a bad batch line) must fail first, on its own message."""
    no_model = {"POLICYQA_MODEL": "/nonexistent"}
    assert_json_error(invoke(index_settings.home, "search", "-k", "0", "养老", "--json", env=no_model),
                      "bad_request", "k 应为 1 到 100 之间的整数，而不是 0")
    assert_clear_error(invoke(index_settings.home, "search", "-k", "0", "养老", env=no_model),
                       "k 应为 1 到 100", exit_codes=(1,))
    batch = write_batch(tmp_path / "queries.jsonl", '{"id": 1, "query": "养老"}', '{"query": "养老", "k": -5}')
    assert_json_error(invoke(index_settings.home, "search", "--batch", str(batch), "--json", env=no_model),
                      "bad_request", f"{batch}:2: ")
    # the control: the same environment does fail a good query, on the model (in a copy: it may rebuild)
    copy = clone_home(index_settings, tmp_path / "home")
    assert_json_error(invoke(copy.home, "search", "-k", "1", "养老", "--json", env=no_model),
                      "model_not_found", "/nonexistent")


# ---------------------------------------------------------------- settings
@pytest.mark.parametrize("variable, value, accepted", [
    pytest.param("POLICYQA_FUSION", "foo", "one of scaled, weighted, rrf", id="fusion"),
    pytest.param("POLICYQA_MAX_UPLOAD_MB", "abc", "a whole number ≥ 1", id="max-upload-mb"),
])  # fmt: skip
@pytest.mark.parametrize("args", [pytest.param(("search", "养老"), id="search"),
                                  pytest.param(("ask", "养老补贴"), id="ask"),
                                  pytest.param(("corpus", "docs"), id="corpus-docs")])
def test_bad_setting_is_one_line_naming_the_variable_and_accepted_values(cli, variable, value, accepted, args):
    line = assert_clear_error(cli(*args, env={variable: value}), f"{variable}='{value}' is not valid", accepted,
                              exit_codes=(1,))
    assert line.count(variable) == 2  # the problem and the fix both name it


@pytest.mark.parametrize("variable, value, accepted", [
    pytest.param("POLICYQA_FUSION", "foo", "one of scaled, weighted, rrf", id="fusion"),
    pytest.param("POLICYQA_MAX_UPLOAD_MB", "abc", "a whole number ≥ 1", id="max-upload-mb"),
])  # fmt: skip
def test_bad_setting_with_json_is_the_error_object(cli, variable, value, accepted):
    """``--json`` promises the error object on stdout for every user-fixable problem (README,
    Errors). Bug today: ``app/cli_common.py`` ``settings_for`` turns the ``bad_setting``
    PolicyError into a plain ``click.ClickException``, so ``--json`` gets the text line on stderr."""
    assert_json_error(cli("search", "养老", "--json", env={variable: value}), "bad_setting", variable, accepted)


# ---------------------------------------------------------------- scratch folders
def _dead_pid() -> int:
    """The pid of a process that has exited (tried a few times: a pid can be reused at once)."""
    for _ in range(5):
        child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                               capture_output=True, text=True, check=True)
        pid = int(child.stdout)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
    raise AssertionError("no dead pid found in 5 tries")


def test_stale_scratch_of_a_dead_process_is_removed_and_a_live_ones_kept(tmp_path):
    from core import clean_stale_scratch

    dead = tmp_path / f"policyqa-scratch-{_dead_pid()}-k3x9"
    (dead / "backup-1").mkdir(parents=True)
    (dead / "backup-1" / "source.txt").write_text("养老", encoding="utf-8")
    live = tmp_path / f"policyqa-scratch-{os.getpid()}-a1b2"
    live.mkdir()
    (live / "部门职责.csv").write_text("角色", encoding="utf-8")
    no_pid = tmp_path / "policyqa-scratch-notapid"
    no_pid.mkdir()
    other = tmp_path / "other-scratch-1-x"
    other.mkdir()
    assert clean_stale_scratch(root=tmp_path) == [dead]
    assert not dead.exists()
    assert (live / "部门职责.csv").is_file() and no_pid.is_dir() and other.is_dir()
    assert clean_stale_scratch(root=tmp_path) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_served_process_removes_its_scratch_folder_on_sigterm(index_settings, tmp_path):
    import httpx
    from gradio_client import Client

    home = clone_home(index_settings, tmp_path / "home")
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    port = _free_port()
    env = {**os.environ, "TMPDIR": str(scratch_root), "POLICYQA_MODEL": MODEL_PATH, "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("POLICYQA_HOME", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port),
                                   "--home", str(home.home)], env=env, cwd=REPO_ROOT, stdout=output,
                                  stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, f"serve exited {server.returncode}: {log.read_text(errors='replace')}"
            assert time.monotonic() < deadline, f"no answer on {url} in 120 s: {log.read_text(errors='replace')}"
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        summary, _table, _csv = Client(url, download_files=False, verbose=False).predict(
            "民政厅", api_name="/department")
        assert "省民政厅" in summary
        (scratch,) = scratch_root.glob("policyqa-scratch-*")
        assert scratch.name.startswith(f"policyqa-scratch-{server.pid}-") and any(scratch.iterdir())
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        assert not scratch.exists(), f"left behind: {sorted(p.name for p in scratch.iterdir())}"
        assert not list(scratch_root.glob("policyqa-scratch-*"))
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


# ---------------------------------------------------------------- files
@pytest.fixture
def home(plan_settings, tmp_path) -> Settings:
    """A private copy of the plan's corpus home."""
    shutil.copytree(plan_settings.home, tmp_path / "home", symlinks=True)
    return Settings(home=tmp_path / "home")


def _pdf_without_text(path: Path) -> None:
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    with path.open("wb") as handle:
        writer.write(handle)


def _zip_bomb(path: Path) -> None:
    """A .docx whose document.xml inflates to 210 MB (the limit is 10 × 20 MB)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as member:
            block = b"0" * (1 << 20)
            for _ in range(210):
                member.write(block)


def _sparse(path: Path, size: int) -> None:
    """A file of ``size`` bytes that takes no disk space (nothing is written)."""
    path.touch()
    os.truncate(path, size)


def _docx(path: Path, lines: list[str]) -> None:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(path)


def _damaged_docx(path: Path, how: str) -> None:
    """A real .docx with its document.xml cut short (bad XML) or its deflate stream flipped."""
    good = path.with_name("good.docx")
    _docx(good, ["关于养老服务的通知", "一、总体要求", "（一）目标。到2025年建成养老机构10个。"])
    if how == "truncated-xml":
        with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info.filename)
                if info.filename == "word/document.xml":
                    data = data[: len(data) // 2]
                target.writestr(info.filename, data)
    else:
        data = bytearray(good.read_bytes())
        with zipfile.ZipFile(good) as source:
            info = source.getinfo("word/document.xml")
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        data[start] = 0xFF  # the first deflate block header now names the reserved block type
        path.write_bytes(bytes(data))


BAD_FILES = {
    # name: (maker, fragment of the error)
    "zero-byte.txt": (lambda p: p.write_bytes(b""), "the file is empty"),
    "binary-renamed.txt": (lambda p: p.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8),
                           "looks like a binary file"),
    "huge-100mb.txt": (lambda p: _sparse(p, 100 * 2**20), "over the 20 MB limit"),
    "bomb.docx": (_zip_bomb, "zip bomb"),
    "scan.pdf": (_pdf_without_text, "no text layer"),
    "truncated-xml.docx": (lambda p: _damaged_docx(p, "truncated-xml"), "not a valid .docx"),
    "flipped-deflate.docx": (lambda p: _damaged_docx(p, "flipped-deflate"), "not a valid .docx"),
    "a-directory.txt": (lambda p: p.mkdir(), "cannot be read"),
    "；；.txt": (lambda p: p.write_text("一、养老\n（一）服务。", encoding="utf-8"), "no usable characters"),
}  # fmt: skip


@pytest.mark.parametrize("command", ["build", "add"])
@pytest.mark.parametrize("name", list(BAD_FILES), ids=lambda n: n if n.isascii() else "full-width-semicolons.txt")
def test_bad_file_is_a_clear_error_and_stores_nothing(home, tmp_path, name, command):
    make, fragment = BAD_FILES[name]
    if name == "a-directory.txt" and command == "build":
        fragment = "the folder has no .txt, .md, .docx or .pdf file"  # `corpus build DIR` builds a folder
    path = tmp_path / "upload" / name
    path.parent.mkdir()
    make(path)
    before = (home.build_dir / "records.jsonl").read_bytes()
    assert_clear_error(invoke(home.home, "corpus", command, str(path)), name, fragment)
    assert (home.build_dir / "records.jsonl").read_bytes() == before  # the previous corpus serves
    assert not home.user_docs_dir.exists() or not any(home.user_docs_dir.iterdir())


def test_missing_file_is_a_clear_error(home, tmp_path):
    assert_clear_error(invoke(home.home, "corpus", "add", str(tmp_path / "missing.txt")),
                       "missing.txt", "cannot be read")


PLAN_TEXT = ("关于加强社区养老服务的通知\n一、总体要求\n（一）指导思想。坚持以人民为中心的发展思想。\n"
             "（二）发展目标。到2025年，社区养老服务覆盖率达到90%以上。（省民政厅牵头，省财政厅等部门按职责分工负责）\n"
             "二、重点任务\n（一）发展社区食堂。鼓励社会力量举办老年食堂。\n")  # fmt: skip


def _records(settings: Settings, doc_id: str) -> list[dict]:
    out = []
    for record in corpus.load_records(settings, doc_id):
        data = record.to_dict()
        data.pop("raw")  # the source lines as they were in the file
        out.append(data)
    return out


def _home_files(settings: Settings) -> set[Path]:
    return {p.relative_to(settings.home) for p in settings.home.rglob("*")}


@pytest.mark.parametrize("name, doc_id", [
    pytest.param("a;rm -rf ~;.txt", "a-rm-rf", id="shell-characters"),
    pytest.param("$(touch pwned)`id`.txt", "touch-pwned-id", id="command-substitution"),
    pytest.param("养老 通知 (2024-01-02).md", "养老-通知-2024-01-02", id="spaces-and-brackets"),
])  # fmt: skip
def test_file_name_with_shell_characters_is_stored_inside_the_docs_folder(home, tmp_path, name, doc_id):
    path = tmp_path / name
    path.write_text(PLAN_TEXT, encoding="utf-8")
    outside_before = set(tmp_path.rglob("*"))
    assert_ok(invoke(home.home, "corpus", "build", str(path)))
    folder = home.user_docs_dir / doc_id
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "source" + path.suffix]
    assert [p.name for p in home.user_docs_dir.iterdir()] == [doc_id]
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["doc_id"] == doc_id
    assert {r["id"].split("#")[0] for r in _records(home, doc_id)} == {doc_id}
    new_outside = {p for p in set(tmp_path.rglob("*")) - outside_before if home.home not in p.parents}
    assert new_outside == set() and not Path("pwned").exists()


def test_dot_dot_path_is_stored_inside_the_docs_folder(home, tmp_path):
    target = tmp_path / "etc" / "passwd.txt"
    target.parent.mkdir()
    target.write_text(PLAN_TEXT, encoding="utf-8")
    (tmp_path / "a" / "b").mkdir(parents=True)
    sneaky = tmp_path / "a" / "b" / ".." / ".." / "etc" / "passwd.txt"
    files_before = _home_files(home)
    assert_ok(invoke(home.home, "corpus", "build", str(sneaky)))
    added = _home_files(home) - files_before
    assert {p for p in added if p.parts[0] == "docs"} == {
        Path("docs"), Path("docs/passwd"), Path("docs/passwd/source.txt"), Path("docs/passwd/manifest.json")}
    assert all(p.parts[0] in {"docs"} or p.parts[0].startswith("corpus") for p in added), added
    assert target.read_text(encoding="utf-8") == PLAN_TEXT  # the source is only read


def test_dot_file_name_is_refused(home, tmp_path):
    path = tmp_path / "..txt"
    path.write_text(PLAN_TEXT, encoding="utf-8")
    assert_clear_error(invoke(home.home, "corpus", "add", str(path)), "no usable characters")


def test_same_document_twice_is_idempotent(home, tmp_path):
    path = tmp_path / "社区养老通知.txt"
    path.write_text(PLAN_TEXT, encoding="utf-8")
    assert_ok(invoke(home.home, "corpus", "build", str(path)))
    first = _records(home, "社区养老通知")
    manifest = (home.user_docs_dir / "社区养老通知" / "manifest.json").read_bytes()
    assert_ok(invoke(home.home, "corpus", "build", str(path)))
    assert _records(home, "社区养老通知") == first and len(first) == 3
    assert (home.user_docs_dir / "社区养老通知" / "manifest.json").read_bytes() == manifest
    assert [p.name for p in home.user_docs_dir.iterdir()] == ["社区养老通知"]


@pytest.mark.parametrize("encoding, text", [
    pytest.param("gbk", PLAN_TEXT, id="gbk"),
    pytest.param("gb18030", PLAN_TEXT, id="gb18030"),
    pytest.param("big5", "關於加強社區養老服務的通知\n一、總體要求\n（一）指導思想。堅持以人民為中心的發展思想。\n"
                 "（二）發展目標。到2025年，社區養老服務覆蓋率達到90%以上。\n二、重點任務\n（一）發展社區食堂。鼓勵社會力量舉辦老年食堂。\n",
                 id="big5"),
    pytest.param("utf-16", PLAN_TEXT, id="utf-16-bom"),
    pytest.param("utf-8-sig", PLAN_TEXT, id="utf-8-bom"),
])  # fmt: skip
def test_encoded_text_gives_the_same_records_as_utf8(home, tmp_path, encoding, text):
    utf8 = tmp_path / "utf8" / "通知.txt"
    encoded = tmp_path / encoding / "通知.txt"
    for path, data in ((utf8, text.encode("utf-8")), (encoded, text.encode(encoding))):
        path.parent.mkdir()
        path.write_bytes(data)
    other = Settings(home=tmp_path / "other")
    shutil.copytree(home.home, other.home, symlinks=True)
    assert_ok(invoke(home.home, "corpus", "build", str(utf8)))
    assert_ok(invoke(other.home, "corpus", "build", str(encoded)))
    expected = _records(home, "通知")
    assert _records(other, "通知") == expected and len(expected) == 3
    assert "养老" in expected[0]["text"] + expected[1]["text"]  # Simplified, whatever came in
