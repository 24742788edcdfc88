"""Reading documents: manifests, file formats (.txt .md .docx .pdf), encodings.

A document is a folder ``<doc_id>/`` holding its source file and a
``manifest.json`` (doc_id, title, number, issuer, date, file, source_note,
source_name, sha256). Shipped documents live in ``corpus/docs/``; documents a user
adds are copied to ``$POLICYQA_HOME/docs/``. Every failure is a :class:`SourceError`
(a :class:`~corpus.errors.PolicyError`) that names the file, the reason and the fix.

Budgets (``Settings.max_document_chars`` …) are checked while reading: a ``.docx`` is
streamed and extraction stops as soon as the character budget is passed, text is
decoded in chunks, a PDF page by page.

Adding never silently overwrites (:func:`add_document`): another file whose id collides
gets a suffix (``a-b-2``); the same file name with other content needs ``replace=True``,
which keeps the previous version in ``<docs_root>/.previous/<doc_id>/`` until the next
build — deleted when that build succeeds, put back when it fails
(:func:`finish_replacements`, called by :func:`corpus.build`).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

import charset_normalizer

from corpus.errors import PolicyError

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
#: Uncompressed size a .docx may reach, as a multiple of the upload limit (zip bombs).
DOCX_EXPANSION_LIMIT = 10
#: Where a replaced document's previous version waits for the next build (inside docs_root).
PREVIOUS_DIR = ".previous"
_CHUNK = 1 << 16
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_OFFICE_DOCUMENT = "/officeDocument"
_CHARS_SETTING = "POLICYQA_MAX_DOCUMENT_CHARS"
_RECORDS_SETTING = "POLICYQA_MAX_DOCUMENT_RECORDS"


class SourceError(PolicyError):
    """A document that cannot be read or stored; the message names the file and the fix.

    ``code`` is ``"bad_document"`` unless said otherwise: ``"over_budget"`` (a budget
    setting is exceeded), ``"document_exists"``, ``"shipped_document"``,
    ``"unknown_document"``, ``"empty_folder"``, ``"no_documents"``.
    """

    code = "bad_document"

    def __init__(self, path: Path | str, reason: str, fix: str = "", *, code: str = "bad_document"):
        self.path, self.reason = str(path), reason
        super().__init__(code, f"{Path(path).name}: {reason}", fix)


def over_budget(path: Path | str, limit: int, unit: str, setting: str, detail: str = "") -> SourceError:
    """The one wording of a budget refusal: names the limit and its setting."""
    return SourceError(path, f"over the limit of {limit:,} {unit} ({setting})" + (f": {detail}" if detail else ""),
                       f"split the document or raise {setting}", code="over_budget")


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


# ---------------------------------------------------------------- reading
def _max_chars(max_chars: int | None) -> int:
    if max_chars is not None:
        return max_chars
    from corpus.config import get_settings

    return get_settings().max_document_chars


def read_bytes(path: Path, max_mb: int) -> bytes:
    """The bytes of a supported file of at most ``max_mb`` megabytes (checked before reading)."""
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
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(path, f"cannot be read ({exc.strerror})", "check the path and permissions") from exc


def read_text(path: Path, max_mb: int, max_chars: int | None = None) -> str:
    """The text of a .txt/.md/.docx/.pdf file; encodings are detected, never assumed.

    ``max_chars`` (default ``Settings.max_document_chars``) is the character budget:
    extraction stops as soon as it is passed.
    """
    path = Path(path)
    data = read_bytes(path, max_mb)
    return text_of(path, data, max_mb, max_chars)


def text_of(path: Path, data: bytes, max_mb: int, max_chars: int | None = None) -> str:
    """The text of ``data`` read from ``path`` (see :func:`read_text`)."""
    limit = _max_chars(max_chars)
    suffix = Path(path).suffix.lower()
    if suffix == ".docx":
        text = _docx_text(path, data, max_mb, limit)
    elif suffix == ".pdf":
        text = _pdf_text(path, data, limit)
    else:
        text = decode(path, data, limit)
    if not re.search(r"[\u3400-\u9fff]", text):
        raise SourceError(path, "no Chinese text found", "check the file is the policy text")
    return text


def _too_long(path: Path, limit: int) -> SourceError:
    return over_budget(path, limit, "characters per document", _CHARS_SETTING, "reading stopped there")


def _decode_limited(path: Path, data: bytes, encoding: str, limit: int) -> str:
    """``data.decode(encoding)`` in chunks, refused as soon as it passes ``limit`` characters."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    parts: list[str] = []
    count = 0
    for start in range(0, len(data), _CHUNK):
        part = decoder.decode(data[start:start + _CHUNK])
        count += len(part)
        if count > limit:
            raise _too_long(path, limit)
        parts.append(part)
    parts.append(decoder.decode(b"", final=True))
    if count + len(parts[-1]) > limit:
        raise _too_long(path, limit)
    return "".join(parts)


