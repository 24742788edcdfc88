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


# ---------------------------------------------------------------------------
# Responsible bodies named in law articles
# ---------------------------------------------------------------------------
#
# Laws do not end a clause with a note; they name the body in the sentence:
# ``国务院民政部门主管全国慈善工作``, ``由县级以上人民政府民政部门责令限期改正``,
# ``体育行政部门会同有关部门…``. :func:`parse_law_article` reads those sentences.
#
# **Canonical names keep the level.** A department's name is its government's tier
# followed by the sector's canonical ending (``corpus/data/law_bodies.json``):
# ``国务院民政部门`` (national), ``县级以上地方人民政府民政部门`` (local), ``民政部门``
# (no tier written: level None). Tier variants collapse (``县级以上人民政府``,
# ``县级以上各级人民政府``, ``县级以上地方各级人民政府`` → ``县级以上地方人民政府``;
# ``地方人民政府`` → ``地方各级人民政府``; ``国家体育行政部门`` → ``国务院体育行政部门``);
# ``各级人民政府`` (every tier) stays distinct from ``地方各级人民政府``. Endings and
# renamed sectors collapse too: 主管部门/行政部门/部门 of one sector are one body, and
# ``卫生行政部门`` = ``卫生健康主管部门``, ``劳动行政部门`` = ``人力资源社会保障行政部门``,
# ``旅游主管部门`` = ``文化和旅游主管部门``, ``工商行政管理部门`` = ``市场监督管理部门``
# (no library law names both forms of one sector, so nothing the law distinguishes is
# merged). ``社会保险行政部门`` stays its own body (its remit is not all of 人社's) but
# :func:`sector_of` puts it in 人力资源社会保障. The record schema is unchanged: the
# names go into ``Departments`` as plain strings; :func:`body_level` reads the level
# back from a name and :func:`sector_of` its sector.
#
# **What is a body.** The State Council and people's governments named by tier; their
# departments named by sector (or by function: ``县级以上人民政府负责老龄工作的机构``);
# 公安/审计/税务/监察机关; courts and procuratorates; people's organisations with a
# statutory role (工会, 共青团, 妇联, 残联 …); statutory agencies (社会保险经办机构 …).
# Not bodies: ``国家`` (the state), generic ``有关部门``/``其他有关部门``/``有关主管部门``,
# relative governments (``本级``/``上级``/``当地``/``有关``人民政府), 国家机关, schools,
# employers, 居民委员会/村民委员会, 人大 and its standing committee.
#
# **Roles.** ``lead``: the subject (or the agent after 由) of a clause that gives the
# body a duty, a power or a task — ``X负责/主管/领导/应当/可以/制定/责令…``, ``由X规定``.
# ``co``: the partners after 会同 (``X会同Y``); the subject of ``…配合/协助…``; the
# subject of a clause ``在各自职责范围内/按照各自职责/按照职责分工/分别负责`` when the
# article has a lead elsewhere (else it is the lead). Never extracted: a body that is
# only an object or complement (``向X报告``, ``经X批准``, ``报X备案``, ``按照国务院规定``,
# ``X制定的标准``, ``接受X的监督``, ``协助X``); a body in a condition or a violation
# (``X…滥用职权…的，…``); a body in a ``…时/…后`` clause whose main clause has its own
# subject. A bare department coordinated with (or 会同) a department of a tier takes that
# tier: ``国务院卫生健康主管部门会同国务院财政部门、中医药主管部门`` → co
# ``国务院中医药主管部门``.

LAW_LEVELS = ("national", "provincial", "local")

