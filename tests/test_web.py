"""The Gradio app without a browser: handlers called directly, escaping, filters, the API
via gradio_client, upload/removal with an index swap, the login gate (and its growing
delay), and the refusal to serve exposed without credentials."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import pytest

from corpus.config import REPO_ROOT
from corpus.errors import PolicyError
from tests.conftest import clone_home

PLAN = "gansu-2022-46"
DEPARTMENT_QUESTION = "谁牵头推动社区基础服务设施达标？"
HOSTILE_CLAUSE = "一、总体要求\n（一）测试。<script>alert(1)</script>养老服务。\n（二）原则。\n"
ERROR_KEYS = {"code", "message", "fix"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def error_of(result: dict) -> dict:
    """The ``{code, message, fix}`` of an error object (and check its shape)."""
    assert set(result) == {"error"}, result
    assert set(result["error"]) == ERROR_KEYS
    return result["error"]


@pytest.fixture(scope="module")
def settings(index_settings, tmp_path_factory):
    """A private copy of the indexed plan home (uploads change it), with no login set."""
    copy = clone_home(index_settings, tmp_path_factory.mktemp("web") / "home")
    return replace(copy, auth="", auth_file="")


@pytest.fixture(scope="module")
def core(settings):
    from core import Assistant
    from index import open_index

    assistant = Assistant(settings, index=open_index(settings, rebuild=False))
    yield assistant
    assistant.close()


@pytest.fixture(scope="module")
def demo(settings, core):
    from app.web import build_app

    return build_app(settings, core=core)


@pytest.fixture(scope="module")
def web(demo):
    return demo.policyqa


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_build_app(demo, web, core):
    import gradio as gr

    from app.handlers import PolicyWeb

    assert isinstance(demo, gr.Blocks) and isinstance(web, PolicyWeb)
    assert web.core is core and web.index is core.index
    names = {d.get("api_name") for d in demo.config["dependencies"]}
    assert {"ask", "search", "department", "targets", "evaluate", "upload_document", "remove_document"} <= names
    assert [doc for doc, _ in web.documents()] == [PLAN]
    assert not web.login_required  # built without credentials


def test_department_question_names_the_lead_and_renders_a_card(web):
    html, result = web.ask_html(DEPARTMENT_QUESTION)
    assert result["departments"]["lead"] == ["省住建厅"]
    assert not result["abstained"]
    assert '<details class="pq-card">' in html
    assert "省住建厅" in html and "三(二)1" in html
    assert "<mark>" in html  # the cited note is highlighted inside the full clause


def test_web_ask_is_the_answer_dict(web, core):
    from core import parse_ask

    assert web.ask(DEPARTMENT_QUESTION) == core.ask(parse_ask({"question": DEPARTMENT_QUESTION})).to_dict()


def test_empty_question_is_a_friendly_error(web):
    html, result = web.ask_html("   ")
    error = error_of(result)
    assert error["code"] == "empty_question" and error["message"].startswith("问题为空")
    assert 'class="pq-error"' in html and error["fix"] in html and "Traceback" not in html
    assert error_of(web.ask("？？？"))["code"] == "empty_question"


def test_unknown_department_filter_is_a_friendly_error(web):
    html, result = web.ask_html("养老服务", dept="火星管理局")
    error = error_of(result)
    assert error["code"] == "unknown_department" and "未找到部门" in error["message"]
    assert 'class="pq-error"' in html
    assert web.ask("养老服务设施", dept="卫健委")["citations"]  # an alias filters


@pytest.mark.parametrize("filters, code", [
    ({"doc": "no-such-doc"}, "unknown_document"),
    ({"domain": "航天"}, "unknown_domain"),
    ({"role": "boss"}, "bad_request"),
])  # fmt: skip
def test_bad_filters_are_error_objects(web, filters, code):
    assert error_of(web.ask("养老服务", **filters))["code"] == code


@pytest.mark.parametrize("role", ["lead", "co"])
def test_role_filter_on_the_web_ask(web, role):
    result = web.ask("养老服务设施", dept="卫健委", role=role)
    assert "error" not in result, result
    assert result["hits"]
    for hit in result["hits"]:
        assert "省卫生健康委" in hit["departments"][role], hit["path"]


def test_role_any_is_the_default_and_the_widest(web):
    widest = {h["id"] for h in web.ask("养老服务设施", dept="卫健委", role="any")["hits"]}
    assert widest == {h["id"] for h in web.ask("养老服务设施", dept="卫健委")["hits"]}


def test_section_filter_on_the_web_ask(web):
    result = web.ask("有哪些支持政策？", section="四(二)")
    assert result["hits"] and all(h["path"].startswith("四(二)") for h in result["hits"])
    assert result["citations"] and {c["path"] for c in result["citations"]} == {"四(二)"}
    # full-width brackets, as people type them
    again = web.ask("有哪些支持政策？", section="四（二）")
    assert [h["id"] for h in again["hits"]] == [h["id"] for h in result["hits"]]


def test_abstention_shows_the_related_clauses(web):
    html, result = web.ask_html("火星殖民计划的补贴是多少？")
    assert result["abstained"]
    assert "未在已收录的政策文件中找到相关规定" in html
    assert "pq-related" in html


def test_query_echo_is_escaped(web):
    html, _ = web.ask_html('<script>alert(1)</script><img src=x onerror="alert(2)">养老服务补贴')
    assert "&lt;script&gt;" in html and "&lt;img" in html
    assert "<script" not in html and "<img" not in html


def test_esc_covers_the_template_characters():
    from app.render import esc

    assert esc("${7*7}{{x}}<b>") == "&#36;&#123;7*7&#125;&#123;&#123;x&#125;&#125;&lt;b&gt;"


def test_department_table_and_csv(web):
    summary, table, path = web.department("卫健委")
    assert "省卫生健康委" in summary
    assert set(table["角色"]) <= {"牵头", "协同负责", "具体落实"} and len(table) > 5
    assert "三(二)2" in set(table[table["角色"] == "牵头"]["条款"])
    data = Path(path).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens the Chinese
    assert "省卫生健康委" in data.decode("utf-8-sig") or "三(二)2" in data.decode("utf-8-sig")
    summary, empty, no_file = web.department("火星管理局")
    assert empty.empty and no_file is None and "未找到部门" in summary


def test_targets_table(web):
    table = web.targets(PLAN)
    row = table[table["指标"].str.contains("托位数")].iloc[0]
    assert row["数值"] == 4.5 and row["条款"] == "二¶2"
    assert len(web.targets("no-such-doc")) == 0


def test_search_rankings_side_by_side(web):
    bm25, dense, hybrid = web.search("托育服务设施", 5)
    for frame in (bm25, dense, hybrid):
        assert list(frame.columns) == ["名次", "条款", "标题", "得分"]
        assert list(frame["名次"]) == [1, 2, 3, 4, 5]
    assert "二¶2" in set(hybrid["条款"])
    for frame in web.search("养老", 5, dept="火星局"):  # a bad filter: empty tables, no exception
        assert frame.empty


def _question_file(tmp_path, n: int = 4, bad_line: bool = True) -> Path:
    lines = (REPO_ROOT / "eval" / "questions" / "plan.jsonl").read_text(encoding="utf-8").splitlines()[:n]
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(lines) + ("\nnot json\n" if bad_line else "\n"), encoding="utf-8")
    return questions


def test_evaluation_of_a_question_file(web, tmp_path):
    summary, table, plot, files = web.evaluate(str(_question_file(tmp_path)), ["bm25", "hybrid"])
    assert list(table["模式"]) == ["BM25", "混合"], summary
    assert plot is not None and "跳过 1 行" in summary
    assert files and any(name.endswith(".md") for name in files)


def test_evaluation_of_a_bad_file_is_an_error_box(web, tmp_path):
    wrong = tmp_path / "q.exe"
    wrong.write_bytes(b"MZ")
    summary, table, plot, files = web.evaluate(str(wrong), ["bm25"])
    assert 'class="pq-error"' in summary and "jsonl" in summary
    assert table.empty and plot is None and files is None
    summary, *_ = web.evaluate(None, ["bm25"])
    assert "请先上传问题文件" in summary


def test_evaluation_needs_the_login_when_one_is_required(core, tmp_path):
    from app.auth import Gate
    from app.handlers import PolicyWeb

    clock = FakeClock()
    guarded = PolicyWeb(core, Gate([("admin", "s3cret")], clock=clock))
    questions = str(_question_file(tmp_path, n=2, bad_line=False))
    for user, password in [("", ""), ("admin", "wrong")]:
        summary, table, plot, files = guarded.evaluate(questions, ["bm25"], user, password)
        assert "需要管理员登录" in summary and 'class="pq-error"' in summary
        assert table.empty and plot is None and files is None
        clock.now += 60  # past the delay of the failure
    summary, table, plot, files = guarded.evaluate(questions, ["bm25"], "admin", "s3cret")
    assert list(table["模式"]) == ["BM25"], summary


def test_upload_escapes_a_hostile_clause_and_removal_restores(web, settings, tmp_path):
    from app.render import citation_card
    from qa.citations import cite

    before, old_index = web.core.version, web.index
    source = tmp_path / "..;rm -rf $(HOME)`x` 测试文件.txt"
    source.write_text(HOSTILE_CLAUSE, encoding="utf-8")
    status = web.upload(str(source))
    assert 'class="pq-ok"' in status, status
    doc_id = "rm-rf-HOME-x-测试文件"
    assert (settings.user_docs_dir / doc_id / "source.txt").is_file()
    assert web.core.version == before + 1 and web.index is not old_index
    assert doc_id in set(web.documents_table()["文档编号"])
    assert doc_id in {d for _, d in web.removable_choices()}

    record = web.index.record(f"{doc_id}#一(一)")
    assert "<script>" in record.text
    card = citation_card(1, cite(record, 0, len(record.text)).to_dict(), record)
    assert "&lt;script&gt;" in card and "<script" not in card
    html, result = web.ask_html("测试养老服务", doc=doc_id)
    assert result["citations"] and "&lt;script&gt;" in html and "<script" not in html

    status = web.remove(doc_id)
    assert 'class="pq-ok"' in status, status
    assert web.core.version == before + 2
    assert [doc for doc, _ in web.documents()] == [PLAN]
    assert not (settings.user_docs_dir / doc_id).exists()
    assert error_of(web.ask("测试养老服务", doc=doc_id))["code"] == "unknown_document"


def test_bad_uploads_keep_the_index(web, settings, tmp_path):
    before, index = web.core.version, web.index
    exe = tmp_path / "policy.exe"
    exe.write_bytes(b"MZ\x00\x00")
    assert "不支持的文件类型" in web.upload(str(exe))
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    assert "binary.txt" in web.upload(str(binary))
    english = tmp_path / "english.md"
    english.write_text("# Title\nno Chinese here\n", encoding="utf-8")
    assert "no Chinese text found" in web.upload(str(english))
    assert "请先选择" in web.upload(None)
    assert "is a shipped document" in web.remove(PLAN)
    assert "not a document id" in web.remove(f"../../{PLAN}")  # ids, never paths
    assert "请选择要删除的上传文件" in web.remove("")
    for status in (web.upload(str(exe)), web.remove(PLAN)):
        assert 'class="pq-error"' in status and "当前索引继续使用" in status
    assert web.core.version == before and web.index is index
    assert not any(settings.user_docs_dir.glob("*/manifest.json"))


def test_login_is_checked_for_uploads(core, web, tmp_path):
    from app.auth import Gate
    from app.handlers import PolicyWeb

    clock = FakeClock()
    guarded = PolicyWeb(core, Gate([("admin", "s3cret")], clock=clock))
    assert guarded.login_required
    before = core.version
    page = tmp_path / "p.txt"
    page.write_text(HOSTILE_CLAUSE, encoding="utf-8")
    assert "需要管理员登录" in guarded.upload(str(page), "admin", "wrong")
    assert "登录失败次数过多" in guarded.remove("x", "admin", "s3cret")  # within the delay: refused
    clock.now += 5
    assert "需要管理员登录" in guarded.remove("x", "", "")
    clock.now += 5
    # the right login passes the gate (and the core then refuses the unknown id)
    assert "no such added document" in guarded.remove("x", "admin", "s3cret")
    assert core.version == before


def test_load_credentials_from_settings(settings, tmp_path):
    from app.auth import load_credentials

    assert load_credentials(settings) == []
    assert load_credentials(replace(settings, auth="admin:pa:ss")) == [("admin", "pa:ss")]
    auth_file = tmp_path / "auth"
    auth_file.write_text("# admins\nu1:p1\n\nu2:p2\n", encoding="utf-8")
    assert load_credentials(replace(settings, auth_file=str(auth_file))) == [("u1", "p1"), ("u2", "p2")]
    assert load_credentials(replace(settings, auth="a:b", auth_file=str(auth_file))) == [
        ("a", "b"), ("u1", "p1"), ("u2", "p2")]
    for bad in [replace(settings, auth="nocolon"), replace(settings, auth_file=str(tmp_path / "missing"))]:
        with pytest.raises(PolicyError) as caught:
            load_credentials(bad)
        assert caught.value.code == "bad_credentials"
        assert "nocolon" not in caught.value.message  # what was given is not echoed
    with pytest.raises(PolicyError, match="user:pass"):
        load_credentials(replace(settings, auth="nocolon"))


def test_gate_delay_grows_per_client_and_resets_on_success():
    from app.auth import MAX_DELAY_S, Gate

    clock = FakeClock(0.0)
    gate = Gate([("admin", "s3cret")], clock=clock)

    def code(user, password, client="10.0.0.1"):
        try:
            gate.check(user, password, client)
        except PolicyError as exc:
            return exc.code
        return "ok"

    assert Gate().required is False and Gate().check(None, None) is None  # no login set: open
    assert code("admin", "wrong") == "login_required"  # 1st failure: 1 s
    assert code("admin", "s3cret") == "login_throttled"  # even the right login waits
    assert code("admin", "s3cret", client="10.0.0.2") == "ok"  # per client
    clock.now = 1.0
    assert code("admin", "wrong") == "login_required"  # 2nd failure: 2 s
    clock.now = 2.9
    assert code("admin", "s3cret") == "login_throttled"
    clock.now = 3.0
    assert code("admin", "wrong") == "login_required"  # 3rd: 4 s
    clock.now = 6.9
    assert code("", "") == "login_throttled"
    delays = []
    for _ in range(4):  # 4th … 7th: 8, 16, then capped at 30
        clock.now = gate._failures["10.0.0.1"][1]
        start = clock.now
        assert code("admin", "wrong") == "login_required"
        delays.append(gate._failures["10.0.0.1"][1] - start)
    assert delays == [8.0, 16.0, MAX_DELAY_S, MAX_DELAY_S]
    clock.now += MAX_DELAY_S - 0.1
    assert code("admin", "s3cret") == "login_throttled"
    clock.now += 0.1
    assert code("admin", "s3cret") == "ok"  # success resets the count
    assert code("admin", "wrong") == "login_required"
    clock.now += 1.0
    assert code("admin", "s3cret") == "ok"  # back to a 1 s delay
    assert code("admin", "s3cre") == "login_required" and code("admi", "s3cret", "10.0.0.3") == "login_required"


def test_is_local():
    from app.auth import is_local

    assert all(is_local(h) for h in ["127.0.0.1", "localhost", "::1", "[::1]", " LOCALHOST "])
    assert not any(is_local(h) for h in ["0.0.0.0", "192.168.1.2", "example.org", ""])


def test_build_app_with_credentials_shows_the_login(settings, core):
    from app.web import build_app

    demo = build_app(settings, auth=[("admin", "s3cret")], core=core)
    assert demo.policyqa.login_required and demo.policyqa.core is core
    boxes = {c.get("props", {}).get("elem_id"): c for c in demo.config["components"]}
    assert "pq-admin-password" in boxes and boxes["pq-admin-password"]["props"]["type"] == "password"


def test_exposed_without_credentials_refuses_to_start(settings):
    from app.web import launch

    with pytest.raises(PolicyError) as caught:
        launch(settings, host="0.0.0.0", port=free_port(), prevent_thread_lock=True, quiet=True)
    assert caught.value.code == "login_needed" and "POLICYQA_AUTH=user:pass" in caught.value.fix


def test_gradio_client_calls_the_named_endpoints(settings, web):
    from gradio_client import Client

    from app.web import launch
    from qa import Citation, verify

    demo = launch(settings, host="127.0.0.1", port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        client = Client(demo.local_url, verbose=False, analytics_enabled=False)
        named = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
        assert {"/ask", "/search", "/department", "/targets", "/evaluate", "/upload_document",
                "/remove_document"} <= set(named)
        # gradio_client takes any output dict with a string "path" for a file to download
        # (citations have a clause "path"), so /ask is read without downloads.
        raw = Client(demo.local_url, verbose=False, analytics_enabled=False, download_files=False)
        result = raw.predict(DEPARTMENT_QUESTION, "", "", "", "any", "", api_name="/ask")
        assert isinstance(result, dict) and result["departments"]["lead"] == ["省住建厅"]
        assert result["citations"]
        for c in result["citations"]:
            assert verify(Citation(**c), web.index.record(c["record_id"]))
        assert error_of(raw.predict("", "", "", "", "any", "", api_name="/ask"))["code"] == "empty_question"
        lead = raw.predict("养老服务设施", "", "卫健委", "", "lead", "", api_name="/ask")
        assert lead["hits"] and all("省卫生健康委" in h["departments"]["lead"] for h in lead["hits"])
        bm25, dense, hybrid = client.predict("托育服务设施", 3, "", "", "", "any", "", api_name="/search")
        for ranking in (bm25, dense, hybrid):
            assert [row[0] for row in ranking["data"]] == [1, 2, 3]
        summary, table, csv_path = client.predict("住建厅", api_name="/department")
        assert any(row[0] == "牵头" for row in table["data"])
        assert "省住建厅" in summary and Path(csv_path).read_bytes().startswith(b"\xef\xbb\xbf")
        targets = client.predict(PLAN, api_name="/targets")
        assert any("托位数" in row[0] for row in targets["data"])
    finally:
        demo.close()


def test_filters_apply_to_department_task_questions(web):
    """A question listing a department's tasks keeps to the filters like any other."""
    result = web.ask("省民政厅牵头哪些任务？", section="四(二)")
    assert "error" not in result, result
    assert all(h["path"].startswith("四(二)") for h in result["hits"])
    assert all(c["path"].startswith("四(二)") for c in result["citations"]), [c["path"] for c in result["citations"]]


def test_an_abstention_shows_why_in_its_headline_escaped():
    from app.render import render_answer

    unstated = {"question": "床位补贴每张多少钱", "abstained": True, "hits": [],
                "answer": "已收录的政策文件未写明所问的具体金额。可能相关的条款：二¶2。"}
    assert '<div class="pq-abstain">已收录的政策文件未写明所问的具体金额。</div>' in render_answer(unstated)
    nothing = {"question": "火星上有水吗", "abstained": True, "hits": [], "answer": ""}
    assert "未在已收录的政策文件中找到相关规定。" in render_answer(nothing)
    markup = {"question": "x", "abstained": True, "hits": [], "answer": "<b>未写明</b>。"}
    assert "<b>" not in render_answer(markup)


def test_a_heading_says_a_law_article_number_once():
    from app.render import heading

    law = heading("第三章/第十四条", "第十四条")
    assert law.count("第十四条") == 1 and 'class="pq-title"></span>' in law
    plan = heading("三(二)1", "推动社区基础服务设施达标")
    assert "三(二)1" in plan and "推动社区基础服务设施达标" in plan
    assert "&lt;b&gt;" in heading("1", "<b>") and "None" not in heading(None, None)
