"""Model fitting for the reranker training (:mod:`eval.train_rerank`): logistic regression
(the shipped :class:`index.rerank.Reranker`) and histogram gradient boosting (compared in
cross-validation only), grouped k-fold cross-validation by question, the dev summary each
candidate is chosen on, and the library + plan-alone training alternative.

scikit-learn is imported only inside the fitting functions (training time).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from eval.rerank_mining import (
    Mined,
    abstention,
    choose_threshold,
    mrr_at,
    recall_at,
    reranked_ids,
)
from eval.rerank_questions import Item
from eval.train_rerank_report import _fmt
from index.rerank import FEATURES, Reranker

FOLDS = 5
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
#: Value of the intercept column of the pairwise fit (see :func:`_fit_lr`).
INTERCEPT_COLUMN = 100.0
#: Weight of the pairwise rows against the pointwise ones (0 → plain logistic regression).
PAIR_WEIGHTS = (0.0, 1.0, 2.0)


def _pair_differences(z: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Standardized features of every (answering, non-answering) candidate pair of one question,
    answering minus non-answering."""
    diffs = []
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        pos, neg = rows[y[rows] == 1], rows[y[rows] == 0]
        diffs.extend(z[p] - z[neg] for p in pos)
    return np.vstack(diffs) if diffs else np.zeros((0, z.shape[1]))


def _fit_lr(x: np.ndarray, y: np.ndarray, c: float, groups: np.ndarray | None = None,
            pair_weight: float = 0.0) -> Reranker:
    """Logistic regression of "this candidate answers the question".

    With ``pair_weight`` > 0 (and ``groups``, the question of each row), the same weights also
    learn from pairs of one question's candidates — the answering one must score above each
    non-answering one (a linear RankNet: logistic loss on feature differences, no intercept).
    Pointwise rows keep the probability calibrated for abstention; the pairwise rows spend the
    weights on telling a question's candidates apart, which is what the ranking needs. All pair
    rows together weigh ``pair_weight`` times the pointwise rows.
    """
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    pairs = _pair_differences(z, y, groups) if pair_weight > 0 and groups is not None else z[:0]
    if not len(pairs):
        model = LogisticRegression(C=c, max_iter=5000).fit(z, y)
        return Reranker(FEATURES, mean, scale, model.coef_[0], float(model.intercept_[0]))
    # the intercept is an explicit column, INTERCEPT_COLUMN on pointwise rows and 0 on pair rows;
    # that large a value leaves its coefficient small, so the L2 penalty barely touches it (as
    # with fit_intercept, which does not penalize the intercept)
    rows = np.vstack([np.c_[z, np.full(len(z), INTERCEPT_COLUMN)], np.c_[pairs, np.zeros(len(pairs))],
                      np.c_[-pairs, np.zeros(len(pairs))]])
    labels = np.r_[y, np.ones(len(pairs)), np.zeros(len(pairs))]
    weights = np.r_[np.ones(len(z)), np.full(2 * len(pairs), pair_weight * len(z) / (2 * len(pairs)))]
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=5000).fit(rows, labels, sample_weight=weights)
    return Reranker(FEATURES, mean, scale, model.coef_[0][:-1], float(model.coef_[0][-1]) * INTERCEPT_COLUMN)


class _GBM:
    """Histogram gradient boosting (LightGBM's algorithm) — compared in CV only."""

    def __init__(self, x, y, groups=None, **params):
        from sklearn.ensemble import HistGradientBoostingClassifier

        self.model = HistGradientBoostingClassifier(random_state=0, **params).fit(x, y)

    def predict(self, x):
        return self.model.predict_proba(x)[:, 1]


def fold_of_text(items: Sequence, k: int = FOLDS) -> dict[str, int]:
    """Fold of each question text (:class:`eval.rerank_questions.Item` s), stratified by in/out
    of scope — the folds of the cross-validation and of the query adapter's out-of-fold fits."""
    texts = sorted({i.text for i in items})
    rng = np.random.default_rng(13)
    order = {t: i for i, t in enumerate(rng.permutation(texts))}
    by_text: dict[str, int] = {}
    for scope in (True, False):
        group = sorted({i.text for i in items if i.in_scope == scope}, key=order.get)
        for n, t in enumerate(group):
            by_text.setdefault(t, n % k)
    return by_text


def _folds(mined: Sequence[Mined], k: int = FOLDS) -> list[int]:
    """Fold of each question, grouped by question text, stratified by in/out of scope."""
    by_text = fold_of_text([m.item for m in mined], k)
    return [by_text[m.item.text] for m in mined]


