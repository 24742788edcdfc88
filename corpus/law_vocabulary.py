"""The vocabulary of responsible bodies in laws: ``corpus/data/law_bodies.json`` compiled
(:func:`load_law_vocabulary`), recognising one body mention in text, and naming a body:
:func:`normalize_law_body` (its canonical name), :func:`body_level` and :func:`sector_of`.
The article parser that uses it is :mod:`corpus.law_bodies`.

**Canonical names keep the level.** A department's name is its government's tier
followed by the sector's canonical ending (``corpus/data/law_bodies.json``):
``国务院民政部门`` (national), ``县级以上地方人民政府民政部门`` (local), ``民政部门``
(no tier written: level None). Tier variants collapse (``县级以上人民政府``,
``县级以上各级人民政府``, ``县级以上地方各级人民政府`` → ``县级以上地方人民政府``;
``地方人民政府`` → ``地方各级人民政府``; ``国家体育行政部门`` → ``国务院体育行政部门``);
``各级人民政府`` (every tier) stays distinct from ``地方各级人民政府``. Endings and
renamed sectors collapse too: 主管部门/行政部门/部门 of one sector are one body, and
``卫生行政部门`` = ``卫生健康主管部门``, ``劳动行政部门`` = ``人力资源社会保障行政部门``,
``旅游主管部门`` = ``文化和旅游主管部门``, ``工商行政管理部门`` = ``市场监督管理部门``
(no library law names both forms of one sector, so nothing the law distinguishes is
merged). ``社会保险行政部门`` stays its own body (its remit is not all of 人社's) but
:func:`sector_of` puts it in 人力资源社会保障. The record schema is unchanged: the
names go into ``Departments`` as plain strings; :func:`body_level` reads the level
back from a name and :func:`sector_of` its sector.

**What is a body.** The State Council and people's governments named by tier; their
departments named by sector (or by function: ``县级以上人民政府负责老龄工作的机构``);
公安/审计/税务/监察机关; courts and procuratorates; people's organisations with a
statutory role (工会, 共青团, 妇联, 残联 …); statutory agencies (社会保险经办机构 …).
Not bodies: ``国家`` (the state), generic ``有关部门``/``其他有关部门``/``有关主管部门``,
relative governments (``本级``/``上级``/``当地``/``有关``人民政府), 国家机关, schools,
employers, 居民委员会/村民委员会, 人大 and its standing committee.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from corpus.config import DATA_DIR

LAW_LEVELS = ("national", "provincial", "local")

_DEPT_ENDINGS = r"(?:主管部门|行政管理部门|行政部门|管理部门|部门)"
_GENERIC_DEPT_RE = re.compile(r"(?:其他有关|有关)(?:主管|行政)?部门(?:、机构|和机构)?")
_FUNCTIONAL_RE = re.compile(r"(?:负责|承担)[^，。；、：\n]{1,24}?的(?:职能部门|工作机构|部门|机构)")


@dataclass(frozen=True)
class _Mention:
    """A span of text naming bodies: governments, departments (with the tier prefix
    they were written with, for inheritance), organisations; ``generic`` if it names
    none (``县级以上人民政府有关部门``)."""

    start: int
    end: int
    governments: tuple[str, ...] = ()
    prefix: tuple[str, ...] = ()  # canonical tier(s) written before the departments
    departments: tuple[tuple[str, bool], ...] = ()  # (canonical body, takes a tier prefix)
    others: tuple[str, ...] = ()  # organisations and functional bodies, already canonical

    def names(self, inherited: tuple[str, ...] = ()) -> list[str]:
        prefix = self.prefix or inherited
        out = list(self.governments)
        for body, prefixable in self.departments:
            out += [p + body for p in prefix] if prefix and prefixable else [body]
        return out + list(self.others)


@dataclass(frozen=True)
class LawVocabulary:
    """``corpus/data/law_bodies.json``, compiled."""

    governments: dict[str, tuple[tuple[str, ...], str | None]]  # variant → (names, level)
    levels: dict[str, str | None]  # canonical government or organisation → level
    government_names: tuple[str, ...]  # canonical tiers (国务院, 县级以上地方人民政府 …)
    relative: tuple[str, ...]
    national_prefixes: tuple[str, ...]
    stems: dict[str, int]  # stem → sector entry index
    variants: dict[str, int]  # full department name → sector entry index
    sectors: tuple[dict, ...]
    organizations: dict[str, str]  # variant → canonical
    org_sector: dict[str, str | None]
    functional_sectors: dict[str, str]
    plan_sector: dict[str, str]
    aliases: dict[str, str]  # user word → sector
    local_plan_names: frozenset[str]
    gov_re: re.Pattern
    relative_re: re.Pattern
    national_re: re.Pattern
    dept_re: re.Pattern
    stem_re: re.Pattern
    variant_re: re.Pattern
    org_re: re.Pattern


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@lru_cache(maxsize=4)
def load_law_vocabulary(path: Path = DATA_DIR / "law_bodies.json") -> LawVocabulary:
    data = json.loads(path.read_text(encoding="utf-8"))
    governments, levels = {}, {}
    for entry in data["governments"]:
        for variant in entry["variants"]:
            governments[variant] = (tuple(entry["names"]), entry["level"])
        for name in entry["names"]:
            levels.setdefault(name, entry["level"])
    stems, variants, plan_sector, aliases = {}, {}, {}, {}
    for i, entry in enumerate(data["sectors"]):
        for stem in entry["stems"]:
            stems.setdefault(stem, i)
        for variant in [entry["body"], *entry["variants"]]:
            variants.setdefault(variant, i)
        for name in entry["plan"]:
            plan_sector[name] = entry["sector"]
        for alias in [entry["sector"], *entry["aliases"]]:
            aliases.setdefault(alias, entry["sector"])
    organizations, org_sector = {}, {}
    for entry in data["organizations"]:
        for variant in entry["variants"]:
            organizations[variant] = entry["name"]
        levels[entry["name"]] = entry["level"]
        org_sector[entry["name"]] = entry["sector"]
        for name in entry.get("plan", []):
            plan_sector[name] = entry["sector"]
    stem_alt = _alternation(stems)
    unit = rf"(?:{stem_alt})(?:行政|主管)?"
    dept_re = re.compile(
        rf"{unit}(?:(?:、|和|及|与|或者|以及){unit})*"
        rf"(?:等有关|等其他有关|或者其他有关|和其他有关|以及其他有关|等|有关)?{_DEPT_ENDINGS}"
    )
    return LawVocabulary(
        governments=governments,
        levels=levels,
        government_names=tuple(n for e in data["governments"] for n in e["names"]),
        relative=tuple(data["relative_governments"]),
        national_prefixes=tuple(data["national_prefixes"]),
        stems=stems,
        variants=variants,
        sectors=tuple(data["sectors"]),
        organizations=organizations,
        org_sector=org_sector,
        functional_sectors=dict(data["functional_sectors"]),
        plan_sector=plan_sector,
        aliases=aliases,
        local_plan_names=frozenset(data["local_plan_names"]),
        gov_re=re.compile(_alternation(governments)),
        relative_re=re.compile(_alternation(data["relative_governments"])),
        national_re=re.compile(_alternation(data["national_prefixes"])),
        dept_re=dept_re,
        stem_re=re.compile(stem_alt),
        variant_re=re.compile(_alternation(variants)),
        org_re=re.compile(_alternation(organizations)),
    )


def _departments_at(text: str, i: int, vocab: LawVocabulary):
    """(end, ((body, prefixable), …)) for a department (list) written at ``i``, or None."""
    best = None
    m = vocab.variant_re.match(text, i)
    if m:
        entry = vocab.sectors[vocab.variants[m.group()]]
        best = (m.end(), ((entry["body"], entry.get("prefixable", True)),))
    m = vocab.dept_re.match(text, i)
    if m and (best is None or m.end() > best[0]):
        bodies = []
        for stem in vocab.stem_re.findall(m.group()):
            entry = vocab.sectors[vocab.stems[stem]]
            item = (entry["body"], entry.get("prefixable", True))
            if item not in bodies:
                bodies.append(item)
        best = (m.end(), tuple(bodies))
    return best


def _mention_at(text: str, i: int, vocab: LawVocabulary) -> _Mention | None:
    """The longest body mention starting at ``i``."""
    candidates: list[_Mention] = []
    for kind, regex in (
        ("gov", vocab.gov_re),
        ("rel", vocab.relative_re),
        ("nat", vocab.national_re),
    ):
        m = regex.match(text, i)
        if not m:
            continue
        j = m.end()
        govs = vocab.governments[m.group()][0] if kind == "gov" else ()
        prefix = govs if kind == "gov" else ("国务院",) if kind == "nat" else ()
        if text.startswith("及其", j):
            depts = _departments_at(text, j + 2, vocab)
            if depts:
                candidates.append(_Mention(i, depts[0], govs, prefix, depts[1]))
                continue
            candidates.append(_Mention(i, j, govs))
            continue
        depts = _departments_at(text, j, vocab)
        if depts:
            candidates.append(_Mention(i, depts[0], (), prefix, depts[1]))
            continue
        f = _FUNCTIONAL_RE.match(text, j)
        if f and kind == "gov":
            candidates.append(_Mention(i, f.end(), others=tuple(g + f.group() for g in govs)))
            continue
        g = _GENERIC_DEPT_RE.match(text, j)
        if g:
            candidates.append(_Mention(i, g.end()))  # generic: names nothing
            continue
        if kind == "gov":
            candidates.append(_Mention(i, j, govs))
        elif kind == "rel":
            candidates.append(_Mention(i, j))
    depts = _departments_at(text, i, vocab)
    if depts:
        candidates.append(_Mention(i, depts[0], departments=depts[1]))
    m = vocab.org_re.match(text, i)
    if m:
        candidates.append(_Mention(i, m.end(), others=(vocab.organizations[m.group()],)))
    m = _GENERIC_DEPT_RE.match(text, i)
    if m:
        candidates.append(_Mention(i, m.end()))
    if not candidates:
        return None
    return max(candidates, key=lambda c: c.end)  # first (a government) wins ties


def normalize_law_body(name: str, vocab: LawVocabulary | None = None) -> str | None:
    """The canonical name of one body as a law (or a user) writes it, or None:
    ``县级以上人民政府民政部门`` → ``县级以上地方人民政府民政部门``, ``卫生行政部门`` →
    ``卫生健康主管部门``, ``国家体育行政部门`` → ``国务院体育行政部门``."""
    vocab = vocab or load_law_vocabulary()
    name = re.sub(r"\s+", "", name)
    m = _mention_at(name, 0, vocab) if name else None
    if not m or m.end != len(name):
        return None
    names = m.names()
    return names[0] if len(names) == 1 else None


def body_level(name: str) -> str | None:
    """``"national"`` (国务院…, 中国残疾人联合会 …), ``"local"`` (县级以上地方人民政府…,
    地方各级/各级人民政府, 省、自治区、直辖市人民政府, 乡镇人民政府, 街道办事处; the plan's
    市州人民政府, 兰州新区管委会), ``"provincial"`` (the Gansu plan's own 省… departments),
    or None when no level is written (``民政部门``, ``人民法院``, ``省级以上人民政府…``).

    ``各级人民政府`` (every tier, the State Council included) counts as local: a law
    names it for work done where people live; filter national bodies with 国务院…."""
    vocab = load_law_vocabulary()
    name = name.strip()
    from corpus.departments import load_dictionary  # lazy: departments imports this module

    dictionary = load_dictionary()
    if name in dictionary.names:
        return "local" if name in vocab.local_plan_names else "provincial"
    canonical = normalize_law_body(name, vocab) or name
    if canonical in vocab.levels:
        return vocab.levels[canonical]
    for government in sorted(vocab.government_names, key=len, reverse=True):
        if canonical.startswith(government):
            return vocab.levels[government]
    return None


def sector_of(name: str) -> str | None:
    """The sector of a body, whatever its level, or None: ``国务院民政部门``,
    ``县级以上地方人民政府民政部门``, ``民政部门``, the plan's ``省民政厅`` and the words
    users type (``民政``, ``民政局``, ``人社部门``, ``卫健委``) all give ``"民政"`` /
    ``"人力资源社会保障"`` / ``"卫生健康"``. Governments themselves have none.

    A department filter can therefore reach every level of a sector:
    ``{n for n in names if sector_of(n) == sector_of(query)}``."""
    vocab = load_law_vocabulary()
    name = re.sub(r"\s+", "", name)
    if not name:
        return None
    if name in vocab.plan_sector:
        return vocab.plan_sector[name]
    if name in vocab.aliases:
        return vocab.aliases[name]
    canonical = normalize_law_body(name, vocab)
    if canonical:
        if canonical in vocab.org_sector:
            return vocab.org_sector[canonical]
        for entry in sorted(vocab.sectors, key=lambda e: -len(e["body"])):
            if canonical.endswith(entry["body"]):
                return entry["sector"]
        if re.search(r"(?:负责|承担).+的(?:职能部门|工作机构|部门|机构)$", canonical):
            for key, sector in vocab.functional_sectors.items():
                if key in canonical:
                    return sector
        return None
    from corpus.departments import load_dictionary  # lazy: departments imports this module

    planned = load_dictionary().resolve(name)
    if planned in vocab.plan_sector:
        return vocab.plan_sector[planned]
    stem = re.sub(r"(?:主管部门|行政部门|部门|厅|局|部|委)$", "", re.sub(r"^(?:甘肃)?省", "", name))
    if stem in vocab.stems:
        return vocab.sectors[vocab.stems[stem]]["sector"]
    return vocab.aliases.get(stem)
