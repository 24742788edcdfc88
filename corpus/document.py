"""One document → its clause records: errata, clean lines, structure, records.

:func:`clean_lines` applies the errata (``data/errata.tsv``, :func:`load_errata`) and
cleans each line; :func:`make_records` turns the parsed units into records
(departments, targets, sentences, domains, tokens); :func:`count_units` bounds the
records a text would make. One document's part of the data-quality report is
:class:`corpus.report.DocReport`. Reading the file and the record budgets are the build's
(:func:`corpus.build.build_document`).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from corpus import departments as dept
from corpus.config import DATA_DIR
from corpus.law_bodies import parse_law_article
from corpus.normalize import Erratum, apply_errata, normalize_text, strip_noise, strip_pinyin
from corpus.records import Departments, Record
from corpus.sources import Document
from corpus.structure import TooManyUnits, Unit, parse
from corpus.tagging import domain_tags, split_sentences
from corpus.targets import extract_targets
from corpus.tokenize import tokenize

_COMMENT_LINE_RE = re.compile(r"^\s*<!--.*-->\s*$")
_METADATA_LINE_RE = re.compile(r"^(（此件公开发布）|\d{4}年\d{1,2}月\d{1,2}日)$")


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
            departments = parse_law_article(text)
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

