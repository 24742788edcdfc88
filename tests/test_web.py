"""The Gradio app without a browser: handlers called directly, escaping, the API via
gradio_client, upload/removal with an index swap, and the refusal to serve exposed
without credentials."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from corpus.config import REPO_ROOT, Settings

PLAN = "gansu-2022-46"
DEPARTMENT_QUESTION = "谁牵头推动社区基础服务设施达标？"
HOSTILE_CLAUSE = "一、总体要求\n（一）测试。<script>alert(1)</script>养老服务。\n（二）原则。\n"


def model_dir(tmp_path_factory) -> Path:
    """The built default model (``make setup``), or one built into a temporary folder."""
    from index.model import REQUIRED_FILES, build_default_model

    default = Settings().default_model_dir
    if all((default / name).is_file() for name in REQUIRED_FILES):
        return default
    return build_default_model(tmp_path_factory.mktemp("models") / "multilingual-e5-small")


def built_home(tmp_path_factory, name: str) -> Settings:
    """A home with the plan's corpus and index. Vectors of the repository's own index are
    re-used when it was built with the same model (build_index re-embeds only new texts)."""
    import corpus
    from index import build_index

    settings = Settings(home=tmp_path_factory.mktemp(name), model=str(model_dir(tmp_path_factory)))
    corpus.build(settings)
    existing = Settings().index_dir
    if existing.is_dir():
        seed = settings.home / "index-00000000-seed"
        shutil.copytree(existing.resolve(), seed)
        os.symlink(seed.name, settings.index_dir)
    build_index(settings)
    return settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return built_home(tmp_path_factory, "web")


@pytest.fixture(scope="module")
def demo(settings):
    from app.web import build_app

    return build_app(settings)


@pytest.fixture(scope="module")
def web(demo):
    return demo.policyqa


def test_build_app(demo, web):
    import gradio as gr

    assert isinstance(demo, gr.Blocks)
    names = {d.get("api_name") for d in demo.config["dependencies"]}
    assert {"ask", "search", "department", "targets"} <= names
    assert [doc for doc, _ in web.documents()] == [PLAN]


def test_department_question_names_the_lead_and_renders_a_card(web):
    html, result = web.ask_html(DEPARTMENT_QUESTION)
    assert result["departments"]["lead"] == ["省住建厅"]
    assert not result["abstained"]
    assert '<details class="pq-card">' in html
    assert "省住建厅" in html and "三(二)1" in html
    assert "<mark>" in html  # the cited note is highlighted inside the full clause


def test_empty_question_is_a_friendly_error(web):
    html, result = web.ask_html("   ")
    assert result["error"].startswith("问题为空")
    assert 'class="pq-error"' in html and "Traceback" not in html


def test_unknown_department_filter_is_a_friendly_error(web):
    _, result = web.ask_html("养老服务", dept="火星管理局")
    assert "未找到部门" in result["error"]
    assert web.ask("养老服务设施", dept="卫健委")["citations"]  # an alias filters


def test_abstention_shows_the_related_clauses(web):
    html, result = web.ask_html("火星殖民计划的补贴是多少？")
    assert result["abstained"]
    assert "未在已收录的政策文件中找到相关规定" in html
    assert "pq-related" in html


def test_query_echo_is_escaped(web):
    html, _ = web.ask_html('<script>alert(1)</script><img src=x onerror="alert(2)">养老服务补贴')
    assert "&lt;script&gt;" in html and "&lt;img" in html
    assert "<script" not in html and "<img" not in html


def test_department_table_and_csv(web):
    summary, table, path = web.department("卫健委")
    assert "省卫生健康委" in summary
    assert set(table["角色"]) <= {"牵头", "协同负责", "具体落实"} and len(table) > 5
    assert "三(二)2" in set(table[table["角色"] == "牵头"]["条款"])
    data = Path(path).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens the Chinese
    assert "省卫生健康委" in data.decode("utf-8-sig") or "三(二)2" in data.decode("utf-8-sig")
    _, empty, no_file = web.department("火星管理局")
    assert empty.empty and no_file is None


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


def test_evaluation_of_a_question_file(web, tmp_path):
    from app.web import _eval_api

    try:
        _eval_api()
    except ImportError as exc:
        pytest.skip(f"eval package not importable yet: {exc}")
    lines = (REPO_ROOT / "eval" / "questions" / "plan.jsonl").read_text(encoding="utf-8").splitlines()[:4]
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(lines) + "\nnot json\n", encoding="utf-8")
    summary, table, plot, files = web.evaluate(str(questions), ["bm25", "hybrid"])
    assert list(table["模式"]) == ["BM25", "混合"], summary
    assert plot is not None and "跳过 1 行" in summary
    assert files and any(name.endswith(".md") for name in files)


def test_upload_escapes_a_hostile_clause_and_removal_restores(web, settings, tmp_path):
    from app.web import citation_card
    from qa.citations import cite

    before = web.holder.version
    source = tmp_path / "..;rm -rf $(HOME)`x` 测试文件.txt"
    source.write_text(HOSTILE_CLAUSE, encoding="utf-8")
    status = web.upload(str(source))
    assert 'class="pq-ok"' in status, status
    doc_id = "rm-rf-HOME-x-测试文件"
    assert (settings.user_docs_dir / doc_id / "source.txt").is_file()
    assert web.holder.version == before + 1
    assert doc_id in set(web.documents_table()["文档编号"])

    record = web.index.record(f"{doc_id}#一(一)")
    assert "<script>" in record.text
    card = citation_card(1, cite(record, 0, len(record.text)).to_dict(), record)
    assert "&lt;script&gt;" in card and "<script" not in card
    html, result = web.ask_html("测试养老服务", doc=doc_id)
    assert result["citations"] and "&lt;script&gt;" in html and "<script" not in html

    status = web.remove(doc_id)
    assert 'class="pq-ok"' in status, status
    assert [doc for doc, _ in web.documents()] == [PLAN]
    assert not (settings.user_docs_dir / doc_id).exists()


def test_bad_uploads_keep_the_index(web, settings, tmp_path):
    before, index = web.holder.version, web.index
    exe = tmp_path / "policy.exe"
    exe.write_bytes(b"MZ\x00\x00")
    assert "不支持的文件类型" in web.upload(str(exe))
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    assert "binary.txt" in web.upload(str(binary))
    english = tmp_path / "english.md"
    english.write_text("# Title\nno Chinese here\n", encoding="utf-8")
    assert "没有找到中文内容" in web.upload(str(english))
    assert "请先选择" in web.upload(None)
    assert "内置文件" in web.remove(PLAN)
    assert "没有编号为" in web.remove(f"../../{PLAN}")  # ids, never paths
    assert web.holder.version == before and web.index is index
    assert not any(settings.user_docs_dir.glob("*/manifest.json"))


def test_login_is_checked_for_uploads(settings, web, tmp_path):
    from app.web import PolicyWeb, load_credentials

    guarded = PolicyWeb(settings, credentials=[("admin", "s3cret")], index=web.index)
    page = tmp_path / "p.txt"
    page.write_text(HOSTILE_CLAUSE, encoding="utf-8")
    assert "需要管理员登录" in guarded.upload(str(page), "admin", "wrong")
    assert "需要管理员登录" in guarded.remove("x", "", "")
    assert load_credentials({"POLICYQA_AUTH": "admin:pa:ss"}) == [("admin", "pa:ss")]
    auth_file = tmp_path / "auth"
    auth_file.write_text("# admins\nu1:p1\nu2:p2\n", encoding="utf-8")
    assert load_credentials({"POLICYQA_AUTH_FILE": str(auth_file)}) == [("u1", "p1"), ("u2", "p2")]
    with pytest.raises(ValueError, match="user:pass"):
        load_credentials({"POLICYQA_AUTH": "nocolon"})


def test_exposed_without_credentials_refuses_to_start(settings, monkeypatch):
    from app.web import launch

    monkeypatch.delenv("POLICYQA_AUTH", raising=False)
    monkeypatch.delenv("POLICYQA_AUTH_FILE", raising=False)
    with pytest.raises(RuntimeError, match="POLICYQA_AUTH=user:pass"):
        launch(settings, host="0.0.0.0", port=free_port(), prevent_thread_lock=True, quiet=True)


def test_gradio_client_calls_the_named_endpoints(settings, web):
    from gradio_client import Client

    from app.web import launch
    from qa import Citation, verify

    demo = launch(settings, host="127.0.0.1", port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        client = Client(demo.local_url, verbose=False, analytics_enabled=False)
        # gradio_client 2.7.2 takes any output dict with a string "path" for a file to
        # download (citations have a clause "path"), so /ask is read without downloads.
        raw = Client(demo.local_url, verbose=False, analytics_enabled=False, download_files=False)
        result = raw.predict(DEPARTMENT_QUESTION, "", "", "", api_name="/ask")
        assert isinstance(result, dict) and result["departments"]["lead"] == ["省住建厅"]
        assert result["citations"]
        for c in result["citations"]:
            assert verify(Citation(**c), web.index.record(c["record_id"]))
        assert "error" in raw.predict("", "", "", "", api_name="/ask")
        bm25, dense, hybrid = client.predict("托育服务设施", 3, api_name="/search")
        for ranking in (bm25, dense, hybrid):
            assert [row[0] for row in ranking["data"]] == [1, 2, 3]
        summary, table, csv_path = client.predict("住建厅", api_name="/department")
        assert any(row[0] == "牵头" for row in table["data"])
        assert "省住建厅" in summary and Path(csv_path).read_bytes().startswith(b"\xef\xbb\xbf")
        targets = client.predict(PLAN, api_name="/targets")
        assert any("托位数" in row[0] for row in targets["data"])
    finally:
        demo.close()
