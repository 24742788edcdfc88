"""Structure parsers: clean lines → numbered units (the future records).

Three document shapes are recognized, tried in this order by :func:`parse`:

* **law** — ``第X条`` articles under optional ``编/章/节`` headings (Markdown ``#``
  or plain lines); path ``第三章/第十二条``;
* **plan** — ``一、`` parts, ``（一）`` sections, ``1.`` items; path ``三(二)1``;
  un-numbered paragraphs directly under a numbered heading become ``二¶1``, ``二¶2``;
* **paragraphs** — the fallback: one unit per paragraph, path ``¶3``, with a warning.

Every unit keeps the raw lines it came from, for audit. ``parse(…, max_units=N)`` raises
:class:`TooManyUnits` for a document of more than N units — from a lower bound counted on
the lines before any unit is made when it can, else right after parsing (units are cheap;
the records made from them are not, and none is made).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CN_NUM = "一二三四五六七八九十百千零〇两"
PART_RE = re.compile(rf"^([{CN_NUM}]+)、\s*(.*)$")
SECTION_RE = re.compile(rf"^（([{CN_NUM}]+)）\s*(.*)$")
ITEM_RE = re.compile(r"^(\d{1,2})[.．、](?!\d)\s*(.*)$")
ARTICLE_RE = re.compile(rf"^(第[{CN_NUM}\d]+条(?:之[{CN_NUM}]+)?)(?:\s+|$)(.*)$")
LAW_HEADING_RE = re.compile(rf"^#*\s*(第[{CN_NUM}\d]+(?:编|分编|章|节))\s*(.*)$")
MAX_TITLE_CHARS = 40


class TooManyUnits(Exception):
    """More units than the budget; ``count`` is how many (or at least how many) there are."""

    def __init__(self, count: int, limit: int):
        self.count, self.limit = count, limit
        super().__init__(f"{count} units, over the limit of {limit}")


@dataclass
class Unit:
    """A numbered piece of a document before it becomes a :class:`~corpus.records.Record`."""

    path: str
    level: str
    headings: list[str]
    title: str
    lines: list[str] = field(default_factory=list)
    raw_lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def raw(self) -> str:
        return "\n".join(self.raw_lines)


def lead_phrase(text: str) -> str:
    """The lead phrase ending in 。 (``推动社区基础服务设施达标。结合…`` → its first phrase)."""
    head, sep, _ = text.partition("。")
    return head if sep and 0 < len(head) <= MAX_TITLE_CHARS else ""


def detect_shape(lines: list[str]) -> str:
    articles = sum(1 for line in lines if ARTICLE_RE.match(line))
    if articles >= 2:
        return "law"
    if sum(1 for line in lines if PART_RE.match(line) or SECTION_RE.match(line)) >= 2:
        return "plan"
    return "paragraphs"


def _least_units(shape: str, lines: list[str]) -> int:
    """A lower bound on the units :func:`parse` makes: one per paragraph, per article, per
    ``（一）`` section under a ``一、`` part of a plan (its items replace it, at least one)."""
    if shape == "paragraphs":
        return len(lines)
    if shape == "law":
        return sum(1 for line in lines if not line.startswith(("#", "<!--")) and ARTICLE_RE.match(line.strip()))
    count, in_part = 0, False
    for line in lines:
        if PART_RE.match(line):
            in_part = True
        elif in_part and SECTION_RE.match(line):
            count += 1
    return count


def parse(lines: list[tuple[str, str]], title: str, max_units: int | None = None) -> tuple[str, list[Unit]]:
    """(raw line, clean line) pairs → (shape, units); :class:`TooManyUnits` over ``max_units``."""
    clean = [c for _, c in lines]
    shape = detect_shape(clean)
    if max_units is not None and (least := _least_units(shape, clean)) > max_units:
        raise TooManyUnits(least, max_units)
    parser = {"law": parse_law, "plan": parse_plan, "paragraphs": parse_paragraphs}[shape]
    units = parser(lines, title)
    if max_units is not None and len(units) > max_units:
        raise TooManyUnits(len(units), max_units)
    return shape, units


def _split_paragraph_children(node: Unit, children: list[Unit]) -> list[Unit]:
    """A heading's own body lines become ``path¶n`` units when it has no numbered children
    that would otherwise absorb them (二 of the plan: two plain paragraphs)."""
    if not node.lines:
        return []
    if not children and node.level != "part":
        return [node]
    heads = [*node.headings, node.title] if node.title else node.headings
    return [
        Unit(f"{node.path}¶{n}", "paragraph", heads, "", [line], [raw])
        for n, (line, raw) in enumerate(zip(node.lines, node.raw_lines), 1)
    ]


def parse_plan(lines: list[tuple[str, str]], title: str) -> list[Unit]:
    preamble = Unit("前言", "preamble", [], title)
    part: Unit | None = None
    section: Unit | None = None
    current: Unit = preamble
    tree: list[tuple[Unit, list]] = []  # (part, [(section, [items])])
    for raw, line in lines:
        if m := PART_RE.match(line):
            part = Unit(m.group(1), "part", [], lead_phrase(m.group(2) + "。") or m.group(2))
            section, current = None, part
            tree.append((part, []))
        elif part and (m := SECTION_RE.match(line)):
            rest = m.group(2)
            section = Unit(f"{part.path}({m.group(1)})", "section", [part.title], lead_phrase(rest))
            section.lines.append(rest)
            section.raw_lines.append(raw)
            current = section
            tree[-1][1].append((section, []))
        elif section and (m := ITEM_RE.match(line)):
            rest = m.group(2)
            current = Unit(
                f"{section.path}{m.group(1)}", "item", [part.title, section.title], lead_phrase(rest)
            )
            current.lines.append(rest)
            current.raw_lines.append(raw)
            tree[-1][1][-1][1].append(current)
        else:
            current.lines.append(line)
            current.raw_lines.append(raw)
    units = [preamble] if preamble.lines else []
    for part_unit, sections in tree:
        units += _split_paragraph_children(part_unit, sections)
        for section_unit, items in sections:
            if items:
                # A section heading line with body text beyond its title keeps that text.
                extra = section_unit.lines[1:]
                if extra:
                    section_unit.lines = section_unit.lines[1:]
                    section_unit.raw_lines = section_unit.raw_lines[1:]
                    units += _split_paragraph_children(section_unit, items)
                units += items
            else:
                units.append(section_unit)
    return units


def parse_law(lines: list[tuple[str, str]], title: str) -> list[Unit]:
    """``第X条`` articles; ``编/章/节`` headings give the path prefix and the headings."""
    levels: dict[str, tuple[str, str]] = {}  # kind (编/章/节) → (label, name)
    order = ["编", "分编", "章", "节"]
    units: list[Unit] = []
    current: Unit | None = None
    preamble = Unit("前言", "preamble", [], title)
    for raw, line in lines:
        stripped = line.lstrip("#").strip()
        if line.startswith("<!--") or (line.startswith("#") and not LAW_HEADING_RE.match(line)):
            continue
        if m := LAW_HEADING_RE.match(line):
            label = m.group(1)
            kind = next(k for k in ("分编", "编", "章", "节") if label.endswith(k))
            for deeper in order[order.index(kind):]:
                levels.pop(deeper, None)
            levels[kind] = (label, m.group(2).replace(" ", ""))  # 总 则 → 总则
            current = None
        elif m := ARTICLE_RE.match(stripped):
            prefix = [levels[k][0] for k in order if k in levels]
            headings = [" ".join(levels[k]).strip() for k in order if k in levels]
            current = Unit("/".join([*prefix, m.group(1)]), "article", headings, m.group(1))
            current.lines.append(m.group(2))
            current.raw_lines.append(raw)
            units.append(current)
        elif current is not None:
            current.lines.append(stripped)
            current.raw_lines.append(raw)
        elif stripped and not re.match(r"^\d{4}年\d{1,2}月\d{1,2}日", stripped):
            preamble.lines.append(stripped)
            preamble.raw_lines.append(raw)
    return ([preamble] if preamble.lines else []) + units


def parse_paragraphs(lines: list[tuple[str, str]], title: str) -> list[Unit]:
    return [
        Unit(f"¶{n}", "paragraph", [], lead_phrase(line), [line], [raw])
        for n, (raw, line) in enumerate(lines, 1)
    ]
