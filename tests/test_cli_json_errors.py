"""With ``--json`` every user error of the command line is the one error object on stdout
(``{"error": {code, message, fix}}``, exit 1) — click's own usage errors included (an empty
or missing question, ``-k ten``, ``--mode fuzzy``) — never click's usage text. Without
``--json`` those stay click's usage errors (exit 2, ``Error: …`` on stderr).

None of these needs an index: each is refused before anything is loaded, so they run on an
empty home.
"""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from app.cli import main
from app.cli_common import PolicyGroup
from corpus.errors import PolicyError


@pytest.fixture
def cli(tmp_path):
    """``policyqa ARGS --home <empty home>``; an unexpected exception fails the test."""

    def run(*args: str):
        return CliRunner().invoke(main, [*args, "--home", str(tmp_path / "home")],
                                  env={"POLICYQA_HOME": None}, catch_exceptions=False, prog_name="policyqa")

    return run


def json_error(result) -> dict:
    """The error object: exit 1, one JSON line on stdout and nothing else, no usage text."""
    assert result.exit_code == 1, (result.exit_code, result.output)
    lines = result.stdout.splitlines()
    assert len(lines) == 1, f"only the error object on stdout: {result.output!r}"
    out = json.loads(lines[0])
    assert list(out) == ["error"] and sorted(out["error"]) == ["code", "fix", "message"], out
    assert "Usage:" not in result.output and "Error:" not in result.stderr, result.output
    return out["error"]


@pytest.mark.parametrize("command", ["ask", "search"])
def test_empty_question_with_json_is_the_empty_question_error_object(cli, command):
    error = json_error(cli(command, "", "--json"))
    assert error["code"] == "empty_question" and error["message"] == "问题为空或没有文字"
    assert error == json_error(cli(command, "   ", "--json")), "as a question of spaces"


@pytest.mark.parametrize("command, name", [("ask", "QUESTION"), ("search", "QUERY")])
def test_missing_question_with_json_is_a_bad_request_object(cli, command, name):
    error = json_error(cli(command, "--json"))
    assert error == {"code": "bad_request", "message": f"give a {name} or --batch FILE",
                     "fix": f"see `policyqa {command} --help`"}


@pytest.mark.parametrize("args, fragment", [
    pytest.param(("search", "养老", "-k", "ten"), "'ten' is not a valid integer", id="k-not-a-number"),
    pytest.param(("search", "养老", "--mode", "fuzzy"), "'fuzzy' is not one of", id="unknown-mode"),
    pytest.param(("ask", "养老", "--role", "boss"), "'boss' is not one of", id="unknown-role"),
    pytest.param(("ask", "养老", "--no-such-flag"), "No such option", id="unknown-option"),
    pytest.param(("match", "--profile", "/no/such/profile.json"), "does not exist", id="missing-profile"),
])  # fmt: skip
def test_click_usage_errors_with_json_are_bad_request_objects(cli, args, fragment):
    error = json_error(cli(*args, "--json"))
    assert error["code"] == "bad_request" and fragment in error["message"], error
    assert error["fix"] == f"see `policyqa {args[0]} --help`"


@pytest.mark.parametrize("content, fragment", [
    pytest.param("[1, 2]", "not a JSON object", id="a-list"),
    pytest.param("{not json", "not a UTF-8 JSON object", id="not-json"),
])  # fmt: skip
def test_unreadable_match_profile_is_a_bad_profile_error(cli, tmp_path, content, fragment):
    profile = tmp_path / "profile.json"
    profile.write_text(content, encoding="utf-8")
    error = json_error(cli("match", "--profile", str(profile), "--json"))
    assert error["code"] == "bad_profile" and fragment in error["message"] and error["fix"]
    result = cli("match", "--profile", str(profile))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"Error: {profile}: {fragment}") and " — write it as " in result.stderr


@pytest.mark.parametrize("args, fragment", [
    pytest.param(("ask", ""), "give a QUESTION or --batch FILE", id="empty-question"),
    pytest.param(("search",), "give a QUERY or --batch FILE", id="missing-query"),
    pytest.param(("search", "养老", "-k", "ten"), "'ten' is not a valid integer", id="k-not-a-number"),
])  # fmt: skip
def test_without_json_usage_errors_stay_click_usage_errors(cli, args, fragment):
    result = cli(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert "Usage: policyqa" in result.stderr and "Error: " in result.stderr and fragment in result.stderr


def test_a_command_that_does_not_pass_json_on_still_answers_json(cli):
    """``corpus check`` wraps its errors without ``as_json``: the group knows ``--json`` was asked."""
    error = json_error(cli("corpus", "check", "--json"))
    assert error["code"] == "no_corpus"
    result = cli("corpus", "check")
    assert result.exit_code == 1 and result.stderr.startswith("Error: no corpus built")


def test_policy_error_escaping_a_command_is_json_when_asked():
    """The group's own fallback: a PolicyError no ``domain_errors`` caught (the command line is
    read before click empties it for the command)."""

    @click.group(cls=PolicyGroup)
    def group() -> None:
        pass

    @group.command()
    @click.option("--json", "as_json", is_flag=True)
    def boom(as_json: bool) -> None:
        raise PolicyError("bad_thing", "坏了", "修好它")

    result = CliRunner().invoke(group, ["boom", "--json"], catch_exceptions=False)
    assert json_error(result) == {"code": "bad_thing", "message": "坏了", "fix": "修好它"}
    result = CliRunner().invoke(group, ["boom"], catch_exceptions=False)
    assert result.exit_code == 1 and result.stderr == "Error: 坏了 — 修好它\n"
