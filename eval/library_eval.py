"""Evaluating the library benchmark's question files (:mod:`eval.library`) and summarizing
across them: :func:`evaluate_file` runs one file over the whole library (no document filter),
:func:`evaluate_library` every file, :func:`summarize` pools their questions; the result is a
:class:`LibraryResult` (rendered by :mod:`eval.library_report`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from corpus.config import MODES, REPO_ROOT, Settings
from eval import metrics as M
from eval.library_report import ALL, SUMMARY_METRICS
from eval.progress import progress_reporter
from eval.questions import Problem, QuestionFileError, load_questions
from eval.result import EvalResult
from eval.run import AnswerFn, run
from eval.tables import jsonable


# ---------------------------------------------------------------- evaluation
@dataclass
class FileResult:
    """One question file: its result, or why it has none."""

    name: str
    path: Path
    result: EvalResult | None = None
    problems: list[Problem] = field(default_factory=list)
    #: Set when the file could not be evaluated (the run fails).
    error: str | None = None
    #: Set when the file has nothing to evaluate in the split (not a failure).
    note: str | None = None

    @property
    def folder(self) -> str:
        return self.name.removesuffix(".jsonl")


@dataclass
class LibraryResult:
    settings: dict[str, Any]
    files: list[FileResult]
    summary: dict[str, Any]

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.error]

    def to_dict(self) -> dict[str, Any]:
        files = {}
        for f in self.files:
            entry: dict[str, Any] = {"path": str(f.path), "error": f.error, "note": f.note}
            if f.result is not None:
                data = f.result.to_dict()
                data.pop("questions")
                entry.update(data, details=f"{f.folder}/results.json")
            else:
                entry["problems"] = [p.to_dict() for p in f.problems]
            files[f.name] = entry
        return jsonable({"settings": self.settings, "summary": self.summary, "files": files})


def display_path(path: Path) -> str:
    """``path`` relative to the repository when inside it (for titles and messages)."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def evaluate_file(path: Path, index: Any, split: str, answer_fn: AnswerFn | None,
                  settings: Settings, strict: bool = False,
                  progress: Callable[[float, str], None] | None = None,
                  modes: Sequence[str] = MODES) -> FileResult:
    """Run one question file over the whole library (no document filter)."""
    entry = FileResult(path.name, path)
    try:
        questions, entry.problems = load_questions(path, strict=strict, split=split)
    except (QuestionFileError, OSError) as exc:
        entry.error = str(exc)
        return entry
    if not questions:
        entry.note = f"no valid questions in split {split}"
        return entry
    try:
        entry.result = run(questions, index, modes=modes, answer_fn=answer_fn,
                           fusion=settings.fusion, dense_weight=settings.dense_weight,
                           rerank=settings.rerank,
                           candidates=settings.candidates, split=split, progress=progress,
                           source=display_path(path), strict=strict)
    except ValueError as exc:
        entry.error = str(exc)
        return entry
    entry.result.problems = [p.to_dict() for p in entry.problems] + entry.result.problems
    return entry


def evaluate_library(index: Any, paths: Sequence[Path], settings: Settings,
                     split: str = "all", answer_fn: AnswerFn | None = None,
                     strict: bool = False, modes: Sequence[str] = MODES,
                     progress_stream: Any = None, info: Mapping[str, Any] | None = None,
                     ) -> LibraryResult:
    """Evaluate every question file in ``paths`` on ``index``; summarize across files."""
    files = []
    for path in paths:
        with progress_reporter(f"eval {path.stem}", stream=progress_stream) as say:
            files.append(evaluate_file(path, index, split, answer_fn, settings, strict, say,
                                       modes))
    lib_settings = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "split": split,
                    "modes": list(modes), "answers": answer_fn is not None, "strict": strict,
                    **(info or {})}
    return LibraryResult(lib_settings, files, summarize(files, modes))


# ---------------------------------------------------------------- summary
def _pooled(files: Sequence[FileResult], modes: Sequence[str]):
    """Qrels, runs and types of every evaluated question, ids prefixed with the file."""
    qrels: dict[str, dict[str, int]] = {}
    runs: dict[str, dict[str, dict[str, float]]] = {m: {} for m in modes}
    types: dict[str, str] = {}
    for f in files:
        if f.result is None:
            continue
        for qid, gold in f.result.qrels().items():
            qrels[f"{f.folder}/{qid}"] = gold
        for q in f.result.questions:
            types[f"{f.folder}/{q['id']}"] = q["type"]
        for mode in modes:
            if mode in f.result.modes:
                for qid, ranked in f.result.ranked(mode).items():
                    runs[mode][f"{f.folder}/{qid}"] = dict(ranked)
    return qrels, runs, types


def _answers(files: Sequence[FileResult]) -> dict[str, Any] | None:
    """Answer counts summed over files (abstention, near/far, led clauses first)."""
    scored = [f.result.answers for f in files if f.result is not None and f.result.answers]
    if not scored:
        return None

    def total(*keys: str) -> int:
        out = 0
        for a in scored:
            value: Any = a
            for key in keys:
                value = (value or {}).get(key)
            out += int(value or 0)
        return out

    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    tp, fp, fn = (total("abstention", x) for x in ("tp", "fp", "fn"))
    out = {
        "n": total("n"),
        "abstention": {"tp": tp, "fp": fp, "fn": fn, "tn": total("abstention", "tn"),
                       "precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn)},
        "false_abstention": {"n": total("false_abstention", "n"), "abstained": fp,
                             "rate": ratio(fp, total("false_abstention", "n"))},
        "lead_first": {"n": total("lead_first", "n"), "correct": total("lead_first", "correct"),
                       "value": ratio(total("lead_first", "correct"), total("lead_first", "n"))},
        "errors": sum(len(a.get("errors") or []) for a in scored),
    }
    for name in ("abstention_near", "abstention_far"):
        n, hit = total(name, "n"), total(name, "abstained")
        out[name] = {"n": n, "abstained": hit, "recall": ratio(hit, n)}
    return out


def summarize(files: Sequence[FileResult], modes: Sequence[str] = MODES) -> dict[str, Any]:
    """``{"retrieval": {file | ALL: {mode: {metric, "n"}}}, "by_type": {mode: {type: …}},
    "recall_curves": {mode: […]}, "answers": pooled counts or None}``."""
    retrieval: dict[str, dict[str, dict[str, float]]] = {}
    for f in files:
        if f.result is not None:
            n = f.result.settings["n_in_scope"]
            retrieval[f.name] = {m: {**{x: f.result.retrieval[m].get(x) for x in SUMMARY_METRICS},
                                     "n": n} for m in f.result.modes}
    qrels, runs, types = _pooled(files, modes)
    if len(retrieval) > 1:
        retrieval[ALL] = {m: {**M.evaluate(qrels, runs[m], SUMMARY_METRICS), "n": len(qrels)}
                          for m in modes}
    return {
        "retrieval": retrieval,
        "by_type": {m: M.evaluate_groups(qrels, runs[m], types, SUMMARY_METRICS) for m in modes},
        "recall_curves": {m: M.recall_curve(qrels, runs[m], 10) if qrels else [] for m in modes},
        "answers": _answers(files),
        "n_questions": sum(f.result.settings["n_questions"] for f in files if f.result),
        "n_skipped": sum(len(f.result.problems) if f.result else len(f.problems) for f in files),
    }
