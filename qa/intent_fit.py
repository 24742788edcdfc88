"""Model fitting for the intent classifier trainer (:mod:`qa.intent_train`): features,
the logistic regression exported as the JSON object :class:`qa.intent.Model` reads,
prediction with such a model, and stratified k-fold cross-validation.

scikit-learn and scipy are imported only inside :func:`train` (training time).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from corpus.normalize import normalize_text
from qa import intent as qi
from qa import intent_features as qf

C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)
MIN_DF = 2
SEED = 0

Example = tuple[str, str]  # (question, intent)


def featurize(rows: list[Example]) -> list[list[str]]:
    return [qf.features(normalize_text(q)) for q, _ in rows]


def train(rows: list[Example], c: float) -> dict:
    """Fit on ``rows``; the model as the JSON object :class:`qa.intent.Model` reads."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    feats = featurize(rows)
    df = Counter(f for fs in feats for f in fs)
    vocab = sorted(f for f, n in df.items() if n >= MIN_DF or f.startswith("s:"))
    index = {f: i for i, f in enumerate(vocab)}
    indptr, indices = [0], []
    for fs in feats:
        indices += [index[f] for f in fs if f in index]
        indptr.append(len(indices))
    x = csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), len(vocab)))
    y = [label for _, label in rows]
    clf = LogisticRegression(C=c, max_iter=5000)
    clf.fit(x, y)
    labels = [str(lab) for lab in clf.classes_]
    return {
        "format": "policyqa-intent-logreg/1",
        "labels": labels,
        "features": vocab,
        "coef": [[round(float(v), 5) for v in row] for row in clf.coef_.T],
        "intercept": [round(float(v), 5) for v in clf.intercept_],
        "C": c,
        "min_df": MIN_DF,
        "n_train": len(rows),
        "n_train_by_intent": dict(sorted(Counter(y).items())),
    }


def predict(model: qi.Model, questions: list[str]) -> list[str]:
    out = []
    for q in questions:
        proba, _ = qi._proba(q, model)
        out.append(max(qi.INTENTS, key=lambda i: proba[i]))
    return out


def stratified_folds(rows: list[Example], k: int, seed: int = SEED) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    by_label: dict[str, list[int]] = {}
    for i, (_, label) in enumerate(rows):
        by_label.setdefault(label, []).append(i)
    offset = 0
    for label in sorted(by_label):
        idx = list(rng.permutation(by_label[label]))
        for j, i in enumerate(idx):
            folds[(j + offset) % k].append(int(i))
        offset += len(idx)
    return folds


def cross_validate(rows: list[Example], c: float, k: int = 5) -> tuple[list[int], list[str]]:
    """(row indices in fold order, predictions) over ``k`` stratified folds."""
    order, pred = [], []
    for fold in stratified_folds(rows, k):
        held = set(fold)
        model = qi.Model.from_json(train([r for i, r in enumerate(rows) if i not in held], c))
        order += fold
        pred += predict(model, [rows[i][0] for i in fold])
    return order, pred
