"""Sentences with offsets and domain tags from the lexicon in ``data/domains.json``."""

from __future__ import annotations

import json
import re
from functools import lru_cache

from corpus.config import DATA_DIR
from corpus.records import Sentence

#: A sentence ends at 。！？ (with a closing quote) or a line break; ；keeps it going.
SENTENCE_RE = re.compile(r"[^。！？\n]+(?:[。！？]+[”’」』]?)?|[。！？]+")


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of ``text`` with offsets, stripped of surrounding spaces.

    >>> [s.text for s in split_sentences("甲。乙！\\n丙")]
    ['甲。', '乙！', '丙']
    """
    out = []
    for m in SENTENCE_RE.finditer(text):
        chunk = m.group()
        stripped = chunk.strip()
        if not stripped:
            continue
        start = m.start() + chunk.index(stripped)
        out.append(Sentence(start, start + len(stripped), stripped))
    return out


@lru_cache(maxsize=1)
def domain_lexicon() -> dict[str, list[str]]:
    return json.loads((DATA_DIR / "domains.json").read_text(encoding="utf-8"))


def domain_tags(text: str, title: str = "") -> list[str]:
    """Tags whose keywords appear in the title, or at least twice in the text."""
    tags = []
    for tag, keywords in domain_lexicon().items():
        hits = sum(text.count(k) for k in keywords)
        if hits >= 2 or any(k in title for k in keywords):
            tags.append(tag)
    return tags
