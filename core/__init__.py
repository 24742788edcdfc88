"""core: the one object both faces call (:class:`Assistant`), and the requests they parse.

It sits between the answering floors (corpus → index → qa, eval beside) and the faces
(``app.cli``, ``app.web``): it may import all of those except ``app``; only ``app``
imports it. Its own package — not ``qa/`` — because it also drives ``eval`` and the
corpus rebuild, and ``eval`` reads ``qa``: putting the core in ``qa`` would make a cycle.
"""

from core.assistant import Assistant, clean_stale_scratch
from core.requests import (
    ASK_FIELDS,
    SEARCH_FIELDS,
    AskRequest,
    Scope,
    SearchRequest,
    parse_ask,
    parse_scope,
    parse_search,
    read_batch,
)
from core.rows import DepartmentTasks, DocumentInfo, TargetRow, TaskRow
from corpus.errors import PolicyError

__all__ = [
    "ASK_FIELDS",
    "SEARCH_FIELDS",
    "AskRequest",
    "Assistant",
    "DepartmentTasks",
    "DocumentInfo",
    "PolicyError",
    "Scope",
    "SearchRequest",
    "TargetRow",
    "TaskRow",
    "clean_stale_scratch",
    "parse_ask",
    "parse_scope",
    "parse_search",
    "read_batch",
]
