"""Quantified targets: ``每千人口拥有3岁以下婴幼儿托位数达到4.5个`` → indicator, 4.5, 个.

A target is a number with a unit inside one clause segment (split at ，；。、：).
Numbers that are not targets are skipped: years (2025年), ages (3岁), document
numbers and labels (5G, 3A级), and conditions (``对建筑面积300平方米以下…的``).
The deadline is the last ``到2025年`` / ``力争到2023年`` / ``2025年前`` before the number
in the same record, so 二's opening 到2025年 covers its whole paragraph.
"""

from __future__ import annotations

import re

from corpus.records import Target

UNITS = (
    "万人次|万人|万名|万元|亿元|万平方米|平方米|人次|个百分点|百分点|%|‰|个|人|名|张|所|家|户|项|种|条|座|处|倍"
    "|公里|千米|米|小时|分钟|天"
)
NUMBER_RE = re.compile(rf"(\d+(?:\.\d+)?)\s*({UNITS})(以上|以下|左右|以内)?")
PREFIX_COMPARATORS = ("不少于", "不低于", "不超过", "不高于", "超过", "达到", "增加", "累计", "在")
DEADLINE_RE = re.compile(r"(力争)?(?:到|至)(\d{4})年(?:底|末)?|(\d{4})年(?:前|底前)")
SEGMENT_RE = re.compile(r"[^，；。、：\n]+")
#: Verbs a count can follow when the indicator comes after the number (建成300个城市书房).
LEADING_VERBS_RE = re.compile(r"^(力争)?(持续推动|建成|建设|培养|培育|打造|创新开发|引导培育|培育升级|发展壮大|新增|开发|推出|累计培训|培训)$")
NOT_TARGET_RE = re.compile(r"(以下的|以上的|^对|过渡期)")


#: Comparators written after the number (60%以上), not before it (达到4.5个).
SUFFIX_COMPARATORS = ("以上", "以下", "左右", "以内")


def amount_text(comparator: str, value: float, unit: str) -> str:
    """A target's amount as the plan writes it: 达到4.5个, 60%以上, 比2020年增加…以上."""
    for suffix in SUFFIX_COMPARATORS:
        if comparator.endswith(suffix):
            return f"{comparator[: -len(suffix)]}{value:g}{unit}{suffix}"
    return f"{comparator}{value:g}{unit}"


def _deadline_before(text: str, position: int) -> tuple[int | None, str]:
    """The deadline of the sentence holding ``position``, else the one opening its paragraph."""
    sentence_start = max(text.rfind(mark, 0, position) for mark in "。；\n") + 1
    line_start = text.rfind("\n", 0, position) + 1
    found = None
    for m in DEADLINE_RE.finditer(text, sentence_start, position):
        found = m
    if not found:
        opening = DEADLINE_RE.match(text, line_start)
        if opening and opening.start() == line_start:
            found = opening
    if not found:
        return None, ""
    return int(found.group(2) or found.group(3)), found.group(0)


def extract_targets(text: str) -> list[Target]:
    """Every quantified target in ``text`` with offsets of its phrase.

    >>> [(t.value, t.unit, t.deadline) for t in extract_targets("到2025年，护士4.5人。")]
    [(4.5, '人', 2025)]
    """
    targets: list[Target] = []
    for segment in SEGMENT_RE.finditer(text):
        phrase = segment.group()
        if NOT_TARGET_RE.search(phrase):
            continue
        previous: tuple[int, str, str] | None = None  # (end, indicator, comparator)
        for m in NUMBER_RE.finditer(phrase):
            if phrase[m.end() : m.end() + 1] in ("岁", "级", "年"):
                continue
            after = phrase[m.end() :]
            before = phrase[previous[0] if previous else 0 : m.start()]
            prefix = next((c for c in PREFIX_COMPARATORS if before.endswith(c)), "")
            comparator = m.group(3) or prefix
            indicator = before[: len(before) - len(prefix)] if prefix else before
            indicator = DEADLINE_RE.sub("", indicator)
            indicator = re.sub(r"^(力争|[和或及])|分别$", "", indicator.strip()).strip()
            if baseline := re.search(r"比\d{4}年$", indicator):
                comparator = baseline.group() + comparator
                indicator = indicator[: baseline.start()]
            if previous and not indicator:
                indicator, comparator = previous[1], comparator or previous[2]
            elif len(indicator) <= 4 or LEADING_VERBS_RE.match(indicator):
                indicator = (indicator + after).strip()
            previous = (m.end(), indicator, comparator)
            start = segment.start()
            deadline, deadline_text = _deadline_before(text, start + m.start())
            targets.append(
                Target(
                    indicator=indicator,
                    value=float(m.group(1)),
                    unit=m.group(2),
                    comparator=comparator,
                    deadline=deadline,
                    deadline_text=deadline_text,
                    phrase=phrase.strip(),
                    start=start + (len(phrase) - len(phrase.lstrip())),
                    end=segment.end() - (len(phrase) - len(phrase.rstrip())),
                )
            )
    return targets
