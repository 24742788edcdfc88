"""Documents: manifests, discovery, ids, and collecting the files to add.

A document is a folder ``<doc_id>/`` holding its source file and a
``manifest.json`` (doc_id, title, number, issuer, date, file, source_note,
source_name, sha256). Shipped documents live in ``corpus/docs/``; documents a user
adds are copied to ``$POLICYQA_HOME/docs/``. Every failure is a :class:`SourceError`
(a :class:`~corpus.errors.PolicyError`) that names the file, the reason and the fix.

Reading file formats is :mod:`corpus.formats`; the added-documents store (adding,
replacing, removing) is :mod:`corpus.docstore`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from corpus.formats import SUPPORTED_SUFFIXES, SourceError, _sha256_file

__all__ = ["Collected", "Document", "Input", "Manifest", "collect", "discover", "doc_id_for", "read_manifest",
           "shipped_ids"]


@dataclass(frozen=True)
class Manifest:
    doc_id: str
    title: str
    file: str
    number: str = ""
    issuer: list[str] = field(default_factory=list)
    date: str = ""
    source_note: str = ""
    #: The name the document was added as (its identity when added again); "" when shipped.
    source_name: str = ""
    #: sha256 of the stored source file (added documents).
    sha256: str = ""


@dataclass(frozen=True)
class Document:
    manifest: Manifest
    folder: Path
    shipped: bool

    @property
    def source_path(self) -> Path:
        return self.folder / self.manifest.file


def discover(*roots: Path) -> list[Document]:
    """Documents under each root (a folder of ``<doc_id>/manifest.json``), sorted by id.

    Hidden folders (staging copies, ``.previous``) are not documents.
    """
    docs: dict[str, Document] = {}
    for number, root in enumerate(roots):
        if not root.is_dir():
            continue
        for manifest_path in sorted(root.glob("*/manifest.json")):
            if manifest_path.parent.name.startswith("."):
                continue
            manifest = read_manifest(manifest_path)
            docs.setdefault(manifest.doc_id, Document(manifest, manifest_path.parent, number == 0))
    return [docs[k] for k in sorted(docs)]


def shipped_ids(docs_dir: Path | None = None) -> set[str]:
    """Ids of the shipped documents (``Settings.docs_dir`` by default)."""
    if docs_dir is None:
        from corpus.config import get_settings

        docs_dir = get_settings().docs_dir
    return {d.manifest.doc_id for d in discover(docs_dir)}


def read_manifest(path: Path) -> Manifest:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise SourceError(path, f"bad manifest ({exc})", "fix or delete the manifest.json") from exc


def doc_id_for(path: Path) -> str:
    """A stable id from a file name: ``老年人权益保障法(2018-12-29).md`` → ``老年人权益保障法-2018-12-29``."""
    stem = re.sub(r"[^\w]+", "-", Path(path).stem, flags=re.UNICODE).strip("-_")
    if not stem:
        raise SourceError(path, "the file name has no usable characters", "rename the file")
    return stem[:80]


# ---------------------------------------------------------------- folders
@dataclass(frozen=True)
class Input:
    """A file to add: its ``source_name`` (identity), the ``folder`` it was found in (``None``
    when named itself) and its path ``relative`` to that folder."""

    path: Path
    source_name: str
    folder: str | None = None
    relative: str = ""


@dataclass
class Collected:
    """What :func:`collect` found: files to add and what it skipped."""

    files: list[Input] = field(default_factory=list)
    #: Files in a folder whose type is not supported (relative to the folder given).
    unsupported: list[str] = field(default_factory=list)
    #: Files in a folder byte-identical to an earlier one: ``"dup → kept"``.
    duplicates: list[str] = field(default_factory=list)
    #: Folders among the paths.
    folders: list[str] = field(default_factory=list)


def _walk(folder: Path) -> list[Path]:
    """Every non-hidden file under ``folder``, recursively, sorted by relative path."""
    found = []
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(top) / f for f in files if not f.startswith(".")]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def collect(paths: Iterable[Path | str]) -> Collected:
    """Files to add from ``paths``: a file is itself; a folder is every supported file
    (``.txt .md .docx .pdf``) under it, recursively, sorted. Unsupported files are skipped
    and listed; a byte-identical copy of an earlier file is skipped and listed. A file's
    source name (its identity, :func:`add_document`) is its name, or its path inside the
    folder when several different files of the folder share that name.
    An empty folder is a :class:`SourceError` (``empty_folder``).
    """
    out = Collected()
    for given in paths:
        given = Path(given)
        if not given.is_dir():
            out.files.append(Input(given, given.name, None, str(given)))
            continue
        out.folders.append(str(given))
        supported, digests = [], {}
        for file in _walk(given):
            relative = file.relative_to(given).as_posix()
            if file.suffix.lower() not in SUPPORTED_SUFFIXES:
                out.unsupported.append(relative)
                continue
            try:
                digest = _sha256_file(file)
            except OSError as exc:
                raise SourceError(file, f"cannot be read ({exc.strerror})",
                                  "check the path and permissions") from exc
            if digest in digests:
                out.duplicates.append(f"{relative} → {digests[digest]}")
                continue
            digests[digest] = relative
            supported.append((file, relative))
        if not supported:
            raise SourceError(given, "the folder has no .txt, .md, .docx or .pdf file"
                              + (f" ({len(out.unsupported)} other files skipped)" if out.unsupported else ""),
                              "choose a folder of documents", code="empty_folder")
        names: dict[str, int] = {}
        for file, _ in supported:
            names[file.name] = names.get(file.name, 0) + 1
        out.files += [Input(file, file.name if names[file.name] == 1 else relative, str(given), relative)
                      for file, relative in supported]
    return out
