"""The features of the intent classifier (:mod:`qa.intent`): the slots of a question
(:func:`slots`: department mentions, clause references, the masked text) and its feature
names (:func:`features`: character n-grams of the masked text and slot flags), with the
keyword regexes they are read with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.query import ARTICLE_PATH_RE, PLAN_PATH_RE
from qa.mentions import Mention, clause_refs, find_mentions

# ------------------------------------------------------------------ keyword regexes
# The former rule cascade's regexes; now features of the classifier (and the baseline
# ``qa.intent_train`` compares against).
DEPT_TASKS_RE = re.compile(r"(负责|牵头|承担|管|分管|参与|协同|配合)(哪些|什么|了什么|啥)|哪些任务|什么任务|职责|任务有哪些|工作有哪些|干什么|做什么")
DEPARTMENT_RE = re.compile(
    r"哪个部门|哪些部门|什么部门|哪几个部门|哪几个单位|哪几家|是不是.{0,12}(牵头|负责|主管)|(牵头|负责)[吗么]|哪个单位|哪些单位|什么单位|哪家|谁牵头|谁负责|谁来|谁管|归谁|由谁|"
    r"牵头部门|牵头单位|责任部门|责任单位|主管部门|负责部门|负责单位|哪个厅|哪个局|找谁|问谁|哪里管"
)
TARGET_RE = re.compile(
    r"多少|几个|几张|几人|几成|百分之|比例|比重|占比|覆盖率|达标率|目标|指标|达到|要求.{0,6}[率数]|多大|多高|几平方|"
    r"数量|规模|多少个|增加.{0,4}多少"
)
SUPPORT_RE = re.compile(
    r"补贴|补助|减免|免税|减税|贷款|优惠|扶持|支持政策|奖励|激励|资助|资金|融资|税收|税费|用地|租金|"
    r"能不能|可不可以|能否|可以享受|享受|有什么政策|有哪些政策|政策支持|帮扶|纾困|稳岗|社保|专项债|担保|信贷|"
    r"支持吗|有支持|什么支持|哪些支持|政策吗|有政策|允许|放宽|简化|鼓励吗|返还|挂牌|保险"
)

# ------------------------------------------------------------------ slot regexes
ROLE_RE = re.compile(
    r"牵头|负责|参与|配合|主抓|分管|承担|主管|协同|会同|落实|统筹|主导|抓|管|干|做|办|搞|推进|推动|执行|履行"
)
TASK_WORD_RE = re.compile(r"任务|工作|事|活|职责|职能|分工|责任|角色|作用|事项|举措|措施|内容|条款|项")
ASK_LIST_RE = re.compile(
    r"哪些|哪几|什么|啥|哪一块|哪块|哪方面|哪一方面|几项|几件|几条|多少项|多少件|多少条|清单|列表|有哪|都有|都管|都做|都干|都负责|具体"
)
ASK_WHO_RE = re.compile(
    r"谁|哪个部门|哪些部门|哪几个部门|哪几家|哪个单位|哪些单位|哪家|哪个厅|哪个局|哪个委|哪个机构|哪些机构|哪个机关|"
    r"什么部门|什么单位|什么机构|哪一级|哪级|哪里管|哪儿管|哪个政府|哪里的政府"
)
ASK_QTY_RE = re.compile(
    r"多少|几个|几张|几名|几人|几成|几岁|几年|几天|几倍|几家|几所|几万|几亿|几平方|百分之|比例|比重|占比|率|多大|多高|多长|多久|"
    r"上限|下限|不低于|不少于|不超过|达到|目标|指标|数量|规模|哪一天|哪天|哪一年|哪年|什么时候|何时|几月|几号|日期|年份"
)
ASK_YESNO_RE = re.compile(r"[吗么嘛不][？?]?$|是否|能否|可否|有没有|(\w)不\1|对吗")  # …吗 / 管不管 / 负不负责
ASK_HOW_RE = re.compile(r"怎么|如何|怎样|为什么|为何|什么意思|什么作用|什么定位|什么规定|在哪|是什么$")
#: Support measures (without the yes/no words SUPPORT_RE also has).
SUPPORT_WORD_RE = re.compile(
    r"补贴|补助|补帖|奖补|减免|免税|减税|退税|抵税|税收|税费|增值税|所得税|贷款|贴息|放贷|信贷|融资|担保|专项债|"
    r"优惠|扶持|支持|奖励|激励|资助|资金|帮扶|纾困|稳岗|救助|返还|社保补|用地|租金|房租|水电|居民价|放宽|简化|"
    r"绿色通道|优先|便利|好处|待遇|福利|免费|政策|给钱|补点|减负|降费|缓缴|税|能免|免[收交]|少交|扣除|能领|领取|申领"
)
#: A business or a person asking for themselves (我们是养老院 / 我开了家小餐馆 / 作为民宿老板).
PERSONA_RE = re.compile(r"我们是|我们公司|我们企业|我们店|我们厂|我们机构|我们托育|我们养老|我们家政|我开|我办|"
                        r"我是.{0,6}(户|老板|企业|公司)|作为.{0,8}(老板|企业|经营者)|企业|公司|机构|个体户|商户|小店|门店")
#: Rights and duties, lawfulness, consequences: questions about the law, not support.
LEGAL_RE = re.compile(r"合法|违法|犯法|合规|合理吗|正常吗|能这样|可以这样|权利|义务|后果|处罚|处理|追责|赔|歧视|"
                      r"判|起诉|投诉|维权|纠纷|规定")
#: A department named as the answer being checked (是不是民政厅 / 民政厅是牵头单位吗 / …还是…).
DEPT_IS_RE = re.compile(r"@.{0,3}(是不是|是否|是)|(是|还是|或者|或)@|还是")

# ------------------------------------------------------------------ features
_PUNCT_RE = re.compile(r"[\s“”\"'‘’「」『』《》〈〉【】]+")
_SEP_RE = re.compile(r"[，,；;：:、/]+")
_END_RE = re.compile(r"[？?！!。.…~～]+")
_FILLER_RE = re.compile(r"^(请问|我想问一下|我想问问|我想问|想问一下|想问下|想问|问一下|问下|麻烦问一下|麻烦问下|"
                        r"您好|你好|那个|咱们|咱|我们|我想了解一下|想了解一下|想了解|了解一下|方案里|方案中|"
                        r"方案里面|这个方案里|文件里|在方案里|甘肃|甘肃省|本省|全省)+")


@dataclass(frozen=True)
class Slots:
    masked: str                       # the text n-grams are taken from
    departments: list[str]            # canonical names
    mentions: list[Mention]
    refs: list[str]


def slots(question: str) -> Slots:
    """Mentions, references and the masked text of a normalized question."""
    text = _END_RE.sub("", _PUNCT_RE.sub("", question))
    text = _SEP_RE.sub("，", text)
    mentions = find_mentions(text)
    refs = [r for _, _, r in clause_refs(text)]
    masked, last = [], 0
    for m in mentions:
        masked.append(text[last : m.start])
        masked.append("@")
        last = m.end
    masked.append(text[last:])
    masked_text = "".join(masked)
    masked_text = re.sub(r"\d+(?:\.\d+)?", "0", masked_text)
    if refs:
        masked_text = PLAN_PATH_RE.sub("§", masked_text.replace("（", "(").replace("）", ")"))
        masked_text = ARTICLE_PATH_RE.sub("§", masked_text)
    departments = list(dict.fromkeys(m.name for m in mentions if m.name))
    return Slots(masked_text, departments, mentions, refs)


def features(question: str, s: Slots | None = None) -> list[str]:
    """Feature names of a normalized question: ``c:`` n-grams and ``s:`` slot flags."""
    s = s or slots(question)
    text = "^" + s.masked + "$"
    feats = {f"c:{text[i:i + n]}" for n in (1, 2, 3) for i in range(len(text) - n + 1)}
    flags = []
    body = _FILLER_RE.sub("", s.masked)
    has_dept = bool(s.mentions)
    role = bool(ROLE_RE.search(s.masked))
    ask_list = bool(ASK_LIST_RE.search(s.masked))
    ask_who = bool(ASK_WHO_RE.search(s.masked))
    ask_qty = bool(ASK_QTY_RE.search(s.masked))
    ask_yesno = bool(ASK_YESNO_RE.search(s.masked))
    dept_role = bool(re.search(r"@.{0,8}(" + ROLE_RE.pattern + ")", s.masked))
    if has_dept:
        flags.append("dept")
        if len(s.mentions) > 1:
            flags.append("dept2")
        if body.startswith("@"):
            flags.append("dept_head")
        if dept_role:
            flags.append("dept_role")
        if ask_list and not ask_who:
            flags.append("dept_list")
        if dept_role and ask_list and not ask_who:
            flags.append("dept_role_list")
        if ask_who:
            flags.append("dept_who")
        if ask_yesno:
            flags.append("dept_yesno")
        if DEPT_IS_RE.search(s.masked):
            flags.append("dept_is")
        if TASK_WORD_RE.search(s.masked):
            flags.append("dept_taskword")
        if not any(m.name for m in s.mentions):
            flags.append("dept_unnamed")
    for name, on in (("role", role), ("list", ask_list), ("who", ask_who), ("qty", ask_qty),
                     ("yesno", ask_yesno), ("how", bool(ASK_HOW_RE.search(s.masked))),
                     ("ref", bool(s.refs)), ("re_tasks", bool(DEPT_TASKS_RE.search(s.masked))),
                     ("re_dept", bool(DEPARTMENT_RE.search(s.masked))),
                     ("re_target", bool(TARGET_RE.search(s.masked))),
                     ("re_support", bool(SUPPORT_RE.search(s.masked))),
                     ("sup_word", bool(sup_word := SUPPORT_WORD_RE.search(s.masked))),
                     ("sup_yesno", bool(sup_word) and ask_yesno),
                     ("yesno_plain", ask_yesno and not sup_word),
                     ("persona", bool(PERSONA_RE.search(s.masked))),
                     ("legal", bool(LEGAL_RE.search(s.masked)))):
        if on:
            flags.append(name)
    n = len(s.masked)
    flags.append("len_short" if n <= 8 else "len_mid" if n <= 20 else "len_long")
    feats.update(f"s:{f}" for f in flags)
    return sorted(feats)
