"""The web app's handlers: parse form input, call the core, shape the output for Gradio.

Each handler is callable directly in tests. A :class:`PolicyError` becomes the same
JSON error object the CLI prints (``{"error": {code, message, fix}}``) plus a toast;
anything else is a bug and propagates (Gradio shows a generic error).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from app.auth import Gate
from app.render import (
    ROLE_LABELS,
    error_box,
    esc,
    message,
    plain,
    printable_matches,
    render_answer,
    render_matches,
    short,
)
from core import Assistant, PolicyError, parse_ask, parse_search
from corpus.config import MODES

MODE_LABELS = {"bm25": "BM25", "dense": "向量", "hybrid": "混合"}
ALL = ""  # the "no filter" value of the filter dropdowns
DEPT_COLUMNS = ["角色", "条款", "标题", "文件", "责任分工原文"]
TARGET_COLUMNS = ["指标", "数值", "单位", "比较", "期限", "条款", "文件"]
RANK_COLUMNS = ["名次", "条款", "标题", "得分"]
#: What an anonymous request may cost: questions per evaluation upload.
MAX_EVAL_QUESTIONS = 2000


def _client(request: gr.Request | None) -> str:
    return getattr(getattr(request, "client", None), "host", "") or ""


def _path(file: Any) -> Path | None:
    if not file:
        return None
    return Path(file if isinstance(file, str) else getattr(file, "name", str(file)))


def _failed(what: str, error: PolicyError) -> str:
    """The status line of a refused upload or removal (and its toast)."""
    _toast(error)
    fix = f"（{error.fix}）" if error.fix else ""
    return message(f"{what}：{error.message}{fix}。当前索引继续使用。")


def _toast(error: PolicyError) -> dict:
    gr.Warning(plain(error.message), title="提示")
    return error.to_dict()


class PolicyWeb:
    """The handlers behind the UI, over one :class:`Assistant`."""

    def __init__(self, core: Assistant, gate: Gate | None = None):
        self.core = core
        self.gate = gate or Gate()

    @property
    def index(self):
        return self.core.index

    @property
    def login_required(self) -> bool:
        return self.gate.required

    def _login(self, user: str | None, password: str | None, request: gr.Request | None) -> None:
        """The login for costly actions: HTTP Basic on the request, else the page's fields."""
        self.gate.check_request(getattr(request, "headers", None), user, password, _client(request))

    # ------------------------------------------------------------ choices
    def documents(self) -> list[tuple[str, str]]:
        """(doc_id, title) of the documents being served."""
        return [(d.doc_id, d.title) for d in self.core.documents() if d.records]

    def doc_choices(self, with_all: bool = True) -> list[tuple[str, str]]:
        choices = [(f"{short(title)}（{doc_id}）", doc_id) for doc_id, title in self.documents()]
        return ([("全部文件", ALL)] if with_all else []) + choices

    def department_names(self) -> list[str]:
        return self.core.department_names()

    def match_choices(self) -> dict[str, list]:
        """Checkbox choices of the 政策匹配 tab: (label, value) pairs."""
        from corpus.measures import lexicon
        from qa.match import accepted_values

        values = accepted_values()
        labels = {name: spec.get("label", name) for name, spec in lexicon().traits.items()} \
            if hasattr(lexicon(), "traits") else {}
        return {"sectors": values["sectors"], "entities": values["entities"],
                "traits": [(labels.get(t, t), t) for t in values["traits"]]}

    def removable_choices(self) -> list[tuple[str, str]]:
        return [(f"{short(d.title)}（{d.doc_id}）", d.doc_id) for d in self.core.documents() if not d.shipped]

    # ------------------------------------------------------------ 问答
    def ask(self, question: str, doc: str = ALL, dept: str = ALL, domain: str = ALL,
            role: str = "any", section: str = ALL) -> dict:
        """``Answer.to_dict()``, or the error object of a PolicyError (and a toast)."""
        try:
            request = parse_ask({"question": question or "", "doc": doc or None, "dept": dept or None,
                                 "role": role or "any", "domain": domain or None, "section": section or None})
            return self.core.ask(request).to_dict()
        except PolicyError as exc:
            return _toast(exc)

    def render(self, result: dict, question: str | None = None) -> str:
        return render_answer(result or {}, question, self.core.index.record)

    def ask_html(self, question: str, doc: str = ALL, dept: str = ALL, domain: str = ALL,
                 role: str = "any", section: str = ALL) -> tuple[str, dict]:
        result = self.ask(question, doc, dept, domain, role, section)
        return self.render(result, question), result

    # ------------------------------------------------------------ 部门职责
    def department(self, name: str) -> tuple[str, pd.DataFrame, str | None]:
        """(summary, table of the department's clauses, CSV path) for a name or an alias."""
        empty = pd.DataFrame([], columns=DEPT_COLUMNS)
        try:
            tasks = self.core.department_tasks(name)
        except PolicyError as exc:
            _toast(exc)
            return esc(exc.message) + (f"。{esc(exc.fix)}" if exc.fix else ""), empty, None
        frame = pd.DataFrame([[ROLE_LABELS[r.role], r.path, r.title, r.doc_title, r.responsibility]
                              for r in tasks.rows], columns=DEPT_COLUMNS)
        alias = f"（“{esc(tasks.asked)}” → {tasks.department}）" if tasks.asked != tasks.department else ""
        summary = (f"**{tasks.department}**{alias}：" + "，".join(f"{label} {tasks.count(role)} 项"
                                                               for role, label in ROLE_LABELS.items()))
        if not tasks.rows:
            summary += "。已收录的文件中没有写明该部门的任务。"
        safe = re.sub(r"[^\w]+", "_", tasks.department)
        path = self.core.scratch() / f"部门职责-{safe}.csv"
        frame.to_csv(path, index=False, encoding="utf-8-sig")
        return summary, frame, str(path)

    # ------------------------------------------------------------ 政策匹配
    def match(self, sectors: list[str] | None = None, entities: list[str] | None = None,
              traits: list[str] | None = None) -> tuple[str, list[str] | None]:
        """(HTML of the applicable measures grouped by kind, [CSV, printable HTML] files)."""
        profile = {"sectors": list(sectors or []), "entities": list(entities or []),
                   "traits": list(traits or [])}
        try:
            matches = self.core.match(profile)
        except PolicyError as exc:
            _toast(exc)
            return error_box(exc.to_dict()["error"]), None
        rows = [m.to_dict() for m in matches]
        picked = "、".join([*profile["sectors"], *profile["entities"]])
        profile_text = f"画像：{picked}{'（含所选情形）' if profile['traits'] else ''}。" if picked or traits else "未选择画像，列出全部措施。"
        folder = self.core.scratch() / f"match-{abs(hash(str(profile)))}"
        folder.mkdir(parents=True, exist_ok=True)
        table = pd.DataFrame([{k: ("、".join(v) if isinstance(v, list) else v) for k, v in row.items()
                               if not isinstance(v, dict)} for row in rows])
        csv_path = folder / "政策匹配.csv"
        table.to_csv(csv_path, index=False, encoding="utf-8-sig")
        page = folder / "政策匹配-打印版.html"
        page.write_text(printable_matches(rows, profile_text), encoding="utf-8")
        return render_matches(rows, self.core.index.record, profile_text), [str(csv_path), str(page)]

    # ------------------------------------------------------------ 目标指标
    def targets(self, doc: str = ALL) -> pd.DataFrame:
        try:
            rows = self.core.targets(doc or None)
        except PolicyError:
            rows = []  # a document removed since the page loaded: an empty table
        return pd.DataFrame([[t.indicator, t.value, t.unit, t.comparator, t.deadline, t.path, t.doc_title]
                             for t in rows], columns=TARGET_COLUMNS)

    # ------------------------------------------------------------ 检索评测
    def search(self, query: str, k: float = 10, doc: str = ALL, dept: str = ALL, domain: str = ALL,
               role: str = "any", section: str = ALL) -> tuple[pd.DataFrame, ...]:
        """The BM25, dense and hybrid rankings of one query, side by side."""
        try:
            request = parse_search({"query": query or "", "k": max(1, min(int(k or 10), 50)),
                                    "doc": doc or None, "dept": dept or None, "role": role or "any",
                                    "domain": domain or None, "section": section or None})
            rankings = self.core.compare(request)
        except PolicyError as exc:
            _toast(exc)
            return tuple(pd.DataFrame([], columns=RANK_COLUMNS) for _ in MODES)
        several = len(self.core.index.doc_ids) > 1
        return tuple(pd.DataFrame([[h.rank, (f"{h.record.doc_id} · " if several else "") + h.record.path,
                                    h.record.title, round(float(h.score), 4)] for h in rankings[mode]],
                                  columns=RANK_COLUMNS) for mode in MODES)

    def evaluate(self, file: Any, modes: list[str] | None = None, user: str = "", password: str = "",
                 progress: Any = None, request: gr.Request | None = None):
        """A question file (eval JSONL) → (summary, metrics table, plot image, report files)."""
        empty = pd.DataFrame([], columns=["模式"])
        say = progress or (lambda *a, **k: None)
        try:
            self._login(user, password, request)
            path = _path(file)
            if path is None:
                raise PolicyError("no_file", "请先上传问题文件（JSONL）", "评测格式：每行 {id, question, type, gold}")
            result = self.core.evaluate(
                path, modes or list(MODES), answers=False, max_questions=MAX_EVAL_QUESTIONS,
                progress=lambda fraction, text: say(fraction, desc=f"评测 {text}"))
        except PolicyError as exc:
            _toast(exc)
            return error_box(exc.to_dict()["error"]), empty, None, None
        import eval as ev

        retrieval = result.retrieval
        metrics = list(dict.fromkeys(m for scores in retrieval.values() for m in scores))
        table = pd.DataFrame([[MODE_LABELS.get(mode, mode)] + [_num(retrieval[mode].get(m)) for m in metrics]
                              for mode in retrieval], columns=["模式"] + metrics)
        folder = self.core.scratch() / f"eval-{id(result)}"
        written = ev.write_report(result, folder)
        files = sorted(str(p) for p in folder.rglob("*") if p.is_file())
        plot = str(written["recall_plot"]) if "recall_plot" in written else None
        summary = (f"评测了 {len(result.questions)} 个问题，模式：{'、'.join(MODE_LABELS[m] for m in result.modes)}。"
                   + (f"跳过 {len(result.problems)} 行有问题的记录。" if result.problems else ""))
        return summary, table, plot, files

    # ------------------------------------------------------------ 文档管理
    def documents_table(self) -> pd.DataFrame:
        return pd.DataFrame([["内置" if d.shipped else "上传", d.doc_id, d.title, d.records]
                             for d in self.core.documents()], columns=["来源", "文档编号", "标题", "条款数"])

    def upload(self, file: Any, user: str = "", password: str = "", progress: Any = None,
               replace: bool = False, request: gr.Request | None = None) -> str:
        """Validate and add one document, rebuild, swap; an HTML status line."""
        say = progress or (lambda *a, **k: None)
        try:
            self._login(user, password, request)
            path = _path(file)
            if path is None:
                raise PolicyError("no_file", "请先选择要上传的文件", "支持 .txt、.md、.docx、.pdf")
            info = self.core.add(path, replace=bool(replace),
                                 progress=lambda fraction, text: say(fraction, desc=text))
        except PolicyError as exc:
            return _failed("上传失败", exc)
        gr.Info(f"已添加 {plain(info.doc_id)}：{info.records} 个条款", title="完成")
        return message(f"已添加“{info.title}”（{info.doc_id}），{info.records} 个条款；索引已更新。", "ok")

    def remove(self, doc_id: str | None, user: str = "", password: str = "", progress: Any = None,
               request: gr.Request | None = None) -> str:
        say = progress or (lambda *a, **k: None)
        try:
            self._login(user, password, request)
            self.core.remove(doc_id or "", progress=lambda fraction, text: say(fraction, desc=text))
        except PolicyError as exc:
            return _failed("删除失败", exc)
        gr.Info(f"已删除 {plain(doc_id)}", title="完成")
        return message(f"已删除“{doc_id}”；索引已更新。", "ok")


    def cancel(self, user: str = "", password: str = "", request: gr.Request | None = None) -> str:
        """Stop a running upload/removal rebuild; it rolls back and the served index stays."""
        try:
            self._login(user, password, request)
        except PolicyError as exc:
            return message(exc.message)
        if self.core.cancel_rebuild():
            return message("正在取消重建……文件和索引将保持原样。", "ok")
        return message("当前没有正在进行的重建。", "ok")


def _num(value: Any) -> float | None:
    try:
        return None if value is None else round(float(value), 4)
    except (TypeError, ValueError):
        return None
