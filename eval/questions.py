"""Question sets: load and validate JSON Lines, derive qrels.

One JSON object a line::

    {"id": "plan-001", "question": "…托位数要达到多少个？", "type": "target",
     "gold": ["gansu-2022-46#二¶2"], "split": "dev", "contains": ["4.5"]}

Required: ``id`` (str, no whitespace), ``question`` (str), ``type`` (str), ``gold``
(list of record ids ``doc_id#path``; ``[]`` exactly when ``type`` is ``out_of_scope``).
Optional: ``split`` (``dev`` | ``test``), ``lead`` ([canonical department names]; ``[]``
= the clause names no lead department, so the answer must name none), ``contains``
([strings the answer must contain], non-empty), ``doc`` (doc_id the question is about).

A malformed line becomes a :class:`Problem` (line number, reason): skipped and returned,
or with ``strict=True`` raised as :class:`QuestionFileError` naming the first bad line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUT_OF_SCOPE = "out_of_scope"
SPLITS = ("dev", "test")
REQUIRED = ("id", "question", "type", "gold")
OPTIONAL = ("split", "lead", "contains", "doc")
#: ``doc_id#path``: both parts non-empty, no whitespace (TREC files split on it), one ``#``.
GOLD_ID_RE = re.compile(r"[^#\s]+#[^#\s]+")
_NO_SPACE_RE = re.compile(r"\S+")


@dataclass(frozen=True)
class Question:
    """One evaluation question; list fields are tuples so a Question is hashable."""

    id: str
    question: str
    type: str
    gold: tuple[str, ...]
    split: str | None = None
    lead: tuple[str, ...] | None = None
    contains: tuple[str, ...] | None = None
    doc: str | None = None

    @property
    def in_scope(self) -> bool:
        """False for ``out_of_scope`` questions (the answer layer should abstain)."""
        return self.type != OUT_OF_SCOPE

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the line (optional fields only when set)."""
        d: dict[str, Any] = {"id": self.id, "question": self.question, "type": self.type,
                             "gold": list(self.gold)}
        if self.split is not None:
            d["split"] = self.split
        if self.lead is not None:
            d["lead"] = list(self.lead)
        if self.contains is not None:
            d["contains"] = list(self.contains)
        if self.doc is not None:
            d["doc"] = self.doc
        return d


@dataclass(frozen=True)
class Problem:
    """A line that was not loaded: ``line`` is 1-based."""

    line: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


class QuestionFileError(ValueError):
    """A malformed question file (strict loading); the message is ``source:line: reason``."""

    def __init__(self, source: str, line: int, reason: str):
        super().__init__(f"{source}:{line}: {reason}")
        self.source = source
        self.line = line
        self.reason = reason


def _str_list(obj: dict, name: str, *, allow_empty: bool) -> tuple[str, ...]:
    value = obj[name]
    if not isinstance(value, list):
        raise TypeError(f"{name!r} must be a list of strings, got {type(value).__name__}")
    if not allow_empty and not value:
        raise ValueError(f"{name!r} must not be empty")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"{name!r} must hold non-empty strings, got {item!r}")
    return tuple(value)


def parse_question(obj: Any) -> Question:
    """Validate one decoded JSON value; raise ``ValueError``/``TypeError`` with the reason."""
    if not isinstance(obj, dict):
        raise TypeError(f"not a JSON object (got {type(obj).__name__})")
    missing = [name for name in REQUIRED if name not in obj]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    unknown = sorted(set(obj) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; "
                         f"allowed: {', '.join(REQUIRED + OPTIONAL)}")
    for name in ("id", "question", "type"):
        if not isinstance(obj[name], str) or not obj[name].strip():
            raise ValueError(f"{name!r} must be a non-empty string")
    if not _NO_SPACE_RE.fullmatch(obj["id"]):
        raise ValueError(f"'id' must not contain whitespace: {obj['id']!r}")
    gold = _str_list(obj, "gold", allow_empty=True)
    for gold_id in gold:
        if not GOLD_ID_RE.fullmatch(gold_id):
            raise ValueError(f"gold id {gold_id!r} is not of the form doc_id#path")
    if obj["type"] == OUT_OF_SCOPE and gold:
        raise ValueError("an out_of_scope question must have gold []")
    if obj["type"] != OUT_OF_SCOPE and not gold:
        raise ValueError(f"gold is empty but type is {obj['type']!r} (only out_of_scope has [])")
    split = obj.get("split")
    if split is not None and split not in SPLITS:
        raise ValueError(f"'split' must be one of {', '.join(SPLITS)}, got {split!r}")
    doc = obj.get("doc")
    if doc is not None and (not isinstance(doc, str) or not doc.strip()):
        raise ValueError("'doc' must be a non-empty string")
    return Question(
        id=obj["id"], question=obj["question"], type=obj["type"], gold=gold, split=split,
        lead=_str_list(obj, "lead", allow_empty=True) if "lead" in obj else None,
        contains=_str_list(obj, "contains", allow_empty=False) if "contains" in obj else None,
        doc=doc,
    )


def parse_lines(lines: Iterable[str | bytes], source: str = "<questions>",
                strict: bool = False) -> tuple[list[Question], list[Problem]]:
    """Questions and problems of JSON Lines; blank lines are skipped silently.

    Duplicate ids are problems (the later line is skipped): qrels and runs key on the id.
    """
    questions: list[Question] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        try:
            if isinstance(line, bytes):
                try:
                    line = line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise ValueError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"invalid JSON ({exc.msg}, column {exc.colno})") from exc
            question = parse_question(obj)
            if question.id in seen:
                raise ValueError(f"duplicate id {question.id!r} (first on line {seen[question.id]})")
        except (ValueError, TypeError) as exc:
            if strict:
                raise QuestionFileError(source, number, str(exc)) from exc
            problems.append(Problem(number, str(exc)))
            continue
        seen[question.id] = number
        questions.append(question)
    return questions, problems


def load_questions(path: str | Path, strict: bool = False,
                   split: str | None = None) -> tuple[list[Question], list[Problem]]:
    """``(questions, problems)`` of a JSON Lines file (UTF-8, checked line by line).

    ``split`` ("dev" | "test"; None or "all" = every question) keeps only that split;
    problems are reported for every line regardless. Raises ``FileNotFoundError`` for
    a missing file and, with ``strict``, :class:`QuestionFileError` for the first bad line.
    """
    path = Path(path)
    with path.open("rb") as handle:
        questions, problems = parse_lines(handle, source=str(path), strict=strict)
    return select_split(questions, split), problems


def select_split(questions: Iterable[Question], split: str | None) -> list[Question]:
    """The questions of ``split`` (None or "all" = all; unknown split → ``ValueError``)."""
    if split in (None, "all"):
        return list(questions)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose dev, test or all")
    return [q for q in questions if q.split == split]


def qrels(questions: Iterable[Question]) -> dict[str, dict[str, int]]:
    """``{question id: {gold record id: 1}}`` — out_of_scope questions (gold []) left out."""
    return {q.id: {gold_id: 1 for gold_id in q.gold} for q in questions if q.gold}


def export_qrels(questions: Iterable[Question], path: str | Path) -> Path:
    """Write the TREC qrels (``qid 0 docid 1``) of ``questions``; return the path."""
    from eval.trec import write_qrels

    return write_qrels(qrels(questions), path)
