"""Train the second-stage reranker (:mod:`index.rerank`) and report what it changes.

    python -m eval.train_rerank [--home DIR] [--plan-home DIR] [--no-plan] [--report PATH]

0. Fits the query adapter (:mod:`index.adapter`, :func:`eval.adapter_fit.fit_adapter`) on the
   dev questions: once per cross-validation fold without that fold's questions (each dev
   question's ``adapted_*`` features come from the adapter that did not see it) and once on all
   of them (shipped inside the weights, and used for the test questions).
1. Mines candidates — the top 30 of the hybrid search with ``candidates=200`` — for every
   question of the question files over the library home (the plan + 12 laws), labels
   them (a gold record = 1; out-of-scope questions: every candidate 0) and computes the
   features of :func:`index.rerank.features`.
2. Chooses the model on the **dev** split only (grouped 5-fold cross-validation by
   question): logistic regression over a grid of ``C`` and of the weight of pairwise rows
   (pairs of one question's candidates, :func:`eval.rerank_fit._fit_lr`), against a histogram gradient
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

scikit-learn and torch are needed for training only (model fitting: :mod:`eval.rerank_fit`,
the adapter: :mod:`eval.adapter_fit`); inference is NumPy.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpus.config import REPO_ROOT, Settings
from eval.adapter_fit import fit_adapter
from eval.rerank_fit import (
    _GBM,
    C_GRID,
    PAIR_WEIGHTS,
    _fit_lr,
    _folds,
    augmented_alternative,
    cross_validate,
    fold_of_text,
    summarize,
    training_rows,
)
from eval.rerank_mining import (
    CANDIDATES,
    DENSE_WEIGHT,
    MAX_FALSE_ABSTENTION,
    TOP,
    choose_threshold,
    mine,
    mrr_at,
)
from eval.rerank_questions import (
    leak_free_dev,
    read_items,
)
from eval.train_rerank_report import (
    abstention_lines,
    absurd_lines,
    first_stage_variants,
    render_report,
    retrieval_table,
)
from index.rerank import DEFAULT_PATH, Reranker, features

LIBRARY_HOME = REPO_ROOT / ".policyqa" / "library"
REPORT = REPO_ROOT / "eval" / "report-rerank.md"
#: The chosen model fitted once per cross-validation fold, with each dev question's fold:
#: ``eval.choose_abstention`` scores a dev question with the model that did not see it, so
#: the abstention rule is chosen on probabilities as unseen questions get them.
FOLDS_PATH = REPO_ROOT / "eval" / "rerank-folds.json"


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


def fit_adapters(index, dev_items, fold_of: dict[str, int]) -> dict:
    """{fold: adapter fitted without that fold's questions, None: adapter fitted on all of them}."""
    vectors = [index.encode_query(i.text) for i in dev_items]
    gold = [[index._by_id[r] for r in i.gold if r in index._by_id] for i in dev_items]
    adapters = {}
    for fold in [*sorted(set(fold_of.values())), None]:
        keep = [k for k, i in enumerate(dev_items) if fold is None or fold_of[i.text] != fold]
        adapters[fold] = fit_adapter(index, [vectors[k] for k in keep], [gold[k] for k in keep],
                                     out_of_scope=[vectors[k] for k in keep if not gold[k]])
        print(f"  query adapter {'(all dev)' if fold is None else f'without fold {fold}'}: "
              f"{adapters[fold].meta['questions']} questions", file=sys.stderr)
    return adapters


def save_fold_models(dev_m, fold_models, path: Path) -> Path:
    """``{"question_fold": {question text: fold}, "models": [weights per fold]}`` (JSON);
    ``fold_models`` is :func:`eval.rerank_fit.cross_validate`'s model of each question's fold."""
    folds = _folds(dev_m)  # the folds cross_validate used (deterministic)
    models = dict(zip(folds, fold_models))
    data = {"question_fold": {m.item.text: fold for m, fold in zip(dev_m, folds)},
            "models": [models[fold].to_dict() for fold in sorted(models)]}
    path.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- main
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=LIBRARY_HOME, help="library home (records + index)")
    parser.add_argument("--plan-home", type=Path, default=None, help="plan-only home (built if missing)")
    parser.add_argument("--no-plan", action="store_true", help="skip the plan-alone check")
    parser.add_argument("--no-first-stage", action="store_true", help="skip the first-stage variants")
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH, help="weights JSON")
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--folds-out", type=Path, default=FOLDS_PATH,
                        help="the chosen model's fold models, for out-of-fold dev probabilities (JSON)")
    args = parser.parse_args(argv)

    started = time.time()
    index = load_index(args.home)
    memoize_query_vectors(index)
    items = read_items(index)
    files = sorted({i.file for i in items})
    print(f"{len(items)} questions from {', '.join(files)}", file=sys.stderr)
    # ---- the query adapter: one per fold (each dev question's features from the adapter that
    # did not see it, as an unseen question's would be) and one from every dev question (shipped)
    dev_items = leak_free_dev(items)
    fold_of = fold_of_text(dev_items)
    adapters = fit_adapters(index, dev_items, fold_of)

    def adapter_of(item):
        return adapters[fold_of[item.text]] if item.text in fold_of else adapters[None]

    mined = mine(index, items, adapter_of=adapter_of)
    dev = {i.key for i in dev_items}
    dev_m = [m for m in mined if m.item.key in dev]
    test_m = [m for m in mined if m.item.split == "test"]
    print(f"mined: dev {len(dev_m)} (in scope {sum(m.item.in_scope for m in dev_m)}), "
          f"test {len(test_m)}", file=sys.stderr)

    # ---- model choice on dev (grouped CV)
    cv_rows = []
    best = None
    for c in C_GRID:
        for w in PAIR_WEIGHTS:
            oof, fold_models = cross_validate(dev_m, lambda x, y, g, c=c, w=w: _fit_lr(x, y, c, g, w))
            s = summarize(dev_m, oof)
            cv_rows.append((f"logistic regression C={c:g}, pair weight {w:g}", s))
            # both jobs at the operating point: ranking, and abstention at ≤3 % false abstention
            if best is None or s["mrr@10"] + s["abst_recall"] > best[2]["mrr@10"] + best[2]["abst_recall"] + 1e-9:
                best = (c, w, s, oof, fold_models)
    gbm_rows = []
    for params in ({"max_iter": 200, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 20},
                   {"max_iter": 400, "learning_rate": 0.03, "max_leaf_nodes": 7, "min_samples_leaf": 40}):
        oof_g, _ = cross_validate(dev_m, lambda x, y, g, p=params: _GBM(x, y, **p))
        s = summarize(dev_m, oof_g)
        gbm_rows.append((f"gradient boosting {params}", s))
    cv_rows += gbm_rows
    c, pair_weight, best_s, oof, fold_models = best
    first_stage_dev = float(np.mean([mrr_at(m.ids, m.item.gold) for m in dev_m if m.item.in_scope]))
    print(f"chosen C={c}, pair weight {pair_weight}: {best_s}", file=sys.stderr)

    x, y, groups = training_rows(dev_m)
    reranker = _fit_lr(x, y, c, groups, pair_weight)

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
        plan_mined = mine(plan_index, plan_items, adapter_of=adapter_of)
        plan_dev = [m for m in plan_mined if m.item.split == "dev" and m.item.text not in
                    {i.text for i in plan_items if i.split == "test"}]
        # each dev question scored by the fold model that did not see it
        model_of = {m.item.text: model for m, model in zip(dev_m, fold_models)}
        plan_top = []
        for m in plan_dev:
            if not m.item.in_scope:
                continue
            model = model_of.get(m.item.text, reranker)  # the fold of the same question text
            plan_top.append(float(model.predict(m.x).max()) if len(m.y) else 0.0)
        thr_plan = choose_threshold(plan_top)
        thr = min(thr_lib, thr_plan)
        plan_note = (f"Threshold candidates: library dev (out-of-fold) {thr_lib:.3f}, plan-alone dev "
                     f"(out-of-fold) {thr_plan:.3f}; the smaller one is kept, so both stay within "
                     f"{MAX_FALSE_ABSTENTION:.0%} false abstention on dev.")
        plan_test = [m for m in plan_mined if m.item.split == "test"]
        plan_lines = abstention_lines("plan alone, test", plan_test, reranker, thr)
        plan_retrieval = retrieval_table(plan_test, reranker, lambda m: f"{m.item.file} / {m.item.type}")
        augmented_lines = augmented_alternative(dev_m, plan_dev, test_m, plan_test, c, pair_weight)
    reranker.abstain_below = thr
    reranker.adapter = adapters[None]
    # cross_validate's folds are fold_of_text's (the same function over the same questions)
    assert _folds(dev_m) == [fold_of[m.item.text] for m in dev_m], "reranker and adapter folds differ"
    for model, m in zip(fold_models, dev_m):
        model.adapter = adapters[fold_of[m.item.text]]
    reranker.meta = {
        "trained_on": f"dev split of {', '.join(files)} over {args.home.name} ({len(index.records)} records)",
        "candidates": {"top": TOP, "first_stage_candidates": CANDIDATES, "dense_weight": DENSE_WEIGHT},
        "C": c, "pair_weight": pair_weight, "dev_questions": len(dev_m), "pairs": len(y), "positives": int(y.sum()),
        "abstain_rule": f"abstain when max probability < abstain_below (≤{MAX_FALSE_ABSTENTION:.0%} "
                        "false abstention on dev, library and plan alone)",
        "trained": time.strftime("%Y-%m-%d"),
    }
    reranker.save(args.out)
    save_fold_models(dev_m, fold_models, args.folds_out)
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
        features(index, m.item.text, m.hits, m.item.intent, adapter=reranker.adapter)  # departments: the dictionary's
        feats.append((time.perf_counter() - t0) * 1000)

    # ---- absurd questions
    homes = [("library", index)] + ([("plan alone", plan_index)] if not args.no_plan else [])
    absurd = absurd_lines(homes, reranker)

    # ---- first stage
    fs_lines = [] if args.no_first_stage else first_stage_variants(index, items, reranker)

    # ---- report
    report = render_report(
        started=started, home=args.home, n_records=len(index.records), files=files, dev_m=dev_m, test_m=test_m,
        y=y, first_stage_dev=first_stage_dev, cv_rows=cv_rows, c=c, pair_weight=pair_weight, thr=thr, reranker=reranker,
        plan_note=plan_note, plan_lines=plan_lines, augmented_lines=augmented_lines, absurd=absurd,
        plan_retrieval=plan_retrieval, step=step, feats=feats, enc=enc, fs_lines=fs_lines)
    args.report.write_text(report, encoding="utf-8")
    print(f"wrote {args.report}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
