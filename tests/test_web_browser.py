"""The Gradio app in headless chromium (pytest-playwright with Debian's /usr/bin/chromium).

Screenshots of every tab go to ``test-artifacts/`` (git-ignored); the answered 问答 tab
also to ``/tmp/pq-ask.png``.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import expect

from corpus.config import REPO_ROOT
from tests.conftest import clone_home

CHROMIUM = Path(os.environ.get("POLICYQA_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO_ROOT / "test-artifacts"
ASK_SCREENSHOT = Path("/tmp/pq-ask.png")
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session", autouse=True)
def chromium_installed():
    """A missing browser fails these tests (make test installs it), never skips them."""
    assert CHROMIUM.exists(), f"{CHROMIUM} missing — run `make browser-deps`"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(index_settings, tmp_path_factory):
    """The app on a free port over a private copy of the indexed plan home (uploads change it)."""
    from app.web import launch

    settings = replace(clone_home(index_settings, tmp_path_factory.mktemp("browser") / "home"),
                       auth="", auth_file="")
    port = free_port()
    demo = launch(settings, host="127.0.0.1", port=port, prevent_thread_lock=True, quiet=True)
    ARTIFACTS.mkdir(exist_ok=True)
    yield demo.local_url
    demo.close()


def _open(page, url: str) -> None:
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    expect(page.locator("#pq-question textarea")).to_be_visible()


def _ask(page, question: str) -> None:
    page.locator("#pq-question textarea").fill(question)
    page.locator("#pq-ask").click()


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_department_question_shows_lead_and_citation_card(page, app_url):
    _open(page, app_url)
    _ask(page, "谁牵头推动社区基础服务设施达标？")
    answer = page.locator("#pq-answer")
    expect(answer.locator(".pq-lines")).to_contain_text("省住建厅")
    card = answer.locator("details.pq-card").first
    expect(card).to_be_visible()
    expect(card.locator("summary")).to_contain_text("三(二)1")
    expect(card.locator(".pq-badge.lead")).to_contain_text("省住建厅")
    card.locator("summary").click()
    expect(card.locator(".pq-clause mark")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "tab-1-ask.png"), full_page=True)
    page.screenshot(path=str(ASK_SCREENSHOT), full_page=True)


def test_example_questions_fill_the_box(page, app_url):
    _open(page, app_url)
    page.get_by_text("到2025年每千人口托位数要达到多少？").first.click()
    expect(page.locator("#pq-question textarea")).to_have_value("到2025年每千人口托位数要达到多少？")
    page.locator("#pq-ask").click()
    expect(page.locator("#pq-answer .pq-lines")).to_contain_text("4.5")


def test_markup_in_a_question_shows_as_text(page, app_url):
    _open(page, app_url)
    hostile = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">${7*7}{{7*7}}养老'
    _ask(page, hostile)
    echo = page.locator("#pq-answer .pq-echo")
    expect(echo).to_contain_text("<script>window.__pwned=1</script>")
    expect(echo).to_contain_text("<img src=x onerror=")
    expect(echo).to_contain_text("${7*7}{{7*7}}")  # no template evaluation either
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#pq-answer img").count() == 0


def test_empty_question_shows_a_friendly_message(page, app_url):
    _open(page, app_url)
    _ask(page, "？？？")
    expect(page.locator("#pq-answer .pq-error")).to_contain_text("问题为空")
    expect(page.locator("#pq-answer .pq-error")).to_contain_text("条款编号")  # the fix is shown too
    expect(page.get_by_text("Traceback")).to_have_count(0)


TABS = [
    ("部门职责", "2-department"),
    ("目标指标", "3-targets"),
    ("检索评测", "4-eval"),
    ("文档管理", "5-docs"),
]


def test_each_tab_renders_its_main_element(page, app_url, tmp_path):
    _open(page, app_url)
    _tab(page, "部门职责")
    dept = page.locator("#pq-dept input")
    dept.fill("卫健委")
    page.locator("#pq-dept-go").click()
    expect(page.locator("#pq-dept-table")).to_contain_text("三(二)2")
    expect(page.locator("#pq-dept-csv")).to_contain_text(".csv")
    page.screenshot(path=str(ARTIFACTS / "tab-2-department.png"), full_page=True)

    _tab(page, "目标指标")
    expect(page.locator("#pq-target-table")).to_contain_text("托位数")
    page.screenshot(path=str(ARTIFACTS / "tab-3-targets.png"), full_page=True)

    _tab(page, "检索评测")
    page.locator("#pq-search-query textarea, #pq-search-query input").first.fill("托育服务设施")
    page.locator("#pq-search-go").click()
    for mode in ("bm25", "dense", "hybrid"):
        expect(page.locator(f"#pq-rank-{mode}")).to_contain_text("二¶2")
    questions = tmp_path / "questions.jsonl"
    lines = (REPO_ROOT / "eval" / "questions" / "plan.jsonl").read_text(encoding="utf-8").splitlines()
    questions.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    page.locator("#pq-eval-file input[type=file]").set_input_files(str(questions))
    expect(page.locator("#pq-eval-file")).to_contain_text("questions")
    page.locator("#pq-eval-go").click()
    expect(page.locator("#pq-eval-table")).to_contain_text("混合", timeout=120_000)
    expect(page.locator("#pq-eval-summary")).to_contain_text("评测了 3 个问题")
    page.screenshot(path=str(ARTIFACTS / "tab-4-eval.png"), full_page=True)

    _tab(page, "文档管理")
    expect(page.locator("#pq-docs-table")).to_contain_text("gansu-2022-46")
    expect(page.locator("#pq-upload")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "tab-5-docs.png"), full_page=True)


def test_upload_a_document_lists_it(page, app_url, tmp_path):
    _open(page, app_url)
    _tab(page, "文档管理")
    source = tmp_path / "社区助餐服务试点通知.txt"
    source.write_text("关于社区助餐服务试点的通知\n一、总体要求\n（一）目标。到2024年建成社区老年助餐点100个。\n"
                      "（二）原则。政府引导，社会参与。\n二、保障措施\n（一）资金。省财政厅给予补助。\n",
                      encoding="utf-8")
    page.locator("#pq-upload input[type=file]").set_input_files(str(source))
    expect(page.locator("#pq-upload")).to_contain_text(source.stem)
    page.locator("#pq-upload-go").click()
    expect(page.locator("#pq-manage-status .pq-ok")).to_contain_text("已添加", timeout=180_000)
    expect(page.locator("#pq-docs-table")).to_contain_text("社区助餐服务试点通知")
    page.screenshot(path=str(ARTIFACTS / "tab-5-docs-uploaded.png"), full_page=True)

    _tab(page, "问答")
    _ask(page, "社区老年助餐点要建多少个？")
    expect(page.locator("#pq-answer")).to_contain_text(re.compile("100"))

    _tab(page, "文档管理")
    page.locator("#pq-remove input").click()
    page.get_by_role("option", name=re.compile("社区助餐服务试点通知")).click()
    page.locator("#pq-remove-go").click()
    expect(page.locator("#pq-manage-status .pq-ok")).to_contain_text("已删除", timeout=180_000)
    expect(page.locator("#pq-docs-table")).not_to_contain_text("社区助餐服务试点通知")


def test_match_tab_lists_measures_for_a_profile_and_offers_downloads(page, app_url):
    """政策匹配: tick sector and entity, see measures grouped by kind, expand one to its clause
    with the measure highlighted, and get a CSV that keeps the Chinese text."""
    _open(page, app_url)
    page.get_by_role("tab", name="政策匹配").click()
    page.locator("#pq-match-sectors").get_by_label("养老").check()
    page.locator("#pq-match-entities").get_by_label("小微企业").check()
    page.locator("#pq-match-go").click()
    cards = page.locator("#pq-match-result details.pq-card")
    expect(cards.first).to_be_visible()
    text = page.locator("#pq-match-result").inner_text()
    assert "画像：养老、小微企业" in text and "条适用措施" in text
    assert "以旧换新" not in text  # consumer trade-in subsidies are not for an elderly-care company
    cards.first.locator("summary").click()
    expect(cards.first.locator("mark").first).to_be_visible()
    links = page.locator("#pq-match-files a")
    expect(links.first).to_be_visible()
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    assert any(".csv" in href for href in hrefs) and any(".html" in href for href in hrefs), hrefs
    page.screenshot(path=str(ARTIFACTS / "match.png"), full_page=True)
