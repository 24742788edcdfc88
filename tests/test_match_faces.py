"""政策匹配 through the faces: `policyqa match`, the core, the web handler, and support answers
built from measure records (README, "政策匹配")."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from app.cli import main
from core import Assistant, PolicyError, parse_ask

TRADE_IN = "以旧换新"


@pytest.fixture(scope="module")
def core(index_settings):
    return Assistant(index_settings)


def run(index_settings, *args):
    return CliRunner().invoke(main, [*args, "--home", str(index_settings.home)])


def test_cli_match_json_names_the_profile_first_and_quotes_verbatim(index_settings, core):
    result = run(index_settings, "match", "--sector", "养老", "--entity", "小微企业", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["measures"]
    assert rows and rows[0]["group"] == "named"
    groups = [r["group"] for r in rows]
    assert groups == sorted(groups, key=lambda g: g != "named")  # named before open
    assert not any(TRADE_IN in r["quote"] for r in rows)
    for r in rows:
        record = core.index.record(r["record_id"])
        assert record.text[r["start"]:r["end"]] == r["quote"]
        if r["condition"]:
            assert r["condition"] in r["quote"]


def test_cli_match_csv_keeps_chinese_for_excel(index_settings):
    result = run(index_settings, "match", "--sector", "家政", "--csv")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("\ufeff")  # BOM: Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(result.output.lstrip("\ufeff"))))
    assert rows and {"kind_label", "condition", "quote", "path"} <= set(rows[0])
    assert any("家政" in r["quote"] for r in rows)


def test_profile_file_and_bad_values(index_settings, tmp_path):
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({"sectors": ["托儿所"], "traits": ["rents_premises"]}, ensure_ascii=False),
                       encoding="utf-8")
    ok = run(index_settings, "match", "--profile", str(profile), "--json")
    assert ok.exit_code == 0 and json.loads(ok.output)["measures"]
    bad = run(index_settings, "match", "--sector", "火星", "--json")
    assert bad.exit_code == 1
    assert json.loads(bad.output)["error"]["code"] == "bad_profile" and "养老" in bad.output


def test_empty_profile_lists_every_measure(core):
    assert len(core.match({})) == len(core.measures()) > 20


def test_web_handler_groups_by_kind_and_writes_csv_and_printable_page(index_settings, core):
    from app.auth import Gate
    from app.handlers import PolicyWeb

    web = PolicyWeb(core, Gate())
    html, files = web.match(["养老"], ["小微企业"], [])
    assert 'class="pq-section"' in html and html.count('class="pq-card"') == len(
        core.match({"sectors": ["养老"], "entities": ["小微企业"]}))
    csv_file, page = files
    with open(csv_file, encoding="utf-8-sig") as handle:
        assert handle.readline().startswith("id,")
    with open(page, encoding="utf-8") as handle:
        assert "政策匹配结果" in handle.read()
    error_html, none = web.match(["火星"], [], [])
    assert none is None and "火星" in error_html


@pytest.mark.parametrize("question, expected", [
    ("我们是家政企业，有什么补贴", "家政服务"),
    ("小微企业贷款有什么支持", "贷款"),
])
def test_support_questions_answer_from_measures(core, question, expected):
    answer = core.ask(parse_ask({"question": question}))
    assert answer.intent == "support" and not answer.abstained
    assert expected in answer.answer
    assert TRADE_IN not in answer.answer
    for c in answer.citations:
        assert core.index.record(c.record_id).text[c.start:c.end] == c.quote


def test_elderly_care_company_support_answer_leaves_out_consumer_trade_in(core):
    answer = core.ask(parse_ask({"question": "我们是一家养老服务企业，有哪些补贴和优惠政策？"}))
    assert not answer.abstained and TRADE_IN not in answer.answer


def test_parse_profile_errors_are_policy_errors(core):
    with pytest.raises(PolicyError) as info:
        core.match({"sectors": ["养老"], "colour": ["red"]})
    assert info.value.code == "bad_profile"
