"""Changing the documents a running core serves: :func:`add` and :func:`remove` apply the
change, rebuild corpus + index under the core's ``build_lock`` and swap the served index in
one assignment (:func:`rebuild`), so requests in flight keep the index they started with. A
failed, cancelled (:meth:`core.Assistant.cancel_rebuild`) or over-budget rebuild puts the
documents back and keeps the old index. :class:`core.Assistant`'s ``add`` and ``remove`` are
the public face of these functions.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import corpus
from corpus.docstore import add_document, remove_document
from corpus.errors import PolicyError
from corpus.formats import SUPPORTED_SUFFIXES
from corpus.sources import shipped_ids
from index import build_index, open_index

if TYPE_CHECKING:
    from core.assistant import Assistant
    from core.rows import DocumentInfo

log = logging.getLogger(__name__)
Progress = Callable[[float, str], None]


def _quiet(fraction: float, message: str) -> None:
    return None


def add(core: Assistant, path: Path, *, replace: bool = False,
        progress: Progress | None = None) -> DocumentInfo:
    """Add one document (validated first), rebuild corpus + index, swap; on failure the
    documents and the served index stay as they were."""
    source = Path(path)
    suffix = source.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise PolicyError("unsupported_file", f"不支持的文件类型“{suffix or '无扩展名'}”",
                          "请上传 " + "、".join(SUPPORTED_SUFFIXES) + " 文件")
    s = core.settings
    with core.build_lock:
        manifest = rebuild(core, lambda: add_document(
            source, s.user_docs_dir, s.max_upload_mb, replace=replace, shipped=shipped_ids(s.docs_dir),
            max_chars=s.max_document_chars, max_records=s.max_document_records), progress or _quiet)
    info = {d.doc_id: d for d in core.documents()}
    return info[manifest.doc_id]


def remove(core: Assistant, doc_id: str, *, progress: Progress | None = None) -> None:
    """Remove an added document, rebuild corpus + index, swap (rolled back on failure)."""
    if not (doc_id or "").strip():
        raise PolicyError("empty_document", "请选择要删除的上传文件", "从列表中选择一个上传的文件")
    shipped = shipped_ids(core.settings.docs_dir)
    with core.build_lock:
        rebuild(core, lambda: remove_document(doc_id, core.settings.user_docs_dir, shipped=shipped),
                progress or _quiet)


def rebuild(core: Assistant, change: Callable, progress: Progress):
    """Apply ``change`` to the documents folder, rebuild corpus + index, swap the served
    index; return what ``change`` returned. The caller holds ``core.build_lock``. On any
    failure — including :meth:`~core.Assistant.cancel_rebuild` and running past
    ``rebuild_budget_s`` — the documents folder is put back as it was and the corpus
    rebuilt from it, so the files on disk agree with the index still being served."""
    s = core.settings
    core.cancel_requested.clear()
    deadline = time.monotonic() + s.rebuild_budget_s

    def say(fraction: float, message: str) -> None:
        if core.cancel_requested.is_set():
            raise PolicyError("rebuild_cancelled", "重建已取消，文件和索引保持原样", "需要时重新上传")
        if time.monotonic() > deadline:
            raise PolicyError("rebuild_over_budget", f"重建超过 {s.rebuild_budget_s} 秒的时间上限，已撤销",
                              "上传较小的文件，或调高 POLICYQA_REBUILD_BUDGET_S")
        progress(fraction, message)

    backup = core.scratch() / f"backup-{os.getpid()}-{core.version}"
    shutil.rmtree(backup, ignore_errors=True)
    if s.user_docs_dir.exists():
        shutil.copytree(s.user_docs_dir, backup, symlinks=True)
    try:
        result = change()
        say(0.02, "解析文件")
        corpus.build(s, progress=lambda f, m: say(0.02 + 0.18 * f, f"解析：{m}"))
        say(0.2, "更新索引")
        build_index(s, progress=lambda f, m: say(0.2 + 0.75 * f, f"索引：{m}"))
        new = open_index(s, rebuild=False)
    except BaseException:
        shutil.rmtree(s.user_docs_dir, ignore_errors=True)
        if backup.exists():
            shutil.copytree(backup, s.user_docs_dir, symlinks=True)
        try:  # the corpus may already include the failed change
            corpus.build(s)
        except PolicyError:  # the previous corpus build is still in place (checked on load)
            log.exception("restoring the corpus after a failed change")
        raise
    finally:
        shutil.rmtree(backup, ignore_errors=True)
    core.swap(new)
    say(1.0, "完成")
    return result
