"""The library benchmark: the plan plus related national laws, every question file at once.

``python -m eval.library [--split dev|test|all] [--report DIR] [--home DIR] [--no-answers]``
(``make eval-library``):

1. reads the versioned document list ``eval/library/documents.txt`` (paths under
   ``$POLICYQA_SHARED/corpora/lawrefbook/``);
2. builds a library home (default ``.policyqa/library``) with those documents and opens
   its index — rebuilt only when stale, re-using the vectors of unchanged texts, so a
   second run is fast;
3. evaluates each ``eval/questions/library-*.jsonl`` that exists, with no document filter
   (gold is expanded against the library's records: parts, chapters, whole documents);
4. writes ``report.md`` (summary across files, by type, answers, then a section per file),
   ``results.json``, plots and per-file sub-folders (``library-plan/`` …: report.md,
   plots, results.json with every question, TREC qrels and runs) —
   rendered by :mod:`eval.library_report`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from corpus.config import REPO_ROOT, Settings
from eval import metrics as M
from eval.library_report import (
    ALL,
    SUMMARY_METRICS,
    render_library_markdown,
    summary_lines,
    write_library_report,
)
from eval.progress import progress_reporter
from eval.questions import Problem, QuestionFileError, load_questions
from eval.run import MODES, AnswerFn, EvalResult, _jsonable, qa_answer_fn, run

DOCUMENTS = REPO_ROOT / "eval" / "library" / "documents.txt"
QUESTIONS_DIR = REPO_ROOT / "eval" / "questions"
QUESTION_GLOB = "library-*.jsonl"
REPORT_DIR = REPO_ROOT / "eval" / "report-library"

# The report is rendered by eval.library_report; its public names stay importable from here.
__all__ = [
    "ALL",
    "DOCUMENTS",
    "QUESTIONS_DIR",
    "QUESTION_GLOB",
    "REPORT_DIR",
    "SUMMARY_METRICS",
    "FileResult",
    "LibraryError",
    "LibraryResult",
    "build_library",
    "display_path",
    "evaluate_file",
    "evaluate_library",
    "lawrefbook_dir",
    "main",
    "parse_args",
    "prune_documents",
    "question_files",
    "read_documents",
    "render_library_markdown",
    "summarize",
    "summary_lines",
    "write_library_report",
]


class LibraryError(Exception):
    """A problem the user can fix (missing shared corpus, no question files, …)."""


# ---------------------------------------------------------------- documents
def lawrefbook_dir(settings: Settings) -> Path:
    """Where the document list's paths live: ``<shared>/corpora/lawrefbook``."""
    return settings.shared / "corpora" / "lawrefbook"


