"""Requests: what either face asks the core, validated once for single and batch use.

A request is parsed from flags (the CLI), form fields (the web) or a batch line (a JSON
object); every problem is a :class:`PolicyError` — for a batch line it names
``file:line``, and the whole file is checked before any output and before the model loads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from corpus.config import DEPT_ROLES, MODES, DeptRole, Mode
from corpus.errors import PolicyError
from index import Filters
from index.query import Query

MAX_K = 100


@dataclass(frozen=True)
class Scope:
    """The filters a search or a question may carry (empty strings mean "none")."""

    doc: str | None = None
    dept: str | None = None
    role: DeptRole = "any"
    domain: str | None = None
    section: str | None = None

    def filters(self) -> Filters | None:
        f = Filters(doc=self.doc, dept=self.dept, dept_role=self.role, domain=self.domain,
                    section=self.section)
        return f or None


@dataclass(frozen=True)
class SearchRequest:
    query: str
    k: int = 10
    mode: Mode = "hybrid"
    scope: Scope = Scope()
    id: Any = None
    #: Where it came from (``file:line: ``), to prefix problems found later.
    where: str = ""


@dataclass(frozen=True)
class AskRequest:
    question: str
    scope: Scope = Scope()
    id: Any = None
    where: str = ""


SCOPE_FIELDS = tuple(f.name for f in fields(Scope))
SEARCH_FIELDS = ("id", "query", "k", "mode", *SCOPE_FIELDS)
ASK_FIELDS = ("id", "question", *SCOPE_FIELDS)


def _bad(where: str, message: str, fix: str) -> PolicyError:
    return PolicyError("bad_request", f"{where}{message}", fix)


def _text(value: Any, name: str, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(where, f"“{name}” 应为字符串，而不是 {type(value).__name__}", f"把 {name} 写成字符串")
    return value.strip() or None


def parse_scope(item: dict, where: str = "") -> Scope:
    role = item.get("role") or "any"
    if role not in DEPT_ROLES:
        raise _bad(where, f"未知的角色 {role!r}", "role 可选 " + "、".join(DEPT_ROLES))
    return Scope(doc=_text(item.get("doc"), "doc", where), dept=_text(item.get("dept"), "dept", where),
                 role=role, domain=_text(item.get("domain"), "domain", where),
                 section=_text(item.get("section"), "section", where))


def _words(value: Any, name: str, where: str) -> str:
    if not isinstance(value, str):
        raise _bad(where, f"“{name}” 应为字符串", f"每行写一个 {name} 字符串")
    try:
        Query.parse(value)
    except PolicyError as exc:
        raise PolicyError(exc.code, f"{where}{exc.message}", exc.fix) from None
    return value


def parse_search(item: dict, where: str = "", default_k: int = 10, default_mode: str = "hybrid") -> SearchRequest:
    """A search request from a JSON object or flags; ``where`` prefixes messages (``file:3: ``)."""
    _known(item, SEARCH_FIELDS, where)
    k = item.get("k", default_k)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise _bad(where, f"k 应为 1 到 {MAX_K} 之间的整数，而不是 {k!r}", f"把 k 设为 1–{MAX_K}")
    mode = item.get("mode", default_mode)
    if mode not in MODES:
        raise _bad(where, f"未知的检索模式 {mode!r}", "mode 可选 " + "、".join(MODES))
    return SearchRequest(_words(item.get("query"), "query", where), k, mode,
                         parse_scope(item, where), item.get("id"), where)


def parse_ask(item: dict, where: str = "") -> AskRequest:
    _known(item, ASK_FIELDS, where)
    return AskRequest(_words(item.get("question"), "question", where), parse_scope(item, where),
                      item.get("id"), where)


def _known(item: dict, allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(item) - set(allowed))
    if unknown:
        raise _bad(where, f"未知字段 {unknown}", "允许的字段：" + ", ".join(allowed))


def read_batch(path: Path, kind: str) -> list[SearchRequest] | list[AskRequest]:
    """Every line of a JSON Lines batch, validated before anything runs."""
    parse = parse_search if kind == "search" else parse_ask
    try:
        data = Path(path).read_bytes().removeprefix(b"\xef\xbb\xbf")  # Notepad/Excel "UTF-8" has a BOM
    except OSError as exc:
        raise PolicyError("unreadable_file", f"{path}: 无法读取（{exc.strerror}）", "检查文件路径和权限") from exc
    requests = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        where = f"{path}:{number}: "
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _bad(where, "不是 UTF-8 编码", "把文件另存为 UTF-8") from None
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise _bad(where, f"不是合法的 JSON（{exc.msg}）", "每行写一个 JSON 对象") from None
        if not isinstance(item, dict):
            raise _bad(where, "不是 JSON 对象", "每行写一个 JSON 对象，如 {\"id\": 1, \"query\": \"…\"}")
        requests.append(parse(item, where))
    if not requests:
        raise PolicyError("empty_batch", f"{path}: 没有任何请求（文件为空或只有空行）",
                          "每行写一个 JSON 对象")
    return requests
