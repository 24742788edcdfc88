"""Reading documents: manifests, file formats (.txt .md .docx .pdf), encodings.

A document is a folder ``<doc_id>/`` holding its source file and a
``manifest.json`` (doc_id, title, number, issuer, date, file, source_note).
Shipped documents live in ``corpus/docs/``; documents a user adds are copied to
``$POLICYQA_HOME/docs/``. Every failure is a :class:`SourceError` that names the
file, the reason and the fix.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import charset_normalizer

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
#: Uncompressed size a .docx may reach, as a multiple of the upload limit (zip bombs).
DOCX_EXPANSION_LIMIT = 10


class SourceError(ValueError):
    """A document that cannot be read; the message names the file and the fix."""

    def __init__(self, path: Path | str, reason: str, fix: str = ""):
        self.path, self.reason, self.fix = str(path), reason, fix
        super().__init__(f"{Path(path).name}: {reason}" + (f" — {fix}" if fix else ""))


@dataclass(frozen=True)
class Manifest:
    doc_id: str
    title: str
    file: str
    number: str = ""
    issuer: list[str] = field(default_factory=list)
    date: str = ""
    source_note: str = ""


@dataclass(frozen=True)
class Document:
    manifest: Manifest
    folder: Path
    shipped: bool

    @property
    def source_path(self) -> Path:
        return self.folder / self.manifest.file


def discover(*roots: Path) -> list[Document]:
    """Documents under each root (a folder of ``<doc_id>/manifest.json``), sorted by id."""
    docs: dict[str, Document] = {}
    for number, root in enumerate(roots):
        if not root.is_dir():
            continue
        for manifest_path in sorted(root.glob("*/manifest.json")):
            manifest = read_manifest(manifest_path)
            docs.setdefault(manifest.doc_id, Document(manifest, manifest_path.parent, number == 0))
    return [docs[k] for k in sorted(docs)]


def read_manifest(path: Path) -> Manifest:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise SourceError(path, f"bad manifest ({exc})", "fix or delete the manifest.json") from exc


def doc_id_for(path: Path) -> str:
    """A stable id from a file name: ``老年人权益保障法(2018-12-29).md`` → ``老年人权益保障法-2018-12-29``."""
    stem = re.sub(r"[^\w]+", "-", path.stem, flags=re.UNICODE).strip("-_")
    if not stem:
        raise SourceError(path, "the file name has no usable characters", "rename the file")
    return stem[:80]


def read_text(path: Path, max_mb: int) -> str:
    """The text of a .txt/.md/.docx/.pdf file; encodings are detected, never assumed."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SourceError(path, f"unsupported file type {suffix or '(none)'}",
                          f"use one of {', '.join(SUPPORTED_SUFFIXES)}")
    try:
        size = path.stat().st_size
        if size == 0:
            raise SourceError(path, "the file is empty", "choose a file with text")
        if size > max_mb * 1024 * 1024:
            raise SourceError(path, f"the file is {size / 2**20:.1f} MB, over the {max_mb} MB limit",
                              "split it or raise POLICYQA_MAX_UPLOAD_MB")
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, f"cannot be read ({exc.strerror})", "check the path and permissions") from exc
    if suffix == ".docx":
        text = _docx_text(path, data, max_mb)
    elif suffix == ".pdf":
        text = _pdf_text(path, data)
    else:
        text = decode(path, data)
    if not re.search(r"[\u3400-\u9fff]", text):
        raise SourceError(path, "no Chinese text found", "check the file is the policy text")
    return text


def decode(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM) first; otherwise charset-normalizer among the Chinese encodings."""
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(path, "looks like a binary file, not text", "upload .txt, .md, .docx or .pdf")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(
        data, cp_isolation=["gb18030", "big5", "utf_16", "big5hkscs"]
    ).best()
    if best is None or best.chaos > 0.2:
        raise SourceError(path, "the text encoding could not be recognized",
                          "save it as UTF-8 (GBK and Big5 are also detected)")
    return str(best)


def _docx_text(path: Path, data: bytes, max_mb: int) -> str:
    import docx  # python-docx; imported here so plain-text builds do not pay for it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
        if expanded > DOCX_EXPANSION_LIMIT * max_mb * 1024 * 1024:
            raise SourceError(path, f"expands to {expanded / 2**20:.0f} MB (a zip bomb?)",
                              "save the document again without embedded files")
        document = docx.Document(io.BytesIO(data))
        return "\n".join(p.text for p in document.paragraphs)
    except SourceError:
        raise
    except Exception as exc:  # zipfile, zlib and lxml each raise their own kinds
        raise SourceError(path, "not a valid .docx file", "save it again from Word as .docx") from exc


def _pdf_text(path: Path, data: bytes) -> str:
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as exc:  # pypdf raises many types for broken files
        raise SourceError(path, f"not a readable PDF ({type(exc).__name__})",
                          "export the PDF again or upload the text") from exc
    if not text.strip():
        raise SourceError(path, "the PDF has no text layer (a scan?)",
                          "run OCR first or upload the text as .txt")
    return text


def guess_title(path: Path, text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:120]
    return path.stem


def add_document(path: Path, docs_root: Path, max_mb: int, title: str = "") -> Manifest:
    """Copy ``path`` into ``docs_root/<doc_id>/`` with a manifest (validated first).

    Adding the same file again is idempotent; a different file with the same id
    replaces the earlier copy.
    """
    path = Path(path)
    text = read_text(path, max_mb)
    doc_id = doc_id_for(path)
    date = re.search(r"(\d{4}-\d{2}-\d{2})", path.stem)
    manifest = Manifest(
        doc_id=doc_id,
        title=title or guess_title(path, text),
        file="source" + path.suffix.lower(),
        date=date.group(1) if date else "",
        source_note=f"added from {path.name}",
    )
    folder = docs_root / doc_id
    staging = docs_root / f".{doc_id}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shutil.copyfile(path, staging / manifest.file)
    (staging / "manifest.json").write_text(
        json.dumps(asdict(manifest), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    if folder.exists():
        shutil.rmtree(folder)
    staging.rename(folder)
    return manifest


def remove_document(doc_id: str, docs_root: Path) -> None:
    if not doc_id or doc_id != Path(doc_id).name or doc_id.startswith("."):
        raise SourceError(doc_id, "not a document id", "list documents with `policyqa corpus docs`")
    folder = docs_root / doc_id
    if not (folder / "manifest.json").is_file():
        raise SourceError(doc_id, "no such added document",
                          "list documents with `policyqa corpus docs`; shipped ones cannot be removed")
    shutil.rmtree(folder)
