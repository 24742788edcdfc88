"""Tuning hybrid search on the dev split: :func:`tune` grid-searches fusion × dense weight
(``python -m eval.choose`` picks the defaults with it)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from corpus.config import FUSIONS
from eval import metrics as M
from eval.gold import RecordCatalog, resolve_gold
from eval.questions import Question, select_split
from eval.run import Progress, Searcher, metrics_for, timed_search
from eval.trec import rank_scores

DENSE_WEIGHTS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


@contextmanager
def _memoized_query_vectors(index: Any) -> Iterator[None]:
    """Encode each distinct query once while tuning (the grid repeats every query)."""
    original = getattr(index, "encode_query", None)
    if original is None:
        yield
        return
    had_own = "encode_query" in vars(index)
    cache: dict[str, Any] = {}

    def cached(query: str) -> Any:
        if query not in cache:
            cache[query] = original(query)
        return cache[query]

    index.encode_query = cached
    try:
        yield
    finally:
        if had_own:
            index.encode_query = original
        else:
            del index.encode_query


def tune(questions_dev: Sequence[Question], index: Searcher,
         fusions: Sequence[str] = FUSIONS, dense_weights: Sequence[float] = DENSE_WEIGHTS,
         k: int = 10, candidates: int = 100, split: str | None = "dev",
         progress: Progress | None = None) -> list[dict[str, Any]]:
    """Grid-search hybrid fusion × dense weight on the dev split, best first.

    Rows ``{"fusion", "dense_weight", "recall@1" … "ndcg@10", "n"}`` sorted by MRR@10,
    then Recall@5 (descending), then fusion name and weight for a stable order; the
    first row is the setting to use (``POLICYQA_FUSION`` / ``POLICYQA_DENSE_WEIGHT``).
    ``split=None`` uses every question given. Query vectors are computed once per query.
    """
    metric_names = metrics_for(k)
    resolved = resolve_gold([q for q in select_split(questions_dev, split) if q.gold],
                            RecordCatalog.from_index(index))
    questions, gold = resolved.questions, resolved.qrels
    if not questions:
        raise ValueError(f"no in-scope questions to tune on (split {split or 'all'})")
    say = progress or (lambda fraction, message: None)
    grid = [(f, w) for f in fusions for w in dense_weights]
    rows = []
    with _memoized_query_vectors(index):
        for i, (fusion, weight) in enumerate(grid):
            say(i / len(grid), f"{fusion} {weight}")
            options = {"fusion": fusion, "dense_weight": weight, "candidates": candidates}
            run_dict = {}
            for q in questions:
                ids, _, _ = timed_search(index, q, "hybrid", k, options, doc_filter=False)
                run_dict[q.id] = dict(rank_scores(ids, k))
            rows.append({"fusion": fusion, "dense_weight": weight,
                         **M.evaluate(gold, run_dict, metric_names), "n": len(questions)})
    say(1.0, "done")
    rows.sort(key=lambda r: (-r.get("mrr@10", 0.0), -r.get("recall@5", 0.0), r["fusion"],
                             r["dense_weight"]))
    return rows
