"""Train the shipped plan's own scope model — P(a question is not about the plan) — and choose
where it declines (:func:`index.scope.document_scope_model`).

    python -m eval.train_document_scope [--plan-home DIR] [--library-home DIR] [--report FILE]

Why: on the plan alone (``make run``) the second stage's probability is relative to the plan's
clauses, and a question about something the plan never treats — 用人单位不给员工交社保怎么办, a law
question — still finds a plan clause sharing a word with a probability of 0.1–0.5. Measured with
the library's law questions asked of the plan alone, the shipped rule declined only 8 % of them.
What gives them away is again the question: the plan is about 生活性服务业, and a question on the
minimum age for work or on a tour contract is not. So the plan gets a :class:`index.scope.ScopeModel`
of its own, trained on questions labelled for it:

1. **about the plan** — the plan's questions (``plan.jsonl`` in scope, ``library-plan.jsonl``,
   ``library-dept.jsonl``); **not about it** — the law questions whose gold names no plan clause
   (``library-laws.jsonl``), ``library-oos.jsonl`` and the plan set's out-of-scope questions.
   Only the **dev** split is fitted on; ``C`` and the n-gram weight by 5-fold cross-validated log
   loss.
2. The rule: decline when every clause found is the plan's, the question does not name the plan
   by words of its title (:func:`qa.answer.names_title`), P(not about it) ≥ ``above`` and the
   second stage's p < ``guard``, on top of the shipped rule (:func:`qa.answer.abstains`). Both are
   chosen on dev with out-of-fold probabilities (this model's, and the second stage's from
   ``eval/rerank-folds.json``): the most declined out-of-scope questions with false abstention
   ≤ 3 % on **both** homes — on the plan alone, of the plan's own questions (the law questions are
   out of scope there); in the library, of every answered question, laws included (the model is
   asked only when every clause found is the plan's: beside a law's article the plan's clause
   may be the weaker answer, not a wrong one).
3. Writes ``index/data/document-scope/gansu-2022-46.json`` and the report
   (``eval/report-document-scope.md``): dev (out of fold) and test, per home.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpus.config import REPO_ROOT, Settings
from corpus.normalize import normalize_text
from eval.choose_abstention import (
    DOMAIN_FOLDS_PATH,
    QUESTIONS,
    fold_models,
    question_folds,
    signal_row,
)
from eval.questions import load_questions
from eval.train_scope import FOLDS, choose, fit
from index.scope import DOCUMENT_SCOPE_DIR
from qa.answer import abstains, names_title

PLAN = "gansu-2022-46"
REPORT = REPO_ROOT / "eval" / "report-document-scope.md"
MAX_FALSE_ABSTENTION = 0.03
ABOVE = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
#: At most 0.9: a clause the second stage is sure of is answered whatever the question looks like
#: (员工制家政企业招高校毕业生有什么补贴 reads like a social-insurance law question; 四(一) answers it, p 0.99).
GUARD = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def labelled_questions() -> list[tuple[str, bool, bool, str]]:
    """(question, about the plan, answered by the library, split) for every labelled question,
    once per text."""
    out, seen = [], set()
    for name in ("plan.jsonl", "library-plan.jsonl", "library-dept.jsonl", "library-laws.jsonl", "library-oos.jsonl"):
        for q in load_questions(QUESTIONS / name)[0]:
            key = normalize_text(q.question)
            if key not in seen and q.split in ("dev", "test"):
                seen.add(key)
                out.append((q.question, any(i.startswith(PLAN + "#") for i in q.gold), bool(q.gold), q.split))
    return out


def _signals(home: Path, questions) -> list[dict | None]:
    """Per question, what the shipped rule decides on ``home`` (:func:`eval.choose_abstention.signal_row`;
    a dev question scored out of fold), or None for a question it never judges."""
    from core import Assistant

    index = Assistant(Settings(home=home)).index
    settings = Settings()
    out_of_fold = (fold_models(), question_folds()[0], None, question_folds(DOMAIN_FOLDS_PATH)[0])
    rows = []
    for text, _, _, split in questions:
        found = signal_row(index, text, *(out_of_fold if split == "dev" else ()))
        if found is None:
            rows.append(None)
            continue
        query, r, (p, dense, cover, unstated, scope, _, domain, _) = found
        rows.append({"p": p, "shipped": abstains(p, dense, cover, unstated, settings, scope, domain), "vector": r.query_vector,
                     "plan_only": bool(r.hits) and all(h.record.doc_id == PLAN for h in r.hits)
                     and not names_title(query.shown, r.hits[0].record.doc_title)})
    return rows


def _rates(rows, in_scope, probs, above, guard) -> tuple[float, float]:
    """(false abstention on the questions in scope, declined of the others) under the extended rule."""
    fa = out = n_in = n_out = 0
    for row, is_in, prob in zip(rows, in_scope, probs):
        if row is None:
            continue
        declined = row["shipped"] or (row["plan_only"] and prob >= above and row["p"] < guard)
        if is_in:
            n_in, fa = n_in + 1, fa + declined
        else:
            n_out, out = n_out + 1, out + declined
    return fa / max(n_in, 1), out / max(n_out, 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.train_document_scope", description=__doc__.split("\n")[0])
    parser.add_argument("--plan-home", type=Path, default=REPO_ROOT / ".policyqa")
    parser.add_argument("--library-home", type=Path, default=REPO_ROOT / ".policyqa" / "library")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)

    questions = labelled_questions()
    homes = {"plan alone": _signals(args.plan_home, questions), "library": _signals(args.library_home, questions)}
    vectors = {}
    for rows in homes.values():
        for (text, *_), row in zip(questions, rows):
            if row is not None and row["vector"] is not None:
                vectors.setdefault(text, np.asarray(row["vector"], np.float64))
    keep = [i for i, (text, *_) in enumerate(questions) if text in vectors]
    texts = [questions[i][0] for i in keep]
    x = np.array([vectors[t] for t in texts])
    y = np.array([not questions[i][1] for i in keep], int)  # 1 = not about the plan
    dev = np.array([questions[i][3] == "dev" for i in keep])
    dev_texts = [t for t, d in zip(texts, dev) if d]
    grid, (_, auc, c, w, oof) = choose(dev_texts, x[dev], y[dev], (3.0, 10.0, 30.0, 100.0), (0.5, 1.0, 2.0))
    model = fit(dev_texts, x[dev], y[dev], c, w)
    model.meta.update({"document": PLAN, "about": "P(the question is not about this document)", "folds": FOLDS})
    probability = dict(zip(dev_texts, oof))
    test_texts = [t for t, d in zip(texts, dev) if not d]
    probability.update(zip(test_texts, model.probabilities(test_texts, x[~dev])))

    def rates(home: str, split: str, above: float, guard: float) -> tuple[float, float]:
        # in scope: on the plan alone, the plan's questions; in the library, every answered one
        chosen = [(row, about if home == "plan alone" else answered, probability.get(text, math.nan))
                  for (text, about, answered, s), row in zip(questions, homes[home])
                  if s == split and text in probability]
        return _rates(*zip(*chosen), above, guard) if chosen else (0.0, 0.0)

    best = None
    for above in ABOVE:
        for guard in GUARD:
            dev_rates = [rates(home, "dev", above, guard) for home in homes]
            if all(fa <= MAX_FALSE_ABSTENTION for fa, _ in dev_rates):
                score = sum(out for _, out in dev_rates)
                if best is None or score > best[0]:
                    best = (score, above, guard)
    path = model.save(DOCUMENT_SCOPE_DIR / f"{PLAN}.json")
    lines = ["# The plan's own scope model", "",
             f"`python -m eval.train_document_scope` — {len(dev_texts)} dev questions fitted ({int(y[dev].sum())} not about "
             f"the plan), C {c}, n-gram weight {w} (5-fold log loss: "
             + ", ".join(f"C {gc:g} w {gw:g}: {ll:.3f}" for ll, _, gc, gw, _ in grid)
             + f"; out-of-fold AUC {auc:.3f}). Weights: `{path.relative_to(REPO_ROOT)}`.",
             "", ("Declined = the shipped rule, or only plan clauses found with P(not about the plan) ≥ above and p < guard. "
                  "False abstention: of the questions in scope — on the plan alone the plan's own, in the library "
                  "every answered one (laws too); declined: of the others (dev: out-of-fold probabilities of this "
                  "model and of the second stage)."), "",
             "| above | guard | home | split | false abstention | declined |", "|---|---|---|---|---|---|"]
    shipped = (1.01, 0.0)
    for label, (above, guard) in (("shipped rule alone", shipped), ("chosen", (best[1], best[2]) if best else shipped)):
        for home in homes:
            for split in ("dev", "test"):
                fa, out = rates(home, split, above, guard)
                lines.append(f"| {above if label == 'chosen' else '–'} | {guard if label == 'chosen' else '–'} | "
                             f"{home} | {split} | {fa:.3f} | {out:.3f} |")
    lines += ["", f"Chosen: above {best[1]}, guard {best[2]} (`POLICYQA_ABSTAIN_DOCUMENT_ABOVE`, "
              "`POLICYQA_ABSTAIN_DOCUMENT_GUARD`)." if best else "No pair keeps false abstention ≤ 3 % on dev."]
    args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[-12:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
