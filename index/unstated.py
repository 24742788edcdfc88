"""What a question asks that the texts do not state: the first kind of answer it asks for
(:mod:`index.answer_types`) that no text states, progress a policy does not report, a contact
only named, a figure for another sector, a year no text covers. ``qa.answer`` abstains on it and
names what is missing (已收录的政策文件未写明所问的具体金额)."""

from __future__ import annotations

import re

from corpus.tagging import domain_lexicon, split_sentences
from index.answer_types import ANSWER_TYPES, AnswerType, asked_in, asking_sentences

#: A cap asked for (管理费不能超过多少, 最多能收多少): a law often sets it as a share (百分之十三).
_CAP_ASKED_RE = re.compile(r"(不能|不得|不可以|最多|最高|上限)[^，。？?]{0,6}(超过)?多少")
#: A sum charged in proportion to another (加收多少滞纳金, 罚多少钱): a law sets it as a share
#: (按日加收万分之五) or a multiple (处…一倍以上三倍以下的罚款).
_PROPORTIONAL_RE = re.compile(r"滞纳金|罚款|罚金|罚多少|违约金|赔偿金|赔多少|利息")
_RATE = next(k for k in ANSWER_TYPES if k.name == "rate")
_MULTIPLE = AnswerType("multiple", "倍数", re.compile(r"(?!)"), re.compile(r"\d+(?:\.\d+)?\s*倍|[一二两三四五六七八九十]倍"))
#: Progress asked, not the target (截至2023年底完成了多少, 现在实际占比是多少, 酒泉市达到了没有): a
#: policy states what is to be reached, not how far it has got.
STATUS = AnswerType(
    "status", "实际完成情况",
    # (截至 only with now or a past year's end: 截至2025年要达到多少 asks the target)
    re.compile(r"实际(有|是|占比|达到|完成|情况)|截至(目前|现在|今年|去年)|完成了多少|达到了没有|达到没有|达没达到|达标了[吗没]|还差多少|"
               r"(已经|现在|目前)[^，。？]{0,4}(建成|建了|完成|达到|培训了|建设)了?[^，。？]{0,2}多少|(完成|实现)了?没有|实际[^，。？]{0,4}(人数|数量)|"
               r"完成情况|进[展度](如何|怎么样|咋样|到哪)|(出台|印发|发布|公布)了(没有?|吗)|出台没有?|"
               r"实际[^，。？]{0,4}(多少|几)|已经?(建成|建好|开通|投用|落地)(了|的)|(是否|有没有)已经?(出台|印发|发布|公布)|"
               r"现状(\s*$|如何|怎么样|是什么)"),
    re.compile(r"实际完成|已经?完成|已经?达到|完成情况|已经?(出台|印发|发布|同意)"))
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年|(十[一二三四五六七]五)")
#: A contact the documents actually give — a number, an address, a web address — not the word
#: 网站 or 热线 (依托省级信用平台网站 gives no address of it).
_REAL_CONTACT = re.compile(r"\d{5,}|12345|https?://|www\.|\.gov\.cn|\.com|[路街巷]\d+号|\d+号楼")
#: The number or address itself asked for (热线号码是多少, 地址在哪), not whether there is one
#: (有没有心理热线能打, which a clause naming the hotline answers).
_CONTACT_VALUE_ASKED = re.compile(r"(电话|热线|号码|网址|网站|地址)[^，。？]{0,6}(多少|是什么|是啥|哪个|几号|在哪)|"
                                  r"在哪个窗口|哪个窗口|门店在哪|办公地点|在哪办公|(电话|号码|网址|官网)\s*$")
_CONTACT = next(k for k in ANSWER_TYPES if k.name == "contact")
_COUNT = next(k for k in ANSWER_TYPES if k.name == "count")
_NUMBER_ASKED_RE = re.compile(r"多少|几")


#: A goal asked (2030年养老服务的发展目标是什么): for a year after every year the text names, it is
#: another plan's.
_GOAL_ASKED_RE = re.compile(r"目标|指标|规划|任务")


def _beyond_the_texts(year: str, texts: list[str]) -> bool:
    years = [int(y) for t in texts for y, _ in _YEAR_RE.findall(t) if y]
    return bool(year) and bool(years) and int(year) > max(years)


