"""Choose the index's fusion and the answer's abstention thresholds on the dev split.

``python -m eval.choose [--questions eval/questions/plan.jsonl] [--out eval/report/choices.md]``

1. fusion × dense weight grid (:func:`eval.tuning.tune`), hybrid MRR@10 then Recall@5;
2. BM25 with and without CJK character bigrams, at the chosen fusion;
3. abstention: "abstain when the best dense similarity < D and fewer than C of the
   question's words occur in the best clauses" — the (D, C) with the highest
   abstention recall whose false-abstention rate on in-scope questions is ≤ 5 %
   (ties: the higher D, which prefers abstaining).
Only dev questions are used; the report then compares with the defaults in
``corpus/config.py`` so a drift is visible.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from corpus.config import Settings, get_settings
from eval.questions import load_questions
from eval.run import run
from eval.tuning import tune

DENSE_GRID = [round(0.85 + 0.002 * i, 3) for i in range(26)]
COVERAGE_GRID = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
MAX_FALSE_ABSTENTION = 0.05


def _index_copy(settings: Settings, home: Path, **changes):
    from index import build_index, open_index

    for name in ("corpus", "index"):
        shutil.copytree(settings.home / name, home / name, symlinks=False)
    variant = replace(settings, home=home, **changes)
    build_index(variant)  # re-uses every vector: only BM25 changes
    return open_index(variant, rebuild=False)


def abstention_grid(questions, index) -> list[dict]:
    from qa.answer import coverage, make_query

    signals = []
    for q in questions:
        query = make_query(q.question)
        if query.intent in ("lookup", "dept_tasks"):
            continue  # answered without the abstention test
        retrieval = index.retrieve(query, k=5)
        signals.append((not q.gold, retrieval.best_dense, coverage(query, retrieval.hits)))
    rows = []
    for dense, cover in itertools.product(DENSE_GRID, COVERAGE_GRID):
        abstain = [(oos, d < dense and c < cover) for oos, d, c in signals]
        out = [a for oos, a in abstain if oos]
        inside = [a for oos, a in abstain if not oos]
        rows.append({"dense": dense, "coverage": cover,
                     "recall": sum(out) / max(len(out), 1),
                     "false_abstention": sum(inside) / max(len(inside), 1),
                     "n_out": len(out), "n_in": len(inside)})
    ok = [r for r in rows if r["false_abstention"] <= MAX_FALSE_ABSTENTION]
    ok.sort(key=lambda r: (-r["recall"], r["false_abstention"], -r["dense"], -r["coverage"]))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.choose", description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, default=Path("eval/questions/plan.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("eval/report/choices.md"))
    args = parser.parse_args()
    from index import open_index

    settings = get_settings()
    questions, _ = load_questions(args.questions, split="dev")
    index = open_index(settings)
    grid = tune(questions, index, fusions=("weighted", "rrf"),
                dense_weights=[0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    best = grid[0]
    lines = [f"# Choices made on the dev split — {args.questions}", "",
             (f"{time.strftime('%Y-%m-%d %H:%M')} · {len(questions)} dev questions · "
             "regenerate with `python -m eval.choose`"), "",
             "## 1. Fusion (hybrid, in-scope dev questions)", "",
             "| fusion | dense weight | MRR@10 | R@1 | R@5 | R@10 |", "|---|---|---|---|---|---|"]
    for r in grid:
        lines.append(f"| {r['fusion']} | {r['dense_weight']} | {r['mrr@10']:.3f} | "
                     f"{r['recall@1']:.3f} | {r['recall@5']:.3f} | {r['recall@10']:.3f} |")
    lines += ["", (f"Best: **{best['fusion']} {best['dense_weight']}**. "
              f"Default in corpus/config.py: {settings.fusion} {settings.dense_weight}."), "",
              "## 2. BM25 tokens: jieba words, with and without CJK character bigrams", "",
              "| bigrams | bm25 MRR@10 | bm25 R@5 | hybrid MRR@10 | hybrid R@5 |", "|---|---|---|---|---|"]
    for bigrams in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            variant = _index_copy(settings, Path(tmp), bm25_bigrams=bigrams)
            result = run(questions, variant, modes=("bm25", "hybrid"), fusion=best["fusion"],
                         dense_weight=best["dense_weight"])
        r = result.retrieval
        lines.append(f"| {bigrams} | {r['bm25']['mrr@10']:.3f} | {r['bm25']['recall@5']:.3f} | "
                     f"{r['hybrid']['mrr@10']:.3f} | {r['hybrid']['recall@5']:.3f} |")
    lines += ["", f"Default in corpus/config.py: bigrams {settings.bm25_bigrams}.", "",
              "## 3. Abstention thresholds", "",
              f"Rows with false abstention ≤ {MAX_FALSE_ABSTENTION:.0%}, best first (top 10).", "",
              "| dense < | coverage < | abstention recall | false abstention | out / in |",
              "|---|---|---|---|---|"]
    rows = abstention_grid(questions, index)
    for r in rows[:10]:
        lines.append(f"| {r['dense']} | {r['coverage']} | {r['recall']:.3f} | "
                     f"{r['false_abstention']:.3f} | {r['n_out']} / {r['n_in']} |")
    if rows:
        lines += ["", (f"Chosen: dense {rows[0]['dense']}, coverage {rows[0]['coverage']}. Defaults in "
                  f"corpus/config.py: {settings.abstain_dense}, {settings.abstain_coverage}.")]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(args.out)


if __name__ == "__main__":
    main()
