"""The stored corpus: the checksummed build folder and reading it back.

A build writes ``manifest.json`` beside ``records.jsonl`` and ``report.json``
(:func:`write_manifest`): the schema version, the sha256 and size of each file, the
record count, the corpus hash and ``created_at``. :func:`load_records`,
:func:`load_report` and :func:`load_measures` verify it (:func:`verify_corpus`); a
changed or damaged file is a :class:`CorruptCorpus` (``corrupt_corpus``) naming the
file (and the line, for invalid UTF-8 or a bad record); no build at all is a
:class:`MissingCorpus` (``no_corpus``, also a ``FileNotFoundError``). A build from
before the manifest still loads: its records.jsonl is checked against the sha256 its
report.json carries (``corpus_hash``), with a warning to rebuild.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from corpus.config import Settings, get_settings
from corpus.errors import PolicyError
from corpus.measures import Measure, extract_measures, read_measures
from corpus.records import SCHEMA_VERSION, Record, read_jsonl
from corpus.report import BuildReport

log = logging.getLogger(__name__)
RECORDS_FILE = "records.jsonl"
REPORT_FILE = "report.json"
MANIFEST_FILE = "manifest.json"
#: Support measures of the records (:mod:`corpus.measures`), one JSON object a line.
MEASURES_FILE = "measures.jsonl"
#: Version of the corpus manifest's shape (the records' own is ``records.SCHEMA_VERSION``).
MANIFEST_SCHEMA_VERSION = 1
_REBUILD = "run `policyqa corpus build` to rebuild the corpus"


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


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def corpus_hash(records_path: Path) -> str:
    """sha256 of records.jsonl (streamed)."""
    return _sha256_file(records_path)

def write_manifest(folder: Path, summary: BuildReport) -> None:
    """Write ``manifest.json`` into ``folder``: the sha256 and size of each corpus file there."""
    files = {}
    for name in (RECORDS_FILE, REPORT_FILE, MEASURES_FILE):
        path = folder / name
        if not path.is_file():
            continue
        files[name] = {"sha256": _sha256_file(path), "bytes": path.stat().st_size}
    manifest = {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "records_schema_version": summary.schema_version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": summary.records,
        "corpus_hash": summary.corpus_hash,
        "files": files,
    }
    if MEASURES_FILE in files:
        from corpus.measures_lexicon import lexicon_fingerprint

        manifest["measures_lexicon"] = lexicon_fingerprint()
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
        report = BuildReport.from_dict(json.loads(_utf8(report_path, report_path.read_bytes())))
        expected, records = report.corpus_hash, report.records
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


def load_report(settings: Settings | None = None) -> BuildReport:
    """The data-quality report of the last good build, verified first."""
    folder = _current(settings or get_settings())
    _verify(folder)
    path = folder / REPORT_FILE
    try:
        return BuildReport.from_dict(json.loads(_utf8(path, path.read_bytes())))
    except CorruptCorpus:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise CorruptCorpus(path, f"is not a corpus report ({exc})") from None


def load_measures(settings: Settings | None = None, doc_id: str | None = None) -> list[Measure]:
    """Support measures of the last good build (optionally one document's), verified first:
    ``measures.jsonl`` against the manifest, like the records (a changed file is a
    :class:`CorruptCorpus`). A build from before the measures (no ``measures.jsonl`` in its
    manifest), or one whose measures came from another ``corpus/data/measures.json`` or
    ``measures_model.json`` (an upgraded policyqa serving an old home), gets them extracted from
    its verified records with the lexicon and model in use, with a warning to rebuild."""
    from corpus.measures_lexicon import lexicon_fingerprint

    folder = _current(settings or get_settings())
    manifest = _verify(folder)
    path = folder / MEASURES_FILE
    stored = MEASURES_FILE in manifest.get("files", {})
    if not stored or manifest.get("measures_lexicon") != lexicon_fingerprint():
        if str(folder) not in _MEASURES_WARNED:
            _MEASURES_WARNED.add(str(folder))
            why = ("was extracted with another corpus/data/measures.json or measures_model.json" if stored
                   else "is missing (built by an older policyqa)")
            log.warning("%s: %s %s: measures extracted from the records again; run `policyqa corpus build` "
                        "to store them", folder, MEASURES_FILE, why)
        records = read_jsonl(folder / RECORDS_FILE)
        return [m for r in records if doc_id is None or r.doc_id == doc_id for m in extract_measures(r)]
    try:
        return [m for m in read_measures(path) if doc_id is None or m.doc_id == doc_id]
    except (ValueError, OSError) as exc:  # changed between the check and the read
        raise CorruptCorpus(path, _what_changed(path) if path.is_file() else "is missing") from exc


_MEASURES_WARNED: set[str] = set()