def read_documents(list_path: Path, root: Path) -> list[Path]:
    """The documents of ``list_path`` (one path under ``root`` a line; ``#`` comments and
    blank lines skipped). Raises :class:`LibraryError` naming the list, the missing file
    and ``POLICYQA_SHARED``."""
    try:
        lines = Path(list_path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LibraryError(f"cannot read the document list {list_path}: {exc}") from exc
    paths = []
    for number, line in enumerate(lines, 1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        path = root / entry
        if not path.is_file():
            hint = ("" if root.is_dir() else
                    f" ({root} does not exist: point POLICYQA_SHARED at the shared folder "
                    "that holds corpora/lawrefbook)")
            raise LibraryError(f"{list_path}:{number}: document {path} not found{hint}; set "
                               "POLICYQA_SHARED to the shared folder or fix the list")
        paths.append(path)
    if not paths:
        raise LibraryError(f"{list_path}: no documents listed")
    return paths


def prune_documents(settings: Settings, keep: Sequence[Path]) -> list[str]:
    """Remove documents added to ``settings``' home that the list no longer names (the
    library home holds exactly the listed documents); return their ids."""
    from corpus.sources import doc_id_for, remove_document

    root = settings.user_docs_dir
    if not root.is_dir():
        return []
    wanted = {doc_id_for(p) for p in keep}
    removed = []
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and not folder.name.startswith(".") and folder.name not in wanted \
                and (folder / "manifest.json").is_file():
            remove_document(folder.name, root)
            removed.append(folder.name)
    return removed


def build_library(settings: Settings, documents: Sequence[Path],
                  progress: Callable[[float, str], None] | None = None) -> tuple[Any, dict]:
    """``(index, corpus report)``: the corpus of the plan + ``documents`` in
    ``settings.home``, and its index (rebuilt only when stale)."""
    import corpus
    from index import open_index

    prune_documents(settings, documents)
    report = corpus.build(settings, paths=list(documents))
    index = open_index(settings, progress=progress)
    return index, report


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
        return _jsonable({"settings": self.settings, "summary": self.summary, "files": files})


def display_path(path: Path) -> str:
    """``path`` relative to the repository when inside it (for titles and messages)."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def question_files(folder: Path) -> list[Path]:
    """The ``library-*.jsonl`` files of ``folder``, sorted."""
    return sorted(Path(folder).glob(QUESTION_GLOB))


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


# ---------------------------------------------------------------- command
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m eval.library",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all",
                        help="only the questions of this split (default: all)")
    parser.add_argument("--report", type=Path, default=REPORT_DIR,
                        help=f"report folder (default {REPORT_DIR.relative_to(REPO_ROOT)})")
    parser.add_argument("--home", type=Path, default=None,
                        help="library home (default: <POLICYQA_HOME or .policyqa>/library)")
    parser.add_argument("--no-answers", action="store_true",
                        help="retrieval only; do not call the answer layer")
    parser.add_argument("--strict", action="store_true",
                        help="a malformed line or a gold id naming nothing fails its file "
                             "(default: such questions are skipped with a warning)")
    parser.add_argument("--documents", type=Path, default=DOCUMENTS,
                        help="document list (default eval/library/documents.txt)")
    parser.add_argument("--questions", type=Path, default=QUESTIONS_DIR,
                        help=f"folder of {QUESTION_GLOB} files (default eval/questions)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, stdout: Any = None, stderr: Any = None) -> int:
    """The command; returns the exit status (0 ok, 1 an error or a failed question file)."""
    args = parse_args(argv)
    out = stdout or sys.stdout
    err = stderr or sys.stderr

    def say(line: str, stream: Any = out) -> None:
        print(line, file=stream, flush=True)

    try:
        base = Settings()
        settings = Settings(home=args.home if args.home else base.home / "library")
        root = lawrefbook_dir(settings)
        documents = read_documents(args.documents, root)
        paths = question_files(args.questions)
        if not paths:
            raise LibraryError(f"no {QUESTION_GLOB} question files in {args.questions}")
        say(f"library home {settings.home}: the plan + {len(documents)} document(s) "
            f"from {args.documents}", err)
        start = time.perf_counter()
        with progress_reporter("index", stream=err) as progress:
            index, report = build_library(settings, documents, progress)
        build_s = time.perf_counter() - start
        say(f"corpus: {report['records']} records in {len(report['documents'])} documents; "
            f"index ready in {build_s:.1f} s", err)
        from corpus import load_measures

        answer_fn = None if args.no_answers else qa_answer_fn(index, settings, measures=load_measures(settings))
        info = {"documents": [str(p.relative_to(root)) for p in documents],
                "records": report["records"], "corpus_hash": report.get("corpus_hash"),
                "model": index.manifest.model.id,
                "home": str(settings.home), "build_s": build_s}
        start = time.perf_counter()
        lib = evaluate_library(index, paths, settings, split=args.split, answer_fn=answer_fn,
                               strict=args.strict, progress_stream=err, info=info)
        lib.settings["eval_s"] = time.perf_counter() - start
    except (LibraryError, ValueError, OSError, RuntimeError, ImportError) as exc:
        say(f"error: {exc}", err)
        return 1
    for f in lib.files:
        problems = ([Problem(p["line"], p["reason"]) for p in f.result.problems]
                    if f.result is not None else f.problems)
        for p in problems:
            say(f"warning: {display_path(f.path)}:{p.line}: {p.reason} (skipped)", err)
        if f.error:
            say(f"error: {f.name}: {f.error}", err)
    try:
        written = write_library_report(lib, args.report)
    except OSError as exc:
        say(f"error: cannot write the report: {exc}", err)
        return 1
    for line in summary_lines(lib):
        say(line)
    say(f"wrote {written['report']}")
    return 1 if lib.failed else 0


if __name__ == "__main__":
    sys.exit(main())
