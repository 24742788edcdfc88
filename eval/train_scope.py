"""Train the question-level out-of-scope model (:mod:`index.scope`) and report how it holds.

    python -m eval.train_scope [--home DIR] [--report eval/report-scope.md]

1. Reads every question file over the library home (the plan + 12 laws), as the reranker's
   training does (:func:`eval.rerank_questions.read_items`); a question is out of scope when
   its gold is empty. Only the leak-free **dev** split is used to fit.
2. Chooses ``C`` and the n-gram weight by stratified 5-fold cross-validated log loss on dev
   (question texts are unique: ``read_items`` drops repeats)
   (the probability is thresholded, so calibration is what counts), fits the chosen model on
   all dev questions and writes ``index/data/scope.json``.
3. Writes ``eval/scope-folds.json``: each dev question's out-of-fold probability (the
   abstention rule is chosen on these, :mod:`eval.choose_abstention`) and, for every in-scope
   question, its probability from a model fitted **without its document's questions** — what a
   question on a document added later gets; the abstention rule is checked against those too.
4. Reports AUC on dev (out of fold) and test, and the held-out-document probabilities per
   document → ``eval/report-scope.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpus.config import REPO_ROOT, Settings
from index.scope import DEFAULT_PATH, ScopeModel, design, fit_vocabulary

LIBRARY_HOME = REPO_ROOT / ".policyqa" / "library"
FOLDS_PATH = REPO_ROOT / "eval" / "scope-folds.json"
REPORT = REPO_ROOT / "eval" / "report-scope.md"
C_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)
NGRAM_WEIGHTS = (0.5, 1.0, 2.0)
FOLDS = 5


def fit(texts: Sequence[str], vectors: np.ndarray, out_of_scope: np.ndarray, c: float,
        ngram_weight: float) -> ScopeModel:
    """A :class:`ScopeModel` fitted on these questions (vocabulary from them alone)."""
    from sklearn.linear_model import LogisticRegression

    vocabulary, idf = fit_vocabulary(texts)
    x = design(texts, vectors, vocabulary, idf, ngram_weight)
    lr = LogisticRegression(C=c, max_iter=5000).fit(x, out_of_scope)
    return ScopeModel(vocabulary, idf, lr.coef_[0], float(lr.intercept_[0]), ngram_weight,
                      {"C": c, "trained_on": len(texts), "out_of_scope": int(out_of_scope.sum())})


def out_of_fold(texts: list[str], vectors: np.ndarray, y: np.ndarray, c: float, w: float) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    probabilities = np.zeros(len(texts))
    for train, held in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(vectors, y):
        model = fit([texts[i] for i in train], vectors[train], y[train], c, w)
        probabilities[held] = model.probabilities([texts[i] for i in held], vectors[held])
    return probabilities


def document_of(gold: dict[str, int]) -> str:
    """The document of the question's best-graded gold record."""
    return max(gold, key=gold.get).split("#", 1)[0]


def encode(index, texts) -> dict[str, np.ndarray]:
    """Each text's query vector, as the dense search computes it."""
    texts = sorted(set(texts))
    vectors = index.encoder.encode_query(texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=True)
    return dict(zip(texts, np.asarray(vectors, np.float64)))


def choose(texts: list[str], x: np.ndarray, y: np.ndarray, c_grid, ngram_weights) -> tuple[list, tuple]:
    """Every (log loss, AUC, C, n-gram weight, out-of-fold probabilities) of the grid, by
    stratified cross-validation on these questions, and the row of the lowest log loss (the
    probability is thresholded, so calibration is what counts)."""
    from sklearn.metrics import log_loss, roc_auc_score

    grid = []
    for c in c_grid:
        for w in ngram_weights:
            p = out_of_fold(texts, x, y, c, w)
            grid.append((log_loss(y, p), roc_auc_score(y, p), c, w, p))
            print(f"  C={c:g} ngram weight={w:g}: log loss {grid[-1][0]:.4f}, AUC {grid[-1][1]:.3f}", file=sys.stderr)
    return grid, min(grid, key=lambda g: g[0])


def save_folds(path: Path, texts: list[str], oof: np.ndarray, held_out: dict[str, float]) -> None:
    """Write a question-level model's out-of-fold probabilities (``texts`` ↔ ``oof``) and those of
    questions scored as on a document it never saw (``held_out``), for ``eval.choose_abstention``."""
    path.write_text(json.dumps({"out_of_fold": {t: round(float(p), 6) for t, p in zip(texts, oof)},
                                "held_out_document": {t: round(p, 6) for t, p in held_out.items()}},
                               ensure_ascii=False) + "\n", encoding="utf-8")


