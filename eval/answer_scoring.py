"""Answer metrics and abstention sweeps: how the answers to a question set fare against its
labels (lead departments, expected strings, abstention, lead clauses cited first), and the
precision / recall of a score-threshold abstention rule. Retrieval metrics are
:mod:`eval.metrics`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eval.questions import Question


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
