"""Where a support measure's condition and instrument are, as spans of the sentence as written
(``{"text", "start", "end"}``, offsets into ``record.text``; empty when absent): the job of
:func:`find_condition` and :func:`find_instrument`, used by :mod:`corpus.measures`.

>>> find_condition("对符合条件的小微企业按规定给予社保补贴。")["text"]
'符合条件的小微企业'
>>> find_instrument("对符合条件的小微企业按规定给予社保补贴。", 15)["text"]
'按规定给予社保补贴'
"""

from __future__ import annotations

import re

#: Where a clause ends inside a sentence.
_CLAUSE_END = "，；：。！？"


def empty_span() -> dict:
    return {"text": "", "start": -1, "end": -1}


# ---------------------------------------------------------------- condition and instrument
_CONDITION_CLAUSE_RE = re.compile(r"(?:^|(?<=[，；：。]))(?:对于|对|凡)?([^，；：。]{3,80}?的)(?=，)")
_QUALIFIED_RE = re.compile(
    r"(符合[^，；。]{0,12}?(?:条件|规定|要求|政策)的[^，；。]{0,60}?)"
    r"(?=按|依|可|应当|实行|实施|给予|享受|纳入|采取|优先|免征|以|通过|设立|开展|，|；|。|$)")
_OF_RE = re.compile(r"(?<![针相绝反面核应比])对((?:[^，；。对]{2,40}?)的)")
_PREMISE_RE = re.compile(r"在[^，；。]{1,30}?前提下")
#: ``免费和低收费开放的体育场地设施，按照有关规定享受补助``: the subject's 的-modifier is the condition.
#: A subject that is the state or a government (国家实行有利于…的税收政策，…) grants; it is no condition.
_SUBJECT_OF_RE = re.compile(r"^(?!国家|国务院|各级|县级|省|市|地方|政府)(?:对于|对)?([^，；。]{2,30}的)[^，；。的]{1,12}，"
                            r"(?=[^，；。]{0,12}(?:享受|给予|按照|依法|可以|可))")
#: ``加大对小型微型企业的信贷支持``, ``加强对…使用情况的审计``: 对 + a bare recipient (or 情况) + 的 names
#: who or what, not on what condition.
_BARE_RECIPIENT_RE = re.compile(r"^[^，；。\d]{0,12}(?:企业|单位|机构|组织|个体工商户|主体|行业|产业|事业|情况)的$")
_CAPABLE_RE = re.compile(r"有条件的")
#: Where the condition proper starts inside a "X企业吸纳…的" clause (the subject is a beneficiary).
_ACTION_RE = re.compile(r"吸纳|招用|安置|安排|提供|使用|开展|参加|参与|从事|创办|投资|设立|捐赠|申请|接受|深度参与")
_SUBJECT_END_RE = re.compile(r"(?:企业|单位|机构|主体|组织|个体工商户|人员|残疾人|毕业生)$")
#: Verbs and modal words an instrument starts with, and what may stand before them.
_GRANT_RE = re.compile(r"给予|予以|实行|实施|享受|提供|落实|执行|纳入|列入|安排|采取|加大|运用|简化|推广|推行|建立|设立|"
                       r"允许|可以|可|免费|免除|免征|减征|缓征|优先|发放|支持|鼓励|引导|推动|帮助|开展|组织|通过|"
                       r"增加|降低|放宽|适当|及时|逐步")
_MODIFIER_RE = re.compile(r"(?:按照国家(?:有关)?规定|按照(?:有关)?规定|按规定|依法依规|依法|应当|积极|全面)+$")


def _span(record_start: int, text: str, start: int, end: int) -> dict:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return empty_span()
    start += piece.index(stripped)
    return {"text": stripped, "start": record_start + start, "end": record_start + start + len(stripped)}


def _without_subject(unit: str, start: int, end: int) -> tuple[int, int]:
    """A ``…的`` condition without the beneficiary it opens with: ``员工制养老、托育服务企业吸纳…的``
    → ``吸纳…的`` (the beneficiary is in ``beneficiaries``)."""
    clause = unit[start:end]
    action = _ACTION_RE.search(clause)
    if action and action.start() > 0 and _SUBJECT_END_RE.search(clause[: action.start()]):
        return start + action.start(), end
    return start, end


