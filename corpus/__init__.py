"""corpus: turns policy documents into clause records.

Public surface: :func:`build`, :func:`load_records`, :func:`load_report` (a
:class:`BuildReport`), :func:`verify_corpus`, :class:`Record`, :func:`normalize_text` (the
query normalizer), :func:`load_measures` and :class:`Measure` (support measures,
:mod:`corpus.measures`), :class:`PolicyError` and its corpus kinds :class:`SourceError` (a
document), :class:`MissingCorpus` and :class:`CorruptCorpus` (the build).
"""

from corpus.build import build
from corpus.errors import PolicyError
from corpus.formats import SourceError
from corpus.measures import Measure
from corpus.normalize import normalize_text
from corpus.records import Record
from corpus.report import BuildReport
from corpus.stored import (
    CorruptCorpus,
    MissingCorpus,
    load_measures,
    load_records,
    load_report,
    verify_corpus,
)

__all__ = [
    "BuildReport",
    "CorruptCorpus",
    "Measure",
    "MissingCorpus",
    "PolicyError",
    "Record",
    "SourceError",
    "build",
    "load_measures",
    "load_records",
    "load_report",
    "normalize_text",
    "verify_corpus",
]
