"""corpus: turns policy documents into clause records.

Public surface: :func:`build`, :func:`load_records`, :func:`load_report`,
:class:`Record`, :func:`normalize_text` (the query normalizer), :class:`SourceError`.
"""

from corpus.build import build, load_records, load_report
from corpus.normalize import normalize_text
from corpus.records import Record
from corpus.sources import SourceError

__all__ = ["Record", "SourceError", "build", "load_records", "load_report", "normalize_text"]