_DEPT_ENDINGS = r"(?:主管部门|行政管理部门|行政部门|管理部门|部门)"
_CONNECTOR_RE = re.compile(r"及其|以及|或者|、|和|及|与|或")
_LIST_FILLER_RE = re.compile(
    r"等(?:有关|其他)?(?:群团组织|社会团体|人民团体|有关部门|部门|单位|组织|机构)(?:、组织)?"
)
_GENERIC_DEPT_RE = re.compile(r"(?:其他有关|有关)(?:主管|行政)?部门(?:、机构|和机构)?")
#: A non-body member of a subject list (``有关部门``, ``企业事业单位``, ``其他组织`` …).
_GENERIC_MEMBER_RE = re.compile(
    r"(?:(?!应|可以|不得|负责|主管(?!部门)|对|向|经|由|将|把|按照|依照|依法|根据|会同|协助|配合|在各自|为)"
    r"[\u4e00-\u9fff（）]){0,10}"
    r"(?:部门|单位|组织|团体|机关|机构|委员会|学校|幼儿园|企业|公民|个人|家庭|部队|工作人员|办事处)"
)
_FUNCTIONAL_RE = re.compile(r"(?:负责|承担)[^，。；、：\n]{1,24}?的(?:职能部门|工作机构|部门|机构)")
_LEADING_RE = re.compile(r"(?:并且|并|同时|但是|但|另外|其中|也|还|而且)?")
#: After the subject: the name is a modifier (``国务院民政部门指定的平台``) …
_ATTRIBUTIVE_RE = re.compile(
    r"(?:依法|统一|依照本法)?(?:制定|规定|指定|确定|批准|核定|设立|举办|认定|公布|发布|颁发|要求公开|"
    r"要求|委托|授权|监（印）制|监制|印制|确认|核发|登记|备案|颁布|认可|许可|划定|组织|开展|提供|"
    r"监护|管理|主管|作出|建立|设置|核准)的"
)
#: … or part of a person's description (``工会代表``, ``X的工作人员``).
_NOT_SUBJECT_RE = re.compile(r"的|代表|工作人员|负责人|委员|组成人员|所属|派出")
_AGENT_ATTRIBUTIVE_RE = re.compile(
    r"(?!对|向|依照|按照|根据|依据|会同|在|从|就|给)(?:依法|统一)?[\u4e00-\u9fff（）]{1,6}?的"
)
_HUITONG_RE = re.compile(r"(?:应当|可以|依法|负责|统一)*会同")
_CO_PREDICATE_RE = re.compile(
    r"(?:应当|应|可以|要|须|必须|还应当)?(?:根据各自职责|按照各自职责|依法|积极|主动)?(?:予以)?(?:配合|协助|协同)"
)
_SHARED_RE = re.compile(
    r"在各自(?:的)?职责范围内|在[^，。；]{0,12}?职责范围内|按照各自(?:的)?职责|按照职责分工|"
    r"依照职责分工|根据各自(?:的)?职责|依据各自的职权|依照各自(?:的)?职责|分别负责"
)
_VIOLATION_RE = re.compile(
    r"违反|滥用职权|玩忽职守|徇私舞弊|未履行|不履行|未依法|不依法|泄露|侵犯|侵害|拒绝|拒不|骗取|截留|"
    r"挪用|侵占|未按|不按|弄虚作假"
)
#: The next clause continues the same subject (``X在…时，给予补贴``).
_PREDICATE_START_RE = re.compile(
    r"应当|应|可以|不得|必须|须|给予|予以|依法|按照|依照|根据|并|及时|负责|有权|责令|采取|提供|逐步|加强"
)
_NOT_AGENT_BEFORE = "交转经自理缘"


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


def _mentions(text: str, vocab: LawVocabulary) -> dict[int, _Mention]:
    out, i = {}, 0
    while i < len(text):
        m = _mention_at(text, i, vocab)
        if m:
            out[m.start] = m
            i = m.end
        else:
            i += 1
    return out


def _group(text: str, i: int, limit: int, mentions: dict[int, _Mention]):
    """Parse a coordinated list of bodies (and non-body members) starting at ``i``:
    ``(names, end, prefix)``; a bare department inherits the tier of an earlier one."""
    names: list[str] = []
    prefix: tuple[str, ...] = ()
    end = pos = i
    while pos < limit:
        m = mentions.get(pos)
        if m:
            if m.prefix and m.departments:
                prefix = m.prefix
            names += m.names(prefix)
            stop = m.end
        else:
            g = _GENERIC_MEMBER_RE.match(text, pos, limit)
            if not g or any(pos < s < g.end() for s in mentions):
                break
            stop = g.end()
        f = _LIST_FILLER_RE.match(text, stop, limit)
        end = f.end() if f else stop
        c = _CONNECTOR_RE.match(text, end, limit)
        if not c:
            break
        pos = c.end()
    return names, end, prefix


def _fragments(sentence: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in re.finditer(r"[，,]", sentence):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(sentence)))
    return [(a, b) for a, b in spans if b > a]


