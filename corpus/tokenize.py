"""jieba segmentation with the shared user dictionary (department names and
aliases, policy terms), so records and queries segment alike."""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

import jieba

from corpus.config import DATA_DIR
from corpus.departments import load_dictionary

_WORD_RE = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
_lock = threading.Lock()


def _data_lines(name: str) -> list[str]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def policy_terms() -> tuple[str, ...]:
    return tuple(line.split()[0] for line in _data_lines("terms.txt"))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(_data_lines("stopwords.txt"))


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    """A private jieba tokenizer loaded with the user dictionary (thread-safe init)."""
    with _lock:
        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        dictionary = load_dictionary()
        for word in [*dictionary.aliases, *policy_terms()]:
            tok.add_word(word, freq=max(2000, 400 * len(word)))
        tok.initialize()
        return tok


def tokenize(text: str) -> list[str]:
    """Words of ``text`` (punctuation and spaces dropped; stopwords kept).

    >>> tokenize("省住建厅牵头推动适老化改造")
    ['省住建厅', '牵头', '推动', '适老化', '改造']
    """
    return [w for w in tokenizer().lcut(text) if _WORD_RE.search(w)]


def tokenize_for_search(text: str) -> list[str]:
    """Tokens BM25 indexes and queries with: :func:`tokenize` minus stopwords."""
    stop = stopwords()
    return [w for w in tokenize(text) if w not in stop]
