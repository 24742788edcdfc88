"""The Gradio app: a thin Blocks layer over the same corpus / index / qa functions the CLI uses.

>>> demo = build_app(Settings())                          # doctest: +SKIP
>>> launch(Settings(), host="127.0.0.1", port=7860)      # doctest: +SKIP

Tabs: 问答 (answers with citation cards), 部门职责, 目标指标, 检索评测, 文档管理.
Named API endpoints for ``gradio_client``: ``/ask`` (the ``Answer.to_dict()`` JSON),
``/search`` (BM25, dense and hybrid rankings), ``/department`` and ``/targets``.

The index is loaded once at start-up (a missing or stale one is rebuilt) and kept in an
:class:`IndexHolder`; an upload or removal rebuilds corpus + index and swaps the holder's
index in one assignment, so questions already running keep the index they started with.

Every piece of document or user text that goes into HTML passes through :func:`esc`
(``html.escape`` plus the template characters ``{ } $``): ``gr.HTML`` renders markup and
runs ``<img onerror>``, so a clause or a question containing markup must show as text.

Exposed on anything but localhost, uploads and removals need the credentials of
``POLICYQA_AUTH=user:pass`` (or a file named by ``POLICYQA_AUTH_FILE`` with ``user:pass``
lines); without them :func:`launch` refuses to start.
"""

from __future__ import annotations

import os


def _offline_environment() -> None:
    """No telemetry, no hub, no proxy for our own local URL (see GRADIO-OFFLINE.md)."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [h for h in os.environ.get(name, "").split(",") if h.strip()]
        for local in ("127.0.0.1", "localhost"):
            if local not in hosts:
                hosts.append(local)
        os.environ[name] = ",".join(hosts)


_offline_environment()

import atexit
import hmac
import html
import inspect
import logging
import re
import shutil
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

import corpus
import qa
from corpus.config import Settings
from corpus.departments import load_dictionary
from corpus.records import Record
from corpus.sources import (
    SUPPORTED_SUFFIXES,
    SourceError,
    discover,
    doc_id_for,
    remove_document,
)
from corpus.tagging import domain_lexicon
from index import Filters, HybridIndex, build_index, open_index
from index.build import get_encoder

log = logging.getLogger(__name__)

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
AUTH_ENV, AUTH_FILE_ENV = "POLICYQA_AUTH", "POLICYQA_AUTH_FILE"
ABSTAIN_HEADLINE = "未在已收录的政策文件中找到相关规定"
MODE_LABELS = {"bm25": "BM25", "dense": "向量", "hybrid": "混合"}
ROLE_LABELS = {"lead": "牵头", "co": "协同负责", "implementers": "具体落实"}
ALL = ""  # the "no filter" value of the filter dropdowns

EXAMPLES = {
    "企业 · 经营主体": ["我们是员工制养老企业，招了高校毕业生，能拿什么补贴？", "小微企业贷款有什么支持？"],
    "基层工作人员": ["谁牵头推动社区基础服务设施达标？", "卫健委负责哪些任务？"],
    "评估人员 · 市民": ["到2025年每千人口托位数要达到多少？", "三(五)1讲的是什么？"],
}

THEME = gr.themes.Soft(
    primary_hue="red", secondary_hue="slate", neutral_hue="slate",
    font=["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei",
          "Source Han Sans SC", "ui-sans-serif", "system-ui", "sans-serif"],
)  # fmt: skip

CSS = """
.pq-header h1 { margin-bottom: 0.2em; }
.pq-answer { font-size: 15px; line-height: 1.7; }
.pq-echo { color: var(--body-text-color-subdued); margin-bottom: 0.5em; word-break: break-all; }
.pq-lines { margin: 0.3em 0 0.8em 1.2em; padding: 0; }
.pq-lines li { margin: 0.15em 0; }
.pq-ref { display: inline-block; min-width: 1.4em; padding: 0 0.3em; margin-left: 0.2em;
  border-radius: 0.6em; background: #b91c1c; color: #fff; font-size: 0.75em; text-align: center;
  vertical-align: super; line-height: 1.5; }
