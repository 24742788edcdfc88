"""What a question names: departments (:func:`find_mentions`, :func:`find_departments`)
and clause numbers (:func:`clause_refs`).

Departments are found with :func:`corpus.departments.load_dictionary` plus the forms it
lacks: short ones (民政 / 人社 / 住建 / 卫健, 省文旅, 民政局 → the plan's provincial names),
bodies written as laws write them (国务院民政部门, 县级以上人民政府卫生健康主管部门, 妇联 →
the law canonical names of :func:`corpus.law_vocabulary.normalize_law_body`), national
ministries (民政部, 国家卫健委 → the plan's department of that sector) and other public
bodies (医保局, 居委会: a mention with no canonical name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from corpus.departments import load_dictionary
from corpus.law_vocabulary import normalize_law_body
from index.query import ARTICLE_PATH_RE, PLAN_PATH_RE, ordinal_paths

# ------------------------------------------------------------------ department forms
#: Short forms (unambiguous alone) → canonical names of ``corpus/data/departments.json``.
_SHORT = {
    "民政": "省民政厅", "人社": "省人社厅", "住建": "省住建厅", "卫健": "省卫生健康委",
    "发改": "省发展改革委", "工信": "省工信厅", "市场监管": "省市场监管局", "广电": "省广电局",
    "银保监": "甘肃银保监局", "国资委": "省政府国资委", "人力资源社会保障": "省人社厅",
    "人力资源和社会保障": "省人社厅", "住房城乡建设": "省住建厅", "住房和城乡建设": "省住建厅",
    "卫生健康": "省卫生健康委", "退役军人事务": "省退役军人厅",
}
#: Forms that need an office suffix (文旅 alone is 文旅消费, 教育 alone is 职业教育…).
_NEEDS_SUFFIX = {
    "文旅": "省文旅厅", "文化和旅游": "省文旅厅", "文化旅游": "省文旅厅", "旅游": "省文旅厅",
    "教育": "省教育厅", "财政": "省财政厅", "体育": "省体育局", "商务": "省商务厅",
    "科技": "省科技厅", "自然资源": "省自然资源厅", "农业农村": "省农业农村厅", "税务": "省税务局",
    "公安": "省公安厅", "司法": "省司法厅", "司法行政": "省司法厅", "应急": "省应急厅",
    "应急管理": "省应急厅", "邮政": "省邮政管理局", "退役军人": "省退役军人厅", "卫生": "省卫生健康委",
    "金融监管": "省金融监管局", "市场监督管理": "省市场监管局", "发展改革": "省发展改革委",
    "发展和改革": "省发展改革委", "工业和信息化": "省工信厅", "粮食": "省粮食和储备局",
    "民政": "省民政厅", "人社": "省人社厅", "住建": "省住建厅", "卫健": "省卫生健康委",
    "卫生健康": "省卫生健康委", "人力资源社会保障": "省人社厅", "住房城乡建设": "省住建厅",
}
#: (那边, 那块: how staff speak of another office — 文旅那边要配合干啥)
_OFFICE_SUFFIX = r"(?:主管部门|行政部门|管理部门|部门|系统|条线|那边|那块|口|厅|局|委)"
#: National bodies → their provincial counterparts (the names plan records carry).
_NATIONAL = {
    "民政部": "省民政厅", "人社部": "省人社厅", "人力资源社会保障部": "省人社厅",
    "人力资源和社会保障部": "省人社厅", "教育部": "省教育厅", "国家卫健委": "省卫生健康委",
    "国家卫生健康委": "省卫生健康委", "卫生健康委员会": "省卫生健康委", "文化和旅游部": "省文旅厅",
    "文旅部": "省文旅厅", "国家体育总局": "省体育局", "体育总局": "省体育局",
    "住房城乡建设部": "省住建厅", "住建部": "省住建厅", "商务部": "省商务厅", "财政部": "省财政厅",
    "工信部": "省工信厅", "工业和信息化部": "省工信厅", "公安部": "省公安厅", "司法部": "省司法厅",
    "应急管理部": "省应急厅", "自然资源部": "省自然资源厅", "农业农村部": "省农业农村厅",
    "市场监管总局": "省市场监管局", "国家市场监督管理总局": "省市场监管局",
    "税务总局": "省税务局", "国家税务总局": "省税务局", "中国残联": "省残联",
    "中国残疾人联合会": "省残联", "全国总工会": "省总工会", "退役军人事务部": "省退役军人厅",
    "国家发展改革委": "省发展改革委", "国家发改委": "省发展改革委",
}
#: Government bodies with no entry in the dictionary: a department mention, no name.
_OTHER_BODIES = (
    r"医疗保障部门|医保部门|医保局|疾控中心|疾病预防控制机构|妇联|妇女联合会|共青团|团委|红十字会|居委会|村委会|"
    r"居民委员会|村民委员会|街道办事处|街道办|乡镇人民政府|乡镇政府|县级以上地方人民政府|县级以上人民政府|"
    r"地方各级人民政府|各级人民政府|县级人民政府|市县政府|老龄工作机构|负责老龄工作的机构|"
    r"(?:计划生育|人口|老龄|残疾人工作|未成年人保护|慈善|体育|旅游|职业教育|就业|社会保险|中小企业|卫生)"
    r"(?:工作)?(?:主管部门|行政部门|协调机构|工作机构|经办机构)|社会保险经办机构|人民法院|检察院"
)
_PREFIX = r"(?:甘肃省|国务院|县级以上(?:地方)?(?:各级)?人民政府|省级|市级|县级|省|市|县)?"


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    name: str | None  # canonical name, or None for a body nothing resolves
    text: str = ""    # as written


@lru_cache(maxsize=1)
def _mention_re() -> tuple[re.Pattern, dict[str, str]]:
    """One alternation over every form, longest first; form → canonical name."""
    forms: dict[str, str] = dict(load_dictionary().aliases)
    forms.update({k: v for k, v in _NATIONAL.items() if k not in forms})
    literal = sorted(forms, key=len, reverse=True)
    short = "|".join(sorted(map(re.escape, _SHORT), key=len, reverse=True))
    suffixed = "|".join(sorted(map(re.escape, _NEEDS_SUFFIX), key=len, reverse=True))
    pattern = (
        rf"(?P<lit>{'|'.join(map(re.escape, literal))})"
        rf"|(?P<suf>{_PREFIX}(?P<sufcore>{suffixed}){_OFFICE_SUFFIX})"
        rf"|(?P<prov>(?:省|甘肃省)(?P<provcore>{suffixed}))"
        # not 民政 of 人民政府 nor 人社 of 个人社保
        rf"|(?P<short>(?<![人个])(?:{short}))"
        rf"|(?P<other>{_OTHER_BODIES})"
    )
    return re.compile(pattern), forms


#: A body written the way laws name them: a tier, or a law-style ending.
_LAW_STYLE_RE = re.compile(r"^(?:国务院|县级以上|地方|各级|乡镇|街道)|(?:主管部门|行政部门|机构|联合会|机关|人民政府)$")


def find_mentions(text: str) -> list[Mention]:
    """Department mentions in ``text`` (leftmost, longest form first), in order.

    A name of the plan's dictionary resolves to the plan's canonical name (民政部门 →
    省民政厅); a body written as laws write it to the law canonical name of
    :func:`corpus.law_vocabulary.normalize_law_body` (县级以上人民政府卫生健康主管部门 →
    县级以上地方人民政府卫生健康主管部门), else to the plan's department of its sector."""
    pattern, forms = _mention_re()
    out: list[Mention] = []
    for m in pattern.finditer(text):
        surface = m.group(0)
        if m.group("lit"):
            name = forms[m.group("lit")]
        else:
            if m.group("suf"):
                name = _NEEDS_SUFFIX[m.group("sufcore")]
            elif m.group("prov"):
                name = _NEEDS_SUFFIX[m.group("provcore")]
            elif m.group("short"):
                name = _SHORT[m.group("short")]
            else:
                name = None
            if m.group("other") or _LAW_STYLE_RE.search(surface):
                name = normalize_law_body(surface) or name
        out.append(Mention(m.start(), m.end(), name, surface))
    if not out and (typo := mistyped_department(text)):
        out.append(typo)  # with no office named right, one named with a slip of the keyboard
    return out


