"""Which support applies to us? Pure matching of an enterprise profile to support measures.

A :class:`Profile` is the enterprise's sectors (养老, 托育 …), entity kinds (小微企业,
个体工商户 …) and traits (``hires_graduates``, ``employee_based`` … — ``corpus/data/measures.json``
``traits`` maps each to beneficiary terms and to words of a measure's condition or instrument).
:func:`parse_profile` validates a plain dict (aliases accepted: 托儿所 → 托育, 个体户 → 个体工商户,
家电 → 零售; groups of people come in through traits: ``hires_graduates`` for 高校毕业生/大学生);
anything unknown is a :class:`~corpus.errors.PolicyError` naming the accepted values.

:func:`match` returns every applicable measure (:class:`corpus.measures.Measure`), ordered:

1. ``named`` — measures naming the profile: one of its sectors, its entity kind (or a kind that
   includes it: a 小微企业 is a 中小企业 and a 市场主体), a group of people its traits stand for
   (``hires_graduates`` → 高校毕业生), or a trait's word in the condition or instrument
   (``rents_premises`` → 租赁); most matches first, then in document order;
2. ``open`` — measures open to all market entities: no industry, no particular entity kind or
   group of people; in document order.

Left out:

* measures naming industries none of which is the profile's (an elderly-care company does not
  get the appliance trade-in subsidy for 家电 retailers), or naming the profile's industry but an
  entity kind it is not (员工制养老企业 for an elderly-care company that is not 员工制);
* measures naming no industry but only entity kinds, people or areas the profile is not
  (小微企业 loans for a profile that did not say it is small; 学生 discounts).

Entity kinds named beside a general one (``市场主体特别是小微企业``) are emphasis, not a
restriction; staff (职工, 技能人才) restrict nobody; people named beside an industry are whom
the service is for or whom to hire, not a restriction. A profile with no sectors gets no
industry-specific measure. An empty profile gets every measure (``group`` ``all``). The
vocabulary (sectors, entity kinds, traits, general kinds, staff) is ``corpus/data/measures.json``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from corpus.errors import PolicyError
from corpus.measures import Lexicon, Measure, kind_label, lexicon
from corpus.normalize import normalize_text

PROFILE_KEYS = ("sectors", "entities", "traits")
#: The entity kinds a profile without one is taken to be: any enterprise.
DEFAULT_ENTITIES = ("市场主体", "社会力量")
_SPLIT_RE = re.compile(r"[,，、;；/\s]+")


@dataclass(frozen=True)
class Profile:
    """An enterprise: canonical ``sectors``, ``entities`` and ``traits`` (sorted, unique)."""

    sectors: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    traits: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.sectors or self.entities or self.traits)

    def to_dict(self) -> dict:
        return {"sectors": list(self.sectors), "entities": list(self.entities), "traits": list(self.traits)}


@dataclass(frozen=True)
class Match:
    """A measure that applies, why (``reason``), and its ``group`` (``named``, ``open``, ``all``)."""

    measure: Measure
    group: str
    reason: str
    score: int = 0
    matched: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """One flat row (strings and numbers only): opens as a CSV line."""
        m = self.measure
        deps = m.departments or {}
        lead, co, impl = ("、".join(deps.get(k, [])) for k in ("lead", "co", "implementers"))
        dept_text = "；".join(f"{name}：{value}" for name, value in (("牵头", lead), ("配合", co), ("落实", impl)) if value)
        return {
            "id": m.id,
            "group": self.group,
            "reason": self.reason,
            "kind": m.kind,
            "kind_label": kind_label(m.kind),
            "condition": m.condition.get("text", ""),
            "instrument": m.instrument.get("text", ""),
            "sectors": "、".join(m.beneficiaries.get("sectors", [])),
            "entities": "、".join(m.beneficiaries.get("entities", [])),
            "people": "、".join(m.beneficiaries.get("people", [])),
            "doc_id": m.doc_id,
            "doc_title": m.doc_title,
            "path": m.path,
            "title": m.title,
            "record_id": m.record_id,
            "start": m.start,
            "end": m.end,
            "quote": m.quote,
            "departments": dept_text,
            "departments_lead": lead,
            "departments_co": co,
            "departments_implementers": impl,
        }


# ---------------------------------------------------------------- profiles
def _vocabulary(lex: Lexicon, kind: str) -> dict[str, str]:
    """Every accepted spelling → canonical term, for ``sectors`` or ``entities``."""
    canonical = lex.canonical(kind)
    vocab = {name: name for name in canonical}
    for alias, target in lex.aliases.items():
        if target in vocab.values() or target in canonical:
            vocab.setdefault(alias, target)
    return vocab


def accepted_values(lex: Lexicon | None = None) -> dict[str, list[str]]:
    """The canonical values a profile may use, per key (for forms and error messages)."""
    lex = lex or lexicon()
    return {"sectors": lex.canonical("sectors"), "entities": lex.canonical("entities"), "traits": list(lex.traits)}


def _values(raw, key: str) -> list[str]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [v for v in _SPLIT_RE.split(raw) if v]
    if isinstance(raw, Mapping) and key == "traits":
        bad = [k for k, v in raw.items() if not isinstance(v, bool)]
        if bad:
            raise PolicyError("bad_profile", f"企业画像 traits 的取值应为 true/false：{'、'.join(map(str, bad))}",
                              "写成列表，如 [\"hires_graduates\"]，或 {\"hires_graduates\": true}")
        return [k for k, v in raw.items() if v]
    if isinstance(raw, (list, tuple, set, frozenset)) and all(isinstance(v, str) for v in raw):
        return [v.strip() for v in raw if v.strip()]
    raise PolicyError("bad_profile", f"企业画像字段 {key} 应为字符串列表，收到 {type(raw).__name__}",
                      f"例如 {{\"{key}\": [\"…\"]}}")


def parse_profile(data: Mapping | Profile | None, lex: Lexicon | None = None) -> Profile:
    """A validated :class:`Profile` from ``{"sectors": [...], "entities": [...], "traits": [...]}``.

    Values may be lists or one string (``"养老、托育"``); aliases are accepted; traits may also be
    ``{"hires_graduates": true}``. Unknown keys or values raise :class:`PolicyError`
    (``bad_profile``) naming the accepted values.

    >>> parse_profile({"sectors": ["托儿所"], "entities": "个体户", "traits": ["hires_graduates"]})
    Profile(sectors=('托育',), entities=('个体工商户',), traits=('hires_graduates',))
    """
    if isinstance(data, Profile):
        return data
    lex = lex or lexicon()
    if data is None:
        return Profile()
    if not isinstance(data, Mapping):
        raise PolicyError("bad_profile", f"企业画像应为 JSON 对象，收到 {type(data).__name__}",
                          '例如 {"sectors": ["养老"], "entities": ["小微企业"], "traits": ["hires_graduates"]}')
    unknown = [k for k in data if k not in PROFILE_KEYS]
    if unknown:
        raise PolicyError("bad_profile", f"企业画像不认识的字段：{'、'.join(map(str, unknown))}",
                          f"可用字段：{', '.join(PROFILE_KEYS)}")
    accepted = accepted_values(lex)
    out: dict[str, list[str]] = {}
    for key in ("sectors", "entities"):
        vocab = _vocabulary(lex, key)
        names = []
        for value in _values(data.get(key), key):
            canonical = vocab.get(value) or vocab.get(normalize_text(value))
            if canonical is None:
                what = "行业" if key == "sectors" else "主体类型"
                raise PolicyError("bad_profile", f"未知的{what}“{value}”（{key}）",
                                  f"可选：{'、'.join(accepted[key])}")
            names.append(canonical)
        out[key] = names
    traits = []
    for value in _values(data.get("traits"), "traits"):
        if value not in lex.traits:
            raise PolicyError("bad_profile", f"未知的企业特征“{value}”（traits）",
                              "可选：" + "、".join(f"{k}（{v.get('label', k)}）" for k, v in lex.traits.items()))
        traits.append(value)
    return Profile(tuple(sorted(set(out["sectors"]))), tuple(sorted(set(out["entities"]))), tuple(sorted(set(traits))))


# ---------------------------------------------------------------- matching
@dataclass(frozen=True)
class _Wants:
    sectors: frozenset[str]
    entities: frozenset[str]   # the profile's kinds and every kind that includes them
    people: frozenset[str]
    words: tuple[str, ...]


def _wants(profile: Profile, lex: Lexicon) -> _Wants:
    sectors, entities, people, words = set(profile.sectors), set(profile.entities), set(), []
    for trait in profile.traits:
        spec = lex.traits.get(trait, {})
        sectors |= set(spec.get("sectors", []))
        entities |= set(spec.get("entities", []))
        people |= set(spec.get("people", []))
        words += spec.get("words", [])
    if not entities:
        entities = set(DEFAULT_ENTITIES)
    expanded, todo = set(), list(entities)
    while todo:
        kind = todo.pop()
        if kind not in expanded:
            expanded.add(kind)
            todo += lex.entity_parents.get(kind, ())
    return _Wants(frozenset(sectors), frozenset(expanded), frozenset(people), tuple(dict.fromkeys(words)))


def applies(measure: Measure, profile: Profile, lex: Lexicon | None = None) -> Match | None:
    """The :class:`Match` of one measure for a non-empty ``profile``, or None when it is aimed
    at other industries or other groups (see the module doc)."""
    lex = lex or lexicon()
    return _applies(measure, _wants(profile, lex), lex)


def _applies(m: Measure, wants: _Wants, lex: Lexicon) -> Match | None:
    b = m.beneficiaries
    sectors = set(b.get("sectors", []))
    areas = sectors & lex.area_sectors
    industries = sectors - areas
    entities = set(b.get("entities", []))
    general = entities & lex.general_entities
    specific = entities - general
    people = set(b.get("people", []))
    # who the measure is restricted to: specific kinds only when no general kind stands beside
    # them (市场主体特别是小微企业 is open to every 市场主体), people other than staff, places
    kinds = set() if general else specific
    restricted = kinds | (people - lex.workforce_people) | areas
    wanted = wants.entities | wants.people | wants.sectors
    named_targets = (specific | people | areas) & wanted
    named_sectors = sorted(industries & wants.sectors)
    if industries:
        # an industry of the profile: the kind of entity still has to fit (员工制, 外商投资 …);
        # people named beside an industry are whom the service is for or whom to hire
        # — unless the sentence also names one of the profile's kinds of entity by itself, without
        # the industry (对员工制养老、托育服务企业…给予社保补贴，对符合条件的员工制企业…实施稳岗返还)
        open_kinds = [k for k in kinds & wants.entities if k in m.quote]
        if (not named_sectors and not open_kinds) or (kinds and not kinds & wants.entities):
            return None
    elif restricted:
        if not restricted & wanted:
            return None          # aimed at other kinds of entity or other people
    elif general and not general & wants.entities and "市场主体" not in wants.entities:
        return None              # open to enterprises, and the profile is none
    span_text = m.condition.get("text", "") + " " + m.instrument.get("text", "")
    named_words = [w for w in wants.words if w in span_text]
    matched = {"sectors": named_sectors, "targets": sorted(named_targets), "words": named_words}
    condition = m.condition.get("text", "")
    if named_sectors or named_targets or named_words:
        parts = []
        if named_sectors:
            parts.append("行业：" + "、".join(named_sectors))
        if named_targets:
            parts.append("对象：" + "、".join(sorted(named_targets)))
        if named_words:
            parts.append("涉及：" + "、".join(named_words))
        if condition:
            parts.append("条件：" + condition)
        score = 2 * len(named_sectors) + 2 * len(named_targets) + len(named_words)
        return Match(m, "named", "点名本企业（" + "；".join(parts) + "）", score, matched)
    reason = "面向所有市场主体（未限定行业或对象）" + (f"；条件：{condition}" if condition else "")
    return Match(m, "open", reason, 0, matched)


def match(measures: Iterable[Measure], profile: Profile | Mapping | None, lex: Lexicon | None = None) -> list[Match]:
    """Every measure of ``measures`` that applies to ``profile`` (a :class:`Profile` or a dict for
    :func:`parse_profile`), ordered: those naming the profile (most matches first), then those
    open to all market entities, each group in the measures' order. An empty profile gets all."""
    lex = lex or lexicon()
    profile = parse_profile(profile, lex)
    measures = list(measures)
    if not profile:
        return [Match(m, "all", "未填写企业情况：列出全部措施") for m in measures]
    wants = _wants(profile, lex)
    named, open_ = [], []
    for position, m in enumerate(measures):
        found = _applies(m, wants, lex)
        if found is None:
            continue
        (named if found.group == "named" else open_).append((position, found))
    named.sort(key=lambda pm: (-pm[1].score, pm[0]))
    return [found for _, found in named] + [found for _, found in open_]