def find_condition(unit: str, offset: int = 0) -> dict:
    """The condition of a measure sentence as written, ``{text, start, end}`` with offsets
    ``offset + …`` (the unit's start in the record); empty when the sentence has none.

    Candidates, the earliest in the sentence wins: a ``…的，`` clause (``对员工制养老、托育服务企业
    吸纳就业困难人员及高校毕业生就业的，`` → ``吸纳就业困难人员及高校毕业生就业的``), ``符合条件的…``,
    ``对…的`` (``对建筑面积300平方米以下…的社区服务设施`` → ``建筑面积300平方米以下…的``),
    ``在…前提下`` and ``有条件的``.
    """
    candidates: list[tuple[int, int]] = []
    for pattern, group in ((_CONDITION_CLAUSE_RE, 1), (_QUALIFIED_RE, 1), (_OF_RE, 1), (_SUBJECT_OF_RE, 1),
                           (_PREMISE_RE, 0), (_CAPABLE_RE, 0)):
        for m in pattern.finditer(unit):
            if pattern is _OF_RE and _BARE_RECIPIENT_RE.match(m.group(group)):
                continue
            candidates.append(_without_subject(unit, m.start(group), m.end(group)))
    if not candidates:
        return empty_span()
    start, end = min(candidates, key=lambda c: (c[0], -(c[1] - c[0])))
    return _span(offset, unit, start, end)


def find_instrument(unit: str, trigger_start: int, offset: int = 0, condition: dict | None = None) -> dict:
    """The instrument: the clause holding the measure's trigger, from the grant verb (给予,
    实行, 享受, 可 …) before the trigger, with the modifiers just before that verb (按规定,
    依法 …): ``…就业的，按规定给予社保补贴，…`` → ``按规定给予社保补贴``."""
    left = max((unit.rfind(ch, 0, trigger_start) for ch in _CLAUSE_END), default=-1) + 1
    if condition and condition.get("text"):
        cond_end = condition["end"] - offset
        if left <= cond_end <= trigger_start:
            left = cond_end
    right_candidates = [i for ch in _CLAUSE_END if (i := unit.find(ch, trigger_start)) >= 0]
    right = min(right_candidates) if right_candidates else len(unit)
    start = left
    verbs = [m for m in _GRANT_RE.finditer(unit, left, trigger_start + 1) if m.start() <= trigger_start]
    if verbs:
        start = verbs[-1].start()
        # a run of grant words (可以依法享受, 按规定给予) counts from its first word
        for m in reversed(verbs[:-1]):
            if m.end() == start:
                start = m.start()
            else:
                break
        before = _MODIFIER_RE.search(unit[left:start])
        if before:
            start = left + before.start()
    return _span(offset, unit, start, right)


#: Verbs that give something to someone — of :data:`_GRANT_RE`, those that do not also describe
#: the government's own work or a duty (设立, 建立, 实施, 开展, 办理 …).
_GIVE_RE = re.compile(r"给予|予以|享受|提供|免费|免除|免征|减征|缓征|减免|优先|发放|扶持|资助|奖励|补助|补贴|"
                      r"帮助|照顾|优惠|倾斜|纳入|列入|简化|放宽|降低|允许|支持|安排|实行|运用|采取|增加|提高|设立[^，。；]{0,16}基金")


def grant_instrument(unit: str, offset: int = 0, condition: dict | None = None) -> dict:
    """The instrument of a unit no trigger names: the clause of its first verb that gives
    something after the condition (``…的，可以享受优先待遇`` → ``可以享受优先待遇``), or empty when
    it has none (``设立公益性养老机构，应当依法办理相应的登记``: a duty, not a grant)."""
    after = condition["end"] - offset if condition and condition.get("text") else 0
    verb = _GIVE_RE.search(unit, max(after, 0))
    return find_instrument(unit, verb.start(), offset, condition) if verb else empty_span()
