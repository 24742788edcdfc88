"""corpus: turns policy documents into clause records.

Public surface: :func:`build`, :func:`load_records`, :func:`load_report`,
:func:`verify_corpus`, :class:`Record`, :func:`normalize_text` (the query normalizer),
:class:`PolicyError` and its corpus kinds :class:`SourceError` (a document),
:class:`MissingCorpus` and :class:`CorruptCorpus` (the build).
"""

from corpus.build import (
           CorruptCorpus,
           MissingCorpus,
           build,
           load_records,
           load_report,
           verify_corpus,
)
from corpus.errors import PolicyError
from corpus.normalize import normalize_text
from corpus.records import Record
from corpus.sources import SourceError

__all__ = ["CorruptCorpus", "MissingCorpus", "PolicyError", "Record", "SourceError", "build", "load_records",
           "load_report", "normalize_text", "verify_corpus"]