.pq-notice { color: #92400e; background: #fef3c7; padding: 0.3em 0.6em; border-radius: 6px; }
.pq-error { color: #991b1b; background: #fee2e2; padding: 0.6em 0.8em; border-radius: 8px; }
.pq-ok { color: #166534; background: #dcfce7; padding: 0.6em 0.8em; border-radius: 8px; }
.pq-abstain { font-weight: 600; color: #92400e; background: #fef3c7; padding: 0.6em 0.8em;
  border-radius: 8px; margin-bottom: 0.6em; }
.pq-section { font-weight: 600; margin: 0.8em 0 0.3em; color: var(--body-text-color-subdued); }
.pq-card { border: 1px solid var(--border-color-primary); border-left: 4px solid #b91c1c;
  border-radius: 8px; margin: 0.5em 0; padding: 0.5em 0.8em; background: var(--background-fill-primary); }
.pq-card.pq-related { border-left-color: #94a3b8; }
.pq-card > summary { cursor: pointer; list-style-position: outside; }
.pq-card .pq-num { font-weight: 700; color: #b91c1c; margin-right: 0.3em; }
.pq-card .pq-path { font-family: var(--font-mono); background: #f1f5f9; color: #0f172a;
  padding: 0 0.35em; border-radius: 4px; margin-right: 0.3em; }
.pq-card .pq-title { font-weight: 600; }
.pq-card .pq-doc { color: var(--body-text-color-subdued); font-size: 0.9em; margin-left: 0.3em; }
.pq-card .pq-quote { margin: 0.35em 0 0.1em; color: var(--body-text-color); }
.pq-card .pq-clause { margin-top: 0.5em; padding-top: 0.5em; border-top: 1px dashed var(--border-color-primary);
  white-space: pre-wrap; word-break: break-all; }
.pq-card .pq-note { color: var(--body-text-color-subdued); }
.pq-card .pq-meta { margin-top: 0.4em; font-size: 0.85em; color: var(--body-text-color-subdued); }
.pq-card mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.pq-badges { margin-top: 0.3em; }
.pq-badge { display: inline-block; font-size: 0.8em; padding: 0.05em 0.5em; margin: 0.1em 0.25em 0.1em 0;
  border-radius: 999px; border: 1px solid transparent; white-space: nowrap; }
.pq-badge.lead { background: #fee2e2; color: #991b1b; border-color: #fecaca; }
.pq-badge.co { background: #dbeafe; color: #1e3a8a; border-color: #bfdbfe; }
.pq-badge.implementers { background: #f1f5f9; color: #334155; border-color: #e2e8f0; }
.pq-hint { color: var(--body-text-color-subdued); font-size: 0.9em; }
"""


# ---------------------------------------------------------------- escaping and HTML pieces
def esc(text: Any) -> str:
    """HTML-escape ``text`` for insertion into ``gr.HTML`` (also ``{ } $`` of its templates)."""
    out = html.escape(str(text if text is not None else ""), quote=True)
    return out.replace("{", "&#123;").replace("}", "&#125;").replace("$", "&#36;")


def _plain(text: Any, limit: int = 300) -> str:
    """User-derived text for a toast: markup characters dropped, length bounded."""
    return re.sub(r"[<>&\"'`{}$]", "", str(text))[:limit]


def _highlight(text: str, start: int, end: int) -> str:
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    if end <= start:
        return esc(text)
    return f"{esc(text[:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:])}"


def _highlight_spans(text: str, spans: list[tuple[int, int]]) -> str:
    out, position = [], 0
    for start, end in sorted(spans):
        start, end = max(start, position), min(end, len(text))
        if end <= start:
            continue
        out += [esc(text[position:start]), "<mark>", esc(text[start:end]), "</mark>"]
        position = end
    out.append(esc(text[position:]))
    return "".join(out)


def _badges(departments: dict | None) -> str:
    if not departments:
        return ""
    parts = []
    for role, label in ROLE_LABELS.items():
        for name in departments.get(role) or []:
            parts.append(f'<span class="pq-badge {role}" title="{esc(label)}">{esc(label)} · {esc(name)}</span>')
    return f'<div class="pq-badges">{"".join(parts)}</div>' if parts else ""


def _departments_of(record: Record | None) -> dict:
    if record is None:
        return {}
    d = record.departments
    return {"lead": d.lead, "co": d.co, "implementers": d.implementers}


def _message(text: str, kind: str = "error") -> str:
    return f'<div class="pq-{kind}">{esc(text)}</div>'


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def citation_card(number: int, citation: dict, record: Record | None) -> str:
    """One citation: document, path, title, department badges; expands to the clause."""
    quote = citation.get("quote", "")
    summary = (
        f'<span class="pq-num">〔{number}〕</span>'
        f'<span class="pq-path">{esc(citation.get("path"))}</span>'
        f'<span class="pq-title">{esc(citation.get("title"))}</span>'
        f'<span class="pq-doc">《{esc(citation.get("doc_title"))}》</span>'
        f"{_badges(_departments_of(record))}"
        f'<div class="pq-quote">“{esc(quote)}”</div>'
    )
    start, end = int(citation.get("start", 0)), int(citation.get("end", 0))
    if record is None:
        body = f'<div class="pq-clause">{esc(quote)}</div>'
    else:
        field = citation.get("field", "text")
        text = _highlight(record.text, start, end) if field == "text" else esc(record.text)
        note = ""
        if record.responsibility:
            inner = (_highlight(record.responsibility, start, end) if field == "responsibility"
                     else esc(record.responsibility))
            note = f'<span class="pq-note">（{inner}）</span>'
        body = f'<div class="pq-clause">{text}{note}</div>'
    meta = (f'<div class="pq-meta">出处：{esc(citation.get("record_id"))} · 文件 '
            f'{esc(citation.get("doc_id"))} · 引文位置 {esc(citation.get("field", "text"))}[{start}:{end}]</div>')
    return f'<details class="pq-card"><summary>{summary}</summary>{body}{meta}</details>'


def related_card(hit: dict) -> str:
    """A possibly related clause of an abstention (evidence sentences highlighted)."""
    spans = [(int(e["start"]), int(e["end"])) for e in hit.get("evidence") or []]
    summary = (
        f'<span class="pq-path">{esc(hit.get("path"))}</span>'
        f'<span class="pq-title">{esc(hit.get("title"))}</span>'
        f'<span class="pq-doc">《{esc(hit.get("doc_title"))}》</span>'
        f"{_badges(hit.get('departments'))}"
    )
    body = f'<div class="pq-clause">{_highlight_spans(hit.get("text", ""), spans)}</div>'
    meta = f'<div class="pq-meta">{esc(hit.get("id"))} · 相关度 {float(hit.get("score") or 0):.3f}</div>'
    return f'<details class="pq-card pq-related"><summary>{summary}</summary>{body}{meta}</details>'


def _answer_lines(text: str) -> str:
    items = []
    for line in text.splitlines():
        if line.strip():
            escaped = re.sub(r"〔(\d+)〕", r'<span class="pq-ref">\1</span>', esc(line))
            items.append(f"<li>{escaped}</li>")
    return f'<ol class="pq-lines">{"".join(items)}</ol>' if items else ""


def render_answer(result: dict, question: str | None = None,
                  record: Callable[[str], Record | None] = lambda _id: None) -> str:
    """The answer (or error, or abstention) as HTML: every text piece escaped."""
    asked = question if question is not None else result.get("question", "")
    echo = f'<div class="pq-echo">问题：{esc(asked)}</div>' if str(asked).strip() else ""
    if result.get("error"):
        return f'<div class="pq-answer">{echo}{_message(result["error"])}</div>'
    parts = [echo]
    if result.get("notice"):
        parts.append(f'<div class="pq-notice">{esc(result["notice"])}</div>')
    if result.get("abstained"):
        parts.append(f'<div class="pq-abstain">{ABSTAIN_HEADLINE}。</div>')
        hits = result.get("hits") or []
        if hits:
            parts.append('<div class="pq-section">可能相关的条款（仅供参考，未作为答案引用）</div>')
            parts += [related_card(h) for h in hits[:3]]
        return f'<div class="pq-answer">{"".join(parts)}</div>'
    parts.append(_answer_lines(result.get("answer", "")))
    citations = result.get("citations") or []
    if citations:
        parts.append('<div class="pq-section">引用条款（点击展开原文，引文以黄色标出）</div>')
        parts += [citation_card(n, c, record(c.get("record_id", ""))) for n, c in enumerate(citations, 1)]
    return f'<div class="pq-answer">{"".join(parts)}</div>'


# ---------------------------------------------------------------- credentials
def _parse_pairs(text: str, source: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user.strip() or not password:
            raise ValueError(f"{source}: expected user:pass, got a line without both parts")
        pairs.append((user.strip(), password))
    return pairs


def load_credentials(environ: dict | None = None) -> list[tuple[str, str]]:
    """(user, password) pairs from ``POLICYQA_AUTH`` and/or the file ``POLICYQA_AUTH_FILE``."""
    environ = os.environ if environ is None else environ
    pairs: list[tuple[str, str]] = []
    if environ.get(AUTH_ENV, "").strip():
        pairs += _parse_pairs(environ[AUTH_ENV], AUTH_ENV)
    if environ.get(AUTH_FILE_ENV, "").strip():
        path = Path(environ[AUTH_FILE_ENV]).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{AUTH_FILE_ENV}={path}: cannot be read ({exc.strerror})") from exc
        pairs += _parse_pairs(text, str(path))
    return pairs


def is_local(host: str) -> bool:
    return host.strip().lower().strip("[]") in LOCAL_HOSTS


# ---------------------------------------------------------------- the index holder
class IndexHolder:
    """The index being served. Readers take ``holder.index`` once per request; a rebuild
    replaces it with one assignment, so requests in flight keep the index they started with."""

    def __init__(self, index: HybridIndex):
        self._index = index
        self.version = 1
        self.build_lock = threading.Lock()  # one rebuild at a time

    @property
    def index(self) -> HybridIndex:
        return self._index

    def swap(self, index: HybridIndex) -> None:
        self._index = index
        self.version += 1


def _load_or_build(settings: Settings, say: Callable[[str], None]) -> HybridIndex:
    """Open the index; build a missing corpus first and a missing/stale index (open_index)."""
    try:
        corpus.load_report(settings)
    except FileNotFoundError:
        say(f"no corpus at {settings.build_dir}; building it")
        corpus.build(settings)

    def progress(fraction: float, message: str) -> None:
        if fraction in (0.0, 1.0) or int(fraction * 100) % 25 == 0:
            log.info("index %3.0f%% %s", fraction * 100, message)

    return open_index(settings, rebuild=True, progress=progress)


# ---------------------------------------------------------------- handlers
class PolicyWeb:
    """The handlers behind the UI (callable directly in tests) and the served index."""

    def __init__(self, settings: Settings, credentials: list[tuple[str, str]] | None = None,
                 index: HybridIndex | None = None):
        self.settings = settings
        self.credentials = list(credentials or [])
        self.holder = IndexHolder(index or _load_or_build(settings, lambda m: print(m, file=sys.stderr)))
        self.workdir = Path(tempfile.mkdtemp(prefix="policyqa-web-"))
        atexit.register(shutil.rmtree, self.workdir, True)
        self.dictionary = load_dictionary()

    # ------------------------------------------------------------ shared bits
    @property
    def index(self) -> HybridIndex:
        return self.holder.index

    @property
    def login_required(self) -> bool:
        return bool(self.credentials)

    def _record(self, record_id: str) -> Record | None:
        return self.holder.index.record(record_id)

    def documents(self) -> list[tuple[str, str]]:
        """(doc_id, title) of the documents being served, in index order."""
        seen: dict[str, str] = {}
        for r in self.holder.index.records:
            seen.setdefault(r.doc_id, r.doc_title)
        return list(seen.items())

    def doc_choices(self, with_all: bool = True) -> list[tuple[str, str]]:
        choices = [(f"{_short(title)}（{doc_id}）", doc_id) for doc_id, title in self.documents()]
        return ([("全部文件", ALL)] if with_all else []) + choices

    def department_names(self) -> list[str]:
        names = list(self.dictionary.names)
        for r in self.holder.index.records:
            for name in r.departments.all():
                if name not in names:
                    names.append(name)
        return names

    def _resolve_department(self, name: str) -> str | None:
        name = (name or "").strip()
        if not name:
            return None
        resolved = self.dictionary.resolve(name)
        if resolved:
            return resolved
        return name if name in self.department_names() else None

    def _new_dir(self, prefix: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.workdir))

    # ------------------------------------------------------------ 问答
    def ask(self, question: str, doc: str = ALL, dept: str = ALL, domain: str = ALL) -> dict:
        """``qa.answer(...).to_dict()``; a user error gives ``{"error": message}`` and a toast."""
        index = self.holder.index
        try:
            if doc and not any(r.doc_id == doc for r in index.records):
                raise UserError(f"未找到文件“{doc}”：请从列表中选择。")
            if (dept or "").strip() and self.dictionary.resolve(dept) is None:
                raise UserError(f"未找到部门“{dept.strip()}”：请从列表中选择，或输入常用简称（如 卫健委、人社部门）。")
            filters = Filters(doc=doc or None, dept=(dept or "").strip() or None, domain=domain or None)
            return qa.answer(question or "", index, filters, self.settings).to_dict()
        except ValueError as exc:  # empty question, unknown department
            message = _friendly(exc)
            gr.Warning(_plain(message), title="提示")
            return {"question": question or "", "error": message}

    def render(self, result: dict, question: str | None = None) -> str:
        return render_answer(result or {}, question, self._record)

    def ask_html(self, question: str, doc: str = ALL, dept: str = ALL, domain: str = ALL) -> tuple[str, dict]:
        result = self.ask(question, doc, dept, domain)
        return self.render(result, question), result

    # ------------------------------------------------------------ 部门职责
    def department_rows(self, name: str) -> tuple[str | None, pd.DataFrame]:
        canonical = self._resolve_department(name)
        rows = []
        if canonical:
            for role, label in ROLE_LABELS.items():
                for r in self.holder.index.records:
                    if canonical in getattr(r.departments, role):
                        rows.append([label, r.path, r.title, r.doc_title, r.responsibility])
        frame = pd.DataFrame(rows, columns=["角色", "条款", "标题", "文件", "责任分工原文"])
        return canonical, frame

    def department(self, name: str) -> tuple[str, pd.DataFrame, str | None]:
        """(summary, table of the department's clauses, CSV path) for a name or an alias."""
        canonical, frame = self.department_rows(name)
        if not (name or "").strip():
            gr.Warning("请选择或输入一个部门", title="提示")
            return "请选择或输入一个部门。", frame, None
        if canonical is None:
            gr.Warning(f"未找到部门：{_plain(name, 40)}", title="提示")
            return (f"未找到部门“{esc(name)}”。请从列表中选择，或输入常用简称（如 卫健委、人社部门）。",
                    frame, None)
        counts = Counter(frame["角色"])
        alias = f"（“{esc(name.strip())}” → {canonical}）" if name.strip() != canonical else ""
        summary = (f"**{canonical}**{alias}：" + "，".join(f"{label} {counts.get(label, 0)} 项"
                                                         for label in ROLE_LABELS.values()))
        if frame.empty:
            summary += "。已收录的文件中没有写明该部门的任务。"
        folder = self._new_dir("department-")
        safe = re.sub(r"[^\w]+", "_", canonical)
        path = folder / f"部门职责-{safe}.csv"
        frame.to_csv(path, index=False, encoding="utf-8-sig")
        return summary, frame, str(path)

    # ------------------------------------------------------------ 目标指标
    def targets(self, doc: str = ALL) -> pd.DataFrame:
        rows = []
        for r in self.holder.index.records:
            if doc and r.doc_id != doc:
                continue
            for t in r.targets:
                rows.append([t.indicator, t.value, t.unit, t.comparator,
                             t.deadline_text or (str(t.deadline) if t.deadline else "未写明"),
                             r.path, r.doc_title])
        return pd.DataFrame(rows, columns=["指标", "数值", "单位", "比较", "期限", "条款", "文件"])

    # ------------------------------------------------------------ 检索评测
    def search(self, query: str, k: float = 10) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """The BM25, dense and hybrid rankings of one query, side by side."""
        index, s = self.holder.index, self.settings
        columns = ["名次", "条款", "标题", "得分"]
        if not (query or "").strip():
            gr.Warning("请输入检索词", title="提示")
            return tuple(pd.DataFrame([], columns=columns) for _ in range(3))  # type: ignore[return-value]
        k = max(1, min(int(k or 10), 50))
        several = len({r.doc_id for r in index.records}) > 1
        frames = []
        for mode in ("bm25", "dense", "hybrid"):
            hits = index.search(query, k=k, mode=mode, fusion=s.fusion, dense_weight=s.dense_weight,
                                candidates=s.candidates)
            rows = [[h.rank, (f"{h.record.doc_id} · " if several else "") + h.record.path,
                     h.record.title, round(float(h.score), 4)] for h in hits]
            frames.append(pd.DataFrame(rows, columns=columns))
        return tuple(frames)  # type: ignore[return-value]

    def evaluate(self, file: str | None, modes: list[str] | None = None,
                 progress: gr.Progress | None = None) -> tuple[str, pd.DataFrame, Any, list[str] | None]:
        """A question file (eval JSONL) → (summary, metrics table, plot, report files)."""
        empty = pd.DataFrame([], columns=["模式"])
        if not file:
            gr.Warning("请先上传问题文件（JSONL）", title="提示")
            return "请先上传问题文件（JSONL，评测格式）。", empty, None, None
        path = Path(file if isinstance(file, str) else getattr(file, "name", str(file)))
        if path.suffix.lower() not in (".jsonl", ".json", ".txt"):
            gr.Warning("问题文件应为 .jsonl", title="提示")
            return "问题文件应为 JSON Lines（.jsonl），每行一个问题。", empty, None, None
        if path.stat().st_size > self.settings.max_upload_mb * 2**20:
            return f"文件超过 {self.settings.max_upload_mb} MB 上限。", empty, None, None
        modes = [m for m in (modes or list(MODE_LABELS)) if m in MODE_LABELS] or list(MODE_LABELS)
        try:
            load_questions, run, write_report = _eval_api()
        except ImportError as exc:
            gr.Warning("评测模块暂不可用", title="提示")
            return f"评测模块（eval）暂不可用：{esc(exc)}", empty, None, None
        say = progress or (lambda *a, **k: None)
        try:
            questions, problems = load_questions(path, strict=False)
        except (OSError, ValueError) as exc:
            gr.Warning("问题文件无法读取", title="提示")
            return f"问题文件无法读取：{esc(exc)}", empty, None, None
        if not questions:
            lines = "；".join(f"第 {p.line} 行：{p.reason}" for p in problems[:5])
            return f"文件中没有可用的问题。{esc(lines)}", empty, None, None
        kwargs: dict[str, Any] = {"modes": modes, "answer_fn": None}
        if "progress" in inspect.signature(run).parameters:
            kwargs["progress"] = lambda fraction, message: say(fraction, desc=f"评测 {message}")
        result = run(questions, self.holder.index, **kwargs)
        retrieval = getattr(result, "retrieval", None) or result.to_dict()["retrieval"]
        metrics = list(dict.fromkeys(m for scores in retrieval.values() for m in scores))
        table = pd.DataFrame([[MODE_LABELS.get(mode, mode)] + [_num(retrieval[mode].get(m)) for m in metrics]
                              for mode in retrieval], columns=["模式"] + metrics)
        files = None
        report_note = ""
        try:
            folder = self._new_dir("eval-")
            write_report(result, folder)
            files = sorted(str(p) for p in folder.rglob("*") if p.is_file())
        except Exception as exc:  # the report is a bonus; the metrics are already here
            log.exception("eval report failed")
            report_note = f"（报告未能写出：{esc(exc)}）"
        summary = (f"评测了 {len(questions)} 个问题，模式：{'、'.join(MODE_LABELS[m] for m in modes)}。"
                   + (f"跳过 {len(problems)} 行有问题的记录。" if problems else "") + report_note)
        return summary, table, _metrics_plot(retrieval, metrics), files

    # ------------------------------------------------------------ 文档管理
    def documents_table(self) -> pd.DataFrame:
        counts = Counter(r.doc_id for r in self.holder.index.records)
        s = self.settings
        rows = [["内置" if d.shipped else "上传", d.manifest.doc_id, d.manifest.title, counts.get(d.manifest.doc_id, 0)]
                for d in discover(s.docs_dir, s.user_docs_dir)]
        return pd.DataFrame(rows, columns=["来源", "文档编号", "标题", "条款数"])

    def removable_choices(self) -> list[tuple[str, str]]:
        s = self.settings
        return [(f"{_short(d.manifest.title)}（{d.manifest.doc_id}）", d.manifest.doc_id)
                for d in discover(s.docs_dir, s.user_docs_dir) if not d.shipped]

    def check_login(self, user: str | None, password: str | None) -> None:
        if not self.login_required:
            return
        ok = any(hmac.compare_digest((user or "").encode(), u.encode())
                 & hmac.compare_digest((password or "").encode(), p.encode())
                 for u, p in self.credentials)
        if not ok:
            raise PermissionError("需要管理员登录：请填写正确的用户名和密码后再上传或删除文件。")

    def upload(self, file: str | None, user: str = "", password: str = "",
               progress: Callable | None = None) -> str:
        """Validate and add one document, rebuild corpus + index, swap; an HTML status line."""
        say = progress or (lambda *a, **k: None)
        try:
            self.check_login(user, password)
            if not file:
                raise UserError("请先选择要上传的文件（.txt、.md、.docx 或 .pdf）。")
            source = Path(file if isinstance(file, str) else getattr(file, "name", str(file)))
            name = Path(source.name)
            suffix = name.suffix.lower()
            if suffix not in SUPPORTED_SUFFIXES:
                raise UserError(f"不支持的文件类型“{suffix or '无扩展名'}”：请上传 "
                                f"{'、'.join(SUPPORTED_SUFFIXES)} 文件。")
            size = source.stat().st_size
            if size > self.settings.max_upload_mb * 2**20:
                raise UserError(f"文件有 {size / 2**20:.1f} MB，超过 {self.settings.max_upload_mb} MB 的上限。")
            doc_id = doc_id_for(name)
            if doc_id in {d.manifest.doc_id for d in discover(self.settings.docs_dir)}:
                raise UserError(f"文档编号“{doc_id}”与内置文件相同，请改名后再上传。")
            safe = self._new_dir("upload-") / f"{doc_id}{suffix}"
            shutil.copyfile(source, safe)
            with self.holder.build_lock:
                self._rebuild(doc_id, say, add=safe)
            title = dict(self.documents()).get(doc_id, doc_id)
            count = sum(1 for r in self.holder.index.records if r.doc_id == doc_id)
            gr.Info(f"已添加 {_plain(doc_id)}：{count} 个条款", title="完成")
            return _message(f"已添加“{title}”（{doc_id}），{count} 个条款；索引已更新。", "ok")
        except (UserError, SourceError, PermissionError, OSError) as exc:
            message = _friendly(exc)
            gr.Warning(_plain(message), title="提示")
            return _message(f"上传失败：{message}（当前索引继续使用）")

    def remove(self, doc_id: str | None, user: str = "", password: str = "",
               progress: Callable | None = None) -> str:
        say = progress or (lambda *a, **k: None)
        try:
            self.check_login(user, password)
            if not doc_id:
                raise UserError("请选择要删除的上传文件。")
            if doc_id in {d.manifest.doc_id for d in discover(self.settings.docs_dir)}:
                raise UserError(f"“{doc_id}”是内置文件，不能删除。")
            if doc_id not in {value for _, value in self.removable_choices()}:  # never a path
                raise UserError(f"没有编号为“{doc_id}”的上传文件。")
            with self.holder.build_lock:
                self._rebuild(doc_id, say, add=None)
            gr.Info(f"已删除 {_plain(doc_id)}", title="完成")
            return _message(f"已删除“{doc_id}”；索引已更新。", "ok")
        except (UserError, SourceError, PermissionError, OSError) as exc:
            message = _friendly(exc)
            gr.Warning(_plain(message), title="提示")
            return _message(f"删除失败：{message}（当前索引继续使用）")

    def _rebuild(self, doc_id: str, say: Callable, add: Path | None) -> None:
        """Add ``add`` (or remove ``doc_id``), rebuild corpus + index, swap the served index.

        On any failure the document folder is put back as it was and the corpus rebuilt
        from it, so the files on disk agree with the index still being served.
        """
        s = self.settings
        folder = s.user_docs_dir / doc_id
        backup = None
        if folder.exists():
            backup = self._new_dir("backup-") / doc_id
            shutil.copytree(folder, backup)
        try:
            if add is None:
                remove_document(doc_id, s.user_docs_dir)
            say(0.02, desc="解析文件")
            corpus.build(s, paths=[add] if add else [],
                         progress=lambda f, m: say(0.02 + 0.18 * f, desc=f"解析：{m}"))
            say(0.2, desc="更新索引")
            build_index(s, progress=lambda f, m: say(0.2 + 0.75 * f, desc=f"索引：{m}"))
            new = HybridIndex.load(s.index_dir, get_encoder(s), verify=False)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            if backup is not None:
                shutil.copytree(backup, folder)
            try:  # the corpus may already include the failed change
                corpus.build(s)
            except Exception:  # the previous corpus build is still in place
                log.exception("restoring the corpus after a failed change")
            raise
        self.holder.swap(new)
        say(1.0, desc="完成")


class UserError(ValueError):
    """A problem the user can fix; shown as it is."""


def _friendly(exc: BaseException) -> str:
    if isinstance(exc, SourceError):
        return f"{Path(exc.path).name}：{_source_reason_zh(exc.reason)}" + (f"（{exc.fix}）" if exc.fix else "")
    if isinstance(exc, FileNotFoundError):
        return f"找不到文件：{exc.filename or exc}"
    return str(exc)


_REASONS_ZH = [
    (r"the file is empty", "文件是空的"),
    (r"no Chinese text found", "没有找到中文内容"),
    (r"looks like a binary file, not text", "看起来是二进制文件，不是文本"),
    (r"the text encoding could not be recognized", "无法识别文本编码"),
    (r"not a valid \.docx file", "不是有效的 .docx 文件"),
    (r"the PDF has no text layer.*", "PDF 没有文字层（可能是扫描件）"),
    (r"not a readable PDF.*", "PDF 无法读取"),
    (r"no text records could be made", "没有解析出任何条款"),
    (r"unsupported file type.*", "不支持的文件类型"),
]


def _source_reason_zh(reason: str) -> str:
    for pattern, zh in _REASONS_ZH:
        if re.fullmatch(pattern, reason):
            return f"{zh}（{reason}）"
    return reason


def _num(value: Any) -> float | None:
    try:
        return None if value is None else round(float(value), 4)
    except (TypeError, ValueError):
        return None


def _eval_api() -> tuple[Callable, Callable, Callable]:
    """(load_questions, run, write_report) of the eval package, imported lazily."""
    import importlib

    ev = importlib.import_module("eval")

    def pick(name: str, *modules: str) -> Callable:
        obj = getattr(ev, name, None)
        if callable(obj) and not inspect.ismodule(obj):
            return obj
        for module in modules:
            obj = getattr(importlib.import_module(module), name, None)
            if callable(obj):
                return obj
        raise ImportError(f"eval.{name} not found")

    return (pick("load_questions", "eval.questions"), pick("run", "eval.run"),
            pick("write_report", "eval.report", "eval.run"))


def _metrics_plot(retrieval: dict, metrics: list[str]):
    """Grouped bars of each metric per mode (ASCII labels: no CJK font needed server-side)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = list(retrieval)
    fig, ax = plt.subplots(figsize=(max(5, 1.1 * len(metrics) + 2), 3.4), dpi=110)
    width = 0.8 / max(len(modes), 1)
    for i, mode in enumerate(modes):
        values = [_num(retrieval[mode].get(m)) or 0.0 for m in metrics]
        ax.bar([x + i * width for x in range(len(metrics))], values, width, label=mode)
    ax.set_xticks([x + width * (len(modes) - 1) / 2 for x in range(len(metrics))], metrics,
                  rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.legend(ncols=len(modes), fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 1.18), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    plt.close(fig)
    return fig


# ---------------------------------------------------------------- the Blocks
def build_app(settings: Settings, *, auth: list[tuple[str, str]] | None = None,
              web: PolicyWeb | None = None) -> gr.Blocks:
    """The Gradio Blocks app. With ``auth`` (user, password) pairs, uploads and removals
    ask for them. ``demo.policyqa`` is the :class:`PolicyWeb` behind it."""
    web = web or PolicyWeb(settings, credentials=auth)
    if auth is not None and web.credentials != list(auth):
        web.credentials = list(auth)
    suffixes = list(SUPPORTED_SUFFIXES)
    domains = list(domain_lexicon())

    with gr.Blocks(title="政策问答助手", analytics_enabled=False, delete_cache=(3600, 24 * 3600)) as demo:
        gr.Markdown(
            "# 政策问答助手\n"
            "根据已收录的政策文件原文作答：每一句答案都标注出处条款并可展开核对原文；"
            "找不到依据时如实说明。",
            elem_classes="pq-header",
        )
        with gr.Tabs():
            # ---------------------------------------------------- 1 问答
            with gr.Tab("问答", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        question = gr.Textbox(label="您的问题", lines=2, max_lines=6,
                                              placeholder="例如：谁牵头推动社区基础服务设施达标？",
                                              elem_id="pq-question", autofocus=True)
                        with gr.Row():
                            ask_btn = gr.Button("提问", variant="primary", elem_id="pq-ask", scale=1)
                            clear_btn = gr.ClearButton(value="清空", scale=0, min_width=90)
                        with gr.Accordion("按文件、部门、领域筛选", open=False), gr.Row():
                            doc_filter = gr.Dropdown(web.doc_choices(), value=ALL, label="文件",
                                                     allow_custom_value=True)  # uploads: checked by ask()
                            dept_filter = gr.Dropdown([("全部部门", ALL)] + list(web.dictionary.names),
                                                      value=ALL, label="部门（可输入简称）",
                                                      allow_custom_value=True)
                            domain_filter = gr.Dropdown([("全部领域", ALL)] + domains, value=ALL,
                                                        label="领域")
                    with gr.Column(scale=2, min_width=280):
                        for group, questions in EXAMPLES.items():
                            gr.Examples(examples=[[q] for q in questions], inputs=[question],
                                        label=group, examples_per_page=4)
                answer_html = gr.HTML('<div class="pq-hint">在上方输入问题并点击“提问”，或点击右侧的示例问题。'
                                      '答案中的〔n〕对应下方的引用条款。</div>', elem_id="pq-answer",
                                      padding=True, container=True)
                with gr.Accordion("答案 JSON（接口 /ask 的返回）", open=False):
                    answer_json = gr.JSON(label="answer", elem_id="pq-answer-json")
                clear_btn.add([question, answer_json, answer_html])

                gr.on(
                    triggers=[ask_btn.click, question.submit], fn=web.ask,
                    inputs=[question, doc_filter, dept_filter, domain_filter], outputs=answer_json,
                    api_name="ask", concurrency_limit=4,
                    api_description="回答一个问题：返回 Answer.to_dict() 的 JSON（出错时为 {question, error}）。",
                ).then(web.render, inputs=[answer_json, question], outputs=answer_html,
                       api_visibility="private", show_progress="hidden")

            # ---------------------------------------------------- 2 部门职责
            with gr.Tab("部门职责", id="department"):
                with gr.Row():
                    dept_pick = gr.Dropdown(web.department_names(), value=None, allow_custom_value=True,
                                            label="部门（从列表选择，或输入简称如 卫健委、人社部门）",
                                            elem_id="pq-dept", scale=3)
                    dept_btn = gr.Button("查看职责", variant="primary", scale=1, elem_id="pq-dept-go")
                dept_summary = gr.Markdown("选择一个部门，查看它牵头、协同负责和具体落实的条款。")
                dept_table = gr.Dataframe(headers=["角色", "条款", "标题", "文件", "责任分工原文"],
                                          interactive=False, wrap=True, elem_id="pq-dept-table",
                                          column_widths=["9%", "9%", "22%", "22%", "38%"])
                dept_csv = gr.File(label="下载 CSV（UTF-8，Excel 可直接打开）", interactive=False,
                                   elem_id="pq-dept-csv")
                gr.on(triggers=[dept_btn.click, dept_pick.select], fn=web.department, inputs=dept_pick,
                      outputs=[dept_summary, dept_table, dept_csv], api_name="department")

            # ---------------------------------------------------- 3 目标指标
            with gr.Tab("目标指标", id="targets"):
                target_doc = gr.Dropdown(web.doc_choices(), value=ALL, label="文件", elem_id="pq-target-doc",
                                         allow_custom_value=True)  # uploads: an unknown id gives no rows
                target_table = gr.Dataframe(web.targets(ALL), interactive=False, wrap=True,
                                            elem_id="pq-target-table", show_search="filter",
                                            label="文件中的量化目标", max_height=640,
                                            column_widths=["27%", "7%", "7%", "8%", "11%", "8%", "32%"])
                target_doc.change(web.targets, inputs=target_doc, outputs=target_table, api_name="targets")

            # ---------------------------------------------------- 4 检索评测
            with gr.Tab("检索评测", id="eval"):
                with gr.Row():
                    search_query = gr.Textbox(label="检索词", placeholder="例如：托育服务设施", scale=4,
                                              elem_id="pq-search-query")
                    search_k = gr.Number(value=10, label="返回条数", precision=0, minimum=1, maximum=50,
                                         scale=1, min_width=100)
                    search_btn = gr.Button("对比三种检索", variant="primary", scale=1, elem_id="pq-search-go")
                with gr.Row(equal_height=False):
                    rankings = []
                    for mode in ("bm25", "dense", "hybrid"):
                        with gr.Column(min_width=260):
                            rankings.append(gr.Dataframe(headers=["名次", "条款", "标题", "得分"],
                                                         label=f"{MODE_LABELS[mode]}（{mode}）",
                                                         interactive=False, wrap=True,
                                                         elem_id=f"pq-rank-{mode}",
                                                         column_widths=["14%", "22%", "44%", "20%"]))
                gr.on(triggers=[search_btn.click, search_query.submit], fn=web.search,
                      inputs=[search_query, search_k], outputs=rankings, api_name="search")
                gr.Markdown("### 批量评测\n上传评测格式的问题文件（JSON Lines：`id`、`question`、`type`、"
                            "`gold` …），计算各检索模式的指标。")
                with gr.Row():
                    eval_file = gr.File(label="问题文件（.jsonl）", file_types=[".jsonl"], scale=2,
                                        elem_id="pq-eval-file")
                    with gr.Column(scale=1):
                        eval_modes = gr.CheckboxGroup([(MODE_LABELS[m], m) for m in MODE_LABELS],
                                                      value=list(MODE_LABELS), label="检索模式")
                        eval_btn = gr.Button("运行评测", variant="primary", elem_id="pq-eval-go")
                eval_summary = gr.Markdown(elem_id="pq-eval-summary")
                eval_table = gr.Dataframe(headers=["模式"], interactive=False, label="指标",
                                          elem_id="pq-eval-table", visible=False)
                with gr.Row(equal_height=False):
                    eval_plot = gr.Plot(label="指标对比", visible=False, scale=3)
                    eval_files = gr.File(label="评测报告文件", file_count="multiple", interactive=False,
                                         visible=False, scale=2)

                def run_eval(file, modes, progress=gr.Progress()):  # noqa: B008
                    summary, table, plot, files = web.evaluate(file, modes, progress)
                    shown = not table.empty
                    return (summary, gr.Dataframe(value=table, visible=shown),
                            gr.Plot(value=plot, visible=plot is not None),
                            gr.File(value=files, visible=bool(files)))

                eval_btn.click(run_eval, inputs=[eval_file, eval_modes],
                               outputs=[eval_summary, eval_table, eval_plot, eval_files],
                               api_name="evaluate", concurrency_limit=1)

            # ---------------------------------------------------- 5 文档管理
            with gr.Tab("文档管理", id="docs"):
                docs_table = gr.Dataframe(web.documents_table(), interactive=False, wrap=True,
                                          label="已收录的文件", elem_id="pq-docs-table",
                                          column_widths=["10%", "28%", "50%", "12%"])
                with gr.Row(visible=web.login_required):
                    admin_user = gr.Textbox(label="管理员用户名", scale=1)
                    admin_password = gr.Textbox(label="密码", type="password", scale=1)
                with gr.Row(equal_height=False):
                    with gr.Column():
                        upload_file = gr.File(label=f"上传文件（{'、'.join(suffixes)}，不超过 "
                                                    f"{settings.max_upload_mb} MB）",
                                              file_types=suffixes, elem_id="pq-upload")
                        upload_btn = gr.Button("添加并重建索引", variant="primary", elem_id="pq-upload-go")
                    with gr.Column():
                        remove_pick = gr.Dropdown(web.removable_choices(), value=None,
                                                  allow_custom_value=True,  # checked by the handler
                                                  label="删除上传的文件（内置文件不能删除）",
                                                  info="只列出通过本页或 `policyqa corpus add` 添加的文件",
                                                  elem_id="pq-remove")
                        remove_btn = gr.Button("删除并重建索引", variant="stop", elem_id="pq-remove-go")
                manage_status = gr.HTML(elem_id="pq-manage-status")

                def refresh():
                    return (web.documents_table(), gr.Dropdown(choices=web.doc_choices()),
                            gr.Dropdown(choices=web.doc_choices()), web.targets(ALL),
                            gr.Dropdown(choices=web.removable_choices(), value=None))

                refreshed = [docs_table, doc_filter, target_doc, target_table, remove_pick]

                def do_upload(file, user, password, progress=gr.Progress()):  # noqa: B008
                    return web.upload(file, user, password, progress)

                def do_remove(doc_id, user, password, progress=gr.Progress()):  # noqa: B008
                    return web.remove(doc_id, user, password, progress)

                upload_btn.click(do_upload, inputs=[upload_file, admin_user, admin_password],
                                 outputs=manage_status, api_name="upload_document",
                                 concurrency_id="manage", concurrency_limit=1,
                                 ).then(refresh, outputs=refreshed, api_visibility="private")
                remove_btn.click(do_remove, inputs=[remove_pick, admin_user, admin_password],
                                 outputs=manage_status, api_name="remove_document",
                                 concurrency_id="manage", concurrency_limit=1,
                                 ).then(refresh, outputs=refreshed, api_visibility="private")
        demo.load(refresh, outputs=refreshed, api_visibility="private", show_progress="hidden")
    demo.policyqa = web  # type: ignore[attr-defined]
    return demo


def launch(settings: Settings, host: str = "127.0.0.1", port: int = 7860, **kwargs) -> gr.Blocks:
    """Serve the app. Off localhost, uploads/removals need ``POLICYQA_AUTH`` credentials;
    without them this refuses to start. ``kwargs`` go to ``Blocks.launch`` (for example
    ``prevent_thread_lock=True, quiet=True``); the Blocks is returned."""
    credentials = load_credentials({
        AUTH_ENV: getattr(settings, "auth", "") or os.environ.get(AUTH_ENV, ""),
        AUTH_FILE_ENV: getattr(settings, "auth_file", "") or os.environ.get(AUTH_FILE_ENV, ""),
    })  # Settings.auth / auth_file once config.py has them (see the report), else the environment
    if not is_local(host) and not credentials:
        raise RuntimeError(
            f"refusing to serve on {host}: uploads and removals need a login when the app is "
            f"reachable from other machines. Set {AUTH_ENV}=user:pass (or {AUTH_FILE_ENV}=FILE "
            f"with user:pass lines), or serve on 127.0.0.1."
        )
    demo = build_app(settings, auth=credentials if not is_local(host) else None)
    # A bounded queue turns a flood away ("queue full") instead of letting waits grow.
    demo.queue(default_concurrency_limit=2, max_size=64)
    options: dict[str, Any] = {
        "server_name": host, "server_port": port, "share": False,
        "max_file_size": f"{settings.max_upload_mb}mb", "theme": THEME, "css": CSS,
        "footer_links": ["api"], "show_error": False,
    }
    options.update(kwargs)
    options["share"] = False
    demo.launch(**options)
    return demo