def decode(path: Path, data: bytes, max_chars: int | None = None) -> str:
    """UTF-8 (with or without BOM) first; otherwise charset-normalizer among the Chinese encodings.

    Decoding stops past ``max_chars`` characters (default ``Settings.max_document_chars``).
    """
    limit = _max_chars(max_chars)
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(path, "looks like a binary file, not text", "upload .txt, .md, .docx or .pdf")
    try:
        return _decode_limited(path, data, "utf-8-sig", limit)
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(
        data, cp_isolation=["gb18030", "big5", "utf_16", "big5hkscs"]
    ).best()
    if best is None or best.chaos > 0.2:
        raise SourceError(path, "the text encoding could not be recognized",
                          "save it as UTF-8 (GBK and Big5 are also detected)")
    try:
        return _decode_limited(path, data, best.encoding, limit)
    except (UnicodeDecodeError, LookupError):
        return str(best)  # charset-normalizer's own decoding (it strips what it must)


def _zip_member(archive: zipfile.ZipFile, name: str, max_bytes: int) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > max_bytes:
        raise ValueError(f"{name} is too large")
    return archive.read(info)


def _main_part(archive: zipfile.ZipFile) -> str:
    """The main document part named by ``_rels/.rels`` (``word/document.xml`` as a rule)."""
    from lxml import etree

    names = set(archive.namelist())
    if "_rels/.rels" in names:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        root = etree.fromstring(_zip_member(archive, "_rels/.rels", 1 << 20), parser)
        for rel in root:
            if str(rel.get("Type", "")).endswith(_OFFICE_DOCUMENT) and rel.get("TargetMode") != "External":
                target = str(PurePosixPath("/") / rel.get("Target", "")).lstrip("/")
                if target in names:
                    return target
    if "word/document.xml" in names:
        return "word/document.xml"
    raise ValueError("no main document part")


def _docx_paragraphs(stream, path: Path, limit: int) -> list[str]:
    """The text of the body's paragraphs, as python-docx's ``Document.paragraphs`` gives it,
    streamed: each element is freed as soon as it ends, and reading stops once the text
    passes ``limit`` characters — memory stays flat whatever the XML expands to."""
    from lxml import etree

    body, para, run, link = _W + "body", _W + "p", _W + "r", _W + "hyperlink"
    simple = {_W + "cr": "\n", _W + "noBreakHyphen": "-", _W + "ptab": "\t", _W + "tab": "\t"}
    paragraphs: list[str] = []
    parts: list[str] = []
    count = 0
    stack: list[str] = []
    context = etree.iterparse(stream, events=("start", "end"), resolve_entities=False, no_network=True,
                              remove_comments=True, remove_pis=True, huge_tree=False)
    for event, elem in context:
        if event == "start":
            if not stack and elem.tag != _W + "document":
                raise ValueError(f"the main part is {elem.tag}, not a Word document")
            stack.append(elem.tag)
            continue
        tag = stack.pop()
        depth = len(stack)  # stack = the ancestors: document, body, p, …
        if depth >= 4 and stack[1] == body and stack[2] == para and (
            (depth == 4 and stack[3] == run) or (depth == 5 and stack[3] == link and stack[4] == run)
        ):
            if tag == _W + "t":
                piece = elem.text or ""
            elif tag == _W + "br":
                piece = "\n" if elem.get(_W + "type", "textWrapping") == "textWrapping" else ""
            else:
                piece = simple.get(tag, "")
            if piece:
                parts.append(piece)
                count += len(piece)
        elif depth == 2 and tag == para and stack[1] == body:
            paragraphs.append("".join(parts))
            parts = []
            count += 1  # the newline that joins paragraphs
        if count > limit + 1:
            raise _too_long(path, limit)
        elem.clear(keep_tail=False)
        parent = elem.getparent()
        if parent is not None:
            while elem.getprevious() is not None:
                del parent[0]
    return paragraphs


def _docx_text(path: Path, data: bytes, max_mb: int, limit: int) -> str:
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
            if expanded > DOCX_EXPANSION_LIMIT * max_mb * 1024 * 1024:
                raise SourceError(path, f"expands to {expanded / 2**20:.0f} MB (a zip bomb?)",
                                  "save the document again without embedded files")
            with archive.open(_main_part(archive)) as stream:
                paragraphs = _docx_paragraphs(stream, path, limit)
    except SourceError:
        raise
    except Exception as exc:  # zipfile, zlib and lxml each raise their own kinds
        raise SourceError(path, "not a valid .docx file", "save it again from Word as .docx") from exc
    text = "\n".join(paragraphs)
    if len(text) > limit:
        raise _too_long(path, limit)
    return text


def _pdf_text(path: Path, data: bytes, limit: int) -> str:
    import io

    import pypdf

    pages: list[str] = []
    count = 0
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            count += len(pages[-1]) + 1
            if count > limit + 1:
                raise _too_long(path, limit)
    except SourceError:
        raise
    except Exception as exc:  # pypdf raises many types for broken files
        raise SourceError(path, f"not a readable PDF ({type(exc).__name__})",
                          "export the PDF again or upload the text") from exc
    text = "\n".join(pages)
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


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- adding and removing
def _source_of(manifest: Manifest) -> str:
    """The name a stored document was added as (older manifests: from their source_note)."""
    if manifest.source_name:
        return manifest.source_name
    note = re.fullmatch(r"added from (.+)", manifest.source_note)
    return note.group(1) if note else ""


def _stored(folder: Path) -> Manifest | None:
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

    * the id comes from the file name (:func:`doc_id_for`); an id taken by an added document
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
    from corpus.build import count_units  # the parser lives there; imported late (cycle)

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
