"""What one evaluation produced: :class:`EvalResult` (made by :func:`eval.run.run`, written
by :mod:`eval.report`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eval.tables import jsonable
from eval.trec import rank_scores


@dataclass
class EvalResult:
    """Everything one evaluation produced (see :meth:`to_dict` for the JSON shape).

    * ``retrieval`` — ``{mode: {metric: mean}}`` over in-scope questions;
    * ``by_type`` — ``{mode: {type: {metric: mean, "n": count}}}``;
    * ``recall_curves`` — ``{mode: [recall@1 … recall@k]}``;
    * ``latency_ms`` — ``{mode | "answer": {"p50", "p95", "mean", "max", "n"}}``;
    * ``significance`` — :func:`eval.metrics.significance` or None;
    * ``answers`` — :func:`eval.answer_scoring.answer_metrics` (+ ``errors``) or None;
    * ``abstention`` — ``{mode: best row of abstention_sweep on top-hit scores}``;
    * ``questions`` — one dict per question: id, type, split, question, gold (as written),
      ``grades`` (graded gold only), ``qrels`` (``{record id: grade}``, gold expanded to
      records), ``retrieval: {mode: {ids, scores, first_gold_rank, latency_ms}}``, ``answer``;
    * ``problems`` — question lines that were skipped: those whose gold names nothing in
      the index (set by :func:`run`); callers add the malformed lines of the file.
    """

    settings: dict[str, Any]
    retrieval: dict[str, dict[str, float]]
    by_type: dict[str, dict[str, dict[str, float]]]
    recall_curves: dict[str, list[float]]
    latency_ms: dict[str, dict[str, float]]
    significance: dict[str, Any] | None
    answers: dict[str, Any] | None
    abstention: dict[str, Any]
    questions: list[dict[str, Any]]
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def modes(self) -> list[str]:
        return list(self.settings["modes"])

    def qrels(self) -> dict[str, dict[str, int]]:
        """``{qid: {record id: grade}}`` of the in-scope questions evaluated (gold expanded)."""
        return {q["id"]: q.get("qrels") or {g: 1 for g in q["gold"]}
                for q in self.questions if q["gold"]}

    def ranked(self, mode: str) -> dict[str, list[tuple[str, float]]]:
        """``{qid: [(record id, k+1−rank)]}`` of ``mode`` for every question (TREC/ranx)."""
        if mode not in self.modes:
            raise ValueError(f"mode {mode!r} was not evaluated; have {', '.join(self.modes)}")
        k = self.settings["k"]
        return {q["id"]: rank_scores(q["retrieval"][mode]["ids"], k) for q in self.questions}

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable (NaN → None, numpy scalars → Python numbers)."""
        return jsonable({
            "settings": self.settings, "retrieval": self.retrieval, "by_type": self.by_type,
            "recall_curves": self.recall_curves, "latency_ms": self.latency_ms,
            "significance": self.significance, "answers": self.answers,
            "abstention": self.abstention, "problems": self.problems,
            "questions": self.questions,
        })
