"""Train the second-stage reranker (:mod:`index.rerank`) and report what it changes.

    python -m eval.train_rerank [--home DIR] [--plan-home DIR] [--no-plan] [--report PATH]

1. Mines candidates — the top 30 of the hybrid search with ``candidates=200`` — for every
   question of the question files over the library home (the plan + 12 laws), labels
   them (a gold record = 1; out-of-scope questions: every candidate 0) and computes the
   features of :func:`index.rerank.features`.
2. Chooses the model on the **dev** split only (grouped 5-fold cross-validation by
   question): logistic regression over a grid of ``C``, against a histogram gradient
   boosting (the LightGBM algorithm, scikit-learn's implementation); fits the chosen one
   on all dev questions and writes ``index/data/rerank.json`` (plain JSON, no pickle).
3. Chooses the abstention threshold on dev out-of-fold probabilities: the largest
   threshold whose false abstention is ≤ 3 % of the in-scope dev questions, both on the
   library and on a plan-only home (built in a temporary directory).
4. Reports on the **test** split: MRR@10 / R@5 of the hybrid search vs hybrid + rerank per
   file and per type, abstention precision / recall / false abstention (library and plan
   alone, against the raw-cosine rule of ``qa.answer``), latency of the rerank step vs
   query encoding, and first-stage variants (monkeypatched, for the lead) →
   ``eval/report-rerank.md``.

scikit-learn is needed here only (training time); inference is NumPy.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corpus.config import REPO_ROOT, Settings
from corpus.normalize import normalize_text
from index.rerank import DEFAULT_PATH, FEATURES, INTENTS, Reranker, features

QUESTIONS_DIR = REPO_ROOT / "eval" / "questions"
#: Library sets first: a question whose text an earlier file already has is skipped
#: (library-plan.jsonl holds plan.jsonl's in-scope questions with graded gold).
QUESTION_FILES = ("library-plan", "library-laws", "library-dept", "library-oos", "plan", "laws")
LIBRARY_HOME = REPO_ROOT / ".policyqa" / "library"
REPORT = REPO_ROOT / "eval" / "report-rerank.md"
TOP = 30
CANDIDATES = 200
DENSE_WEIGHT = 0.8
#: The production first stage (Settings defaults): what "hybrid" means in the tables.
PROD_CANDIDATES = 100
MAX_FALSE_ABSTENTION = 0.03
FOLDS = 5
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
#: The raw-cosine abstention rule of qa.answer (Settings.abstain_dense / abstain_coverage).
OLD_DENSE, OLD_COVERAGE = 0.878, 0.8
OLD_QUESTION_WORDS = frozenset(
    ["多少", "哪些", "什么", "哪个", "谁", "部门", "单位", "牵头", "负责", "目标", "要求", "达到", "政策",
     "规定", "方案", "有没有", "是否", "能", "吗", "呢", "怎么", "如何", "可以", "支持", "企业", "我们",
     "我", "想", "要", "会", "请问", "一下", "有", "没有", "哪", "几个", "多", "大", "情况", "内容", "讲", "说"]
)


# ---------------------------------------------------------------- questions
@dataclass
class Item:
    """One question of one file, with its gold expanded to record ids."""

    key: str  # file:id
    file: str
    id: str
    text: str
    type: str
    split: str | None
    gold: dict[str, int]  # record id → grade (≥ 1 relevant); {} out of scope
    intent: str = "general"
    departments: tuple[str, ...] = ()

    @property
    def in_scope(self) -> bool:
        return bool(self.gold)


def _intent(text: str) -> tuple[str, tuple[str, ...]]:
    """The answer layer's intent and departments (qa.intent); the reranker's intent
    features depend on them, so a failing classifier stops the training instead of
    silently reading "general"."""
    from qa.intent import classify

    parsed = classify(text)
    intent = parsed.intent if parsed.intent in INTENTS else "general"
    return intent, tuple(parsed.departments)


def _recover(path: Path, problems) -> list:
    """Questions of lines rejected only for an optional field (e.g. ``lead`` as a string):
    retrieval needs id, question, type, gold and split alone."""
    from eval.questions import parse_question

    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for p in problems:
        try:
            obj = json.loads(lines[p.line - 1])
            core = {k: obj[k] for k in ("id", "question", "type", "gold", "split") if k in obj}
            out.append(parse_question(core))
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            print(f"  {path.name}:{p.line}: skipped ({p.reason}; {exc})", file=sys.stderr)
    return out


def read_items(index, files: Sequence[str] = QUESTION_FILES, folder: Path = QUESTIONS_DIR,
               quiet: bool = False) -> list[Item]:
    """Every question of the files that exist; gold expanded against ``index``'s records
    (a part, chapter or document id stands for every record in it; grade ≥ 1 relevant)."""
    from eval.questions import RecordCatalog, expand_grades, load_questions

    catalog = RecordCatalog(r.id for r in index.records)
    items = []
    seen: set[str] = set()
    for name in files:
        path = folder / f"{name}.jsonl"
        if not path.is_file():
            continue
        questions, problems = load_questions(path)
        questions += _recover(path, problems)
        for q in questions:
            try:
                gold = expand_grades(q.gold_grades, catalog, q, str(path))
            except ValueError as exc:
                if not quiet:
                    print(f"  {path.name}: {q.id} skipped ({exc})", file=sys.stderr)
                continue
            text = normalize_text(q.question)
            if text in seen:
                continue
            seen.add(text)
            intent, departments = _intent(text)
            items.append(Item(f"{name}:{q.id}", name, q.id, text, q.type, q.split,
                              {k: v for k, v in gold.items() if v >= 1}, intent, departments))
    return items


def leak_free_dev(items: list[Item]) -> list[Item]:
    """Dev questions whose text is not also a test question (files may share questions)."""
    test_texts = {i.text for i in items if i.split == "test"}
    return [i for i in items if i.split == "dev" and i.text not in test_texts]


# ---------------------------------------------------------------- mining
@dataclass
class Mined:
    item: Item
    ids: list[str]  # first-stage top-30 record ids (candidates=200)
    x: np.ndarray
    y: np.ndarray
    prod_ids: list[str]  # production first stage (candidates=100), top 10
    old_abstain: bool  # the raw-cosine rule of qa.answer
    hits: list = field(default_factory=list, repr=False)


def _old_coverage(text: str, hits) -> float:
    from corpus.tokenize import tokenize_for_search

    words = [w for w in tokenize_for_search(text) if w not in OLD_QUESTION_WORDS and len(w) > 1]
    if not words:
        return 0.0
    joined = "".join(h.record.text + h.record.responsibility + "".join(h.record.headings) for h in hits[:3])
    return sum(1 for w in words if w in joined) / len(words)


def mine(index, items: Iterable[Item], *, search: Callable | None = None, old_rule: bool = True) -> list[Mined]:
    raw_search = search or index.search

    def search(text, **options):
        try:
            return raw_search(text, **options)
        except ValueError:  # PolicyError: a question without words (？？？) finds nothing
            return []

    out = []
    for item in items:
        hits = search(item.text, k=TOP, fusion="weighted", dense_weight=DENSE_WEIGHT, candidates=CANDIDATES)
        prod = search(item.text, k=10, fusion="weighted", dense_weight=DENSE_WEIGHT, candidates=PROD_CANDIDATES)
        x = features(index, item.text, hits, item.intent, item.departments)
        y = np.array([1.0 if h.record.id in item.gold else 0.0 for h in hits])
        old = False
        if old_rule:
            dense_hits = search(item.text, k=1, mode="dense")
            dense = dense_hits[0].dense if dense_hits and dense_hits[0].dense is not None else 0.0
            top5 = prod[:5]
            old = (not top5) or (dense < OLD_DENSE and _old_coverage(item.text, top5) < OLD_COVERAGE)
        out.append(Mined(item, [h.record.id for h in hits], x, y, [h.record.id for h in prod[:10]], old, hits))
    return out


# ---------------------------------------------------------------- metrics
def mrr_at(ranked: Sequence[str], gold: dict[str, int], k: int = 10) -> float:
    for rank, rid in enumerate(ranked[:k], 1):
        if rid in gold:
            return 1.0 / rank
    return 0.0


def recall_at(ranked: Sequence[str], gold: dict[str, int], k: int = 5) -> float:
    return len(set(ranked[:k]) & set(gold)) / len(gold) if gold else 0.0


def reranked_ids(m: Mined, p: np.ndarray) -> list[str]:
    return [m.ids[i] for i in np.argsort(-p, kind="stable")]


def abstention(top: dict[str, float], mined: Sequence[Mined], threshold: float) -> dict:
    """Precision / recall of abstaining when the top probability < threshold; false abstention."""
    oos = [m for m in mined if not m.item.in_scope]
    ins = [m for m in mined if m.item.in_scope]
    abst_oos = sum(top[m.item.key] < threshold for m in oos)
    abst_in = sum(top[m.item.key] < threshold for m in ins)
    return _abst_row(abst_oos, len(oos), abst_in, len(ins))


def _abst_row(abst_oos: int, n_oos: int, abst_in: int, n_in: int) -> dict:
    total = abst_oos + abst_in
    return {"precision": abst_oos / total if total else float("nan"),
            "recall": abst_oos / n_oos if n_oos else float("nan"),
            "false": abst_in / n_in if n_in else float("nan"),
            "abst_oos": abst_oos, "n_oos": n_oos, "abst_in": abst_in, "n_in": n_in}


def choose_threshold(in_scope_top: Sequence[float], limit: float = MAX_FALSE_ABSTENTION) -> float:
    """The largest threshold abstaining on at most ``limit`` of the in-scope questions
    (abstain when top < threshold): the ⌊limit·n⌋+1-th smallest in-scope top probability."""
    values = sorted(in_scope_top)
    allowed = math.floor(limit * len(values) + 1e-9)
    return float(values[allowed]) if allowed < len(values) else 1.0


# ---------------------------------------------------------------- models
def _fit_lr(x: np.ndarray, y: np.ndarray, c: float) -> Reranker:
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit((x - mean) / scale, y)
    return Reranker(FEATURES, mean, scale, model.coef_[0], float(model.intercept_[0]))


class _GBM:
    """Histogram gradient boosting (LightGBM's algorithm) — compared in CV only."""

    def __init__(self, x, y, **params):
        from sklearn.ensemble import HistGradientBoostingClassifier

        self.model = HistGradientBoostingClassifier(random_state=0, **params).fit(x, y)

    def predict(self, x):
        return self.model.predict_proba(x)[:, 1]


def _folds(mined: Sequence[Mined], k: int = FOLDS) -> list[int]:
    """Fold of each question, grouped by question text, stratified by in/out of scope."""
    texts = sorted({m.item.text for m in mined})
    rng = np.random.default_rng(13)
    order = {t: i for i, t in enumerate(rng.permutation(texts))}
    by_text = {}
    for scope in (True, False):
        group = sorted({m.item.text for m in mined if m.item.in_scope == scope}, key=order.get)
        for i, t in enumerate(group):
            by_text.setdefault(t, i % k)
    return [by_text[m.item.text] for m in mined]


def cross_validate(mined: Sequence[Mined], fit: Callable, k: int = FOLDS) -> tuple[dict[str, np.ndarray], list]:
    """Out-of-fold probabilities {key: probs} and the fold models (fold of each question)."""
    folds = _folds(mined, k)
    oof: dict[str, np.ndarray] = {}
    models = []
    for f in range(k):
        train = [m for m, g in zip(mined, folds) if g != f and len(m.y)]
        x = np.vstack([m.x for m in train])
        y = np.concatenate([m.y for m in train])
        model = fit(x, y)
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


# ---------------------------------------------------------------- tables
def _fmt(v: float) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def retrieval_table(mined: Sequence[Mined], reranker: Reranker, group: Callable[[Mined], str]) -> list[str]:
    rows: dict[str, list] = defaultdict(list)
    for m in mined:
        if not m.item.in_scope:
            continue
        p = reranker.predict(m.x)
        rr = reranked_ids(m, p)
        vals = (mrr_at(m.prod_ids, m.item.gold), recall_at(m.prod_ids, m.item.gold),
                mrr_at(m.ids, m.item.gold), mrr_at(rr, m.item.gold), recall_at(rr, m.item.gold),
                float(any(i in m.item.gold for i in m.ids)))
        rows[group(m)].append(vals)
        rows["**all**"].append(vals)
    lines = ["| group | n | hybrid MRR@10 | hybrid R@5 | hybrid(c=200) MRR@10 | +rerank MRR@10 | +rerank R@5 | gold in top 30 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in sorted(rows, key=lambda k: (k == "**all**", k)):
        a = np.array(rows[name])
        lines.append(f"| {name} | {len(a)} | " + " | ".join(_fmt(v) for v in a.mean(axis=0)) + " |")
    return lines


def abstention_lines(label: str, mined: Sequence[Mined], reranker: Reranker, threshold: float) -> list[str]:
    top = {m.item.key: float(reranker.predict(m.x).max()) if len(m.y) else 0.0 for m in mined}
    new = abstention(top, mined, threshold)
    oos = [m for m in mined if not m.item.in_scope]
    ins = [m for m in mined if m.item.in_scope]
    old = _abst_row(sum(m.old_abstain for m in oos), len(oos), sum(m.old_abstain for m in ins), len(ins))
    out = []
    for name, r in ((f"raw cosine rule (dense<{OLD_DENSE} & coverage<{OLD_COVERAGE})", old),
                    (f"rerank top p < {threshold:.3f}", new)):
        out.append(f"| {label} | {name} | {_fmt(r['precision'])} | {_fmt(r['recall'])} ({r['abst_oos']}/{r['n_oos']}) "
                   f"| {_fmt(r['false'])} ({r['abst_in']}/{r['n_in']}) |")
    return out


def augmented_alternative(dev_m: list[Mined], plan_dev: list[Mined], test_m: list[Mined],
                          plan_test: list[Mined], c: float) -> list[str]:
    """Train on the library and the plan-alone dev lists; report test MRR and abstention."""
    def renamed(m: Mined, prefix: str) -> Mined:
        item = Item(**{**m.item.__dict__, "key": prefix + m.item.key})
        return Mined(item, m.ids, m.x, m.y, m.prod_ids, m.old_abstain, m.hits)

    lib = [renamed(m, "library|") for m in dev_m if len(m.y)]
    plan = [renamed(m, "plan|") for m in plan_dev if len(m.y)]
    both = lib + plan
    oof, _ = cross_validate(both, lambda x, y: _fit_lr(x, y, c))
    thr = min(choose_threshold([float(oof[m.item.key].max()) for m in part if m.item.in_scope])
              for part in (lib, plan))
    x = np.vstack([m.x for m in both])
    y = np.concatenate([m.y for m in both])
    model = _fit_lr(x, y, c)
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


#: Absurd questions in no question file (the brief's example first), probed on both homes.
ABSURD = ("今天兰州天气怎么样", "怎么做红烧肉", "推荐一部好看的电影", "梅西一共进了几个球", "明天会下雨吗",
          "iPhone 16 多少钱", "火星上有水吗", "如何提高英语口语")


def absurd_lines(homes: Sequence[tuple[str, object]], reranker: Reranker) -> list[str]:
    out = ["| question | intent | " + " | ".join(f"top p, {name}" for name, _ in homes) + " |",
           "|---|---|" + "---:|" * len(homes)]
    for question in ABSURD:
        intent, departments = _intent(question)
        cells = []
        for _, index in homes:
            hits = index.search(question, k=TOP, fusion="weighted", dense_weight=DENSE_WEIGHT,
                                candidates=CANDIDATES)
            p = float(reranker.score(index, question, hits, intent, departments).max()) if hits else 0.0
            cells.append(f"{p:.3f} {'abstains' if p < reranker.abstain_below else '**answers**'}")
        out.append(f"| {question} | {intent} | " + " | ".join(cells) + " |")
    return out


# ---------------------------------------------------------------- first-stage experiments
def first_stage_variants(index, items: Sequence[Item], reranker: Reranker) -> list[str]:
    """First-stage variants (monkeypatched fusion / BM25 rebuilt in memory) on the in-scope
    questions: MRR@10 and R@5 of their top 10, and of their top 30 (candidates=200)
    re-ordered by ``reranker`` (trained on the production first stage)."""
    import index.hybrid as hybrid_module
    import index.sparse as sparse_module
    from index.fusion import _minmax

    original = hybrid_module.fuse

    def fused_by(bm25_norm: Callable, dense_norm: Callable) -> Callable:
        def fuse(bm25_rows, bm25_scores, dense_rows, dense_scores, method="weighted", dense_weight=0.5):
            fused: dict[int, float] = {}
            for weight, rows, scores in ((1 - dense_weight, bm25_rows, bm25_norm(bm25_scores)),
                                         (dense_weight, dense_rows, dense_norm(dense_scores))):
                for row, score in zip(rows, scores):
                    fused[int(row)] = fused.get(int(row), 0.0) + weight * float(score)
            return fused
        return fuse

    def by_max(scores: np.ndarray) -> np.ndarray:
        # the BM25 candidates are the query's top rows, so their max is the max over all records
        top = float(scores.max()) if len(scores) else 0.0
        return scores / top if top > 0 else np.zeros_like(scores)

    def floor(low: float) -> Callable:
        return lambda scores: np.clip((np.asarray(scores) - low) / (1.0 - low), 0.0, 1.0)

    def with_b(b: float):
        """The BM25 side rebuilt in memory with length normalization ``b`` (default 0.75)."""
        saved = sparse_module.B
        sparse_module.B = b
        try:
            texts = [hybrid_module.search_text(r) for r in index.records]
            return sparse_module.SparseIndex.build(texts, index.sparse.bigrams)
        finally:
            sparse_module.B = saved

    production_sparse = index.sparse
    variants = [
        ("production: weighted min-max, w=0.8, candidates=100", original, {}),
        ("candidates=200", original, {"candidates": 200}),
        ("candidates=50", original, {"candidates": 50}),
        ("RRF, w=0.8", original, {"fusion": "rrf"}),
        ("BM25 ÷ query max, dense min-max", fused_by(by_max, _minmax), {}),
        ("BM25 min-max, dense (cos−0.75)/0.25", fused_by(_minmax, floor(0.75)), {}),
        ("BM25 ÷ query max, dense (cos−0.70)/0.30", fused_by(by_max, floor(0.70)), {}),
        ("BM25 ÷ query max, dense (cos−0.75)/0.25", fused_by(by_max, floor(0.75)), {}),
        ("BM25 ÷ query max, dense (cos−0.80)/0.20", fused_by(by_max, floor(0.80)), {}),
        ("BM25 ÷ query max, dense (cos−0.75)/0.25, candidates=200", fused_by(by_max, floor(0.75)), {"candidates": 200}),
        ("BM25 b=0.5 (less length normalization)", original, {"b": 0.5}),
        ("BM25 b=0.3", original, {"b": 0.3}),
        ("BM25 b=0.3 ÷ query max, dense (cos−0.75)/0.25", fused_by(by_max, floor(0.75)), {"b": 0.3}),
    ]
    ins = [i for i in items if i.in_scope and i.split in ("dev", "test")]
    lines = ["| first stage | dev MRR@10 | test MRR@10 | test R@5 | dev +rerank MRR@10 (in-sample) | test +rerank MRR@10 | test +rerank R@5 | test gold in top 30 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    try:
        for name, fuse, opts in variants:
            hybrid_module.fuse = fuse
            opts = {"fusion": "weighted", "candidates": PROD_CANDIDATES, **opts}
            b = opts.pop("b", None)
            index.sparse = with_b(b) if b is not None else production_sparse
            res: dict[str, list[float]] = defaultdict(list)
            for it in ins:
                ids = [h.record.id for h in index.search(it.text, k=10, dense_weight=DENSE_WEIGHT, **opts)]
                res[f"{it.split} mrr"].append(mrr_at(ids, it.gold))
                res[f"{it.split} r5"].append(recall_at(ids, it.gold))
                top = index.search(it.text, k=TOP, dense_weight=DENSE_WEIGHT, **{**opts, "candidates": CANDIDATES})
                p = reranker.score(index, it.text, top, it.intent, it.departments)
                ranked = [top[i].record.id for i in np.argsort(-p, kind="stable")]
                res[f"{it.split} rr mrr"].append(mrr_at(ranked, it.gold))
                res[f"{it.split} rr r5"].append(recall_at(ranked, it.gold))
                res[f"{it.split} in30"].append(float(any(h.record.id in it.gold for h in top)))
            cells = [np.mean(res[k]) for k in ("dev mrr", "test mrr", "test r5", "dev rr mrr", "test rr mrr",
                                               "test rr r5", "test in30")]
            lines.append(f"| {name} | " + " | ".join(_fmt(float(v)) for v in cells) + " |")
            print(f"  first stage: {lines[-1]}", file=sys.stderr)
    finally:
        hybrid_module.fuse = original
        index.sparse = production_sparse
    return lines


# ---------------------------------------------------------------- plan alone
def plan_home(path: Path | None) -> Path:
    """A home with only the shipped plan, built and indexed (in a temporary directory)."""
    import corpus
    from index import open_index

    home = path or Path(tempfile.mkdtemp(prefix="policyqa-plan-"))
    settings = Settings(home=home)
    if not (settings.index_dir / "manifest.json").is_file():
        corpus.build(settings)
        open_index(settings, rebuild=True)
    return home


def load_index(home: Path):
    """The index of ``home`` with its encoder, read-only: ``open_index`` without a rebuild,
    or — when the corpus check fails (a home built by another policyqa version) — the
    index files as they are."""
    from index import HybridIndex, open_index
    from index.build import get_encoder

    settings = Settings(home=home)
    try:
        return open_index(settings, rebuild=False)
    except Exception as exc:  # noqa: BLE001 — any freshness/corpus problem: read the files as they are
        print(f"  open_index({home}): {exc}; loading the index files directly", file=sys.stderr)
        return HybridIndex.load(settings.index_dir, get_encoder(settings), verify=False)


def memoize_query_vectors(index) -> None:
    """Every question's vector computed once for the whole run (the index keeps only 256)."""
    original = index.encode_query
    vectors: dict[str, np.ndarray] = {}

    def encode_query(query: str) -> np.ndarray:
        vector = vectors.get(query)
        if vector is None:
            vector = vectors[query] = original(query)
        return vector

    index.encode_query = encode_query


def _p50(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# ---------------------------------------------------------------- main
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=LIBRARY_HOME, help="library home (records + index)")
    parser.add_argument("--plan-home", type=Path, default=None, help="plan-only home (built if missing)")
    parser.add_argument("--no-plan", action="store_true", help="skip the plan-alone check")
    parser.add_argument("--no-first-stage", action="store_true", help="skip the first-stage variants")
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH, help="weights JSON")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)

    started = time.time()
    index = load_index(args.home)
    memoize_query_vectors(index)
    items = read_items(index)
    files = sorted({i.file for i in items})
    print(f"{len(items)} questions from {', '.join(files)}", file=sys.stderr)
    mined = mine(index, items)
    dev = {i.key for i in leak_free_dev(items)}
    dev_m = [m for m in mined if m.item.key in dev]
    test_m = [m for m in mined if m.item.split == "test"]
    print(f"mined: dev {len(dev_m)} (in scope {sum(m.item.in_scope for m in dev_m)}), "
          f"test {len(test_m)}", file=sys.stderr)

    # ---- model choice on dev (grouped CV)
    cv_rows = []
    best = None
    for c in C_GRID:
        oof, fold_models = cross_validate(dev_m, lambda x, y, c=c: _fit_lr(x, y, c))
        s = summarize(dev_m, oof)
        cv_rows.append((f"logistic regression C={c:g}", s))
        # both jobs at the operating point: ranking, and abstention at ≤3 % false abstention
        if best is None or s["mrr@10"] + s["abst_recall"] > best[1]["mrr@10"] + best[1]["abst_recall"] + 1e-9:
            best = (c, s, oof, fold_models)
    gbm_rows = []
    for params in ({"max_iter": 200, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 20},
                   {"max_iter": 400, "learning_rate": 0.03, "max_leaf_nodes": 7, "min_samples_leaf": 40}):
        oof_g, _ = cross_validate(dev_m, lambda x, y, p=params: _GBM(x, y, **p))
        s = summarize(dev_m, oof_g)
        gbm_rows.append((f"gradient boosting {params}", s))
    cv_rows += gbm_rows
    c, best_s, oof, fold_models = best
    first_stage_dev = float(np.mean([mrr_at(m.ids, m.item.gold) for m in dev_m if m.item.in_scope]))
    print(f"chosen C={c}: {best_s}", file=sys.stderr)

    x = np.vstack([m.x for m in dev_m if len(m.y)])
    y = np.concatenate([m.y for m in dev_m if len(m.y)])
    reranker = _fit_lr(x, y, c)

    # ---- threshold on dev out-of-fold probabilities (library, and plan alone)
    top_oof = {m.item.key: float(oof[m.item.key].max()) if len(oof[m.item.key]) else 0.0 for m in dev_m}
    thr_lib = choose_threshold([top_oof[m.item.key] for m in dev_m if m.item.in_scope])
    thr = thr_lib
    plan_lines: list[str] = []
    plan_retrieval: list[str] = []
    augmented_lines: list[str] = []
    plan_note = ""
    if not args.no_plan:
        home = plan_home(args.plan_home)
        plan_index = load_index(home)
        memoize_query_vectors(plan_index)
        # in scope: questions whose gold is in the plan; out of scope of the library ⇒ of the plan
        plan_items = read_items(plan_index, quiet=True)
        plan_mined = mine(plan_index, plan_items)
        plan_dev = [m for m in plan_mined if m.item.split == "dev" and m.item.text not in
                    {i.text for i in plan_items if i.split == "test"}]
        # each dev question scored by the fold model that did not see it
        fold_of = {m.item.key: model for m, model in zip(dev_m, fold_models)}
        plan_top = []
        for m in plan_dev:
            if not m.item.in_scope:
                continue
            key = m.item.key
            model = fold_of.get(key, reranker)
            plan_top.append(float(model.predict(m.x).max()) if len(m.y) else 0.0)
        thr_plan = choose_threshold(plan_top)
        thr = min(thr_lib, thr_plan)
        plan_note = (f"Threshold candidates: library dev (out-of-fold) {thr_lib:.3f}, plan-alone dev "
                     f"(out-of-fold) {thr_plan:.3f}; the smaller one is kept, so both stay within "
                     f"{MAX_FALSE_ABSTENTION:.0%} false abstention on dev.")
        plan_test = [m for m in plan_mined if m.item.split == "test"]
        plan_lines = abstention_lines("plan alone, test", plan_test, reranker, thr)
        plan_retrieval = retrieval_table(plan_test, reranker, lambda m: f"{m.item.file} / {m.item.type}")
        augmented_lines = augmented_alternative(dev_m, plan_dev, test_m, plan_test, c)
    reranker.abstain_below = thr
    reranker.meta = {
        "trained_on": f"dev split of {', '.join(files)} over {args.home.name} ({len(index.records)} records)",
        "candidates": {"top": TOP, "first_stage_candidates": CANDIDATES, "dense_weight": DENSE_WEIGHT},
        "C": c, "dev_questions": len(dev_m), "pairs": len(y), "positives": int(y.sum()),
        "abstain_rule": f"abstain when max probability < abstain_below (≤{MAX_FALSE_ABSTENTION:.0%} "
                        "false abstention on dev, library and plan alone)",
        "trained": time.strftime("%Y-%m-%d"),
    }
    reranker.save(args.out)
    reranker = Reranker.load(args.out)  # report what was written
    print(f"wrote {args.out} (abstain_below={thr:.4f})", file=sys.stderr)

    # ---- latency (test questions): rerank step vs query encoding
    enc, step, feats = [], [], []
    for m in test_m:
        if not m.hits:
            continue
        t0 = time.perf_counter()
        index.encoder.encode_query([m.item.text], convert_to_numpy=True, normalize_embeddings=True)
        enc.append((time.perf_counter() - t0) * 1000)
        index.encode_query(m.item.text)  # cached, as it is after the search that found the hits
        t0 = time.perf_counter()
        reranker.score(index, m.item.text, m.hits, m.item.intent, m.item.departments)
        step.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        features(index, m.item.text, m.hits, m.item.intent)  # departments found by the dictionary
        feats.append((time.perf_counter() - t0) * 1000)

    # ---- absurd questions
    homes = [("library", index)] + ([("plan alone", plan_index)] if not args.no_plan else [])
    absurd = absurd_lines(homes, reranker)

    # ---- first stage
    fs_lines = [] if args.no_first_stage else first_stage_variants(index, items, reranker)

    # ---- report
    lib_abst = abstention_lines("library, test", test_m, reranker, thr)
    lib_abst_dev = abstention_lines("library, dev (in-sample)", dev_m, reranker, thr)
    coef = sorted(zip(FEATURES, reranker.coef), key=lambda kv: -abs(kv[1]))
    lines = [
        "# Second-stage reranker: calibrated probability over the hybrid top 30",
        "",
        (f"Generated by `python -m eval.train_rerank` in {time.time() - started:.0f} s. Library home: "
        f"`{args.home}` ({len(index.records)} records). Question files: {', '.join(files)}. "
        f"Trained and chosen on **dev** only ({len(dev_m)} questions, "
        f"{sum(m.item.in_scope for m in dev_m)} in scope; dev questions whose text is also a test "
        f"question are left out); every number below the model choice is on **test** "
        f"({len(test_m)} questions) unless it says dev."),
        "",
        "## Model",
        "",
        f"Features ({len(FEATURES)}): " + ", ".join(f"`{f}`" for f in FEATURES) + " (see `index/rerank.py`).",
        "",
        (f"Candidates: top {TOP} of the hybrid search with `candidates={CANDIDATES}`, dense weight "
        f"{DENSE_WEIGHT}. Labels: gold record (any grade ≥ 1) = 1. Out-of-scope questions: every "
        f"candidate 0. Pairs: {len(y)}, positives {int(y.sum())}."),
        "",
        ("Dev 5-fold cross-validation, grouped by question (out-of-fold MRR@10 of the reranked top 30, "
        "pairwise log loss, AUC of the top probability in scope vs out of scope, the dev threshold "
        f"at ≤{MAX_FALSE_ABSTENTION:.0%} false abstention and its abstention recall). First stage alone "
        f"on the same dev questions: MRR@10 {first_stage_dev:.3f}."),
        "",
        "| model | MRR@10 | log loss | AUC (abstain) | threshold | abstention recall |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in cv_rows:
        lines.append(f"| {name} | {s['mrr@10']:.3f} | {s['logloss']:.4f} | {_fmt(s['auc'])} | "
                     f"{s['threshold']:.3f} | {_fmt(s['abst_recall'])} |")
    lines += [
        "",
        (f"Chosen: logistic regression, C={c:g} (largest out-of-fold MRR@10 + abstention recall at the "
        f"operating point among the C grid; gradient boosting is not better on either). Weights: "
        f"`index/data/rerank.json` (feature names, mean/scale, coefficients, intercept, "
        f"`abstain_below` = {thr:.4f})."),
        "",
        "Standardized coefficients (largest first):",
        "",
        "| feature | coef |", "|---|---:|",
        *[f"| `{n}` | {v:+.3f} |" for n, v in coef],
        "",
        "## Retrieval on the test split (library)",
        "",
        (f"*hybrid* = the production first stage (weighted min-max fusion, dense weight "
        f"{DENSE_WEIGHT}, candidates={PROD_CANDIDATES}); *hybrid(c=200)* = the top {TOP} the reranker "
        f"sees (candidates={CANDIDATES}); *+rerank* = that top {TOP} re-ordered by probability."),
        "",
        "By file:", "",
        *retrieval_table(test_m, reranker, lambda m: m.item.file),
        "", "By file and type:", "",
        *retrieval_table(test_m, reranker, lambda m: f"{m.item.file} / {m.item.type}"),
        "",
        "## Abstention",
        "",
        (f"Abstain when the best candidate's probability < `abstain_below` = {thr:.4f}. "
        f"Chosen on dev: the largest threshold with false abstention ≤ {MAX_FALSE_ABSTENTION:.0%} of the "
        f"in-scope dev questions (out-of-fold probabilities). {plan_note} Precision = share of "
        "abstentions that were out of scope; recall = share of out-of-scope questions abstained on; "
        "false abstention = share of in-scope questions abstained on. Out-of-scope questions of "
        "every file count (on the plan alone, the out-of-scope questions of the law files too)."),
        "",
        "| set | rule | precision | recall | false abstention |", "|---|---|---:|---:|---:|",
        *lib_abst, *lib_abst_dev, *plan_lines,
    ]
    if augmented_lines:
        lines += ["", "### Alternative, not shipped: training also on the plan-alone lists of the dev questions",
                  "", ("The same features and C, trained on the library dev lists plus the plan-alone dev "
                  "lists (same questions, searched in a plan-only home); threshold chosen the same way "
                  "(out-of-fold, ≤3% false abstention on both)."), "", *augmented_lines]
    lines += ["", "Absurd questions in no question file, with the intent qa.intent gives them:", "", *absurd]
    if plan_retrieval:
        lines += ["", "Plan alone, test retrieval:", "", *plan_retrieval]
    lines += [
        "",
        "## Latency (test questions, this machine, 2 shared cores)",
        "",
        (f"* rerank step (features + logistic regression, {TOP} candidates, query vector cached "
        f"by the search): p50 {_p50(step):.2f} ms (features alone p50 {_p50(feats):.2f} ms);"),
        f"* query encoding (`idx.encoder.encode_query`, uncached): p50 {_p50(enc):.2f} ms.",
        "",
    ]
    if fs_lines:
        lines += [
            "## First-stage variants (monkeypatched `index.hybrid.fuse` / BM25 rebuilt in memory; the code is unchanged)",
            "",
            ("Library home, every in-scope question of the files above. Left: the first stage's top 10. "
            f"Right: its top {TOP} (candidates={CANDIDATES}) re-ordered by the reranker as trained "
            "(on the production first stage; not retrained per variant)."),
            "",
            *fs_lines, "",
        ]
    lines += [
        "## Notes",
        "",
        ("* The first stage crowns its first candidate (per-query min-max), and so did an early "
        "version of this model through its relative features (first-stage rank, gap to the best "
        "cosine, BM25 ÷ the query's maximum): an absurd question's best clause got p ≈ 0.9. The "
        "hinge features `dense_deficit` / `query_dense_deficit` (max(0, 0.88 − cosine)) and the "
        "per-intent slopes fixed most of that (see the absurd-question table), not all: "
        "今天兰州天气怎么样 still answers — 兰州 alone makes 三(六)3 first in both lists, and its "
        "cosine (0.869) is that of the colloquial in-scope questions (3–10 % quantile of the "
        "in-scope dev questions), so no threshold with ≤3 % false abstention catches it "
        "(tests/test_rerank.py keeps it as a strict xfail)."),
        ("* The out-of-scope sets are mostly *near* misses (the amount of a subsidy the plan only "
        "names): their best cosine is on median *higher* than that of in-scope questions, which "
        "is why a cosine threshold cannot abstain on them and why the coverage/specifics features "
        "matter."),
        ("* The false-abstention budget is spent on in-scope questions whose gold is not in the top "
        f"{TOP} at all (first-stage misses: mostly `dept_tasks` questions naming a department by "
        "an alias, which qa answers from the department table anyway, and very colloquial "
        "paraphrases)."),
        ("* First stage (for `index/hybrid.py` / `index/fusion.py` / `index/sparse.py`): the best "
        "variant on dev is fixed scales instead of per-query min-max — BM25 ÷ the query's maximum "
        "(its first BM25 candidate *is* the maximum over all records), dense "
        "`clip((cos − 0.75) / 0.25, 0, 1)` — with BM25 built with `b = 0.3` instead of 0.75 "
        "(short law articles no longer win on length); more candidates before fusion change "
        "nothing. Retrain the reranker after any first-stage change (its rank features come "
        "from it)."),
        "",
    ]
    args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.report}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
