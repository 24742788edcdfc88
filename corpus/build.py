"""``corpus.build()``: documents → clause records (JSON Lines) + a data-quality report.

Per document: read (encoding detected) → errata → clean lines → structure →
records (departments, targets, sentences, domains, tokens). The output directory
is written whole and swapped in atomically (:mod:`corpus.storage`); any bad
document aborts the build and the previous corpus keeps serving.

Budgets (``Settings.max_document_chars``, ``max_document_records``,
``max_build_records``) are checked before the work they bound: no record is made for
a document or a build over its budget.

The support measures of the records (:mod:`corpus.measures`) are written to ``measures.jsonl``
in the same folder, listed in the manifest and read with :func:`load_measures`.

A build writes ``manifest.json`` beside ``records.jsonl`` and ``report.json``: the
schema version, the sha256 and size of each file, the record count, the corpus hash
and ``created_at``. :func:`load_records` and :func:`load_report` verify it; a changed
or damaged file is a :class:`CorruptCorpus` (``corrupt_corpus``) naming the file (and
the line, for invalid UTF-8 or a bad record); no build at all is a
:class:`MissingCorpus` (``no_corpus``, also a ``FileNotFoundError``). A build from
before the manifest still loads: its records.jsonl is checked against the sha256 its
report.json carries (``corpus_hash``), with a warning to rebuild.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from corpus import departments as dept
from corpus.config import DATA_DIR, Settings, get_settings
from corpus.errors import PolicyError
from corpus.measures import (
    Measure,
    count_by_kind,
    extract_measures,
    read_measures,
    support_without_measure,
    write_measures,
)
from corpus.normalize import (
    Erratum,
    apply_errata,
    count_pinyin,
    count_pinyin_anywhere,
    find_garbled,
    normalize_text,
    strip_noise,
    strip_pinyin,
)
from corpus.records import SCHEMA_VERSION, Departments, Record, read_jsonl, write_jsonl
from corpus.sources import (
    Document,
    SourceError,
    add_document_ex,
    collect,
    discover,
    finish_replacements,
    over_budget,
    read_text,
    repair_replacements,
    shipped_ids,
)
from corpus.storage import atomic_dir
from corpus.structure import TooManyUnits, Unit, parse
from corpus.tagging import domain_tags, split_sentences
from corpus.targets import extract_targets
from corpus.tokenize import tokenize

log = logging.getLogger(__name__)
RECORDS_FILE = "records.jsonl"
REPORT_FILE = "report.json"
MANIFEST_FILE = "manifest.json"
#: Support measures of the records (:mod:`corpus.measures`), one JSON object a line.
MEASURES_FILE = "measures.jsonl"
#: At most this many ``support_without_measure`` sentences are listed per document in report.json.
SUPPORT_WITHOUT_MEASURE_LISTED = 200
#: Version of the corpus manifest's shape (the records' own is ``records.SCHEMA_VERSION``).
MANIFEST_SCHEMA_VERSION = 1
_REBUILD = "run `policyqa corpus build` to rebuild the corpus"
_COMMENT_LINE_RE = re.compile(r"^\s*<!--.*-->\s*$")
_METADATA_LINE_RE = re.compile(r"^(（此件公开发布）|\d{4}年\d{1,2}月\d{1,2}日)$")


class MissingCorpus(PolicyError, FileNotFoundError):
    """No corpus has been built in this home (also a ``FileNotFoundError``, as before)."""

    code = "no_corpus"

    def __init__(self, build_dir: Path):
        super().__init__("no_corpus", f"no corpus built at {build_dir}", "run `policyqa corpus build`")


class CorruptCorpus(PolicyError):
    """A file of the corpus build was changed or damaged after the build."""

    code = "corrupt_corpus"

    def __init__(self, path: Path, detail: str):
        self.path = Path(path)
        super().__init__("corrupt_corpus", f"the corpus file {path} {detail}", _REBUILD)


@dataclass
class DocReport:
    doc_id: str
    title: str
    shape: str
    records: int
    levels: dict[str, int]
    pinyin_removed: int
    pinyin_in_errata: int
    garbled_found: list[str]
    errata_applied: list[dict]
    unresolved: list[dict]
    without_departments: list[str]
    targets: int
    warnings: list[str] = field(default_factory=list)


def load_errata(path: Path = DATA_DIR / "errata.tsv") -> list[Erratum]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [Erratum(**row) for row in csv.DictReader(handle, delimiter="\t")]


def clean_lines(raw: str, errata: list[Erratum]) -> tuple[list[tuple[str, str]], list]:
    """(raw line, clean line) pairs, empty lines dropped, and the errata applied."""
    fixed, applied = apply_errata(raw, errata)
    pairs = []
    raw_lines = raw.splitlines()
    for number, line in enumerate(fixed.splitlines()):
        if _COMMENT_LINE_RE.match(line):
            continue
        clean = normalize_text(strip_noise(strip_pinyin(line)))
        if clean:
            pairs.append((raw_lines[number] if number < len(raw_lines) else line, clean))
    return pairs, applied


def _drop_metadata(unit: Unit, doc: Document) -> None:
    """Title, issuer and date lines of the preamble belong to the manifest, not a record."""
    title = normalize_text(doc.manifest.title).replace(" ", "")
    issuers = {normalize_text(i) for i in doc.manifest.issuer}
    kept = [
        (line, raw)
        for line, raw in zip(unit.lines, unit.raw_lines)
        if not (_METADATA_LINE_RE.match(line) or line in issuers or line.replace(" ", "") in title)
    ]
    unit.lines = [line for line, _ in kept]
    unit.raw_lines = [raw for _, raw in kept]


def make_records(doc: Document, units: list[Unit]) -> list[Record]:
    dictionary = dept.load_dictionary()
    records: list[Record] = []
    inherited: dict[str, list[str]] = {}  # part path → implementers handed down
    seen_paths: dict[str, int] = {}
    for unit in units:
        if unit.level == "preamble":
            _drop_metadata(unit, doc)
            if not unit.lines:
                continue
        text, note = dept.split_note(unit.text)
        departments = dept.parse_note(note, dictionary) if note else Departments()
        if unit.level == "article" and not note:  # laws name their bodies in the article text
            departments = dept.parse_law_article(text)
        part = re.split(r"[(/¶]", unit.path, maxsplit=1)[0]
        handed_down = inherited.get(part, [])
        if note and (new := dept.inherited_implementers(note, dictionary)):
            inherited[part] = new
        if handed_down:
            merged = list(dict.fromkeys([*departments.implementers, *handed_down]))
            departments = Departments(departments.lead, departments.co, merged)
        path = unit.path
        if path in seen_paths:  # a repeated article number: keep ids unique and say so
            seen_paths[path] += 1
            path = f"{path}#{seen_paths[path]}"
        seen_paths.setdefault(path, 1)
        records.append(
            Record(
                id=f"{doc.manifest.doc_id}#{path}",
                doc_id=doc.manifest.doc_id,
                doc_title=doc.manifest.title,
                path=path,
                level=unit.level,
                headings=unit.headings,
                title=unit.title,
                text=text,
                responsibility=note,
                raw=unit.raw,
                sentences=split_sentences(text),
                departments=departments,
                targets=extract_targets(text),
                domains=domain_tags(text, unit.title),
                tokens=tokenize(text),
            )
        )
    return records


def count_units(text: str, title: str, max_units: int | None = None) -> int:
    """How many units (an upper bound on records) ``text`` parses into; past ``max_units``
    parsing stops and the count returned is only known to be over it."""
    pairs, _ = clean_lines(text, [])
    try:
        return len(parse(pairs, title, max_units)[1])
    except TooManyUnits as exc:
        return exc.count


def _build_over_budget(doc: Document, limit: int) -> SourceError:
    return over_budget(doc.source_path, limit, "records per build", "POLICYQA_MAX_BUILD_RECORDS",
                       f"reached with document {doc.manifest.doc_id}")


def build_document(doc: Document, settings: Settings, errata: list[Erratum],
                   room: int | None = None) -> tuple[list[Record], DocReport]:
    """One document's records and report; ``room`` is how many records the build has left
    (``Settings.max_build_records`` minus those made so far)."""
    raw = read_text(doc.source_path, settings.max_upload_mb, settings.max_document_chars)
    doc_errata = [e for e in errata if e.doc_id == doc.manifest.doc_id]
    pairs, applied = clean_lines(raw, doc_errata)
    limit = settings.max_document_records
    try:
        shape, units = parse(pairs, doc.manifest.title, max_units=limit)
    except TooManyUnits as exc:
        raise over_budget(doc.source_path, limit, "clauses per document", "POLICYQA_MAX_DOCUMENT_RECORDS",
                          f"document {doc.manifest.doc_id} has {exc.count:,} or more") from None
    at_least = len(units) - (1 if units and units[0].level == "preamble" else 0)
    if room is not None and at_least > room:  # over before a single record is made
        raise _build_over_budget(doc, settings.max_build_records)
    warnings = []
    if shape == "paragraphs":
        warnings.append("no recognizable numbering (一、/（一）/1. or 第X条): one record per paragraph")
    records = make_records(doc, units)
    if room is not None and len(records) > room:
        raise _build_over_budget(doc, settings.max_build_records)
    if not records:
        raise SourceError(doc.source_path, "no text records could be made", "check the file content")
    unresolved = [
        {"record": r.id, "text": span.text} for r in records for span in find_garbled(r.text)
    ]
    levels: dict[str, int] = {}
    for r in records:
        levels[r.level] = levels.get(r.level, 0) + 1
    report = DocReport(
        doc_id=doc.manifest.doc_id,
        title=doc.manifest.title,
        shape=shape,
        records=len(records),
        levels=levels,
        pinyin_removed=count_pinyin(raw),
        pinyin_in_errata=sum(count_pinyin_anywhere(e.garbled) * n for e, n in applied),
        garbled_found=[s.text for s in find_garbled(strip_noise(raw))],
        errata_applied=[
            {"garbled": e.garbled, "restored": e.restored, "times": n, "reason": e.reason}
            for e, n in applied
        ],
        unresolved=unresolved,
        without_departments=[r.id for r in records if not r.departments],
        targets=sum(len(r.targets) for r in records),
        warnings=warnings,
    )
    return records, report


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def corpus_hash(records_path: Path) -> str:
    """sha256 of records.jsonl (streamed)."""
    return _sha256_file(records_path)


def build(
    settings: Settings | None = None,
    paths: Iterable[Path] = (),
    progress: Callable[[float, str], None] | None = None,
    *,
    replace: bool = False,
) -> dict:
    """Build every shipped and added document (after adding ``paths``); return the report.

    ``paths`` are files or folders (every ``.txt .md .docx .pdf`` under a folder, recursively,
    sorted — :func:`corpus.sources.collect`); each is added with
    :func:`~corpus.sources.add_document` (``replace`` as there). In a folder, unsupported files,
    byte-identical copies and unreadable or over-budget documents are skipped and listed in
    ``report["inputs"]``; a named file that is bad, or a name conflict anywhere, stops the build.

    Writes ``records.jsonl``, ``report.json`` and ``manifest.json`` into ``settings.build_dir``
    atomically. Raises :class:`SourceError` (a ``PolicyError``) for a bad document, leaving the
    previous build in place; then documents this call added are removed again and replaced
    documents are put back (``.previous``), so the document folders match the corpus serving.
    A successful build deletes the previous versions of replaced documents.
    """
    settings = settings or get_settings()
    docs_root = settings.user_docs_dir
    repair_replacements(docs_root)
    added: list[str] = []
    succeeded = False
    try:
        inputs = _add_inputs(settings, paths, replace, added)
        summary = _build(settings, inputs, progress)
        succeeded = True
        return summary
    finally:
        if not succeeded:
            for doc_id in added:
                shutil.rmtree(docs_root / doc_id, ignore_errors=True)
        try:
            finish_replacements(docs_root, succeeded)
        except OSError:  # never hide the build's own error; the next build repairs
            log.exception("finishing replaced documents")


def _add_inputs(settings: Settings, paths: Iterable[Path], replace: bool, added: list[str]) -> dict:
    """Add ``paths`` (files, folders) to the user documents; what happened, for the report:
    ``documents`` (``{"file", "doc_id", "action"}`` each, action ``added``/``replaced``/
    ``unchanged``), the counts, and ``skipped`` (``{"file", "reason"}``) with its counts."""
    found = collect(paths)
    shipped = shipped_ids(settings.docs_dir)
    inputs: dict = {"folders": found.folders, "documents": [], "added": 0, "replaced": 0, "unchanged": 0,
                    "skipped_unsupported": len(found.unsupported), "skipped_duplicates": len(found.duplicates),
                    "skipped_unreadable": 0,
                    "skipped": [{"file": f, "reason": "unsupported file type"} for f in found.unsupported]
                    + [{"file": f, "reason": "same bytes as an earlier file"} for f in found.duplicates]}
    kept: dict[str, int] = {folder: 0 for folder in found.folders}
    for item in found.files:
        try:
            manifest, action = add_document_ex(
                item.path, settings.user_docs_dir, settings.max_upload_mb, replace=replace, shipped=shipped,
                source_name=item.source_name, max_chars=settings.max_document_chars,
                max_records=settings.max_document_records)
        except SourceError as exc:
            if item.folder is None or exc.code not in ("bad_document", "over_budget"):
                raise
            inputs["skipped_unreadable"] += 1
            inputs["skipped"].append({"file": item.relative, "reason": str(exc)})
            continue
        if action == "added":
            added.append(manifest.doc_id)
        inputs[action] += 1
        inputs["documents"].append({"file": item.relative, "doc_id": manifest.doc_id, "action": action})
        if item.folder is not None:
            kept[item.folder] += 1
    for folder, count in kept.items():
        if not count:
            raise SourceError(folder, "no readable document in the folder "
                              f"({inputs['skipped_unreadable']} skipped: {inputs['skipped'][-1]['reason']})",
                              "check the files, or build them one by one to see each error", code="empty_folder")
    return inputs


def _build(settings: Settings, inputs: dict, progress: Callable[[float, str], None] | None) -> dict:
    docs = discover(settings.docs_dir, settings.user_docs_dir)
    if not docs:
        raise SourceError(settings.docs_dir, "no documents found", "add one with `policyqa corpus add FILE`",
                          code="no_documents")
    errata = load_errata()
    all_records: list[Record] = []
    reports = []
    for number, doc in enumerate(docs):
        if progress:
            progress(number / len(docs), f"解析 {doc.manifest.title}")
        records, report = build_document(doc, settings, errata,
                                         room=settings.max_build_records - len(all_records))
        all_records += records
        reports.append(report)
    if progress:
        progress(0.99, "提取支持措施")
    measures, measures_report = _measures(all_records)
    with atomic_dir(settings.build_dir) as staging:
        write_jsonl(all_records, staging / RECORDS_FILE)
        write_measures(measures, staging / MEASURES_FILE)
        summary = {
            "schema_version": SCHEMA_VERSION,
            "corpus_hash": corpus_hash(staging / RECORDS_FILE),
            "documents": [asdict(r) for r in reports],
            "records": len(all_records),
            "inputs": inputs,
            "measures": measures_report,
        }
        (staging / REPORT_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
        _write_manifest(staging, summary)
    if progress:
        progress(1.0, "完成")
    return summary


def _measures(records: list[Record]) -> tuple[list[Measure], dict]:
    """The support measures of ``records`` and their part of the build report: per document the
    count by kind and ``support_without_measure`` (sentences with a support word that gave no
    measure; the first :data:`SUPPORT_WITHOUT_MEASURE_LISTED` listed, all counted)."""
    measures: list[Measure] = []
    documents: dict[str, dict] = {}
    for record in records:
        found = extract_measures(record)
        measures += found
        doc = documents.setdefault(record.doc_id, {"doc_id": record.doc_id, "measures": 0, "by_kind": {},
                                                   "support_without_measure_count": 0,
                                                   "support_without_measure": []})
        doc["measures"] += len(found)
        for kind, n in count_by_kind(found).items():
            doc["by_kind"][kind] = doc["by_kind"].get(kind, 0) + n
        missed = support_without_measure(record, found)
        doc["support_without_measure_count"] += len(missed)
        room = SUPPORT_WITHOUT_MEASURE_LISTED - len(doc["support_without_measure"])
        doc["support_without_measure"] += missed[:max(room, 0)]
    for doc in documents.values():
        doc["by_kind"] = dict(sorted(doc["by_kind"].items(), key=lambda kv: (-kv[1], kv[0])))
    return measures, {"file": MEASURES_FILE, "count": len(measures), "by_kind": count_by_kind(measures),
                      "documents": list(documents.values())}


# ---------------------------------------------------------------- the checksummed build
def _write_manifest(folder: Path, summary: dict) -> None:
    files = {}
    for name in (RECORDS_FILE, REPORT_FILE, MEASURES_FILE):
        path = folder / name
        if not path.is_file():
            continue
        files[name] = {"sha256": _sha256_file(path), "bytes": path.stat().st_size}
    manifest = {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "records_schema_version": summary["schema_version"],
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": summary["records"],
        "corpus_hash": summary["corpus_hash"],
        "files": files,
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


#: Verified digests by file identity (path, inode, size, mtime, ctime): a file is hashed once
#: per process while it is unchanged (``check_fresh`` reads the report on every index open).
_DIGESTS: dict[tuple, str] = {}


def _digest(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if key not in _DIGESTS:
        if len(_DIGESTS) > 64:
            _DIGESTS.clear()
        _DIGESTS[key] = _sha256_file(path)
    return _DIGESTS[key]


def _utf8(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise CorruptCorpus(path, f"is not valid UTF-8 (line {line}, column {column}: byte "
                                  f"0x{data[exc.start]:02x})") from None


def _what_changed(path: Path) -> str:
    """Why ``path`` no longer matches the manifest: the first bad line when there is one."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return f"is not valid UTF-8 (line {number}, column {exc.start + 1}: byte 0x{line[exc.start]:02x})"
            if path.name == RECORDS_FILE and text.strip():
                try:
                    Record.from_dict(json.loads(text))
                except (ValueError, TypeError, KeyError) as exc:
                    return f"line {number} is not a policyqa record ({exc})"
            if path.name == MEASURES_FILE and text.strip():
                try:
                    Measure.from_dict(json.loads(text))
                except (ValueError, TypeError, KeyError) as exc:
                    return f"line {number} is not a policyqa measure ({exc})"
    if path.suffix == ".json":
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            return f"is not valid JSON ({exc})"
    return "was changed after the build (its sha256 no longer matches manifest.json)"


