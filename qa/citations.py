"""Citations: a clause path plus a quote that is a span of the cited record.

A citation is built *from* a span (``record.text[start:end]`` or the
``responsibility`` note), so its quote cannot drift from the record; ``verify``
checks it again before an answer is returned.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from corpus.records import Record

Field = Literal["text", "responsibility"]


@dataclass(frozen=True)
class Citation:
    record_id: str
    doc_id: str
    doc_title: str
    path: str
    title: str
    quote: str
    start: int
    end: int
    field: Field = "text"

    def to_dict(self) -> dict:
        return asdict(self)


def cite(record: Record, start: int, end: int, field: Field = "text") -> Citation:
    source = getattr(record, field)
    if not (0 <= start < end <= len(source)):
        raise ValueError(f"span {start}:{end} is outside {record.id}.{field}")
    return Citation(record.id, record.doc_id, record.doc_title, record.path, record.title,
                    source[start:end], start, end, field)


def verify(citation: Citation, record: Record | None) -> bool:
    """True when the quote stands verbatim at its offsets in the cited record."""
    if record is None or record.id != citation.record_id:
        return False
    source = getattr(record, citation.field, None)
    return isinstance(source, str) and source[citation.start : citation.end] == citation.quote
