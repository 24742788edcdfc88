"""Hierarchical gold: a gold id names a record, a plan part or section, a law chapter or a
whole document and stands for every record inside it.

:class:`RecordCatalog` expands gold ids against an index's records (:func:`expand_grades`;
an id naming nothing is an :class:`UnknownGoldError`); :func:`resolve_gold` expands a whole
question set (skipping, or with ``strict`` refusing, questions whose gold names nothing);
:func:`qrels` / :func:`export_qrels` give the qrels of the questions (``{qid: {record id:
grade}}``, TREC). The question format is :mod:`eval.questions`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.errors import PolicyError
from eval.questions import Problem, Question


def qrels(questions: Iterable[Question],
          catalog: RecordCatalog | None = None) -> dict[str, dict[str, int]]:
    """``{question id: {gold record id: grade}}`` — out_of_scope questions (gold []) left out.

    With a ``catalog`` every gold id is expanded to the records inside it (a gold naming
    nothing raises :class:`UnknownGoldError`); without one the ids are taken as written.
    """
    return {q.id: expand_grades(q.gold_grades, catalog, q) for q in questions if q.gold}


def export_qrels(questions: Iterable[Question], path: str | Path,
                 catalog: RecordCatalog | None = None) -> Path:
    """Write the TREC qrels (``qid 0 docid grade``) of ``questions``; return the path."""
    from eval.trec import write_qrels

    return write_qrels(qrels(questions, catalog), path)


_SPLIT_RE = re.compile(r"(?=[(¶])|(?<=[)])")
_PARENS = str.maketrans({"（": "(", "）": ")"})


def path_segments(path: str) -> tuple[str, ...]:
    """The hierarchy levels of a record path, outermost first.

    Law paths split on ``/`` (``第三章/第二十条`` → ``第三章``, ``第二十条``); within a
    level, plan paths split before ``(`` and ``¶`` and after ``)`` (``三(二)1`` → ``三``,
    ``(二)``, ``1``; ``二¶1`` → ``二``, ``¶1``). Full-width parentheses count as ASCII.
    """
    segments: list[str] = []
    for level in path.translate(_PARENS).split("/"):
        segments += [part for part in _SPLIT_RE.split(level) if part]
    return tuple(segments)


class UnknownGoldError(PolicyError):
    """A gold id that names no record of the index (its document is not in the corpus,
    or the label is stale)."""

    def __init__(self, question_id: str, gold_id: str, line: int | None = None,
                 source: str | None = None, field_name: str = "gold"):
        self.question_id = question_id
        self.gold_id = gold_id
        self.line = line
        self.source = source
        where = f"{source or '<questions>'}:{line}: " if line is not None else ""
        self.reason = (f"question {question_id}: {field_name} id {gold_id!r} names nothing in the "
                       "index — add its document to the corpus (policyqa corpus build PATHS…) "
                       "or fix the id")
        super().__init__("unknown_gold", where + self.reason,
                         "add the question set's documents (policyqa corpus build PATHS…) or fix the id")


class RecordCatalog:
    """The record ids of an index, grouped by document, to expand hierarchical gold ids.

    ``expand("gansu-2022-46#三(二)")`` → every record whose path starts with the levels
    ``三``, ``(二)`` (``三(二)1``, ``三(二)2``, …); ``expand("gansu-2022-46")`` → every
    record of the document; levels compare whole, so ``二`` never matches ``二十…``.
    """

    def __init__(self, record_ids: Iterable[str]):
        self._docs: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for record_id in record_ids:
            doc_id, _, path = record_id.partition("#")
            self._docs.setdefault(doc_id, []).append((record_id, path_segments(path)))
        self._memo: dict[str, tuple[str, ...]] = {}

    @classmethod
    def from_index(cls, index: Any) -> RecordCatalog | None:
        """The catalog of ``index.records`` (objects with ``.id``); None when it has none."""
        records = getattr(index, "records", None)
        if records is None:
            return None
        return cls(r.id for r in records)

    def __len__(self) -> int:
        return sum(len(v) for v in self._docs.values())

    def expand(self, gold_id: str) -> tuple[str, ...]:
        """The record ids inside ``gold_id`` in index order (empty: it names nothing)."""
        if gold_id not in self._memo:
            doc_id, sep, path = gold_id.partition("#")
            records = self._docs.get(doc_id, [])
            if not sep:
                found = tuple(record_id for record_id, _ in records)
            else:
                want = path_segments(path)
                n = len(want)
                found = tuple(record_id for record_id, segs in records if segs[:n] == want)
            self._memo[gold_id] = found
        return self._memo[gold_id]


def expand_grades(grades: Mapping[str, int], catalog: RecordCatalog | None,
                  question: Question | None = None, source: str | None = None,
                  field_name: str = "gold") -> dict[str, int]:
    """``{record id: grade}`` of ``{gold id: grade}``: each gold id expanded to its records
    (a record inside several gold ids keeps the highest grade). No catalog → as given.
    Raises :class:`UnknownGoldError` for a gold id that names nothing."""
    if catalog is None:
        return dict(grades)
    out: dict[str, int] = {}
    for gold_id, grade in grades.items():
        found = catalog.expand(gold_id)
        if not found:
            raise UnknownGoldError(question.id if question else "?", gold_id,
                                   question.line if question else None, source, field_name)
        for record_id in found:
            out[record_id] = max(grade, out.get(record_id, 0))
    return out


@dataclass(frozen=True)
class ResolvedGold:
    """Questions whose gold names records of the index, with their expanded ids."""

    questions: list[Question]
    #: ``{qid: {record id: grade}}`` of the in-scope questions kept.
    qrels: dict[str, dict[str, int]]
    #: ``{qid: (record ids)}`` of ``lead_gold``, expanded, for questions that have it.
    lead_gold: dict[str, tuple[str, ...]]
    #: Questions skipped (non-strict) because a gold id names nothing.
    problems: list[Problem]
    #: The gold ids that named nothing (sorted).
    missing: list[str]


def resolve_gold(questions: Iterable[Question], catalog: RecordCatalog | None,
                 strict: bool = False, source: str | None = None) -> ResolvedGold:
    """Expand every question's ``gold`` and ``lead_gold`` against ``catalog``.

    A question with an id that names nothing raises :class:`UnknownGoldError` with
    ``strict``; otherwise it is left out and becomes a :class:`Problem` (its line, the
    question and the id). Without a catalog, ids are taken as written.
    """
    kept: list[Question] = []
    gold: dict[str, dict[str, int]] = {}
    lead: dict[str, tuple[str, ...]] = {}
    problems: list[Problem] = []
    missing: set[str] = set()
    for q in questions:
        try:
            expanded = expand_grades(q.gold_grades, catalog, q, source)
            lead_ids = (tuple(expand_grades(dict.fromkeys(q.lead_gold, 1), catalog, q, source,
                                            "lead_gold"))
                        if q.lead_gold is not None else None)
        except UnknownGoldError as exc:
            if strict:
                raise
            problems.append(Problem(q.line, exc.reason))
            missing.add(exc.gold_id)
            continue
        kept.append(q)
        if expanded:
            gold[q.id] = expanded
        if lead_ids is not None:
            lead[q.id] = lead_ids
    return ResolvedGold(kept, gold, lead, problems, sorted(missing))
