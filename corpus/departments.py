"""Responsible departments: the dictionary (canonical names and aliases) and the
parser of responsibility notes such as ``（省住建厅牵头，省教育厅、…等部门按职责分工负责）``.

Rules (the plan's own wording):

* ``A、B牵头`` → lead A, B; the rest of the note after it → co;
* ``A、B会同有关部门…`` → lead A, B;
* ``A、B等部门（单位）按职责分工负责`` → co;
* ``各市州、兰州新区管委会具体落实`` → implementers;
* ``以下任务需A、B落实，不再一一列出`` → implementers of this and every later task of
  the same part (see :func:`inherited_implementers`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from corpus.config import DATA_DIR
from corpus.records import Departments

__all__ = [
    "INHERIT_RE",
    "NOTE_RE",
    "Dictionary",
    "inherited_implementers",
    "load_dictionary",
    "parse_note",
    "split_note",
]

#: A trailing parenthetical that assigns responsibility.
NOTE_RE = re.compile(r"（([^（）]*(?:负责|牵头|落实|会同)[^（）]*)）\s*$")
INHERIT_RE = re.compile(r"以下任务需(.+?)落实[，,]?\s*不再一一列出")
_FILLER_RE = re.compile(
    r"(会同有关部门单位|会同有关部门|会同有关单位|等部门单位|等部门|等单位|按职责分工负责|具体落实|负责|落实)"
)


@dataclass(frozen=True)
class Dictionary:
    """Canonical department names and an alias → canonical map (aliases include names)."""

    names: tuple[str, ...]
    aliases: dict[str, str]

    def resolve(self, name: str) -> str | None:
        """Canonical name for a name or alias (``卫健委`` → ``省卫生健康委``), or None."""
        name = name.strip()
        if name in self.aliases:
            return self.aliases[name]
        bare = re.sub(r"^(甘肃)?省?", "", name)
        return self.aliases.get(bare) or self.aliases.get("省" + bare)

    def find_in(self, text: str) -> list[str]:
        """Canonical departments named anywhere in ``text``, longest alias first, in order."""
        hits: list[tuple[int, str]] = []
        taken = [False] * len(text)
        for alias in sorted(self.aliases, key=len, reverse=True):
            for m in re.finditer(re.escape(alias), text):
                if not any(taken[m.start() : m.end()]):
                    taken[m.start() : m.end()] = [True] * (m.end() - m.start())
                    hits.append((m.start(), self.aliases[alias]))
        ordered: list[str] = []
        for _, name in sorted(hits):
            if name not in ordered:
                ordered.append(name)
        return ordered


@lru_cache(maxsize=4)
def load_dictionary(path: Path = DATA_DIR / "departments.json") -> Dictionary:
    data = json.loads(path.read_text(encoding="utf-8"))
    names, aliases = [], {}
    for entry in data["departments"]:
        names.append(entry["name"])
        aliases[entry["name"]] = entry["name"]
        for alias in entry["aliases"]:
            aliases.setdefault(alias, entry["name"])
    return Dictionary(tuple(names), aliases)


def split_note(text: str) -> tuple[str, str]:
    """Split ``text`` into (body, responsibility note without its parentheses)."""
    m = NOTE_RE.search(text)
    if not m:
        return text, ""
    return text[: m.start()].rstrip(), m.group(1)


def _names(fragment: str, dictionary: Dictionary) -> list[str]:
    out = []
    for piece in re.split(r"、", _FILLER_RE.sub("", fragment)):
        piece = piece.strip()
        if not piece:
            continue
        out.append(dictionary.resolve(piece) or piece)
    return out


def parse_note(note: str, dictionary: Dictionary | None = None) -> Departments:
    """Lead / co / implementers from one responsibility note (without parentheses)."""
    dictionary = dictionary or load_dictionary()
    lead: list[str] = []
    co: list[str] = []
    implementers: list[str] = []
    note = INHERIT_RE.sub(lambda m: "", note)
    for clause in re.split(r"[，。；]", note):
        if not clause.strip():
            continue
        if "牵头" in clause:
            head, _, tail = clause.partition("牵头")
            lead += _names(head, dictionary)
            co += _names(tail, dictionary)
        elif "会同" in clause:
            head, _, tail = clause.partition("会同")
            lead += _names(head, dictionary)
            co += [n for n in _names(tail, dictionary) if not n.startswith("有关")]
        elif "具体落实" in clause or clause.endswith("落实"):
            implementers += _names(clause, dictionary)
        else:
            co += _names(clause, dictionary)
    return Departments(_unique(lead), _unique(co), _unique(implementers))


def inherited_implementers(note: str, dictionary: Dictionary | None = None) -> list[str]:
    """Implementers a note hands down to later tasks (``以下任务需…落实，不再一一列出``)."""
    dictionary = dictionary or load_dictionary()
    m = INHERIT_RE.search(note)
    return _unique(_names(m.group(1), dictionary)) if m else []


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))
