"""Responsible bodies named in law articles: :func:`parse_law_article` reads which bodies
an article makes responsible (lead / co). The vocabulary it reads them with — and
:func:`~corpus.law_vocabulary.normalize_law_body`, :func:`~corpus.law_vocabulary.body_level`,
:func:`~corpus.law_vocabulary.sector_of` — is :mod:`corpus.law_vocabulary`; the plan's own
department dictionary and note parser live in :mod:`corpus.departments`.

Laws do not end a clause with a note; they name the body in the sentence:
``国务院民政部门主管全国慈善工作``, ``由县级以上人民政府民政部门责令限期改正``,
``体育行政部门会同有关部门…``. :func:`parse_law_article` reads those sentences.

**Roles.** ``lead``: the subject (or the agent after 由) of a clause that gives the
body a duty, a power or a task — ``X负责/主管/领导/应当/可以/制定/责令…``, ``由X规定``.
``co``: the partners after 会同 (``X会同Y``); the subject of ``…配合/协助…``; the
subject of a clause ``在各自职责范围内/按照各自职责/按照职责分工/分别负责`` when the
article has a lead elsewhere (else it is the lead). Never extracted: a body that is
only an object or complement (``向X报告``, ``经X批准``, ``报X备案``, ``按照国务院规定``,
``X制定的标准``, ``接受X的监督``, ``协助X``); a body in a condition or a violation
(``X…滥用职权…的，…``); a body in a ``…时/…后`` clause whose main clause has its own
subject. A bare department coordinated with (or 会同) a department of a tier takes that
tier: ``国务院卫生健康主管部门会同国务院财政部门、中医药主管部门`` → co
``国务院中医药主管部门``.

Canonical names and what counts as a body: see :mod:`corpus.law_vocabulary`.
"""

from __future__ import annotations

import re

from corpus.law_vocabulary import LawVocabulary, _Mention, _mention_at, load_law_vocabulary
from corpus.records import Departments

__all__ = ["parse_law_article"]

_CONNECTOR_RE = re.compile(r"及其|以及|或者|、|和|及|与|或")
_LIST_FILLER_RE = re.compile(
    r"等(?:有关|其他)?(?:群团组织|社会团体|人民团体|有关部门|部门|单位|组织|机构)(?:、组织)?"
)
#: A non-body member of a subject list (``有关部门``, ``企业事业单位``, ``其他组织`` …).
_GENERIC_MEMBER_RE = re.compile(
    r"(?:(?!应|可以|不得|负责|主管(?!部门)|对|向|经|由|将|把|按照|依照|依法|根据|会同|协助|配合|在各自|为)"
    r"[\u4e00-\u9fff（）]){0,10}"
    r"(?:部门|单位|组织|团体|机关|机构|委员会|学校|幼儿园|企业|公民|个人|家庭|部队|工作人员|办事处)"
)
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


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))
