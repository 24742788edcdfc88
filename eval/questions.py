"""Question sets: load and validate JSON Lines, derive qrels.

One JSON object a line::

    {"id": "plan-001", "question": "…托位数要达到多少个？", "type": "target",
     "gold": ["gansu-2022-46#二¶2"], "split": "dev", "contains": ["4.5"]}

Required: ``id`` (str, no whitespace), ``question`` (str), ``type`` (str), ``gold``
(``[]`` exactly when ``type`` is ``out_of_scope``), either a list of gold ids (grade 1
each) or an object ``{gold id: grade}`` with grades 1–2 (2 = the answer, 1 = also
answers it; nDCG uses the grade, Recall/MRR count any grade ≥ 1).

A gold id names any level of a document's hierarchy: a record ``doc_id#path``, a plan
part or section (``gansu-2022-46#二``, ``gansu-2022-46#三(二)``), a law chapter
(``老年人权益保障法-2018-12-29#第三章``) or a whole document (``gansu-2022-46``). It
stands for every record inside it (:class:`eval.gold.RecordCatalog` expands it against an
index's records when a run starts; the expanded ids inherit the grade).

Optional: ``split`` (``dev`` | ``test``), ``lead`` ([canonical department names]; ``[]``
= the clause names no lead department, so the answer must name none), ``contains``
([strings the answer must contain], non-empty), ``doc`` (doc_id the question is about),
``dept`` (the department a ``dept_tasks`` question asks about), ``lead_gold`` ([gold
ids of the clauses that department leads]; the answer should cite them first),
``near`` (out_of_scope only: true = close to the corpus's topics, false = far from them).

A malformed line becomes a :class:`Problem` (line number, reason): skipped and returned,
or with ``strict=True`` raised as :class:`QuestionFileError` naming the first bad line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from corpus.errors import PolicyError

OUT_OF_SCOPE = "out_of_scope"
SPLITS = ("dev", "test")
REQUIRED = ("id", "question", "type", "gold")
OPTIONAL = ("split", "lead", "contains", "doc", "dept", "lead_gold", "near")
#: ``doc_id#path`` or a whole document ``doc_id``: no whitespace (TREC files split on it),
#: at most one ``#`` with both sides non-empty.
GOLD_ID_RE = re.compile(r"[^#\s]+(?:#[^#\s]+)?")
GRADES = (1, 2)
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
    #: Grades parallel to ``gold`` when the line gave an object; None = grade 1 each.
    grades: tuple[int, ...] | None = None
    dept: str | None = None
    lead_gold: tuple[str, ...] | None = None
    near: bool | None = None
    #: 1-based line in the question file (None when built in code); not part of equality.
    line: int | None = field(default=None, compare=False)

    @property
    def in_scope(self) -> bool:
        """False for ``out_of_scope`` questions (the answer layer should abstain)."""
        return self.type != OUT_OF_SCOPE

    @property
    def gold_grades(self) -> dict[str, int]:
        """``{gold id: grade}`` as written (before hierarchical expansion)."""
        grades = self.grades if self.grades is not None else (1,) * len(self.gold)
        return dict(zip(self.gold, grades, strict=True))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the line (optional fields only when set)."""
        gold: Any = self.gold_grades if self.grades is not None else list(self.gold)
        d: dict[str, Any] = {"id": self.id, "question": self.question, "type": self.type,
                             "gold": gold}
        if self.split is not None:
            d["split"] = self.split
        if self.lead is not None:
            d["lead"] = list(self.lead)
        if self.contains is not None:
            d["contains"] = list(self.contains)
        if self.doc is not None:
            d["doc"] = self.doc
        if self.dept is not None:
            d["dept"] = self.dept
        if self.lead_gold is not None:
            d["lead_gold"] = list(self.lead_gold)
        if self.near is not None:
            d["near"] = self.near
        return d


@dataclass(frozen=True)
class Problem:
    """A line that was not loaded or evaluated: ``line`` is 1-based (None: not from a file)."""

    line: int | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


class QuestionFileError(PolicyError):
    """A malformed question file (strict loading); the message is ``source:line: reason``."""

    def __init__(self, source: str, line: int, reason: str):
        super().__init__("bad_question_file", f"{source}:{line}: {reason}",
                         "fix that line (README, Evaluation: the question format)")
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


def _gold(obj: dict) -> tuple[tuple[str, ...], tuple[int, ...] | None]:
    """``(gold ids, grades or None)`` of the ``gold`` field (list or object)."""
    value = obj["gold"]
    if isinstance(value, dict):
        ids, grades = [], []
        for gold_id, grade in value.items():
            if isinstance(grade, bool) or not isinstance(grade, int) or grade not in GRADES:
                raise ValueError(f"gold grade of {gold_id!r} must be 1 or 2, got {grade!r}")
            ids.append(gold_id)
            grades.append(grade)
        gold, graded = tuple(ids), tuple(grades)
    elif isinstance(value, list):
        gold, graded = _str_list(obj, "gold", allow_empty=True), None
        if len(set(gold)) != len(gold):
            raise ValueError("'gold' lists an id twice")
    else:
        raise TypeError("'gold' must be a list of ids or an object {id: grade}, "
                        f"got {type(value).__name__}")
    _check_gold_ids("gold", gold)
    return gold, graded


def _check_gold_ids(name: str, ids: Iterable[str]) -> None:
    for gold_id in ids:
        if not GOLD_ID_RE.fullmatch(gold_id):
            raise ValueError(f"{name} id {gold_id!r} is not of the form doc_id#path or doc_id")


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
    gold, grades = _gold(obj)
    if obj["type"] == OUT_OF_SCOPE and gold:
        raise ValueError("an out_of_scope question must have gold []")
    if obj["type"] != OUT_OF_SCOPE and not gold:
        raise ValueError(f"gold is empty but type is {obj['type']!r} (only out_of_scope has [])")
    split = obj.get("split")
    if split is not None and split not in SPLITS:
        raise ValueError(f"'split' must be one of {', '.join(SPLITS)}, got {split!r}")
    for name in ("doc", "dept"):
        value = obj.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValueError(f"{name!r} must be a non-empty string")
    lead_gold = None
    if "lead_gold" in obj:
        lead_gold = _str_list(obj, "lead_gold", allow_empty=True)
        _check_gold_ids("lead_gold", lead_gold)
    near = obj.get("near")
    if near is not None:
        if not isinstance(near, bool):
            raise ValueError(f"'near' must be true or false, got {near!r}")
        if obj["type"] != OUT_OF_SCOPE:
            raise ValueError("'near' is only for out_of_scope questions")
    return Question(
        id=obj["id"], question=obj["question"], type=obj["type"], gold=gold, split=split,
        lead=_str_list(obj, "lead", allow_empty=True) if "lead" in obj else None,
        contains=_str_list(obj, "contains", allow_empty=False) if "contains" in obj else None,
        doc=obj.get("doc"), grades=grades, dept=obj.get("dept"), lead_gold=lead_gold, near=near,
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
            question = replace(parse_question(obj), line=number)
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
