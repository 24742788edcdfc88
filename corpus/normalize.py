"""Pure text normalizing shared by documents and queries.

The order matters and is fixed in :func:`clean_source`:

1. errata (exact garbled spans of the raw file → restored text), because the
   garbled spans still carry pinyin annotations glued to non-CJK characters;
2. pinyin annotations after a CJK character (``發(fā)展`` → ``發展``);
3. ``????`` noise runs at a line end;
4. Traditional → Simplified (OpenCC ``t2s``);
5. punctuation (:func:`normalize_punct`), the same function queries go through.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
#: A parenthesized Latin syllable with at least one tone mark, right after a CJK character.
PINYIN_RE = re.compile(rf"(?<=[{CJK}])\(([a-zü]*[{TONED}][a-zü]*)\)")
#: Question-mark noise: a run of ``?`` closing a line (``辦公廳????``).
NOISE_RE = re.compile(r"[?？]{2,}[ \t]*$", re.MULTILINE)
#: Anchors of a bad encoding conversion: ``?`` glued to CJK, bopomofo, compatibility
#: and small forms, or a Latin letter / caret squeezed between CJK characters.
GARBLED_ANCHOR_RE = re.compile(
    rf"(?<=[{CJK}])\?|\?(?=[{CJK}])|[\u3100-\u312f\ufe30-\ufe4f\ufe50-\ufe6f]"
    rf"|(?<=[{CJK}])[A-Za-z^](?=[{CJK}(])"
)
_FULLWIDTH = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"}
_ASCII_PUNCT_RE = re.compile(r"[,;:!?()]")


@dataclass(frozen=True)
class Erratum:
    """One reviewed correction: ``garbled`` (as in the raw file) → ``restored``."""

    doc_id: str
    garbled: str
    restored: str
    reason: str


@dataclass(frozen=True)
class GarbledSpan:
    """A suspicious span found by :func:`find_garbled` (offsets into the scanned text)."""

    start: int
    end: int
    text: str


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def strip_pinyin(text: str) -> str:
    """Remove pinyin annotations: ``發(fā)展`` → ``發展``; keeps ``(一)``, ``(助理)``."""
    return PINYIN_RE.sub("", text)


def count_pinyin(text: str) -> int:
    return len(PINYIN_RE.findall(text))


def count_pinyin_anywhere(text: str) -> int:
    """Toned syllables in parentheses wherever they stand (also inside garbled spans)."""
    return len(re.findall(rf"\(([a-zü]*[{TONED}][a-zü]*)\)", text))


def strip_noise(text: str) -> str:
    return NOISE_RE.sub("", text)


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def normalize_punct(text: str) -> str:
    """Unify width and punctuation so documents and queries compare alike.

    Full-width letters and digits become ASCII (NFKC on those only); ASCII
    ``, ; : ! ? ( )`` become the full-width forms Chinese text uses, except
    between two ASCII alphanumerics (``10:30``, ``1,000``); runs of spaces collapse.

    >>> normalize_punct("三(二)1,养老?")
    '三（二）1，养老？'
    """
    text = "".join(
        unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e" and ch.isalnum() else ch
        for ch in text
    )
    text = text.replace("\u3000", " ").replace("\u00a0", " ")

    def widen(m: re.Match) -> str:
        before = text[m.start() - 1] if m.start() else ""
        after = text[m.end()] if m.end() < len(text) else ""
        if before.isascii() and before.isalnum() and after.isascii() and after.isalnum():
            return m.group()
        return _FULLWIDTH[m.group()]

    text = _ASCII_PUNCT_RE.sub(widen, text)
    return re.sub(r"[ \t]+", " ", text).strip()


def normalize_text(text: str) -> str:
    """The query path: Traditional → Simplified, then punctuation. Idempotent."""
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return normalize_punct(to_simplified(text))


def find_garbled(text: str) -> list[GarbledSpan]:
    """Spans that look like a bad encoding conversion, merged when close together.

    A span reaches two characters either side of its anchors so a reviewer sees
    the context; it is a pointer for the report, not the exact erratum text.
    """
    spans: list[list[int]] = []
    for m in GARBLED_ANCHOR_RE.finditer(text):
        start, end = max(0, m.start() - 2), min(len(text), m.end() + 2)
        if spans and start <= spans[-1][1]:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return [GarbledSpan(s, e, text[s:e]) for s, e in spans]


def apply_errata(text: str, errata: list[Erratum]) -> tuple[str, list[tuple[Erratum, int]]]:
    """Replace each erratum's garbled text; return the text and (erratum, times applied)."""
    applied = []
    for erratum in errata:
        count = text.count(erratum.garbled)
        if count:
            text = text.replace(erratum.garbled, erratum.restored)
        applied.append((erratum, count))
    return text, applied


def clean_source(raw: str, errata: list[Erratum]) -> tuple[str, list[tuple[Erratum, int]]]:
    """Raw scraped text → clean Simplified text, line structure kept."""
    text, applied = apply_errata(raw, errata)
    text = strip_noise(strip_pinyin(text))
    lines = [normalize_text(line) for line in text.splitlines()]
    return "\n".join(line for line in lines if line), applied
