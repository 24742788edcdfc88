"""Questions about a document's structure — what its parts are (这个方案主要讲了什么, 有哪几部分)
or what one part holds (重点任务有哪些, 保障措施包括哪些, 中小企业促进法的财税支持有哪些) — answered by
listing the clauses under it, in the document's order, each citing the sentence that states
its title (the plan's clauses open with it: ``强化基本公共服务保障。…``).

Before this, ``保障措施有哪些`` got 四(四), 三(七)4 and 三(一)2 — whatever shared the words —
instead of the four clauses of 四、强化保障措施.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from corpus.records import Record, Sentence

#: A question asking for the list of what a part holds.
LIST_ASKED_RE = re.compile(r"有哪些|包括哪些|包含哪些|有什么|包括什么|哪几|几项|几个方面|主要内容|分为几|由哪几")
#: … or what it is, when the question writes the part's whole name (行动目标是什么).
WHAT_ASKED_RE = re.compile(r"是什么|是啥|讲了?什么")
#: A question asking what a whole document consists of.
WHOLE_ASKED_RE = re.compile(
    r"(方案|文件)[^，。？]{0,6}(有哪几|有几|分为几|由哪几|包括哪几|包括哪些|包含哪些)个?(部分|方面|块|章)"
    r"|(方案|文件)[^，。？]{0,4}(主要)?(讲了?些?什么|讲的是什么|主要内容|框架|结构)")
#: 第二章 财税支持 → 财税支持: the chapter number is no name a question uses.
CHAPTER_NUMBER_RE = re.compile(r"^第[一二三四五六七八九十百零]+[编章节]\s*")
#: Shortest part of a heading a question must write (保障措施 of 强化保障措施).
MIN_NAME_CHARS = 4
#: A part with more clauses than this is no list to answer with (总则 of a law).
MAX_LINES = 25


def _name(heading: str) -> str:
    return CHAPTER_NUMBER_RE.sub("", heading).strip()


#: What may stand between a part's name and the asking words: 组织实施方面有哪些要求,
#: 社会保障一章有哪些规定, 营商环境优化行动包括哪些内容.
ASKED_AFTER = (r"(这一章|一章|这部分|部分|方面)?的?(主要)?(内容|规定|要求|措施|任务)?都?"
               r"(有哪些|包括哪些|包含哪些|有什么|包括什么|有哪几|分为几|几项|几个方面|是什么|是啥|讲了?什么)"
               r"(?!区别|不同|差别|关系|联系|影响|用)")  # 慈善募捐有什么区别 compares, lists nothing


#: What may stand before a part's name: the document (方案的, 本方案中, 《残疾人保障法》的) and
#: politeness — not a topic (养老服务方面的重点任务 asks for the tasks about 养老, not all 22).
BEFORE_NAME_RE = re.compile(r"^(请问|请|我想问一下|想问一下|一下)?(这个|这份|本|该|此|整个)?(行动)?(方案|文件)?"
                            r"(中|里|里面|当中)?的?(主要)?$")


def _named_in(name: str, question: str, doc_title: str = "") -> int:
    """How many characters of the heading ``name`` the question writes as its ending (保障措施
    of 强化保障措施) right before the words asking for its contents, with nothing but the
    document before it; 0 when fewer than :data:`MIN_NAME_CHARS` — a name inside a longer phrase
    is none (健康促进 of 健康促进法, 政策支持 at the end of 小微企业贷款有哪些政策支持)."""
    short = doc_title.removeprefix("中华人民共和国")
    for k in range(len(name), MIN_NAME_CHARS - 1, -1):
        found = re.search(re.escape(name[-k:]) + ASKED_AFTER, question)
        if found:
            before = re.sub(r"《[^》]*》", "", question[: found.start()])
            if short:
                before = before.replace(short, "")
            return k if BEFORE_NAME_RE.match(before.strip()) else 0
    return 0


def title_sentence(record: Record) -> Sentence | None:
    """A clause's first sentence: its title where it opens with one (强化基本公共服务保障。)."""
    return record.sentences[0] if record.sentences else None


def asks_contents(question: str) -> bool:
    """Whether the question asks what something holds or is (有哪些, 包括什么, 是什么)."""
    return bool(LIST_ASKED_RE.search(question) or WHAT_ASKED_RE.search(question))


def parts(records: Sequence[Record]) -> dict[tuple[str, tuple[str, ...]], list[Record]]:
    """Every part of every document: (doc_id, heading path) → its clauses in order. Built once
    per index by the caller (qa.answer keeps it per index): a question then scans the distinct
    headings, not the records."""
    found: dict[tuple[str, tuple[str, ...]], list[Record]] = {}
    for r in records:
        for depth in range(len(r.headings)):
            found.setdefault((r.doc_id, tuple(r.headings[: depth + 1])), []).append(r)
    return found


def part_asked(question: str, all_parts: dict[tuple[str, tuple[str, ...]], list[Record]],
               allowed: set[str] | None = None) -> list[Record]:
    """The clauses of the one part of one document the question names and asks the contents of
    ([] when it names none, several documents have it, or it holds more than :data:`MAX_LINES`).
    ``all_parts`` is :func:`parts` of the index; ``allowed`` the ids a search may return (filters),
    None for all."""
    listing = LIST_ASKED_RE.search(question)
    if not asks_contents(question):
        return []
    named_parts: list[tuple[str, tuple[str, ...]]] = []
    best = 0
    for key in all_parts:
        name = _name(key[1][-1])
        if len(name) < MIN_NAME_CHARS or name[-MIN_NAME_CHARS:] not in question:
            continue  # the cheap test first: a name the question writes ends in these characters
        matched = _named_in(name, question, all_parts[key][0].doc_title)
        if not listing and matched < len(name):
            matched = 0  # "是什么" asks about a part only when it writes the whole name
        if matched and matched >= best:
            if matched > best:
                named_parts, best = [], matched
            named_parts.append(key)
    if len({doc for doc, _ in named_parts}) > 1:  # 《残疾人保障法》的社会保障: the document it names
        named_parts = [key for key in named_parts
                       if all_parts[key][0].doc_title.removeprefix("中华人民共和国") in question]
    if not named_parts or len({doc for doc, _ in named_parts}) != 1:
        return []
    # the deepest part named (营商环境优化行动 within 重点任务), with the clauses a search may return
    clauses = [r for r in all_parts[max(named_parts, key=lambda k: len(k[1]))]
               if allowed is None or r.id in allowed]
    return clauses if 0 < len(clauses) <= MAX_LINES else []


def outline(document: Sequence[Record]) -> list[tuple[str, list[Record]]]:
    """A document's top-level parts in order: (heading, its clauses); the preamble has none."""
    parts: dict[str, list[Record]] = {}
    for r in document:
        if r.headings:
            parts.setdefault(r.headings[0], []).append(r)
    return list(parts.items())
