"""``corpus.build()``: documents → clause records (JSON Lines) + a data-quality report.

Per document: read (encoding detected) → errata → clean lines → structure →
records (departments, targets, sentences, domains, tokens). The output directory
is written whole and swapped in atomically (:mod:`corpus.storage`); any bad
document aborts the build and the previous corpus keeps serving.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus import departments as dept
from corpus.config import DATA_DIR, Settings, get_settings
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
from corpus.sources import Document, SourceError, add_document, discover, read_text
from corpus.storage import atomic_dir
from corpus.structure import Unit, parse
from corpus.tagging import domain_tags, split_sentences
from corpus.targets import extract_targets
from corpus.tokenize import tokenize

log = logging.getLogger(__name__)
RECORDS_FILE = "records.jsonl"
REPORT_FILE = "report.json"
_COMMENT_LINE_RE = re.compile(r"^\s*<!--.*-->\s*$")
_METADATA_LINE_RE = re.compile(r"^(（此件公开发布）|\d{4}年\d{1,2}月\d{1,2}日)$")


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


def build_document(doc: Document, settings: Settings, errata: list[Erratum]) -> tuple[list[Record], DocReport]:
    raw = read_text(doc.source_path, settings.max_upload_mb)
    doc_errata = [e for e in errata if e.doc_id == doc.manifest.doc_id]
    pairs, applied = clean_lines(raw, doc_errata)
    shape, units = parse(pairs, doc.manifest.title)
    warnings = []
    if shape == "paragraphs":
        warnings.append("no recognizable numbering (一、/（一）/1. or 第X条): one record per paragraph")
    records = make_records(doc, units)
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


def corpus_hash(records_path: Path) -> str:
    return hashlib.sha256(records_path.read_bytes()).hexdigest()


def build(
    settings: Settings | None = None,
    paths: Iterable[Path] = (),
    progress: Callable[[float, str], None] | None = None,
) -> dict:
    """Build every shipped and added document (after adding ``paths``); return the report.

    Writes ``records.jsonl`` and ``report.json`` into ``settings.build_dir`` atomically.
    Raises :class:`SourceError` for a bad document, leaving the previous build in place.
    """
    settings = settings or get_settings()
    for path in paths:
        add_document(Path(path), settings.user_docs_dir, settings.max_upload_mb)
    docs = discover(settings.docs_dir, settings.user_docs_dir)
    if not docs:
        raise SourceError(settings.docs_dir, "no documents found", "add one with `policyqa corpus add FILE`")
    errata = load_errata()
    all_records: list[Record] = []
    reports = []
    for number, doc in enumerate(docs):
        if progress:
            progress(number / len(docs), f"解析 {doc.manifest.title}")
        records, report = build_document(doc, settings, errata)
        all_records += records
        reports.append(report)
    with atomic_dir(settings.build_dir) as staging:
        write_jsonl(all_records, staging / RECORDS_FILE)
        summary = {
            "schema_version": SCHEMA_VERSION,
            "corpus_hash": corpus_hash(staging / RECORDS_FILE),
            "documents": [asdict(r) for r in reports],
            "records": len(all_records),
        }
        (staging / REPORT_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    if progress:
        progress(1.0, "完成")
    return summary


def load_records(settings: Settings | None = None, doc_id: str | None = None) -> list[Record]:
    """Records of the last good build (optionally one document's)."""
    settings = settings or get_settings()
    path = settings.build_dir / RECORDS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no corpus built at {settings.build_dir} — run `policyqa corpus build`")
    return [r for r in read_jsonl(path) if doc_id is None or r.doc_id == doc_id]


def load_report(settings: Settings | None = None) -> dict:
    settings = settings or get_settings()
    path = settings.build_dir / REPORT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no corpus built at {settings.build_dir} — run `policyqa corpus build`")
    return json.loads(path.read_text(encoding="utf-8"))
