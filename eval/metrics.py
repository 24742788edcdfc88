"""Retrieval metrics (ranx) and significance tests (answer metrics and abstention sweeps:
:mod:`eval.answer_scoring`).

Shapes used throughout:

* qrels — ``{qid: {record_id: grade}}``, grades 1–2 (out_of_scope questions, gold ``[]``,
  are absent: they are excluded from retrieval metrics). nDCG gains are the grades
  (ranx's Järvelin–Kekäläinen nDCG); Recall and MRR count every grade ≥ 1 as relevant;
* run — ``{qid: {record_id: score}}`` with scores strictly decreasing along the system's
  ranking (see :func:`eval.trec.rank_scores`);
* metric names are ranx's: ``recall@5``, ``mrr@10``, ``ndcg@10``.

Queries in qrels missing from a run count as zero (ranx ``make_comparable``); run
queries not in qrels are ignored. ranx is imported lazily (numba start-up is slow).
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from eval.questions import OUT_OF_SCOPE, Question

RECALL_CUTOFFS = (1, 3, 5, 10)
METRICS = (*(f"recall@{k}" for k in RECALL_CUTOFFS), "mrr@10", "ndcg@10")
#: Metrics the significance test reports.
TEST_METRICS = ("mrr@10", "recall@5", "ndcg@10")
STAT_TESTS = ("student", "fisher")

Qrels = Mapping[str, Mapping[str, int]]
RunDict = Mapping[str, Mapping[str, float]]


def cutoff(metric: str) -> int | None:
    """The ``@k`` of a metric name (None without one)."""
    return int(metric.split("@", 1)[1]) if "@" in metric else None


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence numba's compile-time type-safety warnings from ranx's recall kernel."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*unsafe cast.*")
        yield


def _ranx_pair(qrels: Qrels, run: RunDict, name: str | None = None):
    from ranx import Qrels as RanxQrels
    from ranx import Run as RanxRun

    qrels_obj = RanxQrels({q: dict(d) for q, d in qrels.items()})
    non_empty = {q: dict(d) for q, d in run.items() if d}
    run_obj = RanxRun(non_empty, name=name) if non_empty else None
    return qrels_obj, run_obj


def evaluate(qrels: Qrels, run: RunDict, metrics: Sequence[str] = METRICS) -> dict[str, float]:
    """Mean of each metric over the queries of ``qrels`` → ``{metric: value}``.

    Empty qrels → every metric NaN (no query to average over); an empty run → zeros.
    """
    metrics = list(metrics)
    if not qrels:
        return {m: math.nan for m in metrics}
    qrels_obj, run_obj = _ranx_pair(qrels, run)
    if run_obj is None:
        return {m: 0.0 for m in metrics}
    from ranx import evaluate as ranx_evaluate

    with _quiet():
        scores = ranx_evaluate(qrels_obj, run_obj, metrics, make_comparable=True,
                               save_results_in_run=False)
    if len(metrics) == 1:
        scores = {metrics[0]: scores}
    return {m: float(scores[m]) for m in metrics}


def evaluate_groups(qrels: Qrels, run: RunDict, groups: Mapping[str, str],
                    metrics: Sequence[str] = METRICS) -> dict[str, dict[str, float]]:
    """``{group: {metric: mean, "n": count}}`` over the queries of ``qrels``, grouped by
    ``groups[qid]`` (queries without a group are left out), groups sorted."""
    members: dict[str, dict[str, Mapping[str, int]]] = defaultdict(dict)
    for qid, gold in qrels.items():
        if qid in groups and gold:
            members[groups[qid]][qid] = gold
    table: dict[str, dict[str, float]] = {}
    for group in sorted(members):
        sub_run = {qid: run[qid] for qid in members[group] if qid in run}
        table[group] = {**evaluate(members[group], sub_run, metrics), "n": len(members[group])}
    return table


def evaluate_by_type(questions: Iterable[Question], run: RunDict,
                     metrics: Sequence[str] = METRICS,
                     qrels: Qrels | None = None) -> dict[str, dict[str, float]]:
    """``{question type: {metric: mean, "n": count}}`` over in-scope questions, types sorted.

    ``qrels`` (e.g. with hierarchical gold expanded) replaces the questions' own gold."""
    questions = [q for q in questions if q.gold and q.type != OUT_OF_SCOPE]
    if qrels is None:
        qrels = {q.id: q.gold_grades for q in questions}
    groups = {q.id: q.type for q in questions}
    return evaluate_groups({qid: g for qid, g in qrels.items() if qid in groups}, run, groups,
                           metrics)