def _current(settings: Settings) -> Path:
    """The folder of the current build (the link resolved once, so one version is read)."""
    link = settings.build_dir
    if not any((link / name).exists() for name in (RECORDS_FILE, REPORT_FILE, MANIFEST_FILE)):
        raise MissingCorpus(link)
    return link.resolve()


def _verify(folder: Path) -> dict:
    """The build's manifest, every file checked against it; :class:`CorruptCorpus` if not."""
    path = folder / MANIFEST_FILE
    if not path.is_file():
        return _verify_legacy(folder)
    try:
        manifest = json.loads(_utf8(path, path.read_bytes()))
    except ValueError as exc:
        if isinstance(exc, CorruptCorpus):
            raise
        raise CorruptCorpus(path, f"is not valid JSON ({exc})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    # measures.jsonl is listed by builds since the support measures; older manifests lack it
    if (not isinstance(files, dict) or not {RECORDS_FILE, REPORT_FILE} <= set(files)
            or not set(files) <= {RECORDS_FILE, REPORT_FILE, MEASURES_FILE}
            or not all(isinstance(e, dict) and {"sha256", "bytes"} <= set(e) for e in files.values())):
        raise CorruptCorpus(path, "is not a corpus manifest")
    if manifest.get("schema_version") != MANIFEST_SCHEMA_VERSION \
            or manifest.get("records_schema_version") != SCHEMA_VERSION:
        raise CorruptCorpus(path, f"has schema version {manifest.get('schema_version')}/"
                                  f"{manifest.get('records_schema_version')}; this policyqa reads "
                                  f"{MANIFEST_SCHEMA_VERSION}/{SCHEMA_VERSION}")
    for name, entry in files.items():
        file = folder / name
        if not file.is_file():
            raise CorruptCorpus(file, "is missing")
        if file.stat().st_size != entry["bytes"] or _digest(file) != entry["sha256"]:
            raise CorruptCorpus(file, _what_changed(file))
    return manifest


def _verify_legacy(folder: Path) -> dict:
    """A build from before ``manifest.json``: records.jsonl is checked against the sha256 its
    report.json carries (``corpus_hash``), so an edit is still caught; rebuilding adds the
    manifest (which also covers report.json)."""
    report_path, records_path = folder / REPORT_FILE, folder / RECORDS_FILE
    for file in (records_path, report_path):
        if not file.is_file():
            raise CorruptCorpus(file, "is missing")
    try:
        report = json.loads(_utf8(report_path, report_path.read_bytes()))
        expected = report["corpus_hash"]
        records = report["records"]
    except CorruptCorpus:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise CorruptCorpus(report_path, f"is not a corpus report ({exc}), and {MANIFEST_FILE} is missing") from None
    if _digest(records_path) != expected:
        raise CorruptCorpus(records_path, _what_changed(records_path))
    if str(folder) not in _LEGACY_WARNED:
        _LEGACY_WARNED.add(str(folder))
        log.warning("%s has no %s (built by an older policyqa): records.jsonl checked against report.json; "
                    "run `policyqa corpus build` to add it", folder, MANIFEST_FILE)
    return {"schema_version": None, "legacy": True, "records": records, "corpus_hash": expected,
            "files": {RECORDS_FILE: {"sha256": expected, "bytes": records_path.stat().st_size}}}


_LEGACY_WARNED: set[str] = set()


def verify_corpus(settings: Settings | None = None) -> dict:
    """Check the last build against its manifest; return the manifest (see the module doc)."""
    return _verify(_current(settings or get_settings()))


def load_records(settings: Settings | None = None, doc_id: str | None = None) -> list[Record]:
    """Records of the last good build (optionally one document's), verified first."""
    folder = _current(settings or get_settings())
    _verify(folder)
    path = folder / RECORDS_FILE
    try:
        return [r for r in read_jsonl(path) if doc_id is None or r.doc_id == doc_id]
    except (ValueError, OSError) as exc:  # changed between the check and the read
        raise CorruptCorpus(path, _what_changed(path) if path.is_file() else "is missing") from exc


def load_report(settings: Settings | None = None) -> dict:
    """The data-quality report of the last good build, verified first."""
    folder = _current(settings or get_settings())
    _verify(folder)
    path = folder / REPORT_FILE
    return json.loads(_utf8(path, path.read_bytes()))


def load_measures(settings: Settings | None = None, doc_id: str | None = None) -> list[Measure]:
    """Support measures of the last good build (optionally one document's), verified first:
    ``measures.jsonl`` against the manifest, like the records (a changed file is a
    :class:`CorruptCorpus`). A build from before the measures (no ``measures.jsonl`` in its
    manifest) gets them extracted from its verified records, with a warning to rebuild."""
    folder = _current(settings or get_settings())
    manifest = _verify(folder)
    path = folder / MEASURES_FILE
    if MEASURES_FILE not in manifest.get("files", {}):
        if str(folder) not in _MEASURES_WARNED:
            _MEASURES_WARNED.add(str(folder))
            log.warning("%s has no %s (built by an older policyqa): measures extracted from the records; "
                        "run `policyqa corpus build` to store them", folder, MEASURES_FILE)
        records = read_jsonl(folder / RECORDS_FILE)
        return [m for r in records if doc_id is None or r.doc_id == doc_id for m in extract_measures(r)]
    try:
        return [m for m in read_measures(path) if doc_id is None or m.doc_id == doc_id]
    except (ValueError, OSError) as exc:  # changed between the check and the read
        raise CorruptCorpus(path, _what_changed(path) if path.is_file() else "is missing") from exc


_MEASURES_WARNED: set[str] = set()
