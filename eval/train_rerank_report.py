"""Markdown report of the reranker training (:mod:`eval.train_rerank`):
its tables (retrieval, abstention, absurd questions, first-stage variants) and
:func:`render_report`, the text of ``eval/report-rerank.md``."""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from eval.rerank_mining import (
    CANDIDATES,
    DENSE_WEIGHT,
    FUSION,
    MAX_FALSE_ABSTENTION,
    OLD_COVERAGE,
    OLD_DENSE,
    PROD_CANDIDATES,
    TOP,
    Mined,
    _abst_row,
    abstention,
    mrr_at,
    recall_at,
    reranked_ids,
)
from eval.rerank_questions import Item, _intent
from index.hits import search_text
from index.rerank import FEATURES, Reranker


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
            hits = index.search(question, k=TOP, fusion=FUSION, dense_weight=DENSE_WEIGHT,
                                candidates=CANDIDATES)
            p = float(reranker.score(index, question, hits, intent, departments).max()) if hits else 0.0
            cells.append(f"{p:.3f} {'abstains' if p < reranker.abstain_below else '**answers**'}")
        out.append(f"| {question} | {intent} | " + " | ".join(cells) + " |")
    return out


# ---------------------------------------------------------------- first-stage experiments
def first_stage_variants(index, items: Sequence[Item], reranker: Reranker) -> list[str]:
    """First-stage variants (fusion options, the dense floor patched, BM25 rebuilt in memory
    with another ``b``) on the in-scope questions: MRR@10 and R@5 of their top 10, and of
    their top 30 (candidates=200) re-ordered by ``reranker`` (trained on the production
    first stage, not retrained per variant)."""
    import index.fusion as fusion_module
    import index.sparse as sparse_module

    def with_b(b: float):
        """The BM25 side rebuilt in memory with length normalization ``b``."""
        saved = sparse_module.B
        sparse_module.B = b
        try:
            texts = [search_text(r) for r in index.records]
            return sparse_module.SparseIndex.build(texts, index.sparse.bigrams)
        finally:
            sparse_module.B = saved

    production_sparse, production_floor = index.sparse, fusion_module.DENSE_FLOOR
    variants = [
        ((f"production: scaled (BM25 ÷ query max, dense (cos−{production_floor})), "
          f"w={DENSE_WEIGHT}, b={sparse_module.B}"), {}),
        ("candidates=200", {"candidates": 200}),
        ("dense weight 0.7", {"dense_weight": 0.7}),
        ("dense weight 0.9", {"dense_weight": 0.9}),
        ("dense floor 0.70", {"floor": 0.70}),
        ("dense floor 0.80", {"floor": 0.80}),
        ("BM25 b=0.75 (textbook)", {"b": 0.75}),
        ("BM25 b=0.5", {"b": 0.5}),
        ("weighted min-max (the old default), b=0.75", {"fusion": "weighted", "b": 0.75}),
        ("weighted min-max, b=0.3", {"fusion": "weighted"}),
        ("RRF", {"fusion": "rrf"}),
    ]
    ins = [i for i in items if i.in_scope and i.split in ("dev", "test")]
    lines = ["| first stage | dev MRR@10 | test MRR@10 | test R@5 | dev +rerank MRR@10 (in-sample) | test +rerank MRR@10 | test +rerank R@5 | test gold in top 30 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    try:
        for name, opts in variants:
            opts = {"fusion": FUSION, "dense_weight": DENSE_WEIGHT, "candidates": PROD_CANDIDATES, **opts}
            b = opts.pop("b", None)
            fusion_module.DENSE_FLOOR = opts.pop("floor", production_floor)
            index.sparse = with_b(b) if b is not None else production_sparse
            res: dict[str, list[float]] = defaultdict(list)
            for it in ins:
                ids = [h.record.id for h in index.search(it.text, k=10, **opts)]
                res[f"{it.split} mrr"].append(mrr_at(ids, it.gold))
                res[f"{it.split} r5"].append(recall_at(ids, it.gold))
                top = index.search(it.text, k=TOP, **{**opts, "candidates": CANDIDATES})
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
        fusion_module.DENSE_FLOOR = production_floor
        index.sparse = production_sparse
    return lines


def _p50(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# ---------------------------------------------------------------- report
def render_report(*, started: float, home: Path, n_records: int, files: Sequence[str], dev_m: Sequence[Mined],
                  test_m: Sequence[Mined], y: np.ndarray, first_stage_dev: float, cv_rows: Sequence,
                  c: float, pair_weight: float, thr: float, reranker: Reranker, plan_note: str, plan_lines: Sequence[str],
                  augmented_lines: Sequence[str], absurd: Sequence[str], plan_retrieval: Sequence[str],
                  step: Sequence[float], feats: Sequence[float], enc: Sequence[float],
                  fs_lines: Sequence[str]) -> str:
    """The text of the report (``started``: the run's ``time.time()`` at its start)."""
    lib_abst = abstention_lines("library, test", test_m, reranker, thr)
    lib_abst_dev = abstention_lines("library, dev (in-sample)", dev_m, reranker, thr)
    coef = sorted(zip(FEATURES, reranker.coef), key=lambda kv: -abs(kv[1]))
    lines = [
        "# Second-stage reranker: calibrated probability over the hybrid top 30",
        "",
        (f"Generated by `python -m eval.train_rerank` in {time.time() - started:.0f} s. Library home: "
        f"`{home}` ({n_records} records). Question files: {', '.join(files)}. "
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
        (f"Chosen: logistic regression, C={c:g}, pair weight {pair_weight:g} (largest out-of-fold MRR@10 + "
        f"abstention recall at the operating point over the grid; gradient boosting is not better on either). Weights: "
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
        (f"*hybrid* = the production first stage ({FUSION} fusion, dense weight "
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
            "## First-stage variants (fusion options, the dense floor patched, BM25 rebuilt in memory with another `b`)",
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
        "(tests/test_rerank.py names it as a known miss and does not test it)."),
        ("* The out-of-scope sets are mostly *near* misses (the amount of a subsidy the plan only "
        "names): their best cosine is on median *higher* than that of in-scope questions, which "
        "is why a cosine threshold cannot abstain on them and why the coverage/specifics features "
        "matter."),
        ("* The false-abstention budget is spent on in-scope questions whose gold is not in the top "
        f"{TOP} at all (first-stage misses: mostly `dept_tasks` questions naming a department by "
        "an alias, which qa answers from the department table anyway, and very colloquial "
        "paraphrases)."),
        ("* First stage: the production fusion is `scaled` — fixed scales instead of per-query "
        "min-max (BM25 ÷ the query's maximum; dense `clip((cos − 0.75) / 0.25, 0, 1)`) — over "
        "BM25 with `b = 0.3` instead of the textbook 0.75 (short law articles no longer win on "
        "length), chosen on dev from the variants above. Retrain the reranker after any "
        "first-stage change (its rank features come from it)."),
        "",
    ]
    return "\n".join(lines) + "\n"