def training_rows(mined: Sequence[Mined]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and question number of every mined candidate (questions with candidates)."""
    train = [m for m in mined if len(m.y)]
    return (np.vstack([m.x for m in train]), np.concatenate([m.y for m in train]),
            np.concatenate([np.full(len(m.y), n) for n, m in enumerate(train)]))


def cross_validate(mined: Sequence[Mined], fit: Callable, k: int = FOLDS) -> tuple[dict[str, np.ndarray], list]:
    """Out-of-fold probabilities {key: probs} and the fold models (fold of each question).

    ``fit(x, y, groups)`` gets the training folds' features, labels and question numbers."""
    folds = _folds(mined, k)
    oof: dict[str, np.ndarray] = {}
    models = []
    for f in range(k):
        model = fit(*training_rows([m for m, g in zip(mined, folds) if g != f]))
        models.append(model)
        for m, g in zip(mined, folds):
            if g == f:
                oof[m.item.key] = model.predict(m.x) if len(m.y) else np.zeros(0)
    return oof, [models[g] for g in folds]


def summarize(mined: Sequence[Mined], probs: dict[str, np.ndarray]) -> dict:
    ins = [m for m in mined if m.item.in_scope]
    mrr = float(np.mean([mrr_at(reranked_ids(m, probs[m.item.key]), m.item.gold) for m in ins]))
    top = {m.item.key: float(probs[m.item.key].max()) if len(probs[m.item.key]) else 0.0 for m in mined}
    thr = choose_threshold([top[m.item.key] for m in ins])
    row = abstention(top, mined, thr)
    y = np.concatenate([m.y for m in mined])
    p = np.clip(np.concatenate([probs[m.item.key] for m in mined]), 1e-6, 1 - 1e-6)
    logloss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return {"mrr@10": mrr, "logloss": logloss, "threshold": thr, "abst_recall": row["recall"],
            "auc": _auc([top[m.item.key] for m in ins], [top[m.item.key] for m in mined if not m.item.in_scope])}


def _auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    """P(top probability of an in-scope question > that of an out-of-scope one)."""
    if not pos or not neg:
        return float("nan")
    pos_a, neg_a = np.asarray(pos)[:, None], np.asarray(neg)[None, :]
    return float(((pos_a > neg_a).sum() + 0.5 * (pos_a == neg_a).sum()) / (pos_a.size * neg_a.size))


def augmented_alternative(dev_m: list[Mined], plan_dev: list[Mined], test_m: list[Mined],
                          plan_test: list[Mined], c: float, pair_weight: float) -> list[str]:
    """Train on the library and the plan-alone dev lists; report test MRR and abstention."""
    def renamed(m: Mined, prefix: str) -> Mined:
        item = Item(**{**m.item.__dict__, "key": prefix + m.item.key})
        return Mined(item, m.ids, m.x, m.y, m.prod_ids, m.old_abstain, m.hits)

    lib = [renamed(m, "library|") for m in dev_m if len(m.y)]
    plan = [renamed(m, "plan|") for m in plan_dev if len(m.y)]
    both = lib + plan
    oof, _ = cross_validate(both, lambda x, y, g: _fit_lr(x, y, c, g, pair_weight))
    thr = min(choose_threshold([float(oof[m.item.key].max()) for m in part if m.item.in_scope])
              for part in (lib, plan))
    x, y, groups = training_rows(both)
    model = _fit_lr(x, y, c, groups, pair_weight)
    out = ["| set | MRR@10 (+rerank) | R@5 (+rerank) | abstention precision | recall | false abstention |",
           "|---|---:|---:|---:|---:|---:|"]
    for label, mined in (("library, test", test_m), ("plan alone, test", plan_test)):
        ins = [m for m in mined if m.item.in_scope]
        probs = {m.item.key: model.predict(m.x) if len(m.y) else np.zeros(0) for m in mined}
        mrr = np.mean([mrr_at(reranked_ids(m, probs[m.item.key]), m.item.gold) for m in ins])
        r5 = np.mean([recall_at(reranked_ids(m, probs[m.item.key]), m.item.gold) for m in ins])
        top = {k: float(p.max()) if len(p) else 0.0 for k, p in probs.items()}
        a = abstention(top, mined, thr)
        out.append(f"| {label} (threshold {thr:.3f}) | {mrr:.3f} | {r5:.3f} | {_fmt(a['precision'])} | "
                   f"{_fmt(a['recall'])} ({a['abst_oos']}/{a['n_oos']}) | {_fmt(a['false'])} ({a['abst_in']}/{a['n_in']}) |")
    return out