def held_out_documents(texts: list[str], x: np.ndarray, y: np.ndarray, documents: list[str | None],
                       questions: dict[str, list[str]], vectors: dict[str, np.ndarray], c: float,
                       w: float) -> dict[str, float]:
    """A document added later: each document's ``questions`` scored by a model fitted on the
    training questions minus that document's (``documents[k]``: training question k's document,
    None out of scope)."""
    out: dict[str, float] = {}
    for doc, asked in sorted(questions.items()):
        keep = [k for k, d in enumerate(documents) if d != doc]
        without = fit([texts[k] for k in keep], x[keep], y[keep], c, w)
        out.update(zip(asked, map(float, without.probabilities(asked, np.array([vectors[q] for q in asked])))))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from sklearn.metrics import roc_auc_score

    from eval.rerank_questions import leak_free_dev, read_items
    from eval.train_rerank import load_index

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=LIBRARY_HOME, help="library home (records + index)")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)

    index = load_index(args.home)
    items = read_items(index)
    dev = leak_free_dev(items)
    test = [i for i in items if i.split == "test"]
    print(f"{len(dev)} dev questions ({sum(not i.in_scope for i in dev)} out of scope), {len(test)} test",
          file=sys.stderr)
    vectors = encode(index, [i.text for i in items])
    texts = [i.text for i in dev]
    x = np.array([vectors[t] for t in texts])
    y = np.array([not i.in_scope for i in dev])

    grid, (_, auc, c, w, oof) = choose(texts, x, y, C_GRID, NGRAM_WEIGHTS)
    model = fit(texts, x, y, c, w)
    model.save(DEFAULT_PATH)

    # a document added later: its questions scored by a model that never saw any of them
    by_doc: dict[str, list[str]] = {}
    for item in items:
        if item.in_scope:
            by_doc.setdefault(document_of(item.gold), []).append(item.text)
    held_doc = held_out_documents(texts, x, y, [document_of(i.gold) if i.in_scope else None for i in dev],
                                  by_doc, vectors, c, w)
    save_folds(FOLDS_PATH, texts, oof, held_doc)

    above = Settings().abstain_scope_above
    test_p = model.probabilities([i.text for i in test], np.array([vectors[i.text] for i in test]))
    test_y = np.array([not i.in_scope for i in test])
    lines = ["# Out-of-scope model (index/data/scope.json)", "",
             ("`python -m eval.train_scope` — logistic regression over the question's e5 vector and its character "
              "1–3-grams (TF-IDF × n-gram weight), fitted on the leak-free dev questions of every question file "
              "over the library (out of scope = empty gold). Chosen by 5-fold cross-validated log loss on dev."), "",
             (f"Dev: {len(dev)} questions, {int(y.sum())} out of scope. Test: {len(test)} questions, "
              f"{int(test_y.sum())} out of scope."), "",
             "| C | n-gram weight | dev log loss (out of fold) | dev AUC (out of fold) |", "|---:|---:|---:|---:|"]
    lines += [f"| {g[2]:g} | {g[3]:g} | {g[0]:.4f} | {g[1]:.3f} |" for g in grid]
    lines += ["", (f"Chosen: C = {c:g}, n-gram weight = {w:g}. Test AUC {roc_auc_score(test_y, test_p):.3f} "
                   f"(dev out of fold {auc:.3f})."), "",
              "## A document the model never saw", "",
              ("Each document's in-scope questions (dev and test), scored by a model fitted without any of them — "
              "how the model treats a question on a document a user adds. `qa.answer` lets the model abstain only "
              "where the second stage is unsure (p below the guard), and `eval.choose_abstention` keeps false "
              "abstention on these questions within the same 3 % (eval/report-abstention.md)."), "",
              f"| document | questions | median P(out of scope) | share ≥ {above:g} (`abstain_scope_above`) |",
             "|---|---:|---:|---:|"]
    for doc, questions in sorted(by_doc.items()):
        p = np.array([held_doc[q] for q in questions])
        lines.append(f"| {doc} | {len(p)} | {np.median(p):.3f} | {np.mean(p >= above):.3f} |")
    args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{DEFAULT_PATH}\n{FOLDS_PATH}\n{args.report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
