"""Choose the abstention rule on the dev split, over the library and the plan alone.

    python -m eval.choose_abstention [--library-home DIR] [--plan-home DIR] [--out eval/report-abstention.md]

For every question of the library question sets (and, on the plan alone, the plan's own
and out-of-scope ones) that the answer layer would test for weak evidence (not a clause
look-up or a department's tasks), one retrieval as ``qa.answer`` makes it gives three
signals: the second stage's probability ``p``, the best dense similarity and the
question-word coverage — and whether the question asks for an amount, a date, a form … that
the best clause does not state (``qa.answer.unstated_answer``). The rule ``p < below or
(p < doubt_below and dense < doubt_dense and coverage < doubt_coverage) or (unstated and
use_unstated)`` is searched on a grid; kept are rules with false abstention ≤ 3 %
of the in-scope dev questions on **both** homes; the best by summed dev abstention recall wins
(ties: the simplest — no coverage condition, then the lowest thresholds). Test numbers are
reported, never used.

A dev question is scored by the second stage's fold model that did not see it
(``eval/rerank-folds.json``, written by ``python -m eval.train_rerank``): the shipped model
was fitted on the dev questions, and its in-sample probabilities are more confident than an
unseen question's, which would pick thresholds that abstain less on test than on dev.
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import replace
from pathlib import Path

from corpus.config import REPO_ROOT, Settings
from corpus.errors import PolicyError
from corpus.normalize import normalize_text
from index.rerank import Reranker
from qa.answer import abstains

QUESTIONS = REPO_ROOT / "eval" / "questions"
LIBRARY_FILES = ("library-plan.jsonl", "library-laws.jsonl", "library-oos.jsonl", "library-dept.jsonl")
PLAN_FILES = ("library-plan.jsonl", "library-oos.jsonl", "plan.jsonl")
MAX_FALSE_ABSTENTION = 0.03
FOLDS_PATH = REPO_ROOT / "eval" / "rerank-folds.json"
BASE = Settings()
GRID = {"below": (0.03, 0.04, 0.05, 0.0625, 0.08, 0.1, 0.15, 0.2), "doubt_below": (0.3, 0.5, 0.7, 0.8, 0.9, 1.01),
        "doubt_dense": (0.84, 0.85, 0.86, 0.87, 0.878, 0.89), "doubt_coverage": (0.5, 0.6, 0.7, 0.8, 1.01),
        "unstated": (False, True)}


def fold_models(path: Path = FOLDS_PATH) -> dict[str, Reranker]:
    """question text (normalized) → the fold model that did not see it (empty when the file is missing)."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    models = [Reranker.from_dict(m) for m in data["models"]]
    return {text: models[fold] for text, fold in data["question_fold"].items()}


def signals(home: Path, files: tuple[str, ...], split: str,
            unseen: dict[str, Reranker] | None = None) -> list[tuple[bool, float, float, float, bool]]:
    """(in scope, p, best dense, coverage, unstated) per question of ``split``; a question in
    ``unseen`` is scored by that model instead of the shipped one."""
    from core import Assistant
    from qa import make_query
    from qa.answer import coverage, unstated_answer

    index = Assistant(Settings(home=home)).index
    out = []
    for name in files:
        for line in (QUESTIONS / name).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            if q.get("split") != split:
                continue
            try:
                query = make_query(q["question"])
            except PolicyError:
                continue
            if query.intent in ("lookup", "dept_tasks"):
                continue  # answered without the weak-evidence test
            scorer = (unseen or {}).get(normalize_text(q["question"]), True)
            r = index.retrieve(query, k=5, rerank=scorer)  # the production first stage (its defaults)
            out.append((bool(q["gold"]), r.confidence or 0.0, r.best_dense, coverage(query, r.hits),
                        unstated_answer(query, r.hits) is not None))
    return out


def rates(rows, rule) -> tuple[float, float, int, int]:
    ins = [r for r in rows if r[0]]
    oos = [r for r in rows if not r[0]]
    return (sum(rule(*r[1:]) for r in ins) / len(ins), sum(rule(*r[1:]) for r in oos) / len(oos),
            len(ins), len(oos))


def make_rule(below, doubt_below, doubt_dense, doubt_coverage, use_unstated):
    """``qa.answer.abstains`` with these thresholds, over (p, dense, coverage, unstated) rows."""
    settings = replace(BASE, abstain_below=below, abstain_doubt_below=doubt_below, abstain_doubt_dense=doubt_dense,
                       abstain_doubt_coverage=doubt_coverage, abstain_unstated=use_unstated)
    return lambda p, dense, cover, gap: abstains(p, dense, cover, gap, settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library-home", type=Path, default=REPO_ROOT / ".policyqa" / "library")
    parser.add_argument("--plan-home", type=Path, default=REPO_ROOT / ".policyqa")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "eval" / "report-abstention.md")
    args = parser.parse_args(argv)
    unseen = fold_models()
    data = {(home, split): signals(path, files, split, unseen if split == "dev" else None)
            for home, path, files in (("library", args.library_home, LIBRARY_FILES),
                                      ("plan", args.plan_home, PLAN_FILES))
            for split in ("dev", "test")}
    candidates = []
    for values in itertools.product(*GRID.values()):
        rule = make_rule(*values)
        dev = [rates(data[(home, "dev")], rule) for home in ("library", "plan")]
        if max(fa for fa, *_ in dev) <= MAX_FALSE_ABSTENTION:
            simplicity = (values[3] < 1, values[1] < 1, values[4]) + values
            candidates.append((-sum(rec for _, rec, *_ in dev), simplicity, values))
    candidates.sort()
    lines = ["# Abstention rule, chosen on dev (library and plan alone)", "",
             (f"`python -m eval.choose_abstention` — rule `p < below or (p < doubt_below and dense < "
              f"doubt_dense and coverage < doubt_coverage) or (unstated and use_unstated)`; false abstention ≤ {MAX_FALSE_ABSTENTION:.0%} "
              "of in-scope dev questions on both homes; best summed dev abstention recall. A value of "
              "1.01 means the condition is always true; the last four rows are the second stage's own "
              "dev threshold alone, for comparison. Dev rows score each question with the fold model "
              "that did not see it (out of fold)."), "",
             "| below | doubt_below | doubt_dense | doubt_coverage | unstated | home | split | false abstention | abstention recall |",
             "|---:|---:|---:|---:|---|---|---|---:|---:|"]
    base = (Reranker.load().abstain_below, 0.0, 0.0, 0.0, False)  # the second stage's own dev threshold alone
    for values in [candidates[0][2], base] if candidates else [base]:
        rule = make_rule(*values)
        for home, split in sorted(data):
            fa, rec, n_in, n_out = rates(data[(home, split)], rule)
            lines.append(f"| {values[0]:.4g} | {values[1]} | {values[2]} | {values[3]} | {values[4]} | {home} | {split} | "
                         f"{fa:.3f} (of {n_in}) | {rec:.3f} (of {n_out}) |")
    if candidates:
        lines += ["", "Chosen (first rows): " + ", ".join(f"{k} = {v}" for k, v in zip(GRID, candidates[0][2]))
                  + ". Defaults in corpus/config.py (`abstain_below`, `abstain_doubt_below`, "
                  "`abstain_doubt_dense`, `abstain_doubt_coverage`, `abstain_unstated`)."]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
