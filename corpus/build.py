"""``corpus.build()``: documents → clause records (JSON Lines) + a data-quality report.

Per document: read (encoding detected) → errata → clean lines → structure →
records (departments, targets, sentences, domains, tokens). The output directory
is written whole and swapped in atomically (:mod:`corpus.storage`); any bad
document aborts the build and the previous corpus keeps serving.

Budgets (``Settings.max_document_chars``, ``max_document_records``,
``max_build_records``) are checked before the work they bound: no record is made for
a document or a build over its budget.

This module reads each document and checks the budgets (:func:`build_document`), builds
them all and writes the staging folder. Turning one document into records is
:mod:`corpus.document`; the report's shape is :mod:`corpus.report`; the manifest and reading
the corpus back are :mod:`corpus.stored`.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from corpus.config import Settings, get_settings
from corpus.docstore import add_document_ex, finish_replacements, repair_replacements
from corpus.document import clean_lines, load_errata, make_records
from corpus.formats import SourceError, over_budget, read_text
from corpus.measures import (
    Measure,
    count_by_kind,
    extract_measures,
    support_without_measure,
    write_measures,
)
from corpus.normalize import Erratum, count_pinyin, count_pinyin_anywhere, find_garbled, strip_noise
from corpus.records import SCHEMA_VERSION, Record, write_jsonl
from corpus.report import (
    AppliedErratum,
    BuildInputs,
    BuildReport,
    DocMeasures,
    DocReport,
    GarbledSpan,
    InputDocument,
    MeasuresReport,
    SkippedInput,
)
from corpus.sources import Document, collect, discover, shipped_ids
from corpus.storage import atomic_dir
from corpus.stored import (  # load_records, load_report: re-exported for index/build.py only
    MEASURES_FILE,
    RECORDS_FILE,
    REPORT_FILE,
    corpus_hash,
    load_records,
    load_report,
    write_manifest,
)
from corpus.structure import TooManyUnits, parse

__all__ = ["SUPPORT_WITHOUT_MEASURE_LISTED", "build", "build_document", "load_records", "load_report"]

log = logging.getLogger(__name__)
#: At most this many ``support_without_measure`` sentences are listed per document in report.json.
SUPPORT_WITHOUT_MEASURE_LISTED = 200


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
    unresolved = tuple(GarbledSpan(r.id, span.text) for r in records for span in find_garbled(r.text))
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
        garbled_found=tuple(s.text for s in find_garbled(strip_noise(raw))),
        errata_applied=tuple(AppliedErratum(e.garbled, e.restored, n, e.reason) for e, n in applied),
        unresolved=unresolved,
        without_departments=tuple(r.id for r in records if not r.departments),
        targets=sum(len(r.targets) for r in records),
        warnings=tuple(warnings),
    )
    return records, report


def build(
    settings: Settings | None = None,
    paths: Iterable[Path] = (),
    progress: Callable[[float, str], None] | None = None,
    *,
    replace: bool = False,
) -> BuildReport:
    """Build every shipped and added document (after adding ``paths``); return the report.

    ``paths`` are files or folders (every ``.txt .md .docx .pdf`` under a folder, recursively,
    sorted — :func:`corpus.sources.collect`); each is added with
    :func:`~corpus.docstore.add_document` (``replace`` as there). In a folder, unsupported files,
    byte-identical copies and unreadable or over-budget documents are skipped and listed in
    ``report.inputs``; a named file that is bad, or a name conflict anywhere, stops the build.

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


def _add_inputs(settings: Settings, paths: Iterable[Path], replace: bool, added: list[str]) -> BuildInputs:
    """Add ``paths`` (files, folders) to the user documents; what happened, for the report:
    the documents (action ``added``/``replaced``/``unchanged``), the counts, and the files
    skipped with their counts."""
    found = collect(paths)
    shipped = shipped_ids(settings.docs_dir)
    documents: list[InputDocument] = []
    counts = {"added": 0, "replaced": 0, "unchanged": 0}
    skipped = [SkippedInput(f, "unsupported file type") for f in found.unsupported] \
        + [SkippedInput(f, "same bytes as an earlier file") for f in found.duplicates]
    unreadable = 0
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
            unreadable += 1
            skipped.append(SkippedInput(item.relative, str(exc)))
            continue
        if action == "added":
            added.append(manifest.doc_id)
        counts[action] += 1
        documents.append(InputDocument(item.relative, manifest.doc_id, action))
        if item.folder is not None:
            kept[item.folder] += 1
    for folder, count in kept.items():
        if not count:
            raise SourceError(folder, "no readable document in the folder "
                              f"({unreadable} skipped: {skipped[-1].reason})",
                              "check the files, or build them one by one to see each error", code="empty_folder")
    return BuildInputs(folders=tuple(found.folders), documents=tuple(documents), **counts,
                       skipped_unsupported=len(found.unsupported), skipped_duplicates=len(found.duplicates),
                       skipped_unreadable=unreadable, skipped=tuple(skipped))


def _build(settings: Settings, inputs: BuildInputs, progress: Callable[[float, str], None] | None) -> BuildReport:
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
        summary = BuildReport(schema_version=SCHEMA_VERSION, corpus_hash=corpus_hash(staging / RECORDS_FILE),
                              documents=tuple(reports), records=len(all_records), inputs=inputs,
                              measures=measures_report)
        (staging / REPORT_FILE).write_text(json.dumps(summary.to_dict(), ensure_ascii=False, indent=1),
                                           encoding="utf-8")
        write_manifest(staging, summary)
    if progress:
        progress(1.0, "完成")
    return summary


def _measures(records: list[Record]) -> tuple[list[Measure], MeasuresReport]:
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
    per_doc = tuple(
        DocMeasures(doc["doc_id"], doc["measures"],
                    dict(sorted(doc["by_kind"].items(), key=lambda kv: (-kv[1], kv[0]))),
                    doc["support_without_measure_count"], tuple(doc["support_without_measure"]))
        for doc in documents.values())
    return measures, MeasuresReport(MEASURES_FILE, len(measures), count_by_kind(measures), per_doc)
