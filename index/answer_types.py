"""Kinds of answer a question asks for — an amount of money, a rate, a date, a validity, a clock
time, a count, a telephone number or web address, the conditions to meet, names, a form, a
procedure — and whether a clause states one (:mod:`index.unstated` says which one no text states).

A question that asks for one of these while the clauses that match it state none (the amount
of a subsidy the plan only names, a hotline, an application form) is a *near miss*: the
documents talk about the topic, not about what was asked. In a library of policies it is
the commonest out-of-scope question; the second stage has it as a feature
(:mod:`index.rerank_features`) and the answer layer abstains on it (``qa.answer``,
:func:`index.unstated.unstated`).

>>> [k.name for k in asked_types("养老机构床位补贴每张多少钱？")]
['money']
>>> asked_types("养老机构床位补贴每张多少钱？")[0].stated_in("每张床位补助1万元")
True
>>> asked_types("社区食堂由哪个部门牵头？")
()
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerType:
    name: str
    label: str  # how an abstention names what the documents do not state
    asks: re.Pattern[str]  # a question asking for it
    states: re.Pattern[str]  # a clause stating one
    #: Stated only for what the question names (a procedure for 营业执照, not for 社会保险登记).
    of_the_question: bool = False
    #: Where it must be named: in the statement's comma ``clause``, anywhere in its ``sentence``
    #: (conditions are those of what the sentence is about: 经营高危险性体育项目，应当符合下列条件), or
    #: in the statement's named ``groups`` (a list names what it lists: 兰州、张掖等…试点城市).
    span: str = "clause"

    def stated_in(self, text: str) -> bool:
        return bool(self.states.search(text))

    def answers(self, question: str, text: str) -> bool:
        """``text`` states this kind of answer — for an ``of_the_question`` kind, for what
        ``question`` names (:func:`stated_for`)."""
        return stated_for(self, question, text) if self.of_the_question else self.stated_in(text)


#: What a "which ones" asks for when it asks for no names (哪几项目标, 哪些方面的支持, 哪些部门).
_NOT_NAMES = (r"(项|条|点|方面|措施|政策|任务|工作|职责|条件|情形|材料|手续|部门|单位|支持|补贴|优惠|内容|规定|要求|"
              r"权利|义务|责任)")

ANSWER_TYPES: tuple[AnswerType, ...] = (
    AnswerType(
        "money", "具体金额",
        re.compile(r"多少钱|几块钱|多少[万亿]?元|金额|面额|保额|(补贴|补助|奖励|奖金|津贴|资本|工资|养老金|费用?|"
                   r"基数|数额|额度|收入|营收|营业额|销售额|资产总额)[^，。？?]{0,5}多少|多少(补贴|补助|奖励)|每(人|户|张|月|年|次)"
                   r"[^，。？?]{0,8}多少(钱|元)?(?![平米个名人家所张次项届公岁户床间天地])|"
                   # 减免多少税, 交多少保证金, 最高能贷多少: a sum of tax, a deposit or fee, a loan — not
                   # 多少个…消费试点 (a count) nor 免费/收费/消费 (no sum asked)
                   r"多少(?![个名人家所张次项届本条座处间户件辆套批])[^，。？?]{0,10}?(?<![消免收付])"
                   r"(税(?!率)|保证金|押金|学费|费用|服务费|补贴|补助|奖励|奖金|津贴|资金|经费|出让金|租金)|(总)?规模[^，。？?]{0,3}(多大|多少)|"
                   r"(能|可以|最多|最高)[^，。？?]{0,2}(贷|借|补|领|退)多少(钱|元)?"
                   r"(?![平米个名人家所张次项届公岁户床间天年本册条件辆套])"),
        re.compile(r"\d+(?:\.\d+)?\s*(?:万|亿)?元|[一二三四五六七八九十百千万两]+元")),
    AnswerType(
        "rate", "具体比例或费率",
        re.compile(r"比例(?![^，。？?]{0,4}(怎么|如何|咋)(办|处理|罚))|配比|利率|税率|费率|百分之几|百分之多少|几成|百分比|占比|"
                   r"(?<!覆盖)率是多少|几折|多少折"),
        # not a bare 比例: 超过规定比例安排残疾人就业 states no share
        re.compile(r"\d+(?:\.\d+)?\s*%|[百千万]分之|[一二三四五六七八九十]成|(?:\d(?:\.\d)?|[一二三四五六七八九])\s*折|半价|"
                   r"\d+\s*[:：∶比]\s*\d+")),
    AnswerType(
        "date", "具体日期或期限",
        re.compile(r"什么时候|何时|哪一年|哪年|几月|哪一?天|截止|多长时间|多久|(要|需要|得|用)几年|期限|几号|"
                   r"多少天|(要|需要|得|用|提前|休)几天|有效期|多少年(?![前代级])|[满够足是]几年"),
        re.compile(r"\d{4}\s*年|[一二三四五六七八九十\d]+\s*(?:日|个月|年|天|周)|之日|以前|以后|期间|期限|届满|时限|"
                   r"农历[^，。；]{0,3}月(初|十|廿)|(?<![\d.])\d{1,2}月|(?<![一二三四五六七八九十])(十[一二]|[一二三四五六七八九十])月|星期[一二三四五六日天]")),
    # How long a licence or certificate is valid: stated by its 有效期, not by another period the
    # clause sets (应当自收到申请之日起三十日内作出决定).
    AnswerType(
        "validity", "有效期",
        re.compile(r"有效期|几年有效|有效多久|有效多长时间"),
        re.compile(r"有效期|(?:\d+|[一二三四五六七八九十]+)\s*(?:年|个月)(?:内)?有效")),
    AnswerType(
        "clock", "具体时间",
        re.compile(r"几点|开放时间|营业时间|上班时间"),
        # 20:00, 8点, and as laws write it: 每日二十二时至次日八时
        re.compile(r"\d{1,2}\s*[:：点时]|(?<![一二三四五六七八九十])(?!一\s*[点时])[一二三四五六七八九十]{1,3}\s*(?:点|时(?![间期候代段效限刻常]))|时间为")),
    AnswerType(
        "count", "具体数量",
        # 几 after 我们/被/a clause's start describes a few (我们几个朋友, 被几个同学, 几户邻居想…), asks nothing
        re.compile(r"(多少|(?<=[^哪好了这那们被，,、\s])几)(个|名|人|家|所|张|次|项|届|平方米|米|公里|岁|户|床|间)|"
                   r"最多能|上限|下限|多少分|几分(?![钟之])|多少种|多少秒"),
        # a number of something (a year such as 2025年 or a share is no count)
        # (第四十四条 names an article; 一个, 一批 are no number of anything)
        re.compile(r"(?<![第\d.一二三四五六七八九十两百千万零])(?:\d+(?:\.\d+)?|(?!一[^二三四五六七八九十两百千万])[一二三四五六七八九十两百千万]+)"
                   r"\s*[万千百]?\s*(?:个|名|人|家|所|张|次|项|届|平方米|米|公里|周岁|岁|户|间|床|座|处|条|支|种|秒)|\d+(?:\.\d+)?\s*分(?![钟之])")),
    AnswerType(
        "contact", "电话、网址或办理地点",
        # a telephone number asked for, not one named (身份证号、电话泄露给推销的)
        re.compile(r"(电话|热线)(号码?)?[^，。？?]{0,6}(多少|是什么|是啥|哪个|几号)|(打|拨)[^，。？?]{0,8}(电话|热线)|"
                   r"热线|网址|网站|在哪(里|儿)?(下载|找|查|领|办|交)|官网|二维码|公众号|哪个窗口"),
        re.compile(r"\d{5,}|12345|热线|https?://|网址|网站")),
    # What one must meet to be licensed, recognized or admitted (需要满足哪些条件, 申请条件): stated by a
    # list of them (应当具备下列条件, 条件：) for what the question names — not by 符合条件的 (the
    # qualifying ones), which names conditions it does not state.
    AnswerType(
        "conditions", "具体条件",
        re.compile(r"(哪些|什么|啥|哪几个|哪几条|具体)(样的)?(条件|资格条件|资质)|条件是(什么|啥)|"
                   r"(申请|认定|报名|评定|评选|审批|准入|办理)条件"),
        # … or by who may apply, with a threshold (依法登记满一年的慈善组织，可以…申请公开募捐资格)
        re.compile(r"下列[^。；，]{0,4}条件|条件[：:]|应当具备|具备[^。；]{0,12}条件|(应当|须|需要?)(有|具备|符合)[^。；]{0,30}(场所|人员|设施|资金|资格|能力|制度)|"
                   r"(满|达到|不少于|连续|累计)[^，。；]{0,12}的[^，。；]{0,16}，?可以[^。；]{0,30}申请"),
        of_the_question=True, span="sentence"),
    # Which ones by name (具体是哪几个小镇, 指定的平台有哪几家, 名单里有哪些): a clause names them only by
    # listing them (兰州、张掖、酒泉等…试点城市; 下列…：（一）), not by a count (10个左右…小镇) or by
    # saying a list exists (指定的…平台, 制定…目录并予以公布). Asking which measures, tasks or
    # departments is no ask for names: any clause stating them answers.
    AnswerType(
        "names", "具体名称或名单",
        re.compile(rf"(具体(是|有|包括|包含|指|列了?|列出了?)?|都(有|是|包括)|分别是)哪(几|些)(?!(种|类|个)?{_NOT_NAMES})|"
                   rf"(有|是)哪几(个|家|所|座|处|位)(?!{_NOT_NAMES})|哪[两三四五六七八九十]+(个|家|所|座|处|位)(?!{_NOT_NAMES})|"
                   r"哪(些|几)(家|所|座|个)?[^，。？?、]{0,2}(院校|学校|高校|医院|公司|平台|城市|小镇|景区|社区|区县)|"
                   r"名单(里|上|中)?(都)?(有|是|包括)?(哪|什么|谁)|叫什么名字?|哪(几|些)个?档次?|"
                   r"(都|分别)在哪(几|些)个?(省|市|县|地方|城市|地区)"),
        re.compile(r"、[^、，。；：\n]{1,20}等(?P<after>[^，。；、\n]{1,12})|"
                   r"(?P<before>[^，。；、\n]{1,16})(包括|如下|分别为|分别是)[：:]?[^。；\n]{1,20}、|"
                   r"(?P<lead>[^，。；\n]{1,30})[：:]\s*[（(]一[）)]"),
        of_the_question=True, span="groups"),
    AnswerType(
        "form", "表格或申请材料",
        re.compile(r"(申请|登记|评分|备案)?表(格)?(在哪|怎么填|格式|样式)|哪些材料|什么材料|材料清单|什么格式|格式是|"
                   r"(哪些|什么)文件|模板|范本"),
        re.compile(r"材料|表格|申请书|证明|格式")),
    # How to get something done (a licence, a registration, an exam). Bare 怎么办 is left out:
    # 老人没人照应怎么办 asks for help, not for a procedure. A clause states one when it says
    # where to apply or what an application must include (向民政部门申请登记), not when it
    # only promises to simplify approval (简化审批程序).
    AnswerType(
        "procedure", "办理流程或手续",
        re.compile(r"办理(流程|程序|手续|步骤)|(怎么|如何|怎样|咋)办理|(要|需要|得)办(什么|哪些|啥|哪几个)|"
                   r"(什么|哪些|啥)手续|(去|在|到)哪(里|儿)?(办|报名|申请|考)|哪里办|"
                   r"(怎么|如何|怎样|咋)(申请|申领|领取|报名|申报|注册|备案|考|补办|补领|换领|换证|挂失|注销|开通|操作|理赔|报销)|"
                   r"操作步骤|跑几个部门|(怎么|如何|怎样|咋)(做|弄|搞|进行)[^，。？?]{0,12}(认证|登记|备案|申请|申报|注册|年审|年检|认定)|"
                   # 异地就医备案在手机上怎么办, 生育登记怎么办: 怎么办 after a filing or a certificate asks how
                   # to get it done (not 预付卡商家跑路了怎么办, 实名认证一直失败怎么办)
                   r"(备案|登记|手续|签证|证|执照)(在手机上|在网上|在线上|要|该|应该|得)?(怎么|咋)办(?!理)"),
        re.compile(r"(向|到|在)[^，。；]{1,30}(申请|办理|提出|提交|登记|备案|报名)|"
                   r"(申请|办理|登记|备案)[^，。；]{0,8}(应当|须|需要|需)|(办理|申请|登记)(程序|手续|流程)"),
        of_the_question=True),
)


#: Kinds the answer layer reads but the second stage's weights (``index/data/rerank.json``) were not
#: trained with.
_NOT_IN_FEATURES = frozenset({"conditions", "names", "validity"})


def asked_types(question: str) -> tuple[AnswerType, ...]:
    """The kinds of answer ``question`` (normalized text) asks for, in :data:`ANSWER_TYPES` order —
    those the second stage was trained with (:data:`_NOT_IN_FEATURES` came later: a kind it never saw
    counted as missing lowers every clause's probability, 开电焊培训班需要具备什么条件 fell under the
    abstention threshold)."""
    return tuple(kind for kind in ANSWER_TYPES if kind.name not in _NOT_IN_FEATURES and kind.asks.search(question))


#: Words of a procedure question that say it asks for a procedure, not for which one.
PROCEDURE_WORDS_RE = re.compile(r"办理|申请|手续|流程|程序|步骤|登记|备案|报名|申报|注册|材料|部门|需要|怎么|如何|哪里|哪儿|"
                                r"条件|资格|资质|满足|具备|符合|具体|指标")


def _pieces(words: list[str]) -> set[str]:
    """Every two characters in a row of ``words`` (执照 of 营业执照, 失业 of 失业金)."""
    return {w[i : i + 2] for w in words for i in range(len(w) - 1)}


_HOW_MANY_RE = re.compile(r"[几一二三四五六七八九十两]+[个家所座处位]")


def _nouns(text: str) -> list[str]:
    """The content words of ``text`` that name something (not 几家, 十个)."""
    from index.rerank_features import content_words

    return [w for w in content_words(text) if len(w) > 1 and not _HOW_MANY_RE.fullmatch(w)]


@functools.lru_cache(maxsize=256)  # asked of every text an answer weighs
def _listed_things(kind: AnswerType, question: str) -> tuple[str, ...]:
    """What a question asking for names wants listed: the noun after the ask (哪几家医院) and the
    last one before it (试点城市有哪几个, 康养小镇具体是哪十个地方) — not the rest of the question
    (甘肃有哪些高职院校开了托育专业 asks for colleges, and a list of 专业 names none)."""
    m = kind.asks.search(question)
    if not m:
        return ()
    named = _nouns(m.group())[-1:]  # 哪些高职院校: 院校
    after = re.split(r"[，。？?！!；、\s]", question[m.end() :], maxsplit=1)[0]
    before = _nouns(re.split(r"[，。？?！!；\s]", question[: m.start()])[-1])
    return (*(named or _nouns(after)), *before[-1:])


def stated_for(kind: AnswerType, question: str, text: str) -> bool:
    """``text`` states ``kind`` for what ``question`` asks about: a statement it writes (向…申请,
    办理…手续), read with the rest of its clause on both sides, names part of one of the question's
    content words (失业 for 失业金) — not a procedure for something else the clause merely mentions
    (社会保险登记 凭营业执照 for 个体户的营业执照怎么办理). A question with no content word beyond how
    it asks: any statement of the kind."""
    from index.rerank_features import content_words

    words = [w for w in content_words(question) if not PROCEDURE_WORDS_RE.fullmatch(w)]
    pieces = {p for p in _pieces(words) if not PROCEDURE_WORDS_RE.search(p)}
    if kind.span == "groups":
        if things := _listed_things(kind, question):
            pieces = {w[-2:] for w in things}  # the head noun: 院校 of 高职院校, 平台 of 服务平台
        spans = ["".join(g for g in m.groupdict().values() if g) for m in kind.states.finditer(text)]
    else:
        # the object may follow the verb (申请办理营业执照) or lead the clause (老年人优待证由本人向…申请办理)
        bounds = r"[。；\n]" if kind.span == "sentence" else r"[，。；\n]"
        spans = [re.split(bounds, text[: m.start()])[-1] + m.group()
                 + re.split(bounds, text[m.end() :], maxsplit=1)[0] for m in kind.states.finditer(text)]
    return bool(spans) and (not pieces or any(p in span for span in spans for p in pieces))


#: Kinds that are a number of something: inside a yes/no clause they are what is asked about.
_NUMBER_KINDS = frozenset({"money", "rate", "date", "clock", "count"})
#: A clause that asks yes or no (收了多少钱会不会及时晒出来, 能不能少开几张证明). 有没有 is not one:
#: 有没有规定每人补多少钱 asks for the amount.
_YES_NO_RE = re.compile(r"吗|会不会|能不能|能否|是否|算不算|行不行|可不可以|要不要|是不是|该不该|管不管|可以不")
#: A quantity denied describes and asks nothing (没几个人用, 没多少钱).
_NEGATED_QUANTITY_RE = re.compile(r"[没不](多少|几)")
#: What may follow an ask at the end of its clause (多少呢, 是多少啊) — not 了: 失业多久了 tells.
_CLAUSE_TAIL_RE = re.compile(r"[呢啊呀吧嘛哇\s]*$")


#: A clause that asks: a question word or particle in it.
_ASKS_RE = re.compile(r"吗|呢|么|多少|几|什么|啥|哪|怎|谁|是否|能否|能不能|会不会|是不是|可不可以|行不行|算不算|要不要|有没有|[？?]")


def asking_sentences(question: str) -> list[str]:
    """The sentences that ask: those ending in ？ when there are any (我爸中风了，用几个月就用不上了。
    tells a story before the question), and a last one left open that asks too (热线是多少？地址在哪
    — not 预算三千); else all."""
    sentences = [x for x in re.findall(r"[^。！？?!；;]+[。！？?!；;]?", question) if x.strip()]
    asking = [x for x in sentences if x.endswith(("？", "?"))]
    last = sentences[-1] if sentences else ""
    if asking and not last.endswith(("？", "?", "。", "！", "!", "；", ";")) and _ASKS_RE.search(last):
        asking.append(last)
    return asking or sentences


def _clauses(sentence: str) -> list[str]:
    return [c for c in re.split(r"[，,：:。！？?!；;]", sentence) if c.strip()]


#: A search-box query asks by the noun it ends in (甘肃失业保险金每月标准, 工伤认定申请时限,
#: 爱心理发员实际培训人数): the kind that noun names. 标准 only after what is paid (配建标准 is an area).
_TERSE_ASKS = {
    "money": re.compile(r"(金额|数额|额度|起征点|限额|(金|工资|补贴|津贴|补助|费|价格?|待遇)[^，。？?]{0,4}标准)$"),
    "date": re.compile(r"(时限|期限|有效期|日期|截止时间|报名时间)$"),
    "count": re.compile(r"(人数|名额|个数)$"),
    "form": re.compile(r"(材料|表格|申请表|材料清单)$"),
    "procedure": re.compile(r"(申报|申请|办理|报名|注册|备案|登记)\s*(流程|程序|手续|步骤)$|\s(申报|申请|办理|报名|领取|申领)$"),
    "contact": re.compile(r"(电话|热线|联系方式|网址|官网|地址|地点|号码)$"),
    "names": re.compile(r"(名单|清单|名录)(\s|$)"),
}
#: How long a query with no ask in it may be to be read as a search-box query.
_TERSE_MAX_CHARS = 24


def _terse_asks(question: str) -> list[str]:
    """The kinds a search-box query asks by its last noun; none when it asks in words."""
    text = question.strip().rstrip("。.！!")
    if len(text) > _TERSE_MAX_CHARS or _ASKS_RE.search(text):
        return []
    # every term asks by its own last noun (导游资格考试 报名时间 考试科目 asks a date too)
    ends = [text, *re.split(r"\s+", text)[:-1]]
    return [name for name, tail in _TERSE_ASKS.items() if any(tail.search(end) for end in ends)]


@functools.lru_cache(maxsize=1024)  # an answer asks it of every evidence sentence it weighs
def asked_in(question: str) -> tuple[AnswerType, ...]:
    """The kinds of answer ``question`` asks for, read the way a person would: only in its
    asking sentences; in a clause before the last one only an ask that ends that clause
    (补贴标准是多少，怎么申请 — but not 每人每月出多少钱写下来，这协议算数吗); no number in a
    yes/no clause (收了多少钱会不会晒出来) or a denied one (没几个人用); a search-box query by the noun
    it ends in (:data:`_TERSE_ASKS`). :func:`asked_types` reads every match, for the second
    stage's features."""
    terse = _terse_asks(question)
    found: list[AnswerType] = [k for k in ANSWER_TYPES if k.name in terse]
    for sentence in asking_sentences(question):
        clauses = _clauses(_NEGATED_QUANTITY_RE.sub("　", sentence))
        for i, clause in enumerate(clauses):
            last = i == len(clauses) - 1
            yes_no = last and _YES_NO_RE.search(clause)
            for kind in ANSWER_TYPES:
                if kind in found or (yes_no and kind.name in _NUMBER_KINDS):
                    continue
                ends = [m.end() for m in kind.asks.finditer(clause)]
                if ends and (last or any(_CLAUSE_TAIL_RE.fullmatch(clause[e:]) for e in ends)):
                    found.append(kind)
    return tuple(k for k in ANSWER_TYPES if k in found)


def asking_part(question: str) -> str:
    """The part of ``question`` that asks: in its asking sentences, the last clause and the clauses
    that ask — not the story before them (报了个399元的云南五日游，…现在还能退吗: 399 is no part of
    the ask, 按上年职工工资总额的1.5%交吗 is)."""
    out = []
    for sentence in asking_sentences(question):
        clauses = _clauses(sentence)
        out += [c for i, c in enumerate(clauses) if i == len(clauses) - 1 or _ASKS_RE.search(c)]
    return "，".join(out)
