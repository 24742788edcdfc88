"""What a question asks: its intent and the departments it names.

Intents:

* ``lookup`` — names a clause by number (``三(五)1``, ``四（三）``, ``第三部分第二节第一条``,
  ``第十二条``); decided by rule (the reference regexes of :mod:`index.hybrid`), since a
  clause number is unambiguous;
* ``dept_tasks`` — names a department and asks what it does, leads or takes part in
  (卫健委负责哪些任务 / 住建厅主抓哪几件事 / 省人社厅在方案里要干哪些活);
* ``department`` — asks who is responsible (哪个部门负责托育 / 谁牵头 / 民政厅是不是牵头单位);
* ``target`` — asks for a number or a date (托位数要达到多少 / 覆盖率目标 / 哪一年起施行);
* ``support`` — asks about support measures (补贴 / 税收优惠 / 贷款 / 用地 / 能不能享受);
* ``general`` — anything else (how / why / what is, rights and duties, lawfulness).

Everything but ``lookup`` is decided by a multinomial logistic regression over

* character 1–3-grams of the question with its slots masked (a department mention
  becomes ``@``, a digit run ``0``, a clause number ``§``, so 民政厅牵头 and 卫健委牵头
  share the n-gram ``@牵头``);
* slot features: department mentioned (where, how often, with a role word after it),
  role words (牵头/负责/主抓/分管…), question words (哪些/什么 · 谁/哪个部门 · 多少/几/哪一年
  · 吗/是不是/管不管), support words, a business persona (我们是…企业), legal words
  (合法/权利/后果), and the keyword regexes of the former rule cascade.

``python -m qa.intent_train`` trains it with scikit-learn (training time only) from
``qa/data/intent_train.jsonl``, the ``dev`` split of ``eval/questions`` and
``qa/data/intent_dev_labels.jsonl``, and exports it to ``qa/data/intent_model.json``
(plain JSON: feature names, coefficients, intercepts, labels). Inference is a sum of
coefficient rows and a softmax in numpy. Two rules constrain the model: ``lookup`` iff
the question names a clause; ``dept_tasks`` only when a department is mentioned.
:func:`classify_proba` gives the probabilities, :func:`classify` the most likely intent.

Departments are found with :func:`corpus.departments.load_dictionary` plus the forms it
lacks: short ones (民政 / 人社 / 住建 / 卫健, 省文旅, 民政局 → the plan's provincial names),
bodies written as laws write them (国务院民政部门, 县级以上人民政府卫生健康主管部门, 妇联 →
the law canonical names of :func:`corpus.departments.normalize_law_body`), national
ministries (民政部, 国家卫健委 → the plan's department of that sector) and other public
bodies (医保局, 居委会: a mention with no canonical name). :class:`Parsed` carries the
canonical names and the mentions as written.
Questions are expected normalized (:func:`corpus.normalize.normalize_text`: Traditional
→ Simplified); :func:`classify` normalizes again, which is idempotent and cheap.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from corpus.departments import load_dictionary, normalize_law_body
from corpus.normalize import normalize_text
from index.hybrid import ARTICLE_PATH_RE, PLAN_PATH_RE, ordinal_paths

Intent = Literal["lookup", "dept_tasks", "department", "target", "support", "general"]
INTENTS: tuple[str, ...] = ("lookup", "dept_tasks", "department", "target", "support", "general")

MODEL_PATH = Path(__file__).parent / "data" / "intent_model.json"

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
_OFFICE_SUFFIX = r"(?:主管部门|行政部门|管理部门|部门|系统|条线|口|厅|局|委)"
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
        rf"|(?P<short>{short})"
        rf"|(?P<other>{_OTHER_BODIES})"
    )
    return re.compile(pattern), forms


#: A body written the way laws name them: a tier, or a law-style ending.
_LAW_STYLE_RE = re.compile(r"^(?:国务院|县级以上|地方|各级|乡镇|街道)|(?:主管部门|行政部门|机构|联合会|机关|人民政府)$")


def find_mentions(text: str) -> list[Mention]:
    """Department mentions in ``text`` (leftmost, longest form first), in order.

    A name of the plan's dictionary resolves to the plan's canonical name (民政部门 →
    省民政厅); a body written as laws write it to the law canonical name of
    :func:`corpus.departments.normalize_law_body` (县级以上人民政府卫生健康主管部门 →
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
    return out


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


# ------------------------------------------------------------------ model
@dataclass(frozen=True)
class Model:
    labels: tuple[str, ...]
    vocabulary: dict[str, int]
    coef: np.ndarray        # (n_features, n_labels)
    intercept: np.ndarray   # (n_labels,)

    @classmethod
    def from_json(cls, data: dict) -> Model:
        vocabulary = {f: i for i, f in enumerate(data["features"])}
        coef = np.asarray(data["coef"], dtype=np.float64)
        if coef.shape != (len(vocabulary), len(data["labels"])):
            raise ValueError(f"intent model: coef shape {coef.shape} does not match "
                             f"{len(vocabulary)} features × {len(data['labels'])} labels")
        return cls(tuple(data["labels"]), vocabulary, coef,
                   np.asarray(data["intercept"], dtype=np.float64))

    def scores(self, feats: list[str]) -> np.ndarray:
        rows = [self.vocabulary[f] for f in feats if f in self.vocabulary]
        return self.coef[rows].sum(axis=0) + self.intercept


@lru_cache(maxsize=2)
def load_model(path: Path = MODEL_PATH) -> Model:
    """The exported model (plain JSON: no pickle)."""
    return Model.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _proba(question: str, model: Model | None = None) -> tuple[dict[str, float], Slots]:
    question = normalize_text(question or "")
    s = slots(question)
    if s.refs:
        return {i: float(i == "lookup") for i in INTENTS}, s
    model = model or load_model()
    z = model.scores(features(question, s))
    allowed = np.array([lab != "lookup" and (lab != "dept_tasks" or bool(s.mentions))
                        for lab in model.labels])
    z = np.where(allowed, z, -np.inf)
    p = _softmax(z)
    out = {i: 0.0 for i in INTENTS}
    out.update({lab: float(v) for lab, v in zip(model.labels, p)})
    return out, s


def classify_proba(question: str) -> dict[str, float]:
    """Probability of each intent (they sum to 1).

    ``lookup`` is 1 when the question names a clause and 0 otherwise; ``dept_tasks`` is 0
    when no department is mentioned; the model's other probabilities are renormalized.
    """
    return _proba(question)[0]


@dataclass(frozen=True)
class Parsed:
    intent: Intent
    #: Canonical names (the plan's 省民政厅, or a law body such as 国务院民政部门).
    departments: list[str] = field(default_factory=list)
    #: Department mentions as written (for ``HybridIndex.resolve_departments``).
    mentions: list[str] = field(default_factory=list)


def classify(question: str) -> Parsed:
    """Intent and named departments (canonical names) of a question.

    >>> classify("卫健委负责哪些任务").intent
    'dept_tasks'
    >>> classify("谁牵头推动社区基础服务设施达标").intent
    'department'
    """
    proba, s = _proba(question)
    intent = max(INTENTS, key=lambda i: proba[i])
    return Parsed(intent, s.departments, [m.text for m in s.mentions])  # type: ignore[arg-type]