def _classify(sentence: str, frags, k2: int, rest_start: int, mentions) -> tuple[str, list[str]]:
    """The role of a subject (or agent) from the words after it in clause ``k2``:
    ``("lead" | "co" | "shared", 会同 partners)``."""
    frag_end = frags[k2][1]
    rest = sentence[rest_start:frag_end]
    h = _HUITONG_RE.match(rest)
    if h:
        partners, _, _ = _group(sentence, rest_start + h.end(), frag_end, mentions)
        return "lead", partners
    if _CO_PREDICATE_RE.match(rest):
        return "co", []
    # 各自职责 in the subject's own clause (before any other body), or opening the next
    nxt = sentence[frags[k2 + 1][0] : frags[k2 + 1][1]] if k2 + 1 < len(frags) else ""
    s = _SHARED_RE.search(rest)
    if s and not re.search(r"部门|机构|机关|组织|人民政府|单位", rest[: s.start()]):
        return "shared", []
    if re.match(rf"(?:依法|并)?(?:{_SHARED_RE.pattern})", nxt):
        return "shared", []
    return "lead", []


def parse_law_article(text: str, vocab: LawVocabulary | None = None) -> Departments:
    """The bodies one law article makes responsible: ``lead`` (subject or 由-agent of a
    duty), ``co`` (会同 partners, 配合/协助 subjects, 各自职责 subjects beside a lead);
    ``implementers`` stays empty. Pure: no dictionary of the plan is involved.

    >>> parse_law_article("县级以上人民政府民政部门负责养老机构的指导、监督和管理。").lead
    ['县级以上地方人民政府民政部门']
    """
    vocab = vocab or load_law_vocabulary()
    roles: dict[str, list[str]] = {"lead": [], "co": [], "shared": []}

    def add(names, prefix, role, partners):
        roles[role].extend(names)
        # a partner written without a tier works at its lead's tier
        roles["co"].extend(_with_prefix(n, prefix, vocab) for n in partners)

    for sentence in re.split(r"[。；！？：\n]", text):
        mentions = _mentions(sentence, vocab) if sentence.strip() else {}
        if not mentions:
            continue
        frags = _fragments(sentence)
        for k, (a, b) in enumerate(frags):
            # 1. the subject at the start of the clause
            start = _LEADING_RE.match(sentence, a, b).end()
            names, gend, prefix = _group(sentence, start, b, mentions)
            if names:
                k2, rest_start = k, gend
                if not sentence[gend:b].strip() and k + 1 < len(frags):  # "X、Y，应当…"
                    k2, rest_start = k + 1, frags[k + 1][0]
                rest = sentence[rest_start : frags[k2][1]]
                # "工会代表" is a person; "残联，代表残疾人…" a verb after the comma
                attached = k2 == k and _NOT_SUBJECT_RE.match(rest)
                ok = bool(rest) and not (attached or _ATTRIBUTIVE_RE.match(rest))
                if ok and re.search(r"[的时后前]$", rest):  # a condition: "X…的，…" / "X…时，…"
                    nxt = (
                        sentence[frags[k2 + 1][0] : frags[k2 + 1][1]] if k2 + 1 < len(frags) else ""
                    )
                    ok = not _VIOLATION_RE.search(rest) and bool(_PREDICATE_START_RE.match(nxt))
                if ok:
                    add(names, prefix, *_classify(sentence, frags, k2, rest_start, mentions))
            # 2. the agent after 由 (由X责令改正 / 具体办法由国务院规定)
            for m in re.finditer("由", sentence[a:b]):
                pos = a + m.start()
                if pos > 0 and sentence[pos - 1] in _NOT_AGENT_BEFORE:
                    continue
                names, gend, prefix = _group(sentence, pos + 1, b, mentions)
                rest = sentence[gend:b]
                if not names or not rest or rest.startswith("组成"):
                    continue
                if _NOT_SUBJECT_RE.match(rest) or _AGENT_ATTRIBUTIVE_RE.match(rest):
                    continue
                add(names, prefix, *_classify(sentence, frags, k, gend, mentions))

    lead, co = roles["lead"], roles["co"]
    (co if lead else lead).extend(roles["shared"])
    lead = _unique(lead)
    return Departments(lead, [n for n in _unique(co) if n not in lead], [])


def _with_prefix(name: str, prefix: tuple[str, ...], vocab: LawVocabulary) -> str:
    """``name`` with the tier of its lead when it was written without one."""
    if len(prefix) != 1:
        return name
    for entry in vocab.sectors:
        if name == entry["body"] and entry.get("prefixable", True):
            return prefix[0] + name
    return name


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
    planned = load_dictionary().resolve(name)
    if planned in vocab.plan_sector:
        return vocab.plan_sector[planned]
    stem = re.sub(r"(?:主管部门|行政部门|部门|厅|局|部|委)$", "", re.sub(r"^(?:甘肃)?省", "", name))
    if stem in vocab.stems:
        return vocab.sectors[vocab.stems[stem]]["sector"]
    return vocab.aliases.get(stem)