#: An office name as written, possibly mistyped: what ends in 厅, 局 or 委.
_OFFICE_END_RE = re.compile(r"[厅局委]")


@lru_cache(maxsize=1)
def _office_forms() -> dict[int, list[tuple[str, str]]]:
    """Dictionary forms ending in 厅/局/委 of three characters or more, by length."""
    by_length: dict[int, list[tuple[str, str]]] = {}
    for form, name in _mention_re()[1].items():
        if len(form) >= 3 and _OFFICE_END_RE.fullmatch(form[-1]):
            by_length.setdefault(len(form), []).append((form, name))
    return by_length


def mistyped_department(text: str) -> Mention | None:
    """The department a mistyped office name means (人设厅 → 省人社厅, 卫建委 → 省卫生健康委,
    农业农材厅 → 省农业农村厅): a run ending in 厅/局/委 that differs from exactly one dictionary
    form in one character before that ending — and from no other form."""
    forms = _office_forms()
    for end in (m.end() for m in _OFFICE_END_RE.finditer(text)):
        for length, candidates in forms.items():
            written = text[max(0, end - length) : end]
            if len(written) != length:
                continue
            near = {name for form, name in candidates
                    if form[-1] == written[-1] and sum(a != b for a, b in zip(form, written)) == 1}
            if len(near) == 1:
                return Mention(end - length, end, near.pop(), written)
    return None


def find_departments(text: str) -> list[str]:
    """Canonical department names ``text`` mentions, in order of first mention."""
    return list(dict.fromkeys(m.name for m in find_mentions(text) if m.name))


def clause_refs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, reference) of the clause numbers in ``text`` (brackets made ASCII)."""
    compact = text.replace("（", "(").replace("）", ")").replace(" ", "")
    spans = [(m.start(), m.end(), m.group(0)) for m in PLAN_PATH_RE.finditer(compact)]
    spans += [(m.start(), m.end(), m.group(0)) for m in ARTICLE_PATH_RE.finditer(compact)]
    spans += [(-1, -1, path) for path in ordinal_paths(compact)]
    return spans
