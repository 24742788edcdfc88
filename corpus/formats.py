"""Reading file formats: the text of a .txt, .md, .docx or .pdf file, encodings detected.

Every failure is a :class:`SourceError` (a :class:`~corpus.errors.PolicyError`) that names
the file, the reason and the fix. Budgets (``Settings.max_document_chars`` …) are checked
while reading: a ``.docx`` is streamed and extraction stops as soon as the character budget
is passed, text is decoded in chunks, a PDF page by page.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import zipfile
from pathlib import Path, PurePosixPath

import charset_normalizer

from corpus.errors import PolicyError

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
#: Uncompressed size a .docx may reach, as a multiple of the upload limit (zip bombs).
DOCX_EXPANSION_LIMIT = 10
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


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
