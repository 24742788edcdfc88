"""The clause record: one dataclass per kind, one JSON Lines schema.

A record's ``id`` (``doc_id#path``) is what a search hit, a citation and an eval
gold label all name. Sentences and targets carry offsets into ``text`` so quotes
are spans of the record, never copies that can drift.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Sentence:
    """``text[start:end]`` of the record; ``start``/``end`` are character offsets."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Departments:
    """Who is responsible: ``lead`` (牵头/会同), ``co`` (按职责分工负责), ``implementers``
    (具体落实, or inherited from a section note such as 三(一)1's)."""

    lead: list[str] = field(default_factory=list)
    co: list[str] = field(default_factory=list)
    implementers: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.lead, *self.co, *self.implementers]

    def to_dict(self) -> dict[str, list[str]]:
        """``{"lead": [...], "co": [...], "implementers": [...]}`` — the one JSON shape."""
        return {"lead": list(self.lead), "co": list(self.co), "implementers": list(self.implementers)}

    def __bool__(self) -> bool:
        return bool(self.lead or self.co or self.implementers)


@dataclass(frozen=True)
class Target:
    """A quantified target, e.g. 每千人口拥有3岁以下婴幼儿托位数达到4.5个 by 2025.

    ``value`` is the number as written (4.5), ``unit`` the unit after it (个, %, 万名),
    ``comparator`` the bound word (以上, 不少于, 达到, 左右 …), ``deadline`` the year
    (2025) with ``deadline_text`` as written (到2025年 / 力争到2023年), ``start``/``end``
    the span of ``phrase`` in the record text.
    """

    indicator: str
    value: float
    unit: str
    comparator: str
    deadline: int | None
    deadline_text: str
    phrase: str
    start: int
    end: int


@dataclass(frozen=True)
class Record:
    id: str
    doc_id: str
    doc_title: str
    path: str
    level: str  # preamble | part | section | item | paragraph | article
    headings: list[str]
    title: str
    text: str
    #: The trailing responsibility note (``省住建厅牵头，…负责``), cleaned, without parentheses.
    responsibility: str
    raw: str
    sentences: list[Sentence]
    departments: Departments
    targets: list[Target]
    domains: list[str]
    tokens: list[str]

    @classmethod
    def from_dict(cls, data: dict) -> Record:
        return cls(
            **{
                **data,
                "sentences": [Sentence(**s) for s in data["sentences"]],
                "departments": Departments(**data["departments"]),
                "targets": [Target(**t) for t in data["targets"]],
            }
        )

    def to_dict(self) -> dict:
        return asdict(self)


def write_jsonl(records: Iterable[Record], path: Path) -> int:
    """Write records one JSON object a line (UTF-8, not ASCII-escaped); return the count."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count


def read_jsonl(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    yield Record.from_dict(json.loads(line))
                except (ValueError, TypeError, KeyError) as exc:
                    raise ValueError(f"{path}:{number}: not a policyqa record ({exc})") from exc
