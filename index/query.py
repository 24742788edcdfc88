"""``Query``: a question made once — normalized text, tokens, clause references — and
passed down, so no layer normalizes, tokenizes or parses references again.

>>> q = Query.parse("三（二）1讲的是什么？")
>>> q.refs
('三(二)1',)

``qa`` fills in ``intent`` and ``departments`` (:func:`qa.make_query`); the index only
reads ``text``, ``tokens`` and the references.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.errors import PolicyError
from corpus.normalize import normalize_text
from corpus.tokenize import tokenize_for_search
from index.expansion import expansion

CN = "一二三四五六七八九十"
PLAN_PATH_RE = re.compile(rf"([{CN}]+)\(([{CN}]+)\)(\d+)?")
ARTICLE_PATH_RE = re.compile(r"(?<!部分)(?<![节段项])第([一二三四五六七八九十百千零〇\d]+)条")
#: Spelled-out plan positions: 第三部分第二节第一条 → 三(二)1, 第二部分第二段 → 二¶2.
ORDINAL_PATH_RE = re.compile(
    rf"第([{CN}]+)部分(?:[“\"][^”\"]*[”\"])?(?:第([{CN}]+)[节项])?(?:第([{CN}\d]+)([条点段项]))?"
)
_CN_DIGITS = {c: i for i, c in enumerate(CN, 1)}


def _cn_to_int(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text.startswith("十"):
        return 10 + _CN_DIGITS.get(text[1:], 0) if len(text) > 1 else 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS[tens] * 10 + (_CN_DIGITS[ones] if ones else 0)
    return _CN_DIGITS[text]


def ordinal_paths(text: str) -> list[str]:
    """Plan paths written out in words (第三部分第二节第一条 → 三(二)1).

    Without a 节, 第N条 is read as the part's N-th section (第四部分第一条 → 四(一)),
    and 第N段 as its N-th paragraph (二¶N).
    """
    paths = []
    for m in ORDINAL_PATH_RE.finditer(text):
        part, section, number, kind = m.groups()
        path = part + (f"({section})" if section else "")
        if number:
            n = _cn_to_int(number)
            if kind == "段":
                path += f"¶{n}"
            elif section:
                path += str(n)
            else:
                path += f"({CN[n - 1]})" if n <= 10 else ""
        paths.append(path)
    return paths


def compact(text: str) -> str:
    """Full-width brackets to ASCII and spaces dropped, as paths are written."""
    return text.replace("（", "(").replace("）", ")").replace(" ", "")


def clause_refs(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(plan paths, article names) a text names: ``三(二)1``/``四(一)`` and ``第十二条``."""
    text = compact(text)
    plan = [m.group(0) for m in PLAN_PATH_RE.finditer(text)] + ordinal_paths(text)
    articles = [m.group(0) for m in ARTICLE_PATH_RE.finditer(text)]
    return tuple(dict.fromkeys(plan)), tuple(dict.fromkeys(articles))


#: A document named in a question: 《中华人民共和国慈善法》.
BOOK_RE = re.compile(r"《([^》]{2,60})》")


def named_documents(text: str) -> list[str]:
    """The 《documents》 a text names, in order, each once."""
    return list(dict.fromkeys(BOOK_RE.findall(text)))


#: Markup pasted into a question (``<img src=x …>``, ``<b>``): carried in the question as
#: written, kept out of what is searched (its words are not what the user asks about).
MARKUP_RE = re.compile(r"</?[A-Za-z][^<>]{0,200}>")


@dataclass(frozen=True)
class Query:
    #: Normalized (Simplified, full-width punctuation), cut to the length limit, markup removed:
    #: what is searched.
    text: str
    #: jieba search tokens of ``text`` (what evidence and coverage use; BM25 searches ``search_tokens``).
    tokens: tuple[str, ...]
    #: Plan paths named (``三(二)1``, ``四(一)``); ``articles``: ``第十二条``-style names.
    refs: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    #: Filled by qa: departments named (canonical) and the question's intent.
    departments: tuple[str, ...] = ()
    intent: str = "general"
    #: The question was longer than the limit and was cut.
    truncated: bool = False
    #: The normalized question as written (markup included), for display; "" = ``text``.
    written: str = ""
    #: Policy words the first stage's BM25 also searches (老年人 for 爸妈; index/expansion.py).
    expansion: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        return self.written or self.text

    @property
    def search_tokens(self) -> tuple[str, ...]:
        """What the first stage's BM25 searches: ``tokens`` and the expansion's tokens."""
        return self.tokens + tuple(t for word in self.expansion for t in tokenize_for_search(word))

    @property
    def names_clause(self) -> bool:
        return bool(self.refs or self.articles)

    @classmethod
    def parse(cls, raw: str, max_chars: int | None = None, expand: bool = True) -> Query:
        """Normalize once; an empty or word-less text is a :class:`PolicyError`. ``expand``:
        look up the everyday words' policy words (:mod:`index.expansion`)."""
        text = normalize_text(raw if isinstance(raw, str) else "")
        if not re.search(r"\w", text):
            raise PolicyError("empty_question", "问题为空或没有文字",
                              "请输入一个关于政策内容的问题，或条款编号（如 三(二)1）")
        truncated = max_chars is not None and len(text) > max_chars
        if truncated:
            text = text[:max_chars]
        written = text
        if MARKUP_RE.search(text) and re.search(r"\w", MARKUP_RE.sub(" ", text)):
            text = re.sub(r"\s+", " ", MARKUP_RE.sub(" ", text)).strip()
        refs, articles = clause_refs(text)
        tokens = tuple(tokenize_for_search(text))
        return cls(text, tokens, refs, articles, truncated=truncated, written=written if written != text else "",
                   expansion=expansion(text) if expand else ())
