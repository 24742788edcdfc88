"""Questions about a document itself — its 文号, who issued it, its date, the years it covers.

No clause states these (the plan's 文号 and its signature lines belong to its ``manifest.json``,
not to a record), so such a question is answered from the document's manifest, said to be
document information, and flagged as an abstention: no clause is cited for it. Without this,
``方案的文号是什么？`` was answered with the plan's 基本原则, which share the word 方案.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Protocol

from index.hits import short_title
from index.query import named_documents
from qa.compose import char_pairs, overlap

#: The facts a question can ask for, each by the words that ask for it. The issuer and the date
#: also need a word for the document (方案, 文件, 法 …): 补贴什么时候发的 asks about money.
FACT_RES = {
    "number": re.compile(r"文号|发文字号|发文号|第几号文"),
    # not 制定 (具体办法由谁制定 asks who makes a rule) nor a bare 发的 (补贴什么时候发的)
    "issuer": re.compile(r"(哪个|哪些|什么|哪一?级)(部门|单位|机关|机构|政府)[^，。？]{0,4}(印发|发布|下发|出台|发文|起草)"
                         r"|谁(印发|发布|下发|出台|起草)|(发文|印发|发布)(机关|单位|部门)"),
    "date": re.compile(r"(什么时候|何时|哪天|哪一天|哪年|几月|啥时候|什么时间)[^，。？]{0,6}(印发|发布|出台|公布|下发|成文)"
                       r"|(印发|发布|出台|公布|成文|发文)(的)?(日期|时间)|哪年的(文件|方案)"),
    "period": re.compile(r"(有效期|实施期限?|执行期限?|时间跨度|覆盖哪几年|管到哪年|到哪年为止)"),
    # from when a law applies (职业教育法什么时候开始施行): its last article says, 本法自…起施行
    "effective": re.compile(r"(什么时候|何时|哪天|哪一天|哪年|几月|几号|啥时候|什么时间|从哪天|哪日)[^，。？]{0,8}(施行|生效)"
                            r"|(施行|生效)(的)?(日期|时间)"),
    # why a document was made and on what basis (甘肃为什么要出台这个方案？依据是什么？): its 前言 or its
    # first article says, 根据…，制定本方案 / 为了…，制定本法 — not why a measure is taken (补贴为什么停了)
    "purpose": re.compile(r"(为什么|为何|为啥|干嘛|干吗)[^，。？]{0,6}(出台|制定|印发|发布|下发|发文|立法|出这个|搞这个)"
                          r"|(出台|制定|印发|立法|发文)(的)?(目的|原因|背景|初衷|依据|根据|理由|宗旨)"
                          r"|(方案|文件|法|条例)(的)?(制定|出台)?(依据|根据)是(什么|啥|哪)"),
}
#: A reference to a held document, needed beside the issuer, date and period words: the document
#: itself (方案, 文件, 本方案, 这份文件), a 《title》 or a document number — not 补贴政策, 实施办法 or
#: 申报通知, which are what a document is about (配套政策何时出台 asks about a policy to come).
#: A law or regulation written by name without 《》 (职业教育法, 全民健身条例), by its last characters
#: — not 办法, 做法, 依法, 违法, and no demonstrative in it: 请问本法, 这部法 name no law.
#: Characters before 法 that make a word, not a law: 办法, 做法, 依法, 违法 …
_FA_WORD = "办方做说想看合依违执立守用司"
_LAW_NAME = rf"(?:(?![本这那该部])[\u4e00-\u9fff]){{2}}(?:(?<![{_FA_WORD}])法|条例)(?![律规])"
DOCUMENT_REF_RE = re.compile(r"(?<![补贴政策配套实施申报])(方案|文件)|《[^》]+》|[〔\[［(（]\d{4}[〕\]］)）]\s*\d+\s*号"
                             rf"|{_LAW_NAME}|(本|这部|这个|该)(法|条例)")
LAW_NAME_RE = re.compile(_LAW_NAME)
#: A law or code written out without 《》 (按消费者权益保护法, 民法典规定的): the run of characters
#: before 法/法典/条例, less the words that introduce it (按, 根据, 违反 …) — :func:`unquoted_law_names`.
#: (not a word that ends in 法: 办法, 犯法, 没法, 书法, 玩法, 活法, 乘法, 变法, 法定)
_LAW_RUN_RE = re.compile(rf"[\u4e00-\u9fff]{{1,12}}?(?:法典|(?<![{_FA_WORD}非犯没书玩活乘变写算手疗兵戏语魔打吃干弄搞])"
                         r"法(?![律规院官人定])|条例)")
_LAW_LEAD_RE = re.compile(r"^(?:.*?(?:按照|依照|依据|根据|违反|适用|一下|按|照|用|拿|查|看|的|了|在|是|说|问|那|这|部|本))*")


def unquoted_law_names(text: str) -> list[str]:
    """Laws and codes ``text`` names in full without 《》: 消费者权益保护法 of 按消费者权益保护法能要求…,
    民法典 of 民法典规定的…; other names of three characters or fewer (体育法, 社保法) are left out —
    an abbreviation is no name to say a document is missing by."""
    out = []
    for m in _LAW_RUN_RE.finditer(text.replace("中华人民共和国", "")):
        name = _LAW_LEAD_RE.sub("", m.group())
        if (len(name) >= 4 or (len(name) == 3 and name.endswith("法典"))) and name not in out:
            out.append(name)
    return out
#: The sentence a law's last article states its start with: 本法自2022年5月1日起施行.
EFFECTIVE_RE = re.compile(r"自[^。；，]{1,24}起施行")
#: The sentence a document states why it was made and on what basis with (前言: …根据国务院…部署要求，
#: 结合实际，制定本方案; 第一条: 为了…，根据宪法，制定本法).
PURPOSE_RE = re.compile(r"制定本(方案|法|条例|办法|规定|意见|计划|细则|规划)|特制定|为了?[^。；]{2,120}制定")
#: The years a plan covers, as its title writes them: （2022—2025年）.
PERIOD_RE = re.compile(r"[（(](\d{4})\s*[—–\-~至到]\s*(\d{4})\s*年[）)]")

LABELS = {"number": "文号", "issuer": "发文机关", "date": "日期", "period": "实施期限", "effective": "施行日期",
          "purpose": "制定目的和依据"}


class DocumentFacts(Protocol):
    doc_id: str
    title: str
    number: str
    issuer: tuple[str, ...]
    date: str


_BRACKETS = "〔〕[]［］()（）【】"


@functools.lru_cache(maxsize=4096)
def number_pattern(number: str) -> re.Pattern | None:
    """A document number as users type it: 甘政办发〔2022〕46号 also as 甘政办发[2022]46号,
    甘政办发 (2022) 46号 or without 号 — but not as the start of 甘政办发〔2022〕461号."""
    core = number.strip().removesuffix("号")
    if len(core) < 4:
        return None
    parts = [rf"\s*[{re.escape(_BRACKETS)}]\s*" if ch in _BRACKETS else re.escape(ch) for ch in core]
    return re.compile("".join(parts) + r"(?!\d)号?")


def named_by_number(question: str, documents: Sequence[DocumentFacts]) -> tuple[DocumentFacts, str] | None:
    """The document whose 文号 the question writes, and the question without it."""
    for doc in documents:
        rx = number_pattern(doc.number) if doc.number else None
        found = rx.search(question) if rx else None
        if found:
            return doc, (question[: found.start()] + question[found.end():]).strip()
    return None


#: Where a document's name ends when a question writes it without 《》 (…行动方案, 旅游法).
DOCUMENT_TYPE_RE = re.compile(r"方案|条例|办法|意见|规划|法")
#: How much of a written name must be the title (bigrams), and how long it must be unless it is
#: a law's short title exactly (行动方案 alone names no document: every plan is one).
TITLE_OVERLAP, MIN_TITLE_CHARS = 0.6, 6
#: Character pairs every plan's or regulation's title may write (行动方案, 实施意见).
GENERIC_TITLE_BIGRAMS = frozenset({"行动", "动方", "方案", "实施", "施方", "意见", "条例", "办法", "规划", "关于", "推动"})


def named_by_title(question: str, documents: Sequence[DocumentFacts]) -> tuple[DocumentFacts, str] | None:
    """The one document the question names by its title without 《》 — a law's short title
    (中小企业促进法) or most of a plan's (甘肃省生活性服务业行动方案) — and the question without
    the name: the name says where to look, and its words (生活性服务业, 行动方案, 促进) are not
    what is asked. None when it names no document or several."""
    named: dict[str, tuple[DocumentFacts, int, int]] = {}
    for doc in documents:
        short = short_title(doc.title)
        if len(short) >= 3 and (at := question.find(short)) >= 0:
            named[doc.doc_id] = (doc, at, at + len(short))
    # a title written out is the name (小企业促进法 of 中小企业促进法 is no 就业促进法); else most
    # of a title, its own words (生活性服务业), not only those every plan has (这份行动方案) — and
    # not after another province (陕西省…生活性服务业行动方案 is Shaanxi's, not the library's)
    ends = [m.end() for m in DOCUMENT_TYPE_RE.finditer(question)] if not named else []
    asked = {CITIES.get(p, p) for p in places(question)} if ends else set()
    for doc in documents if ends else ():
        region = jurisdiction(doc)
        if asked - {region}:
            continue
        # the span most of which is the title (生活性服务业行动方案, not 监管局在生活性服务业行动方案)
        best = max(((overlap(question[start:end], doc.title), end - start, start, end)
                    for end in ends for start in range(max(0, end - 30), end - MIN_TITLE_CHARS + 1)
                    if re.fullmatch(r"[\u4e00-\u9fff]+", question[start:end])
                    and len(char_pairs(question[start:end]) & char_pairs(doc.title) - GENERIC_TITLE_BIGRAMS) >= 4),
                   default=None)
        if best and best[0] >= TITLE_OVERLAP:
            start = best[2]
            # the document's own province before it is part of the name (甘肃省生活性服务业行动方案)
            if region and (place := re.search(rf"{region}(?:省|市|自治区)?$", question[:start])):
                start = place.start()
            named[doc.doc_id] = (doc, start, best[3])
    if len(named) != 1:
        return None
    doc, start, end = next(iter(named.values()))
    return doc, (question[:start] + question[end:]).strip()


def asked_facts(question: str) -> list[str]:
    """The document facts ``question`` asks for (``number``, ``issuer``, ``date``, ``period``)."""
    asked = [name for name, rx in FACT_RES.items() if rx.search(question)]
    if asked and asked != ["number"] and not DOCUMENT_REF_RE.search(question):
        asked = [name for name in asked if name == "number"]
    return asked


def _value(doc: DocumentFacts, fact: str) -> str:
    if fact == "number":
        return doc.number
    if fact == "issuer":
        return "、".join(doc.issuer)
    if fact == "date":
        return doc.date
    if fact in ("effective", "purpose"):
        return ""  # no manifest field: a law's last article states its start, its first why it was made
    period = PERIOD_RE.search(doc.title)
    return f"{period.group(1)}—{period.group(2)}年" if period else ""


def which_document(question: str, documents: Sequence[DocumentFacts], hit_doc_ids: Sequence[str]) -> DocumentFacts | None:
    """The document a question about a document means: the one it names (《…》 or most of its
    title), the only one, the only 方案 when it says 方案, else the document of the best hit."""
    if not documents:
        return None
    by_number = named_by_number(question, documents)
    if by_number:
        return by_number[0]
    for name in named_documents(question):
        for doc in documents:
            if name in doc.title or doc.title in name or overlap(name, doc.title) >= 0.6:
                return doc
    if law := LAW_NAME_RE.search(question):
        # 职业教育法什么时候施行 asked of the plan alone: a law the library does not hold, not the plan
        return next((doc for doc in documents if law.group() in doc.title), None)
    if len(documents) == 1:
        return documents[0]
    if "方案" in question:
        plans = [d for d in documents if "方案" in d.title]
        if len(plans) == 1:
            return plans[0]
    by_id = {d.doc_id: d for d in documents}
    return next((by_id[d] for d in hit_doc_ids if d in by_id), None)


def _forms(doc: DocumentFacts, fact: str) -> list[str]:
    """How a clause would write a fact: each issuing body; a date as 2022年4月15日."""
    if fact == "issuer":
        return [i for i in doc.issuer if i]
    value = _value(doc, fact)
    if fact == "date" and (ymd := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)):
        return [value, f"{ymd.group(1)}年{int(ymd.group(2))}月{int(ymd.group(3))}日"]
    return [value] if value else []


def stating_sentences(question: str, documents: Sequence[DocumentFacts], hits, preambles=()) -> list:
    """(record, sentence) of the best clauses that state a document fact the question asks for
    — the plan's 前言 says 省发展改革委 drafted it and the years it covers: cited, not told.
    ``preambles`` (each document's opening record: a plan's 前言, a law's 第一条) are read too,
    wherever they rank."""
    asked = asked_facts(question)
    doc = which_document(question, documents, [h.record.doc_id for h in hits]) if asked else None
    if doc is None:
        return []
    forms = [f for fact in asked for f in _forms(doc, fact)]
    found = []
    # the start of a law is in its last article, and who drafted a plan in its 前言, which a search
    # for the rest of the question need not rank first: the five best hits and the preamble are read
    records = [h.record for h in hits[:5]]
    records += [r for r in preambles if r.doc_id == doc.doc_id and r not in records]
    for record in records:
        if record.doc_id != doc.doc_id:
            continue
        for sentence in record.sentences:
            states = (any(f in sentence.text for f in forms)
                      or ("effective" in asked and EFFECTIVE_RE.search(sentence.text))
                      or ("purpose" in asked and PURPOSE_RE.search(sentence.text)))
            if states and (record, sentence) not in found:
                found.append((record, sentence))
    return found


def document_facts_text(question: str, documents: Sequence[DocumentFacts], hit_doc_ids: Sequence[str]) -> str:
    """The answer to a question about a document's 文号, issuer, date or period, from its manifest
    ("" when the question asks for none of them or names no document the library holds)."""
    asked = asked_facts(question)
    doc = which_document(question, documents, hit_doc_ids) if asked else None
    if doc is None:
        return ""
    # a plan states no day it takes effect, but the years it covers (2022—2025年)
    asked = list(dict.fromkeys("period" if f == "effective" and _value(doc, "period") else f for f in asked))
    known = [(LABELS[f], _value(doc, f)) for f in asked if _value(doc, f)]
    unknown = [LABELS[f] for f in asked if not _value(doc, f)]
    # one sentence: the web page shows an abstention's first sentence as its headline
    parts = [f"条款正文不写{'、'.join(LABELS[f] for f in asked)}"]
    if known:
        parts.append(f"据文件信息，《{doc.title}》的" + "，".join(f"{label}为{value}" for label, value in known))
    if unknown:
        parts.append(f"文件信息中没有记录《{doc.title}》的{'、'.join(unknown)}")
    return "；".join(parts) + "。"


#: Province-level regions, by short name, and the one-character abbreviations document numbers
#: start with (甘政办发 → 甘肃).
PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
             "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
             "内蒙古", "广西", "西藏", "宁夏", "新疆")
NUMBER_PREFIXES = {"京": "北京", "津": "天津", "沪": "上海", "渝": "重庆", "冀": "河北", "晋": "山西", "辽": "辽宁",
                   "吉": "吉林", "黑": "黑龙江", "苏": "江苏", "浙": "浙江", "皖": "安徽", "闽": "福建", "赣": "江西",
                   "鲁": "山东", "豫": "河南", "鄂": "湖北", "湘": "湖南", "粤": "广东", "琼": "海南", "川": "四川",
                   "黔": "贵州", "云": "云南", "陕": "陕西", "甘": "甘肃", "蒙": "内蒙古", "桂": "广西",
                   "藏": "西藏", "新": "新疆"}  # not 宁 or 青: 宁政发 is Nanjing's, 青政发 Qingdao's
#: Cities a question may name instead of their province (capitals and the largest others).
CITIES = {"深圳": "广东", "广州": "广东", "杭州": "浙江", "宁波": "浙江", "南京": "江苏", "苏州": "江苏", "成都": "四川",
          "武汉": "湖北", "长沙": "湖南", "郑州": "河南", "济南": "山东", "青岛": "山东", "西安": "陕西", "合肥": "安徽",
          "福州": "福建", "厦门": "福建", "南昌": "江西", "石家庄": "河北", "太原": "山西", "沈阳": "辽宁", "大连": "辽宁",
          "长春": "吉林", "哈尔滨": "黑龙江", "海口": "海南", "贵阳": "贵州", "昆明": "云南", "西宁": "青海",
          "呼和浩特": "内蒙古", "南宁": "广西", "拉萨": "西藏", "银川": "宁夏", "乌鲁木齐": "新疆",
          # the shipped plan's province, city by city: a question from 天水 is from inside it
          "兰州": "甘肃", "兰州新区": "甘肃", "嘉峪关": "甘肃", "金昌": "甘肃", "天水": "甘肃", "武威": "甘肃",
          "张掖": "甘肃", "平凉": "甘肃", "酒泉": "甘肃", "庆阳": "甘肃", "定西": "甘肃", "陇南": "甘肃",
          "临夏": "甘肃", "甘南": "甘肃"}
#: What may follow a place's short name in the same word (甘肃省, 兰州市, 甘南藏族自治州, 临夏州).
PLACE_SUFFIX_RE = re.compile(r"省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区|[\u4e00-\u9fff]{0,3}族自治州|州|县|区")


def jurisdiction(doc: DocumentFacts) -> str | None:
    """The province a document applies to, by its issuer, title or number; None for a national
    document (a law — its title ends in 法 — or one of the 中华人民共和国) or one naming no province."""
    title = doc.title.strip()
    if title.startswith("中华人民共和国") or re.search(r"法(（[^）]*）)?$", title):
        return None
    text = "".join(doc.issuer) + title
    named = sorted((text.find(p), p) for p in PROVINCES if p in text)
    if named:
        return named[0][1]
    return NUMBER_PREFIXES.get(doc.number[:1]) if doc.number else None


def place_name(word: str) -> str | None:
    """The province or city of :data:`CITIES` a word names, with or without its suffix (兰州市 →
    兰州, 甘南藏族自治州 → 甘南); None for any other word."""
    if word in PROVINCES or word in CITIES:
        return word
    for n in (2, 3, 4):
        if (word[:n] in PROVINCES or word[:n] in CITIES) and PLACE_SUFFIX_RE.fullmatch(word[n:]):
            return word[:n]
    return None


def is_place(word: str) -> bool:
    return place_name(word) is not None


def places(question: str) -> list[str]:
    """The provinces and large cities a question names, as whole words (大连 is no place in
    扩大连锁经营, nor 合肥 in 复合肥料)."""
    from corpus.tokenize import tokenize

    return list(dict.fromkeys(name for name in map(place_name, tokenize(question)) if name))


#: What follows a place when the question asks that region's own policy (四川对家政服务企业有没有免房租的
#: 扶持, 青海省有没有出台类似的托育补贴政策, 宁夏的养老护理员岗位补贴): a few characters up to what a region
#: grants or issues. A place the asker is in or goes to (我在上海住院, 去云南旅游) is no such subject.
_REGION_POLICY_RE = re.compile(r"(?:省|市|自治区|地区|当地|那边|政府|省里|市里)*(?:的|对|有没有|有无|是否|也|出台|发布|给)"
                               r"[^，。？！；,?!;]{0,14}?(?:政策|补贴|补助|津贴|扶持|优惠|方案|条例|规定|办法|标准)")
_PLACE_OF_THE_ASKER_RE = re.compile(r"(?:在|去|到|从|跑|回|来自|户口在)$")


def region_policy_asked(question: str, mentioned) -> str | None:
    """The region whose own policy ``question`` asks about, when no record mentions it
    (``mentioned(place)`` is false): a national law answers anywhere, but not for what 四川 or 青海
    grants (:data:`_REGION_POLICY_RE`)."""
    for place in places(question):
        if mentioned(place):
            continue
        for m in re.finditer(re.escape(place), question):
            if (_REGION_POLICY_RE.match(question, m.end())
                    and not _PLACE_OF_THE_ASKER_RE.search(question, 0, m.start())):
                return place
    return None


def other_region(question: str, documents: Sequence[DocumentFacts], mentioned) -> tuple[str, list[str]] | None:
    """(the place asked about, the provinces the documents cover) when every document held is a
    province's own, the question names another province or one of its large cities, names none of
    the covered ones, and no record mentions that place (``mentioned(place)``): 北京市的公积金提取政策
    on a library of Gansu's plans — but not 我在北京打工，回甘肃返乡创业…, nor a question in a library
    holding a national law, which answers anywhere."""
    regions = []
    for doc in documents:  # stops at the first national document: most libraries hold a law
        region = jurisdiction(doc)
        if region is None:
            return None
        regions.append(region)
    if not regions:
        return None
    named = places(question)
    if any(CITIES.get(p, p) in regions or mentioned(p) for p in named):
        return None
    return (named[0], sorted(set(regions))) if named else None
