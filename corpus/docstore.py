"""The added-documents store: adding, replacing and removing documents a user adds.

Added documents are copied to ``$POLICYQA_HOME/docs/<doc_id>/`` (source file and
``manifest.json``). Adding never silently overwrites (:func:`add_document`): another file
whose id collides gets a suffix (``a-b-2``); the same file name with other content needs
``replace=True``, which keeps the previous version in ``<docs_root>/.previous/<doc_id>/``
until the next build — deleted when that build succeeds, put back when it fails
(:func:`finish_replacements`, called by :func:`corpus.build`).

Manifests, ids and discovery live in :mod:`corpus.sources`; it is imported here inside the
functions that need it (no import cycle).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.formats import (
    _RECORDS_SETTING,
    SourceError,
    _sha256_file,
    guess_title,
    over_budget,
    read_bytes,
    text_of,
)

if TYPE_CHECKING:
    from corpus.sources import Manifest

#: Where a replaced document's previous version waits for the next build (inside docs_root).
PREVIOUS_DIR = ".previous"


def _source_of(manifest: Manifest) -> str:
    """The name a stored document was added as (older manifests: from their source_note)."""
    if manifest.source_name:
        return manifest.source_name
    note = re.fullmatch(r"added from (.+)", manifest.source_note)
    return note.group(1) if note else ""


def _stored(folder: Path) -> Manifest | None:
    from corpus.sources import read_manifest

    try:
        return read_manifest(folder / "manifest.json") if (folder / "manifest.json").is_file() else None
    except SourceError:
        return None


def _stored_sha256(folder: Path, manifest: Manifest) -> str:
    if manifest.sha256:
        return manifest.sha256
    try:
        return _sha256_file(folder / manifest.file)
    except OSError:
        return ""


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def add_document(path: Path, docs_root: Path, max_mb: int, title: str = "", *, replace: bool = False,
                 shipped: Iterable[str] | None = None, source_name: str | None = None,
                 max_chars: int | None = None, max_records: int | None = None) -> Manifest:
    """Validate ``path`` and copy it into ``docs_root/<doc_id>/`` with a manifest.

    Nothing is ever overwritten silently:

    * the id comes from the file name (:func:`~corpus.sources.doc_id_for`); an id taken by an added document
      of a *different* source name gets a suffix (``a-b`` → ``a-b-2``), and both are kept;
    * the same source name again with the same bytes (and title) is a no-op; with other
      bytes it is a :class:`SourceError` ``document_exists`` unless ``replace=True``, which
      keeps the previous version in ``docs_root/.previous/<doc_id>/`` until the next build
      (:func:`finish_replacements`);
    * an id equal to a shipped document's (``shipped``; default: the ids in
      ``Settings.docs_dir``) is refused (``shipped_document``), even with ``replace``.

    ``source_name`` (default ``path.name``) is the name the document is known by — the web
    passes the uploaded file's original name. ``max_chars`` / ``max_records`` default to the
    settings' budgets; over them the file is refused (``over_budget``) before anything is stored.
    Returns the stored manifest (its ``doc_id`` is the id the document got).
    """
    manifest, _ = add_document_ex(path, docs_root, max_mb, title, replace=replace, shipped=shipped,
                                  source_name=source_name, max_chars=max_chars, max_records=max_records)
    return manifest


def add_document_ex(path: Path, docs_root: Path, max_mb: int, title: str = "", *, replace: bool = False,
                    shipped: Iterable[str] | None = None, source_name: str | None = None,
                    max_chars: int | None = None, max_records: int | None = None) -> tuple[Manifest, str]:
    """:func:`add_document`, also saying what happened: ``"added"``, ``"replaced"`` or ``"unchanged"``."""
    from corpus.sources import Manifest, doc_id_for, shipped_ids

    path = Path(path)
    source_name = source_name or path.name
    data = read_bytes(path, max_mb)
    text = text_of(path, data, max_mb, max_chars)
    base = doc_id_for(path)
    shipped_set = set(shipped_ids() if shipped is None else shipped)
    if base in shipped_set:
        raise SourceError(path, f"its id {base} is the id of a shipped document",
                          "rename the file; shipped documents cannot be replaced or removed",
                          code="shipped_document")
    explicit_title, title = title, title or guess_title(path, text)
    _check_record_budget(path, text, title, max_records)
    digest = hashlib.sha256(data).hexdigest()
    number = 1
    while True:
        doc_id = base if number == 1 else f"{base}-{number}"
        number += 1
        folder = docs_root / doc_id
        if doc_id in shipped_set:
            continue
        if not folder.exists():
            action = "added"
            break
        existing = _stored(folder)
        if existing is None or _source_of(existing) != source_name:
            continue  # another document (or debris): try the next suffix
        if _stored_sha256(folder, existing) == digest and explicit_title in ("", existing.title):
            return existing, "unchanged"
        if not replace:
            raise SourceError(path, f"a document added from {source_name} is already stored as {doc_id}",
                              "use --replace to replace it (the web asks first), or rename the file",
                              code="document_exists")
        action = "replaced"
        break
    date = re.search(r"(\d{4}-\d{2}-\d{2})", path.stem)
    manifest = Manifest(
        doc_id=doc_id,
        title=title,
        file="source" + path.suffix.lower(),
        date=date.group(1) if date else "",
        source_note=f"added from {source_name}",
        source_name=source_name,
        sha256=digest,
    )
    staging = docs_root / f".{doc_id}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / manifest.file).write_bytes(data)  # the bytes validated above, not a second read
    _write_json(staging / "manifest.json", asdict(manifest))
    if action == "added":
        staging.rename(folder)
    else:
        _replace_in_place(folder, staging, manifest, docs_root)
    return manifest, action


def _check_record_budget(path: Path, text: str, title: str, max_records: int | None) -> None:
    from corpus.document import count_units  # late: it imports corpus.sources

    if max_records is None:
        from corpus.config import get_settings

        max_records = get_settings().max_document_records
    units = count_units(text, title, max_records)
    if units > max_records:
        raise over_budget(path, max_records, "clauses per document", _RECORDS_SETTING,
                          f"it has {units:,} or more")


def _replace_in_place(folder: Path, staging: Path, manifest: Manifest, docs_root: Path) -> None:
    """Swap the staged version in, file by file, so the folder is a readable document at every
    step (a crash leaves the old version or the new one); the old one goes to ``.previous``
    first unless an older one (the version of the last build) already waits there."""
    previous = docs_root / PREVIOUS_DIR / folder.name
    if not previous.exists():
        partial = previous.with_name(f".{folder.name}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(folder, partial)
        partial.rename(previous)
    old = _stored(folder)
    os.replace(staging / manifest.file, folder / manifest.file)
    os.replace(staging / "manifest.json", folder / "manifest.json")
    if old is not None and old.file != manifest.file:
        (folder / old.file).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)


def pending_replacements(docs_root: Path) -> list[str]:
    """Ids whose previous version waits in ``docs_root/.previous`` for the next build."""
    previous = docs_root / PREVIOUS_DIR
    return sorted(p.name for p in previous.iterdir() if p.is_dir() and not p.name.startswith(".")) \
        if previous.is_dir() else []


def finish_replacements(docs_root: Path, succeeded: bool) -> list[str]:
    """After a build: on success delete the previous versions (``.previous``); on failure put
    them back in place of the new ones, so the folders match the corpus still serving
    (:func:`corpus.build` calls this). Returns the ids handled."""
    handled = pending_replacements(docs_root)
    for doc_id in handled:
        if succeeded:
            shutil.rmtree(docs_root / PREVIOUS_DIR / doc_id)
        else:
            _restore(docs_root, doc_id)
    return handled


def repair_replacements(docs_root: Path) -> list[str]:
    """Before a build: a previous version whose document folder is missing (a crash while it
    was being put back) is put back. Returns the ids repaired."""
    missing = [d for d in pending_replacements(docs_root) if not (docs_root / d / "manifest.json").is_file()]
    for doc_id in missing:
        _restore(docs_root, doc_id)
    return missing


def _restore(docs_root: Path, doc_id: str) -> None:
    """Put ``.previous/<doc_id>`` back as ``<doc_id>`` (two renames; the new version is discarded)."""
    kept, folder = docs_root / PREVIOUS_DIR / doc_id, docs_root / doc_id
    discard = docs_root / f".{doc_id}.discard"
    shutil.rmtree(discard, ignore_errors=True)
    if folder.exists():
        folder.rename(discard)
    kept.rename(folder)
    shutil.rmtree(discard, ignore_errors=True)


def remove_document(doc_id: str, docs_root: Path, *, shipped: Iterable[str] | None = None) -> None:
    """Delete the added document ``doc_id``. Shipped ids (``shipped_document``) and ids of no
    added document (``unknown_document``) are refused."""
    from corpus.sources import shipped_ids

    if not doc_id or doc_id != Path(doc_id).name or doc_id.startswith("."):
        raise SourceError(doc_id or "(empty)", "not a document id", "list documents with `policyqa corpus docs`",
                          code="unknown_document")
    if doc_id in set(shipped_ids() if shipped is None else shipped):
        raise SourceError(doc_id, "is a shipped document and cannot be removed",
                          "only added documents can be removed; list them with `policyqa corpus docs`",
                          code="shipped_document")
    folder = docs_root / doc_id
    if not (folder / "manifest.json").is_file():
        raise SourceError(doc_id, "no such added document",
                          "list documents with `policyqa corpus docs`; shipped ones cannot be removed",
                          code="unknown_document")
    shutil.rmtree(folder)
    shutil.rmtree(docs_root / PREVIOUS_DIR / doc_id, ignore_errors=True)
