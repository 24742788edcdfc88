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
(ties: the simplest — no coverage condition, no doubt condition, no unstated condition, no
scope condition, then the lowest thresholds). Test numbers are reported, never used.

The question-level out-of-scope probability (:mod:`index.scope`) adds ``or (scope ≥ above and p <
guard)``; a dev question gets its out-of-fold probability (``eval/scope-folds.json``, written by
``python -m eval.train_scope``). A rule must also keep false abstention ≤ 3 % on the library's
in-scope dev questions when each is scored as a question on a document the scope model never saw
(its probability from a model fitted without that document's questions). The domain gate's
P(no policy question) adds ``or (domain ≥ domain_above and p < domain_guard)`` the same way
(``eval/domain-folds.json``, written by ``python -m eval.train_domain``): below the gate's own
threshold, a question that looks like no policy question is still declined when no clause is likely.

A dev question is scored by the second stage's fold model that did not see it
(``eval/rerank-folds.json``, written by ``python -m eval.train_rerank``): the shipped model
was fitted on the dev questions, and its in-sample probabilities are more confident than an
unseen question's, which would pick thresholds that abstain less on test than on dev.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from corpus.config import REPO_ROOT, Settings
from corpus.errors import PolicyError
from corpus.normalize import normalize_text
from index.rerank import Reranker
from qa.answer import abstention_rule

QUESTIONS = REPO_ROOT / "eval" / "questions"
LIBRARY_FILES = ("library-plan.jsonl", "library-laws.jsonl", "library-oos.jsonl", "library-dept.jsonl")
PLAN_FILES = ("library-plan.jsonl", "library-oos.jsonl", "plan.jsonl")
MAX_FALSE_ABSTENTION = 0.03
FOLDS_PATH = REPO_ROOT / "eval" / "rerank-folds.json"
SCOPE_FOLDS_PATH = REPO_ROOT / "eval" / "scope-folds.json"
DOMAIN_FOLDS_PATH = REPO_ROOT / "eval" / "domain-folds.json"
BASE = Settings()
GRID = {"below": (0.03, 0.04, 0.05, 0.0625, 0.08, 0.1, 0.15, 0.2), "doubt_below": (0.3, 0.5, 0.7, 0.8, 0.9, 1.01),
        "doubt_dense": (0.84, 0.85, 0.86, 0.87, 0.878, 0.89), "doubt_coverage": (0.5, 0.6, 0.7, 0.8, 1.01),
        "unstated": (False, True), "scope_above": (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01),
        "scope_guard": (0.3, 0.5, 0.7, 0.9), "domain_above": (0.5, 0.6, 0.7, 0.8, 1.01),
        "domain_guard": (0.1, 0.3)}


def fold_models(path: Path = FOLDS_PATH) -> dict[str, Reranker]:
    """question text (normalized) → the fold model that did not see it (empty when the file is missing)."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    models = [Reranker.from_dict(m) for m in data["models"]]
    return {text: models[fold] for text, fold in data["question_fold"].items()}


def question_folds(path: Path = SCOPE_FOLDS_PATH) -> tuple[dict[str, float], dict[str, float]]:
    """A question-level model's (dev question text → out-of-fold probability, in-scope question
    text → probability from a model that never saw its document), as written by
    :func:`eval.train_scope.save_folds` — the scope model's by default, the domain gate's at
    ``DOMAIN_FOLDS_PATH``; empty when the file is missing."""
    if not path.is_file():
        return {}, {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["out_of_fold"], data["held_out_document"]


def require_scope_folds(unseen: dict[str, float], dev_texts: set[str]) -> None:
    """Refuse to choose a rule on in-sample scope probabilities: the shipped model was fitted on
    the dev questions, so every dev question needs its out-of-fold probability."""
    missing = dev_texts - set(unseen)
    if missing:
        raise SystemExit(f"eval/scope-folds.json lacks {len(missing)} dev question(s) (e.g. {min(missing)!r}): "
                         "run `python -m eval.train_scope` first, then this")


@dataclass
class Signals:
    """What the rule reads, one entry per question (arrays, so the grid is searched vectorized)."""

    in_scope: np.ndarray
    p: np.ndarray
    dense: np.ndarray
    coverage: np.ndarray
    unstated: np.ndarray
    scope: np.ndarray  # NaN = no probability
    scope_new_document: np.ndarray  # in scope: as on a document the scope model never saw
    domain: np.ndarray  # the domain gate's P(no policy question); NaN = none
    domain_new_document: np.ndarray  # in scope: as on a document the gate never saw

    @classmethod
    def of(cls, rows: list[tuple]) -> Signals:
        columns = list(zip(*rows)) if rows else [()] * 9
        return cls(*(np.array(c, dtype=bool if k in (0, 4) else np.float64) for k, c in enumerate(columns)))


def signal_row(index, text: str, unseen: dict[str, Reranker] | None = None,
               scope_unseen: dict[str, float] | None = None, scope_new_doc: dict[str, float] | None = None,
               domain_unseen: dict[str, float] | None = None, domain_new_doc: dict[str, float] | None = None):
    """``(query, retrieval, row)`` of one question on ``index`` — ``row`` is what the rule reads,
    (p, best dense, coverage, unstated, P(out of scope), the same as on a new document, P(off
    domain), the same as on a new document) — or None for a question the rule never judges (empty,
    a clause named, a department's tasks). A question in ``unseen`` is scored by that model instead
    of the shipped one, and takes its scope and domain probabilities from ``scope_unseen`` /
    ``domain_unseen`` when there."""
    from qa import make_query
    from qa.answer import coverage, off_domain, out_of_scope, unstated_answer

    try:
        query = make_query(text)
    except PolicyError:
        return None
    if query.intent in ("lookup", "dept_tasks"):
        return None  # answered without the weak-evidence test
    key = normalize_text(text)
    r = index.retrieve(query, k=5, rerank=(unseen or {}).get(key, True))  # the production first stage (its defaults)
    scope = (scope_unseen or {}).get(key)
    if scope is None:
        scope = out_of_scope(query, r)
    new_doc = (scope_new_doc or {}).get(key, scope)
    domain = (domain_unseen or {}).get(key)
    if domain is None:
        domain = off_domain(query, r)
    domain_new = (domain_new_doc or {}).get(key, domain)
    row = (r.confidence or 0.0, r.best_dense, coverage(query, r.hits), unstated_answer(query, r.hits) is not None,
           math.nan if scope is None else scope, math.nan if new_doc is None else new_doc,
           math.nan if domain is None else domain, math.nan if domain_new is None else domain_new)
    return query, r, row


def signals(home: Path, files: tuple[str, ...], split: str, unseen: dict[str, Reranker] | None = None,
            scope_unseen: dict[str, float] | None = None, scope_new_doc: dict[str, float] | None = None,
            domain_unseen: dict[str, float] | None = None, domain_new_doc: dict[str, float] | None = None) -> Signals:
    """(in scope, then :func:`signal_row`'s row) per question of ``split``."""
    from core import Assistant

    index = Assistant(Settings(home=home)).index
    rows = []
    for name in files:
        for line in (QUESTIONS / name).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            if q.get("split") != split:
                continue
            found = signal_row(index, q["question"], unseen, scope_unseen, scope_new_doc, domain_unseen, domain_new_doc)
            if found is not None:
                rows.append((bool(q["gold"]), *found[2]))
    return Signals.of(rows)


def rule_mask(sig: Signals, below, doubt_below, doubt_dense, doubt_coverage, use_unstated, scope_above,
              scope_guard, domain_above, domain_guard, new_document: bool = False) -> np.ndarray:
    """``qa.answer.abstains``'s rule with these thresholds over every question at once;
    ``new_document`` reads the scope and domain probabilities a new document's question gets."""
    return abstention_rule(sig.p, sig.dense, sig.coverage, sig.unstated,
                           sig.scope_new_document if new_document else sig.scope,
                           sig.domain_new_document if new_document else sig.domain,
                           below, doubt_below, doubt_dense, doubt_coverage, use_unstated, scope_above, scope_guard,
                           domain_above, domain_guard)


def rates(sig: Signals, values, new_document: bool = False) -> tuple[float, float, int, int]:
    """(false abstention, abstention recall, in-scope count, out-of-scope count)."""
    abstained = rule_mask(sig, *values, new_document=new_document)
    n_in, n_out = int(sig.in_scope.sum()), int((~sig.in_scope).sum())
    return (float(abstained[sig.in_scope].mean()) if n_in else 0.0,
            float(abstained[~sig.in_scope].mean()) if n_out else 0.0, n_in, n_out)


def settings_for(values) -> Settings:
    """The :class:`Settings` that make ``qa.answer.abstains`` apply the rule ``values``."""
    names = ("abstain_below", "abstain_doubt_below", "abstain_doubt_dense", "abstain_doubt_coverage",
             "abstain_unstated", "abstain_scope_above", "abstain_scope_guard", "abstain_domain_above",
             "abstain_domain_guard")
    return replace(BASE, **dict(zip(names, values)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library-home", type=Path, default=REPO_ROOT / ".policyqa" / "library")
    parser.add_argument("--plan-home", type=Path, default=REPO_ROOT / ".policyqa")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "eval" / "report-abstention.md")
    args = parser.parse_args(argv)
    unseen = fold_models()
    scope_unseen, scope_new_doc = question_folds()
    require_scope_folds(scope_unseen, set(unseen))  # the reranker's dev questions are the scope model's
    # the gate's file holds every question it was fitted on (domain.jsonl and the library sets);
    # any other question (the plan's own set) is one it never saw: the shipped gate scores it
    domain_unseen, domain_new_doc = question_folds(DOMAIN_FOLDS_PATH)
    if not domain_unseen:
        raise SystemExit("eval/domain-folds.json is missing: run `python -m eval.train_domain` first, then this")
    data = {(home, split): signals(path, files, split, unseen if split == "dev" else None,
                                   scope_unseen if split == "dev" else None, scope_new_doc,
                                   domain_unseen if split == "dev" else None, domain_new_doc)
            for home, path, files in (("library", args.library_home, LIBRARY_FILES),
                                      ("plan", args.plan_home, PLAN_FILES))
            for split in ("dev", "test")}
    candidates = []
    for values in itertools.product(*GRID.values()):
        dev = [rates(data[(home, "dev")], values) for home in ("library", "plan")]
        new_doc_fa = rates(data[("library", "dev")], values, new_document=True)[0]
        if max(fa for fa, *_ in dev) <= MAX_FALSE_ABSTENTION and new_doc_fa <= MAX_FALSE_ABSTENTION:
            simplicity = (values[3] < 1, values[1] < 1, values[4], values[5] < 1, values[7] < 1) + values
            candidates.append((-sum(rec for _, rec, *_ in dev), simplicity, values))
    candidates.sort()
    lines = ["# Abstention rule, chosen on dev (library and plan alone)", "",
             (f"`python -m eval.choose_abstention` — rule `p < below or (p < doubt_below and dense < "
              f"doubt_dense and coverage < doubt_coverage) or (unstated and use_unstated) or (scope ≥ scope_above "
              f"and p < scope_guard) or (domain ≥ domain_above and p < domain_guard)`, domain being the domain gate's "
              f"P(no policy question); false abstention ≤ {MAX_FALSE_ABSTENTION:.0%} of in-scope dev questions on "
              "both homes, and on the library's in-scope dev questions scored as on a document the scope model "
              "and the gate never saw (column *new document*); best summed dev abstention recall. A value of 1.01 means the "
              "condition is always true (for scope_above and domain_above: never). The second block is the rule "
              "without the scope model and the gate (scope_above and domain_above 1.01), the third the second stage's own dev threshold alone, for "
              "comparison. Dev rows score each question with the fold models that did not see it (out of fold)."), "",
             ("| below | doubt_below | doubt_dense | doubt_coverage | unstated | scope_above | scope_guard "
              "| domain_above | domain_guard | home | split | false abstention | abstention recall "
              "| false abstention, new document |"),
             "|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|---:|---:|---:|"]
    # the second stage's own dev threshold alone
    base = (Reranker.load().abstain_below, 0.0, 0.0, 0.0, False, 1.01, 0.0, 1.01, 0.0)
    without_scope = [c for c in candidates if c[2][5] > 1 and c[2][7] > 1]
    shown = ([candidates[0][2]] if candidates else []) + ([without_scope[0][2]] if without_scope else []) + [base]
    for values in shown:
        for home, split in sorted(data):
            fa, rec, n_in, n_out = rates(data[(home, split)], values)
            new_fa = f"{rates(data[(home, split)], values, new_document=True)[0]:.3f}" if home == "library" else "–"
            lines.append(f"| {values[0]:.4g} | {values[1]} | {values[2]} | {values[3]} | {values[4]} | {values[5]} | "
                         f"{values[6]} | {values[7]} | {values[8]} | {home} | {split} | {fa:.3f} (of {n_in}) | {rec:.3f} (of {n_out}) | {new_fa} |")
    if candidates:
        lines += ["", "Chosen (first rows): " + ", ".join(f"{k} = {v}" for k, v in zip(GRID, candidates[0][2]))
                  + ". Defaults in corpus/config.py (`abstain_below`, `abstain_doubt_below`, "
                  "`abstain_doubt_dense`, `abstain_doubt_coverage`, `abstain_unstated`, `abstain_scope_above`, "
                  "`abstain_scope_guard`, `abstain_domain_above`, `abstain_domain_guard`)."]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
