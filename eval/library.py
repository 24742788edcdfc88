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

Evaluating the files and summarizing across them is :mod:`eval.library_eval`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from corpus.config import REPO_ROOT, Settings
from corpus.errors import PolicyError
from corpus.report import BuildReport
from eval.library_eval import display_path, evaluate_library
from eval.library_report import summary_lines, write_library_report
from eval.progress import progress_reporter
from eval.questions import Problem
from eval.run import qa_answer_fn

DOCUMENTS = REPO_ROOT / "eval" / "library" / "documents.txt"
QUESTIONS_DIR = REPO_ROOT / "eval" / "questions"
QUESTION_GLOB = "library-*.jsonl"
REPORT_DIR = REPO_ROOT / "eval" / "report-library"

__all__ = [
    "DOCUMENTS",
    "QUESTIONS_DIR",
    "QUESTION_GLOB",
    "REPORT_DIR",
    "LibraryError",
    "build_library",
    "lawrefbook_dir",
    "main",
    "parse_args",
    "prune_documents",
    "question_files",
    "read_documents",
]


class LibraryError(PolicyError):
    """A problem the user can fix (missing shared corpus, no question files, …); the message
    names the file and what is wrong."""

    def __init__(self, message: str):
        super().__init__("library_benchmark", message,
                         "check eval/library/documents.txt and POLICYQA_SHARED (the folder holding corpora/lawrefbook)")


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
    from corpus.docstore import remove_document
    from corpus.sources import doc_id_for

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
                  progress: Callable[[float, str], None] | None = None) -> tuple[Any, BuildReport]:
    """``(index, corpus report)``: the corpus of the plan + ``documents`` in
    ``settings.home``, and its index (rebuilt only when stale)."""
    import corpus
    from index import open_index

    prune_documents(settings, documents)
    report = corpus.build(settings, paths=list(documents))
    index = open_index(settings, progress=progress)
    return index, report


def question_files(folder: Path) -> list[Path]:
    """The ``library-*.jsonl`` files of ``folder``, sorted."""
    return sorted(Path(folder).glob(QUESTION_GLOB))


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
        say(f"corpus: {report.records} records in {len(report.documents)} documents; "
            f"index ready in {build_s:.1f} s", err)
        from corpus import load_measures
        from corpus.sources import discover

        held = {r.doc_id for r in index.records}  # as the core does: documents the index holds
        manifests = [d.manifest for d in discover(settings.docs_dir, settings.user_docs_dir)
                     if d.manifest.doc_id in held]
        answer_fn = None if args.no_answers else qa_answer_fn(index, settings, measures=load_measures(settings),
                                                              documents=manifests)
        info = {"documents": [str(p.relative_to(root)) for p in documents],
                "records": report.records, "corpus_hash": report.corpus_hash,
                "model": index.manifest.model.id,
                "home": str(settings.home), "build_s": build_s}
        start = time.perf_counter()
        lib = evaluate_library(index, paths, settings, split=args.split, answer_fn=answer_fn,
                               strict=args.strict, progress_stream=err, info=info)
        lib.settings["eval_s"] = time.perf_counter() - start
    except (PolicyError, OSError) as exc:  # a user-fixable problem; anything else is a bug and shows
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
