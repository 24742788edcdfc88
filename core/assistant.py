"""``Assistant``: the one core object behind the CLI and the web app.

It owns the settings and the served index, and offers every operation a face needs::

    >>> a = Assistant(Settings())                                  # doctest: +SKIP
    >>> a.ask(parse_ask({"question": "谁牵头推动社区基础服务设施达标？"})).departments.lead
    ['省住建厅']                                                   # doctest: +SKIP

Reads (``ask``, ``search``, ``department_tasks``, ``targets``, ``documents``) take the
served index once per call; writes (``add``, ``remove``; :mod:`core.library_ops`) rebuild
corpus + index under one lock and swap the served index in one assignment, so requests in
flight keep the index they started with, and a failed rebuild puts the documents back and
keeps the old index. The rows the reads return are :mod:`core.rows`.
Every user-fixable problem is a :class:`PolicyError`; anything else is a bug and propagates.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import corpus
import qa
from core import library_ops
from core.library_ops import Progress
from core.requests import AskRequest, SearchRequest
from core.rows import DepartmentTasks, DocumentInfo, TargetRow, TaskRow
from corpus.config import MODES, Mode, Settings, get_settings
from corpus.departments import load_dictionary
from corpus.errors import PolicyError
from corpus.sources import discover
from index import HybridIndex, open_index
from index.hybrid import Hit

log = logging.getLogger(__name__)
SCRATCH_PREFIX = "policyqa-scratch-"
#: Question files an evaluation reads (JSON Lines).
QUESTION_SUFFIXES = (".jsonl", ".json", ".txt")


class Assistant:
    def __init__(self, settings: Settings | None = None, index: HybridIndex | None = None, *,
                 build_corpus: bool = False):
        self.settings = settings or get_settings()
        #: Build a missing corpus on first use (the web app); the CLI reports it instead.
        self.build_corpus = build_corpus
        self._index = index
        self.version = 1 if index is not None else 0
        self._load_lock = threading.Lock()
        #: One rebuild at a time; readers never wait for it.
        self.build_lock = threading.Lock()
        #: Set by :meth:`cancel_rebuild`; a rebuild checks it at every step.
        self.cancel_requested = threading.Event()
        self._scratch: Path | None = None
        self._measures: tuple[int, list] | None = None
        self._documents: tuple[int, list[DocumentInfo]] | None = None

    # ------------------------------------------------------------ the served index
    @property
    def index(self) -> HybridIndex:
        """The served index, opened on first use (a missing corpus or index is built, a
        stale or corrupt one rebuilt). The model loads only when a dense search needs it."""
        if self._index is None:
            with self._load_lock:
                if self._index is None:
                    self._index = self._open()
                    self.version = 1
        return self._index

    def _open(self, progress: Progress | None = None) -> HybridIndex:
        try:
            corpus.load_report(self.settings)
        except corpus.MissingCorpus:
            if not self.build_corpus:
                raise
            log.warning("no corpus at %s; building it", self.settings.build_dir)
            corpus.build(self.settings)
        return open_index(self.settings, rebuild=True, progress=progress)

    def swap(self, index: HybridIndex) -> None:
        self._index = index
        self.version += 1

    # ------------------------------------------------------------ reads
    def ask(self, request: AskRequest) -> qa.Answer:
        index = self.index
        return qa.answer(request.question, index, request.scope.filters(), self.settings,
                         measures=self.measures(), documents=self.served_documents())

    def search(self, request: SearchRequest) -> list[Hit]:
        s = self.settings
        return self.index.search(qa.make_query(request.query, s), k=request.k, mode=request.mode,
                                 filters=request.scope.filters(), fusion=s.fusion,
                                 dense_weight=s.dense_weight, candidates=s.candidates, rerank=s.rerank)

    def compare(self, request: SearchRequest) -> dict[Mode, list[Hit]]:
        """The same search in every mode (BM25, dense, hybrid side by side)."""
        return {mode: self.search(SearchRequest(request.query, request.k, mode, request.scope))
                for mode in MODES}

    def check(self, requests: Sequence[AskRequest | SearchRequest]) -> None:
        """Check every request's filters against the served index before anything runs
        (no model needed); a problem names the request's ``file:line``."""
        index = self.index
        for request in requests:
            try:
                index.allowed_rows(request.scope.filters())
            except PolicyError as exc:
                raise PolicyError(exc.code, request.where + exc.message, exc.fix) from None

    def department_names(self) -> list[str]:
        names = list(load_dictionary().names)
        return names + [n for n in self.index.department_names() if n not in names]

    def department_tasks(self, name: str) -> DepartmentTasks:
        """A department's clauses: led first, then shared, then implemented."""
        if not (name or "").strip():
            raise PolicyError("empty_department", "请选择或输入一个部门", "如 省民政厅、卫健委、人社部门")
        index = self.index
        names = index.resolve_departments(name)
        rows = tuple(TaskRow(role, r.id, r.path, r.title, r.doc_id, r.doc_title, r.responsibility)
                     for role, r in qa.department_tasks(index, names))
        return DepartmentTasks(name.strip(), "、".join(names), rows)

    def targets(self, doc: str | None = None) -> list[TargetRow]:
        index = self.index
        if doc and doc not in index.doc_ids:
            raise PolicyError("unknown_document", f"未找到文件“{doc}”", "请从文件列表中选择")
        return [TargetRow(t.indicator, t.value, t.unit, t.comparator,
                          t.deadline_text or (str(t.deadline) if t.deadline else "未写明"),
                          r.id, r.path, r.doc_id, r.doc_title, t.phrase)
                for r in index.records if not doc or r.doc_id == doc for t in r.targets]

    def measures(self) -> list:
        """The support measures of the served documents (read with the corpus build, cached
        per served version)."""
        index, version = self.index, self.version
        cached = self._measures
        if cached is None or cached[0] != version:
            measures = [m for m in corpus.load_measures(self.settings) if index.record(m.record_id)]
            cached = self._measures = (version, measures)
        return cached[1]

    def match(self, profile) -> list:
        """Every support measure that applies to an enterprise profile (a dict of sectors,
        entities, traits — aliases accepted — or a :class:`qa.match.Profile`), the ones
        naming it first, then those open to all; an empty profile gets every measure."""
        from qa.match import match, parse_profile

        return match(self.measures(), parse_profile(profile))

    def documents(self) -> list[DocumentInfo]:
        """Every document of the corpus, shipped first, with its record count in the index."""
        counts: dict[str, int] = {}
        for r in self.index.records:
            counts[r.doc_id] = counts.get(r.doc_id, 0) + 1
        s = self.settings
        docs = discover(s.docs_dir, s.user_docs_dir)
        return sorted((DocumentInfo(d.manifest.doc_id, d.manifest.title, d.shipped,
                                    counts.get(d.manifest.doc_id, 0), d.manifest.number,
                                    tuple(d.manifest.issuer), d.manifest.date) for d in docs),
                      key=lambda d: (not d.shipped, d.doc_id))

    def served_documents(self) -> list[DocumentInfo]:
        """The documents the served index holds (cached per served version): what questions
        about a document itself (its 文号, issuer, date) are answered from."""
        _ = self.index  # opened first: the version of what it serves keys the cache
        version = self.version
        cached = self._documents
        if cached is None or cached[0] != version:
            cached = self._documents = (version, [d for d in self.documents() if d.records])
        return cached[1]

    # ------------------------------------------------------------ writes (core.library_ops)
    def add(self, path: Path, *, replace: bool = False, progress: Progress | None = None) -> DocumentInfo:
        """Add one document (validated first), rebuild corpus + index, swap; on failure the
        documents and the served index stay as they were."""
        return library_ops.add(self, path, replace=replace, progress=progress)

    def remove(self, doc_id: str, *, progress: Progress | None = None) -> None:
        """Remove an added document, rebuild corpus + index, swap (rolled back on failure)."""
        library_ops.remove(self, doc_id, progress=progress)

    def cancel_rebuild(self) -> bool:
        """Ask a running rebuild to stop (it rolls back); False when none runs."""
        if not self.build_lock.locked():
            return False
        self.cancel_requested.set()
        return True

    # ------------------------------------------------------------ evaluation
    def evaluate(self, questions_path: Path, modes: Sequence[str] = MODES, *, split: str = "all",
                 answers: bool = True, strict: bool = False, progress: Progress | None = None,
                 max_questions: int | None = None):
        """The :class:`eval.EvalResult` of a question file (eval JSONL) on the served index;
        ``result.problems`` lists the skipped lines (malformed, or gold naming nothing).
        ``max_questions`` caps the cost of one request (checked before any search)."""
        import eval as ev

        unknown = [m for m in modes if m not in MODES]
        if not modes or unknown:
            raise PolicyError("bad_mode", f"未知的检索模式 {unknown or '（空）'}", "可选：" + "、".join(MODES))
        path = Path(questions_path)
        if path.suffix.lower() not in QUESTION_SUFFIXES:
            raise PolicyError("unsupported_file", f"{path.name}: 问题文件应为 .jsonl", "每行一个 JSON 问题")
        if path.is_file() and path.stat().st_size > self.settings.max_upload_mb * 2**20:
            raise PolicyError("file_too_large", f"{path.name}: 文件超过 {self.settings.max_upload_mb} MB 上限",
                              "拆分问题文件，或调高 POLICYQA_MAX_UPLOAD_MB")
        try:
            questions, problems = ev.load_questions(questions_path, strict=strict, split=split)
        except OSError as exc:
            raise PolicyError("unreadable_file", f"{questions_path}: 无法读取（{exc.strerror}）",
                              "检查路径和权限") from exc
        if not questions:
            lines = "".join(f"\n  {questions_path}:{p.line}: {p.reason}" for p in problems[:10])
            raise PolicyError("empty_question_file", f"{questions_path}: no valid questions in split {split}{lines}",
                              "one {id, question, type, gold, split} object a line (README, Evaluation)")
        if max_questions is not None and len(questions) > max_questions:
            raise PolicyError("too_many_questions", f"问题文件有 {len(questions)} 个问题，超过 {max_questions} 个的上限",
                              "拆分问题文件，或在命令行运行 policyqa eval")
        index, s = self.index, self.settings
        answer_fn = (ev.qa_answer_fn(index, s, measures=self.measures(), documents=self.served_documents())
                     if answers else None)
        result = ev.run(questions, index, modes=tuple(modes), answer_fn=answer_fn, fusion=s.fusion,
                        dense_weight=s.dense_weight, candidates=s.candidates, rerank=s.rerank, split=split,
                        progress=progress, source=str(questions_path), strict=strict)
        result.problems = [p.to_dict() for p in problems] + list(result.problems)
        return result

    # ------------------------------------------------------------ scratch space
    def scratch(self) -> Path:
        """A private temporary folder (uploads, backups, downloads), removed by :meth:`close`."""
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        return self._scratch

    def close(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


def clean_stale_scratch(root: Path | None = None) -> list[Path]:
    """Remove scratch folders left by processes that no longer run (killed with -9)."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    for folder in root.glob(f"{SCRATCH_PREFIX}*"):
        m = re.match(rf"{SCRATCH_PREFIX}(\d+)-", folder.name)
        if m and not _alive(int(m.group(1))):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
