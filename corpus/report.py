"""The data-quality report of a corpus build (``report.json``), as one typed shape.

:func:`corpus.build.build` returns a :class:`BuildReport` and writes its :meth:`~BuildReport.to_dict`
as ``report.json``; :func:`corpus.stored.load_report` reads it back with
:meth:`~BuildReport.from_dict`. The JSON keys and their order are those of the plain dict the
build wrote before this module::

    {schema_version, corpus_hash, documents: [DocReport…], records,
     inputs: {folders, documents: [{file, doc_id, action}], added, replaced, unchanged,
              skipped_unsupported, skipped_duplicates, skipped_unreadable, skipped: [{file, reason}]},
     measures: {file, count, by_kind, documents: [{doc_id, measures, by_kind,
                support_without_measure_count, support_without_measure: [...]}]}}

A report of an older build may lack ``inputs`` and ``measures``: they are then None and left
out of :meth:`~BuildReport.to_dict` again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


def _plain(value: Any) -> Any:
    """``asdict`` output with tuples as lists (the JSON shape, equal to what ``json.loads`` gives)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class AppliedErratum:
    """An erratum of ``data/errata.tsv`` and how often it was applied (0: not found)."""

    garbled: str
    restored: str
    times: int
    reason: str


@dataclass(frozen=True)
class GarbledSpan:
    """A garbled span left in a record after the errata."""

    record: str
    text: str


@dataclass(frozen=True)
class DocReport:
    """One document's part of the report."""

    doc_id: str
    title: str
    shape: str
    records: int
    levels: dict[str, int]
    pinyin_removed: int
    pinyin_in_errata: int
    garbled_found: tuple[str, ...]
    errata_applied: tuple[AppliedErratum, ...]
    unresolved: tuple[GarbledSpan, ...]
    without_departments: tuple[str, ...]
    targets: int
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return _plain(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> DocReport:
        return cls(
            doc_id=data["doc_id"],
            title=data["title"],
            shape=data["shape"],
            records=data["records"],
            levels=dict(data["levels"]),
            pinyin_removed=data["pinyin_removed"],
            pinyin_in_errata=data["pinyin_in_errata"],
            garbled_found=tuple(data["garbled_found"]),
            errata_applied=tuple(AppliedErratum(**e) for e in data["errata_applied"]),
            unresolved=tuple(GarbledSpan(**u) for u in data["unresolved"]),
            without_departments=tuple(data["without_departments"]),
            targets=data["targets"],
            warnings=tuple(data.get("warnings", ())),
        )


@dataclass(frozen=True)
class InputDocument:
    """A file the build added: ``action`` is ``added``, ``replaced`` or ``unchanged``."""

    file: str
    doc_id: str
    action: str


@dataclass(frozen=True)
class SkippedInput:
    file: str
    reason: str


@dataclass(frozen=True)
class BuildInputs:
    """What the build's PATHS gave: the documents added and the files skipped, with counts."""

    folders: tuple[str, ...] = ()
    documents: tuple[InputDocument, ...] = ()
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    skipped_unsupported: int = 0
    skipped_duplicates: int = 0
    skipped_unreadable: int = 0
    skipped: tuple[SkippedInput, ...] = ()

    def to_dict(self) -> dict:
        return _plain(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> BuildInputs:
        counts = (
            "added",
            "replaced",
            "unchanged",
            "skipped_unsupported",
            "skipped_duplicates",
            "skipped_unreadable",
        )
        return cls(
            folders=tuple(data["folders"]),
            documents=tuple(InputDocument(**d) for d in data["documents"]),
            skipped=tuple(SkippedInput(**s) for s in data["skipped"]),
            **{name: data[name] for name in counts},
        )


@dataclass(frozen=True)
class DocMeasures:
    """One document's support measures: the count by kind, and the sentences with a support
    word that gave no measure (``support_without_measure``: the first ones listed — objects of
    :func:`corpus.measures.support_without_measure` — all counted)."""

    doc_id: str
    measures: int
    by_kind: dict[str, int]
    support_without_measure_count: int
    support_without_measure: tuple[dict, ...]

    @classmethod
    def from_dict(cls, data: dict) -> DocMeasures:
        listed = tuple(dict(x) for x in data.get("support_without_measure") or ())
        return cls(
            doc_id=data["doc_id"],
            measures=data["measures"],
            by_kind=dict(data["by_kind"]),
            support_without_measure_count=data.get("support_without_measure_count", len(listed)),
            support_without_measure=listed,
        )


@dataclass(frozen=True)
class MeasuresReport:
    """The support measures of the build (``measures.jsonl``)."""

    file: str
    count: int
    by_kind: dict[str, int]
    documents: tuple[DocMeasures, ...]

    def to_dict(self) -> dict:
        return _plain(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> MeasuresReport:
        return cls(
            file=data["file"],
            count=data["count"],
            by_kind=dict(data["by_kind"]),
            documents=tuple(DocMeasures.from_dict(d) for d in data["documents"]),
        )


#: The fields :meth:`BuildReport.__getitem__` still serves (see there).
_SCALAR_KEYS = ("schema_version", "corpus_hash", "records")


@dataclass(frozen=True)
class BuildReport:
    """``report.json`` of a corpus build (see the module docstring)."""

    schema_version: int
    #: sha256 of ``records.jsonl``.
    corpus_hash: str
    documents: tuple[DocReport, ...]
    #: Records of the whole build.
    records: int
    #: None in a report of a build from before folder inputs were reported.
    inputs: BuildInputs | None = None
    #: None in a report of a build from before the support measures.
    measures: MeasuresReport | None = None

    def document(self, doc_id: str) -> DocReport | None:
        return next((d for d in self.documents if d.doc_id == doc_id), None)

    def to_dict(self) -> dict:
        """The JSON object of ``report.json`` (parts that are None left out)."""
        data = {
            "schema_version": self.schema_version,
            "corpus_hash": self.corpus_hash,
            "documents": [d.to_dict() for d in self.documents],
            "records": self.records,
        }
        if self.inputs is not None:
            data["inputs"] = self.inputs.to_dict()
        if self.measures is not None:
            data["measures"] = self.measures.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> BuildReport:
        """Raises ``KeyError``/``TypeError``/``ValueError`` for an object that is not a report."""
        if not isinstance(data, dict):
            raise TypeError(f"a JSON object is expected, not {type(data).__name__}")
        inputs, measures = data.get("inputs"), data.get("measures")
        return cls(
            schema_version=data["schema_version"],
            corpus_hash=data["corpus_hash"],
            documents=tuple(DocReport.from_dict(d) for d in data["documents"]),
            records=data["records"],
            inputs=BuildInputs.from_dict(inputs) if inputs is not None else None,
            measures=MeasuresReport.from_dict(measures) if measures is not None else None,
        )

    def __getitem__(self, key: str) -> Any:
        """Transitional: ``report["corpus_hash"]`` (and ``"records"``, ``"schema_version"``)
        for readers not yet moved to attributes — ``index/build.py``. Remove with that use."""
        if key not in _SCALAR_KEYS:
            raise KeyError(key)
        return getattr(self, key)