def recall_curve(qrels: Qrels, run: RunDict, k: int = 10) -> list[float]:
    """``[recall@1, …, recall@k]`` (for the Recall@k plot)."""
    values = evaluate(qrels, run, [f"recall@{i}" for i in range(1, k + 1)])
    return [values[f"recall@{i}"] for i in range(1, k + 1)]


def first_relevant_rank(gold: Iterable[str], ranked: Sequence[str]) -> int | None:
    """1-based rank of the first gold id in ``ranked`` (None if absent)."""
    wanted = set(gold)
    return next((rank for rank, doc_id in enumerate(ranked, 1) if doc_id in wanted), None)


def _p(value: Any) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def best_single_mode(overall: Mapping[str, Mapping[str, float]],
                     exclude: str = "hybrid") -> str | None:
    """The non-hybrid mode with the highest MRR@10 (tie-break Recall@5), None if none."""
    singles = [m for m in overall if m != exclude]
    if not singles:
        return None

    def key(mode: str) -> tuple[float, float]:
        scores = overall[mode]
        return (_finite(scores.get("mrr@10")), _finite(scores.get("recall@5")))

    return max(singles, key=key)


def _finite(value: float | None) -> float:
    return -1.0 if value is None or math.isnan(value) else float(value)


def significance(qrels: Qrels, runs: Mapping[str, RunDict], treatment: str = "hybrid",
                 baseline: str | None = None, metrics: Sequence[str] = TEST_METRICS,
                 stat_tests: Sequence[str] = STAT_TESTS, max_p: float = 0.05,
                 n_permutations: int = 1000, seed: int = 42) -> dict[str, Any] | None:
    """Paired test of ``treatment`` vs ``baseline`` (default: the best single mode) with
    ranx ``compare``, one entry per test (``student`` = paired t-test, ``fisher`` =
    Fisher's randomization test). Returns None when either run is missing or qrels empty::

        {"treatment": "hybrid", "baseline": "dense", "n_queries": 190, "max_p": 0.05,
         "scores": {"hybrid": {"mrr@10": …}, "dense": {…}},
         "win_tie_loss": {"mrr@10": {"W": 30, "T": 150, "L": 10}},   # treatment vs baseline
         "tests": {"student": {"mrr@10": {"p_value": 0.01, "significant": true}, …}, …}}

    A p-value is None when it is undefined (t-test on identical per-query scores).
    """
    if treatment not in runs or not qrels:
        return None
    if baseline is None:
        overall = {mode: evaluate(qrels, run, ["mrr@10", "recall@5"]) for mode, run in runs.items()}
        baseline = best_single_mode(overall, exclude=treatment)
    if baseline is None or baseline not in runs or baseline == treatment:
        return None
    from ranx import compare

    qrels_obj, treat_obj = _ranx_pair(qrels, runs[treatment], treatment)
    _, base_obj = _ranx_pair(qrels, runs[baseline], baseline)
    if treat_obj is None or base_obj is None:
        return None
    out: dict[str, Any] = {"treatment": treatment, "baseline": baseline, "n_queries": len(qrels),
                           "max_p": max_p, "metrics": list(metrics), "tests": {}}
    for test in stat_tests:
        with _quiet():
            report = compare(qrels_obj, [treat_obj, base_obj], list(metrics), stat_test=test,
                             n_permutations=n_permutations, max_p=max_p, random_seed=seed,
                             make_comparable=True)
        pair = report.comparisons[treatment, baseline]
        out["tests"][test] = {m: {"p_value": _p(pair[m]["p_value"]),
                                  "significant": bool(pair[m]["significant"])} for m in metrics}
        out["scores"] = {name: {m: float(v) for m, v in scores.items()}
                         for name, scores in report.results.items()}
        out["win_tie_loss"] = {m: dict(report.win_tie_loss[(treatment, baseline)][m])
                               for m in metrics}
    return out
