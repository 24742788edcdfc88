"""Retrieval metrics (ranx), significance tests, answer metrics, abstention sweeps.

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


# ---------------------------------------------------------------- answers
def _ratio(hits: int, total: int) -> float | None:
    return hits / total if total else None


def citation_ids(answer: Mapping[str, Any]) -> list[str]:
    """The record ids ``doc_id#path`` an answer cites, in order."""
    return [f"{c.get('doc_id')}#{c.get('path')}" for c in answer.get("citations") or []]


def lead_first(lead_ids: Iterable[str], cited: Sequence[str]) -> bool:
    """True when ``cited`` starts with every id of ``lead_ids`` (in any order): the
    clauses the department leads are all cited, before any other clause."""
    wanted = set(lead_ids)
    return bool(wanted) and set(cited[:len(wanted)]) == wanted


def answer_metrics(questions: Iterable[Question], answers: Mapping[str, Mapping[str, Any]],
                   lead_gold: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """Answer-level metrics from ``{qid: Answer.to_dict()}``; questions without an answer
    (or with an empty dict, e.g. after an error) count as not abstained, empty answer::

        {"n": 229,
         "lead_exact":      {"n": 34, "correct": 30, "value": 0.88},  # set(lead) == set(gold lead)
         "contains":        {"n": 72, "correct": 60, "value": 0.83},  # every string in answer
         "abstention":      {"tp": 20, "fp": 3, "fn": 2, "tn": 204,
                             "precision": 0.87, "recall": 0.91},     # positive = out_of_scope
         "false_abstention": {"n": 207, "abstained": 3, "rate": 0.014},  # in-scope abstained
         "abstention_near": {"n": 10, "abstained": 7, "recall": 0.7},  # out_of_scope, near
         "abstention_far":  {"n": 12, "abstained": 12, "recall": 1.0}, # near: false
         "lead_first": {"n": 8, "correct": 6, "value": 0.75},  # dept_tasks: lead_gold cited first
         "by_type": {"target": {"n": 31, "abstained": 1}, …}}

    ``lead_first`` counts questions with a non-empty ``lead_gold`` (``lead_gold`` maps a
    question id to its expanded ids; default: the question's ids as written): the answer's
    citations start with every clause the department leads (:func:`lead_first`).
    A value is None when its denominator is 0.
    """
    lead_n = lead_ok = contains_n = contains_ok = 0
    tp = fp = fn = tn = 0
    first_n = first_ok = 0
    near = {True: [0, 0], False: [0, 0]}  # [n, abstained]
    by_type: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "abstained": 0})
    n = 0
    for q in questions:
        n += 1
        answer = answers.get(q.id) or {}
        abstained = bool(answer.get("abstained", False))
        by_type[q.type]["n"] += 1
        by_type[q.type]["abstained"] += int(abstained)
        if q.lead is not None:
            lead_n += 1
            got = (answer.get("departments") or {}).get("lead") or []
            lead_ok += int(set(got) == set(q.lead))
        if q.contains is not None:
            contains_n += 1
            text = answer.get("answer") or ""
            contains_ok += int(all(s in text for s in q.contains))
        led = (lead_gold or {}).get(q.id, q.lead_gold) if q.lead_gold is not None else None
        if led:
            first_n += 1
            first_ok += int(lead_first(led, citation_ids(answer)))
        if q.near is not None and not q.in_scope:
            near[q.near][0] += 1
            near[q.near][1] += int(abstained)
        should = not q.in_scope
        if should and abstained:
            tp += 1
        elif abstained:
            fp += 1
        elif should:
            fn += 1
        else:
            tn += 1
    in_scope = fp + tn
    return {
        "n": n,
        "lead_exact": {"n": lead_n, "correct": lead_ok, "value": _ratio(lead_ok, lead_n)},
        "contains": {"n": contains_n, "correct": contains_ok,
                     "value": _ratio(contains_ok, contains_n)},
        "abstention": {"tp": tp, "fp": fp, "fn": fn, "tn": tn,
                       "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn)},
        "false_abstention": {"n": in_scope, "abstained": fp, "rate": _ratio(fp, in_scope)},
        **{f"abstention_{name}": {"n": near[flag][0], "abstained": near[flag][1],
                                  "recall": _ratio(near[flag][1], near[flag][0])}
           for name, flag in (("near", True), ("far", False))},
        "lead_first": {"n": first_n, "correct": first_ok, "value": _ratio(first_ok, first_n)},
        "by_type": {t: by_type[t] for t in sorted(by_type)},
    }


def abstention_sweep(scores_in_scope: Sequence[float], scores_out_of_scope: Sequence[float],
                     thresholds: Sequence[float] | None = None) -> list[dict[str, Any]]:
    """Precision/recall of the rule "abstain when the top-hit score < threshold".

    Positive = should abstain (out of scope). ``thresholds`` default to every distinct
    score plus one just above the largest (abstain on everything), ascending. Rows::

        {"threshold": 0.41, "abstained_in": 2, "abstained_out": 15,
         "precision": 0.88, "recall": 0.68, "f1": 0.77, "false_abstention_rate": 0.01}

    precision/f1 are None when nothing abstains; recall None without out-of-scope scores.
    """
    inside = [float(s) for s in scores_in_scope]
    outside = [float(s) for s in scores_out_of_scope]
    if thresholds is None:
        distinct = sorted(set(inside) | set(outside))
        thresholds = distinct + ([math.nextafter(distinct[-1], math.inf)] if distinct else [])
    rows = []
    for t in sorted(thresholds):
        fp = sum(s < t for s in inside)
        tp = sum(s < t for s in outside)
        precision = _ratio(tp, tp + fp)
        recall = _ratio(tp, len(outside))
        f1 = (2 * precision * recall / (precision + recall)
              if precision is not None and recall is not None and precision + recall else None)
        rows.append({"threshold": t, "abstained_in": fp, "abstained_out": tp,
                     "precision": precision, "recall": recall, "f1": f1,
                     "false_abstention_rate": _ratio(fp, len(inside))})
    return rows


def best_sweep_row(rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The sweep row with the highest F1 (ties: the lower threshold); None if no F1."""
    scored = [r for r in rows if r.get("f1") is not None]
    return max(scored, key=lambda r: (r["f1"], -r["threshold"])) if scored else None