def _unstated_year(question: str, asking: str, texts: list[str]) -> AnswerType | None:
    """A figure asked (in ``asking``, the question's asking sentences) for a year no text names
    (到2030年要达到多少 of a plan to 2025, 2024年的标准是多少): the figure stated is another year's;
    a goal asked for a year after every year the texts name (2030年的发展目标 of a plan to 2025)."""
    figure = _NUMBER_ASKED_RE.search(asking) or any(k.name in ("money", "rate", "count") for k in asked_in(question))
    goal = _GOAL_ASKED_RE.search(asking)
    if not (figure or goal):
        return None
    for year, plan_period in dict.fromkeys(_YEAR_RE.findall(asking)):
        named = year or plan_period  # 2030 of 到2030年, or the five-year plan 十五五
        if not any(named in t for t in texts) and (figure or _beyond_the_texts(year, texts)):
            label = f"{year}年的情况" if year else f"“{plan_period}”期间的情况"
            return AnswerType("year", label, re.compile(named), re.compile(named))
    return None


#: A count asked in a unit no wording changes (多少岁, 多少平方米, 几张床): stated only by a number in
#: that unit — 2.5平方米 of sports ground states no 人均预期寿命 in 岁.
_COUNT_UNIT_RE = re.compile(r"(?:多少|几)(平方米|公里|周岁|岁|张床位|张床|张)")
#: The unit asked → a number written in it (a numeral, then the unit).
_UNIT_STATED = {asked: re.compile(r"(?:\d|[一二三四五六七八九十两百千万])\s*(?:" + written + ")") for asked, written in
                {"平方米": "平方米", "公里": "公里", "周岁": "周?岁", "岁": "周?岁", "张床位": "张|床",
                 "张床": "张|床", "张": "张"}.items()}


def _unit_unstated(asking: str, texts: list[str]) -> bool:
    m = _COUNT_UNIT_RE.search(asking)
    return bool(m) and not any(_UNIT_STATED[m.group(1)].search(t) for t in texts)


#: Sectors a figure is for (their words: ``corpus/data/domains.json``): 人均体育场地面积2.5平方米 and
#: 按室内人均建筑面积不低于0.1平方米…配建公共体育设施 give no area standard for 托育 facilities.
SECTORS = ("养老", "托育", "医疗卫生", "教育", "文旅", "体育", "家政")
#: Kinds of answer that are a figure of something: stated for the sector the question names.
_FIGURE_KINDS = frozenset({"money", "rate", "count"})


def sectors(text: str) -> frozenset[str]:
    """The sectors of :data:`SECTORS` whose words ``text`` writes."""
    lexicon = domain_lexicon()
    return frozenset(s for s in SECTORS if any(word in text for word in lexicon[s]))


def about_other_sectors(text: str, asked: frozenset[str]) -> bool:
    """``text`` names sectors, none of the ``asked`` ones (False when nothing is asked)."""
    named = sectors(text)
    return bool(asked) and bool(named) and not named & asked


def for_the_sectors(texts: list[str], asked: frozenset[str]) -> list[str]:
    """The sentences of ``texts`` not about other sectors only (all of ``texts`` when nothing is asked)."""
    if not asked:
        return texts
    return [s.text for t in texts for s in split_sentences(t) if not about_other_sectors(s.text, asked)]


def unstated(question: str, texts: list[str]) -> AnswerType | None:
    """Progress asked (:data:`STATUS`) that no text reports; else the first kind of answer
    ``question`` asks for (:func:`asked_in`) that none of ``texts`` states, if any
    (:meth:`AnswerType.answers`); a sum asked as a cap is also stated by a share, one charged in
    proportion by a share or a multiple; a figure (an amount, a share, a count) for the sector the
    question names only by a sentence about it or about no sector. Then a telephone, web or street
    address asked that no text gives (the word 网站 is none), and a figure asked for a year or
    five-year plan no text names."""
    asking = "".join(asking_sentences(question))
    if STATUS.asks.search(asking) and not any(STATUS.stated_in(t) for t in texts):
        return STATUS  # how far it has got (已经建成的…有哪几个): the reason, whatever else it asks
    own_sector = None
    for kind in asked_in(question):
        if kind.name in _FIGURE_KINDS and own_sector is None:
            own_sector = for_the_sectors(texts, sectors(question))
        stating = own_sector if kind.name in _FIGURE_KINDS else texts
        also = []
        if kind.name == "money" and _CAP_ASKED_RE.search(question):
            also = [_RATE]
        elif kind.name == "money" and _PROPORTIONAL_RE.search(question):
            also = [_RATE, _MULTIPLE]
        if not any(k.answers(question, t) for k in (kind, *also) for t in stating):
            return kind
    if _COUNT in asked_in(question) and _unit_unstated(asking, own_sector if own_sector is not None else texts):
        return _COUNT
    if _CONTACT_VALUE_ASKED.search(asking) and not any(_REAL_CONTACT.search(t) for t in texts):
        return _CONTACT
    return _unstated_year(question, asking, texts)
