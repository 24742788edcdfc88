"""Run a question set through the index (and optionally the answer layer) and score it.

>>> questions, _ = load_questions("eval/questions/plan.jsonl")        # doctest: +SKIP
>>> result = run(questions, open_index(), answer_fn=qa_answer_fn(idx))  # doctest: +SKIP
>>> result.retrieval["hybrid"]["mrr@10"]                               # doctest: +SKIP
0.83
>>> write_report(result, Path("eval/report"))  # eval.report             # doctest: +SKIP

The index is anything with ``HybridIndex.search``'s signature whose hits have
``.record.id`` and ``.score``. ``answer_fn(question dict) -> Answer.to_dict()``; use
:func:`qa_answer_fn` for the real answer layer (``qa.answer``, imported lazily).
The result is an :class:`eval.result.EvalResult`; tuning the hybrid settings is
:mod:`eval.tuning`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

from corpus.config import MODES
from corpus.errors import PolicyError
from eval import answer_scoring as A
from eval import metrics as M
from eval.gold import RecordCatalog, resolve_gold
from eval.questions import Question, select_split
from eval.result import EvalResult
from eval.trec import rank_scores

AnswerFn = Callable[[dict[str, Any]], Mapping[str, Any]]
Progress = Callable[[float, str], None]


class Searcher(Protocol):
    """What eval needs of :class:`index.HybridIndex`."""

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: Any = None,
               fusion: str = "weighted", dense_weight: float = 0.5,
               candidates: int = 100) -> list[Any]: ...


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    """``{"p50", "p95", "mean", "max", "n"}`` in milliseconds (NaN when empty)."""
    if not values_ms:
        return {"p50": math.nan, "p95": math.nan, "mean": math.nan, "max": math.nan, "n": 0}
    arr = np.asarray(values_ms, dtype=float)
    return {"p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95)),
            "mean": float(arr.mean()), "max": float(arr.max()), "n": len(arr)}


def _check_modes(modes: Iterable[str]) -> list[str]:
    modes = list(dict.fromkeys(modes))
    if not modes:
        raise ValueError("no modes to evaluate")
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise ValueError(f"unknown mode(s) {', '.join(unknown)}; choose from {', '.join(MODES)}")
    return modes


def _filters_for(question: Question, doc_filter: bool) -> Any:
    if not (doc_filter and question.doc):
        return None
    from index import Filters

    return Filters(doc=question.doc)


def metrics_for(k: int) -> list[str]:
    """The metrics :data:`eval.metrics.METRICS` a run with cutoff ``k`` computes."""
    if k < 1:
        raise ValueError("k must be at least 1")
    return [m for m in M.METRICS if (M.cutoff(m) or 0) <= k]


def timed_search(index: Searcher, question: Question, mode: str, k: int, options: dict,
                 doc_filter: bool) -> tuple[list[str], list[float], float]:
    """``(record ids, scores, milliseconds)`` of one search (a refused question: no hits)."""
    clear = getattr(index, "clear_query_cache", None)
    if clear is not None:
        clear()  # each timed search pays for its own query encoding
    start = time.perf_counter()
    query: Any = question.question  # with the second stage: a Query, which carries the intent
    try:
        if options.get("rerank"):
            from qa import make_query

            query = make_query(question.question)
        hits = index.search(query, k=k, mode=mode, filters=_filters_for(question, doc_filter), **options)
    except PolicyError:  # a question the product refuses (no words in it): no hits
        hits = []
    elapsed = (time.perf_counter() - start) * 1000
    return [h.record.id for h in hits], [float(h.score) for h in hits], elapsed


def qa_answer_fn(index: Any, settings: Any = None, doc_filter: bool = False,
                 measures: list | None = None, documents: Sequence[Any] = ()) -> AnswerFn:
    """``answer_fn`` calling the real answer layer: ``qa.answer(question, index, filters,
    settings, measures, documents).to_dict()`` — the same call the core makes for users."""
    from qa import answer

    def answer_fn(question: dict[str, Any]) -> Mapping[str, Any]:
        q = Question(id=question["id"], question=question["question"], type=question["type"],
                     gold=(), doc=question.get("doc"))
        filters = _filters_for(q, doc_filter)
        try:
            return answer(question["question"], index, filters=filters, settings=settings,
                          measures=measures, documents=documents).to_dict()
        except PolicyError as exc:  # refused (a question without words): the user gets no answer
            return {"question": question["question"], "abstained": True, **exc.to_dict()}

    return answer_fn


def _answer_summary(question: Question, answer: Mapping[str, Any],
                    lead_ids: Sequence[str] | None = None) -> dict[str, Any]:
    departments = answer.get("departments") or {}
    text = answer.get("answer") or ""
    citations = A.citation_ids(answer)
    return {
        "intent": answer.get("intent"), "abstained": bool(answer.get("abstained", False)),
        "answer": text, "notice": answer.get("notice", ""),
        "lead": list(departments.get("lead") or []),
        "citations": citations,
        "lead_ok": None if question.lead is None else set(departments.get("lead") or [])
        == set(question.lead),
        "contains_ok": None if question.contains is None
        else all(s in text for s in question.contains),
        "lead_first": A.lead_first(lead_ids, citations) if lead_ids else None,
    }


def run(questions: Sequence[Question], index: Searcher, modes: Sequence[str] = MODES,
        k: int = 10, answer_fn: AnswerFn | None = None, split: str | None = None,
        fusion: str = "weighted", dense_weight: float = 0.5, candidates: int = 100,
        rerank: bool = False, doc_filter: bool = False, stat_tests: Sequence[str] = M.STAT_TESTS,
        max_p: float = 0.05, warmup: bool = True, progress: Progress | None = None,
        source: str | None = None, strict: bool = False) -> EvalResult:
    """Search every question in every mode (timed), answer it if ``answer_fn``, score all.

    Gold ids are first expanded against the index's records (``index.records``; an index
    without them takes the ids as written): a part, section, chapter or whole document
    stands for every record inside it. A question whose gold names nothing raises
    :class:`eval.gold.UnknownGoldError` with ``strict``; otherwise it is skipped and
    listed in ``result.problems`` (line, question id, gold id).

    ``split`` ("dev" | "test" | None/"all") selects questions; ``fusion``/``dense_weight``/
    ``candidates`` go to ``index.search`` (hybrid uses them); ``doc_filter`` restricts
    questions that carry ``doc`` to that document. With ``warmup`` one untimed search per
    mode runs first so model/JIT start-up is not counted in latency. Metrics with a
    cutoff above ``k`` are left out. Raises ``ValueError`` for bad modes/k/split or when
    no question remains.
    """
    modes = _check_modes(modes)
    metric_names = metrics_for(k)
    questions = select_split(questions, split)
    if not questions:
        raise PolicyError("empty_question_file", f"no questions to evaluate (split {split or 'all'})",
                          "choose another split, or add questions")
    resolved = resolve_gold(questions, RecordCatalog.from_index(index), strict=strict,
                            source=source)
    questions = resolved.questions
    if not questions:
        first = resolved.problems[0]
        where = f"{source or '<questions>'}:{first.line}: " if first.line is not None else ""
        raise PolicyError(
            "unknown_gold", f"no question left to evaluate: every question's gold names something "
            f"not in the index, e.g. {where}{first.reason}",
            "add the question set's documents (policyqa corpus build PATHS…) or fix the ids")
    gold = resolved.qrels
    say = progress or (lambda fraction, message: None)
    options = {"fusion": fusion, "dense_weight": dense_weight, "candidates": candidates}
    if rerank:  # the second stage re-orders hybrid only; indexes in tests may not take it
        options["rerank"] = True
    if warmup:
        for mode in modes:
            index.search(questions[0].question, k=k, mode=mode, **options)

    per_question: list[dict[str, Any]] = []
    latencies: dict[str, list[float]] = {mode: [] for mode in modes}
    answer_latency: list[float] = []
    answers: dict[str, Mapping[str, Any]] = {}
    errors: list[dict[str, str]] = []
    steps = len(questions) * (len(modes) + (1 if answer_fn else 0))
    done = 0
    for number, q in enumerate(questions, 1):
        entry: dict[str, Any] = {"id": q.id, "type": q.type, "split": q.split,
                                 "question": q.question, "gold": list(q.gold), "retrieval": {}}
        if q.grades is not None:
            entry["grades"] = list(q.grades)
        if q.gold:
            entry["qrels"] = gold[q.id]
        for name in ("dept", "lead_gold", "near"):
            if getattr(q, name) is not None:
                value = getattr(q, name)
                entry[name] = list(value) if isinstance(value, tuple) else value
        counter = f"{number}/{len(questions)}"
        for mode in modes:
            ids, scores, elapsed = timed_search(index, q, mode, k, options, doc_filter)
            latencies[mode].append(elapsed)
            entry["retrieval"][mode] = {"ids": ids, "scores": scores, "latency_ms": elapsed,
                                        "first_gold_rank": M.first_relevant_rank(gold[q.id], ids)
                                        if q.gold else None}
            done += 1
            say(done / steps, f"{mode} {counter} {q.id}")
        if answer_fn is not None:
            error = None
            start = time.perf_counter()
            try:
                answer = dict(answer_fn(q.to_dict()))
            except Exception as exc:  # noqa: BLE001 — one failing question must not lose the run
                answer = {}
                error = f"{type(exc).__name__}: {exc}"
                errors.append({"id": q.id, "error": error})
            answer_latency.append((time.perf_counter() - start) * 1000)
            answers[q.id] = answer
            entry["answer"] = {**_answer_summary(q, answer, resolved.lead_gold.get(q.id)),
                               "latency_ms": answer_latency[-1], "error": error}
            done += 1
            say(done / steps, f"answer {counter} {q.id}")
        per_question.append(entry)

    runs = {mode: {e["id"]: dict(rank_scores(e["retrieval"][mode]["ids"], k)) for e in per_question}
            for mode in modes}
    say(1.0, "metrics")
    retrieval = {mode: M.evaluate(gold, runs[mode], metric_names) for mode in modes}
    by_type = {mode: M.evaluate_by_type(questions, runs[mode], metric_names, qrels=gold)
               for mode in modes}
    curves = {mode: M.recall_curve(gold, runs[mode], min(k, 10)) if gold else [] for mode in modes}
    latency = {mode: latency_summary(latencies[mode]) for mode in modes}
    if answer_fn is not None:
        latency["answer"] = latency_summary(answer_latency)
    test_metrics = [m for m in M.TEST_METRICS if m in metric_names]
    sig = (M.significance(gold, runs, "hybrid", metrics=test_metrics, stat_tests=stat_tests,
                          max_p=max_p) if "hybrid" in modes and len(modes) > 1 and test_metrics
           else None)
    answer_scores = None
    if answer_fn is not None:
        answer_scores = {**A.answer_metrics(questions, answers, resolved.lead_gold),
                         "errors": errors}
    abstention = {}
    for mode in modes:
        top = {e["id"]: (e["retrieval"][mode]["scores"] or [0.0])[0] for e in per_question}
        inside = [top[q.id] for q in questions if q.in_scope]
        outside = [top[q.id] for q in questions if not q.in_scope]
        if inside and outside:
            abstention[mode] = A.best_sweep_row(A.abstention_sweep(inside, outside))
    settings = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source, "modes": modes, "k": k, "split": split or "all", "fusion": fusion,
        "dense_weight": dense_weight, "candidates": candidates, "rerank": rerank,
        "doc_filter": doc_filter,
        "metrics": metric_names, "stat_tests": list(stat_tests), "max_p": max_p,
        "warmup": warmup, "answers": answer_fn is not None,
        "n_questions": len(questions), "n_in_scope": len(gold),
        "n_out_of_scope": sum(not q.in_scope for q in questions),
        "index": _index_info(index), "missing_gold": resolved.missing,
        "n_skipped": len(resolved.problems), "strict": strict,
    }  # fmt: skip
    return EvalResult(settings=settings, retrieval=retrieval, by_type=by_type,
                      recall_curves=curves, latency_ms=latency, significance=sig,
                      answers=answer_scores, abstention=abstention, questions=per_question,
                      problems=[p.to_dict() for p in resolved.problems])


def missing_gold(questions: Iterable[Question], index: Any) -> list[str]:
    """Gold ids (``gold`` and ``lead_gold``) that name no record of the index (a document
    missing from the corpus, or a stale gold label); [] when the index has no records."""
    catalog = RecordCatalog.from_index(index)
    if catalog is None:
        return []
    ids = {g for q in questions for g in (*q.gold, *(q.lead_gold or ()))}
    return sorted(g for g in ids if not catalog.expand(g))


def _index_info(index: Any) -> dict[str, Any]:
    """Model, corpus hash, counts and settings of the index evaluated (a HybridIndex's
    manifest; nothing for stand-in indexes in tests)."""
    manifest = getattr(index, "manifest", None)
    if manifest is None:
        return {}
    data = manifest.to_dict() if hasattr(manifest, "to_dict") else dict(manifest)  # stand-ins: a dict
    return {key: data[key] for key in ("model", "corpus_hash", "counts", "settings") if key in data}


__all__ = [
    "AnswerFn",
    "Progress",
    "Searcher",
    "latency_summary",
    "metrics_for",
    "missing_gold",
    "qa_answer_fn",
    "run",
    "timed_search",
]
