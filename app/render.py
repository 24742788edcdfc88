"""HTML pieces of the web app: every piece of document or user text passes :func:`esc`.

``gr.HTML`` renders markup and runs ``<img onerror>``, so a clause or a question
containing markup must show as text: :func:`esc` is ``html.escape`` plus the template
characters ``{ } $``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from corpus.records import Record

ABSTAIN_HEADLINE = "未在已收录的政策文件中找到相关规定"
ROLE_LABELS = {"lead": "牵头", "co": "协同负责", "implementers": "具体落实"}


def esc(text: Any) -> str:
    """HTML-escape ``text`` for insertion into ``gr.HTML`` (also ``{ } $`` of its templates)."""
    out = html.escape(str(text if text is not None else ""), quote=True)
    return out.replace("{", "&#123;").replace("}", "&#125;").replace("$", "&#36;")


def plain(text: Any, limit: int = 300) -> str:
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
    return {} if record is None else record.departments.to_dict()


def message(text: str, kind: str = "error") -> str:
    return f'<div class="pq-{kind}">{esc(text)}</div>'


def short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def heading(path: str | None, title: str | None) -> str:
    """Path and title spans; a law article's title is its own number (第三章/第十四条 第十四条), so
    it is not said twice."""
    path, title = path or "", title or ""
    shown = "" if title == path.rsplit("/", 1)[-1] else title
    return f'<span class="pq-path">{esc(path)}</span><span class="pq-title">{esc(shown)}</span>'


def citation_card(number: int, citation: dict, record: Record | None) -> str:
    """One citation: document, path, title, department badges; expands to the clause."""
    quote = citation.get("quote", "")
    summary = (
        f'<span class="pq-num">〔{number}〕</span>'
        f'{heading(citation.get("path"), citation.get("title"))}'
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
        f'{heading(hit.get("path"), hit.get("title"))}'
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
        return f'<div class="pq-answer">{echo}{error_box(result["error"])}</div>'
    parts = [echo]
    if result.get("notice"):
        parts.append(f'<div class="pq-notice">{esc(result["notice"])}</div>')
    if result.get("abstained"):
        # the answer's first sentence says why: nothing found, or what the documents do not state
        headline = str(result.get("answer") or "").split("。")[0].strip() or ABSTAIN_HEADLINE
        parts.append(f'<div class="pq-abstain">{esc(headline)}。</div>')
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



def error_box(error: dict | str) -> str:
    """A PolicyError's ``{code, message, fix}`` as a red box (message, then the fix)."""
    if isinstance(error, dict):
        text = error.get("message", "") + (f"（{error['fix']}）" if error.get("fix") else "")
    else:
        text = str(error)
    return message(text)


def _names(value: str | list[str]) -> list[str]:
    """Department names of a flat (CSV-shaped) row: "A、B" or a list."""
    return [n for n in (value.split("、") if isinstance(value, str) else value) if n]


def _measure_card(row: dict, record: Record | None) -> str:
    """One measure: kind, clause, condition and instrument; expands to the clause with the
    measure's sentence highlighted; departments as badges."""
    spans = [(int(row["start"]), int(row["end"]))]
    clause = _highlight_spans(record.text, spans) if record is not None else esc(row["quote"])
    condition = (f'<div class="pq-quote">条件：{esc(row["condition"])}</div>' if row.get("condition") else "")
    instrument = (f'<div class="pq-quote">方式：{esc(row["instrument"])}</div>' if row.get("instrument") else "")
    summary = (
        f'{heading(row["path"], row["title"])}'
        f'<span class="pq-doc">《{esc(short(row["doc_title"], 40))}》</span>'
        f'{_badges({role: _names(row[f"departments_{role}"]) for role in ("lead", "co")})}'
        f'<div class="pq-quote">“{esc(row["quote"])}”</div>{condition}{instrument}'
    )
    meta = f'<div class="pq-meta">{esc(row["reason"])} · {esc(row["record_id"])} [{row["start"]}:{row["end"]}]</div>'
    return (f'<details class="pq-card"><summary>{summary}</summary>'
            f'<div class="pq-clause">{clause}</div>{meta}</details>')


def render_matches(rows: list[dict], record: Callable[[str], Record | None] = lambda _id: None,
                   profile_text: str = "") -> str:
    """政策匹配 results grouped by kind (kinds in order of first appearance)."""
    if not rows:
        return message("没有适用于该画像的支持措施。可以减少筛选条件再试。", "notice")
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["kind_label"], []).append(row)
    parts = [(f'<div class="pq-echo">{esc(profile_text)}共 {len(rows)} 条适用措施，'
              '按类型分组；点开查看原文，措施句以黄色标出。</div>')]
    for label, members in groups.items():
        parts.append(f'<div class="pq-section">{esc(label)}（{len(members)}）</div>')
        parts += [_measure_card(row, record(row["record_id"])) for row in members]
    return f'<div class="pq-answer">{"".join(parts)}</div>'


def printable_matches(rows: list[dict], profile_text: str) -> str:
    """A one-page printable HTML summary of a 政策匹配 result (opens in any browser)."""
    items = "".join(
        f"<tr><td>{esc(r['kind_label'])}</td><td>{esc(r['path'])}<br><small>{esc(short(r['doc_title'], 30))}</small></td>"
        f"<td>{esc(r['condition'] or '—')}</td><td>{esc(r['quote'])}</td>"
        f"<td>{esc(r['departments_lead'] or r['departments_co'])}</td></tr>"
        for r in rows)
    return ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>政策匹配结果</title>"
            "<style>body{font:12px/1.5 'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;margin:1.5cm}"
            "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:3px 5px;"
            "vertical-align:top}th{background:#eee}@page{size:A4;margin:1cm}</style></head><body>"
            f"<h2>政策匹配结果</h2><p>{esc(profile_text)}共 {len(rows)} 条适用措施。每条均引自原文条款。</p>"
            "<table><tr><th>类型</th><th>条款</th><th>条件</th><th>原文</th><th>责任部门</th></tr>"
            f"{items}</table></body></html>")
