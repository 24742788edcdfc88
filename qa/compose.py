"""Composing an answer's cited statements, one function per kind of question (used by
:func:`qa.answer.answer`)."""

from __future__ import annotations

import functools
import re
import weakref

from corpus.records import Departments, Record, Sentence, Target
from corpus.targets import amount_text
from index.hits import short_title
from index.hybrid import Filters, Hit, HybridIndex
from qa.citations import Citation, cite, verify
from qa.shapes import TargetAnswer

SUPPORT_SENTENCE_RE = re.compile(
    r"补贴|补助|减免|免征|先征后退|贷款|信贷|优惠|给予|奖励|激励|专项债|返还|支持|鼓励|允许|放宽|简化|降低|"
    r"绿色通道|纾困|免费|低收费|划拨|出让|租赁|优先|税"
)


class Composer:
    """Collects (statement, citation) pairs; the answer text numbers them."""

    def __init__(self, index: HybridIndex):
        self.index = index
        self.lines: list[str] = []
        self.citations: list[Citation] = []

    def add(self, statement: str, citation: Citation | None) -> None:
        if citation is None or not verify(citation, self.index.record(citation.record_id)):
            return  # never state what cannot be quoted
        if citation in self.citations:
            number = self.citations.index(citation) + 1
        else:
            self.citations.append(citation)
            number = len(self.citations)
        self.lines.append(f"{statement}〔{number}〕")

    def text(self) -> str:
        return "\n".join(self.lines)


def label(record: Record) -> str:
    """``三(二)1 推动社区基础服务设施达标`` (path alone when the record has no title); a law
    article names its law, since in a library several documents answer:
    ``《老年人权益保障法》第四章第三十八条``."""
    if record.level == "article":
        return f"《{short_title(record.doc_title)}》{record.path.replace('/', '')}"
    return f"{record.path} {record.title}".strip()


def _plain(text: str) -> str:
    """``text`` without punctuation or spaces."""
    return re.sub(r"[^\w]", "", text)


def _bigrams(text: str) -> set[str]:
    text = _plain(text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def overlap(question: str, text: str) -> float:
    q = _bigrams(question)
    return len(q & _bigrams(text)) / (len(q) or 1)


def is_heading(record: Record, sentence: Sentence) -> bool:
    """True when ``sentence`` only repeats the record's title or one of its headings
    (punctuation aside): ``开展生活服务促消费活动。`` opening 三(六)5 says nothing quoted alone."""
    text = _plain(sentence.text)
    return bool(text) and any(text == _plain(name) for name in (record.title, *record.headings) if name)


def quotable(record: Record, sentences: list[Sentence]) -> list[Sentence]:
    """The sentences of ``record`` worth quoting among ``sentences``: a heading-only sentence
    gives way to the record's other sentences — when ``sentences`` holds nothing else, to all
    of them — and stays only when the record has nothing else to quote."""
    kept = [s for s in sentences if not is_heading(record, s)]
    if kept:
        return kept
    return [s for s in record.sentences if not is_heading(record, s)] or list(sentences)


def _sentence_around(record: Record, position: int) -> tuple[int, int]:
    for s in record.sentences:
        if s.start <= position < s.end:
            return s.start, s.end
    return 0, len(record.text)


def answer_lookup(index, hits, composer) -> list[Hit]:
    named = [h for h in hits if h.lookup]
    for hit in named:
        r = hit.record
        if len(r.text) <= 400 or len(named) == 1:
            composer.add(f"{label(r)}：{r.text}", cite(r, 0, len(r.text)))
        else:
            first = quotable(r, r.sentences)[0]  # the first that is more than the heading
            composer.add(f"{label(r)}：{first.text}", cite(r, first.start, first.end))
    return named


def _responsibility_statements(record: Record, index: HybridIndex, composer: Composer) -> None:
    d = record.departments
    lead_word = "负责" if record.level == "article" else "牵头"
    if d.lead:
        composer.add(f"{lead_word}：{'、'.join(d.lead)}（{label(record)}）", role_citation(record, d.lead))
    if d.co:
        composer.add(f"{'协同' if d.lead else '按职责分工'}负责：{'、'.join(d.co)}（{record.path}）",
                     role_citation(record, d.co))
    if d.implementers:
        source = _implementer_source(record, index)
        if source is not None:
            composer.add(f"具体落实：{'、'.join(d.implementers)}（{source.record_id.split('#')[1]}）", source)


def role_citation(record: Record, names: list[str]) -> Citation | None:
    """Where a record names its responsible bodies: the plan's note, or — in a law article,
    which has none — the sentence that names the body (as written, level words aside)."""
    if record.responsibility:
        return cite(record, 0, len(record.responsibility), "responsibility")
    for name in names:
        core = re.sub(r"^.*?(国务院|人民政府|各级)", "", name) or name
        for s in record.sentences:
            if name in s.text or core in s.text:
                return cite(record, s.start, s.end)
    return None


def _implementer_source(record: Record, index: HybridIndex) -> Citation | None:
    """Where the record's implementers are written: its own note, or an earlier note handing them down."""
    for name in record.departments.implementers:
        if name.replace("人民政府", "") in record.responsibility or name in record.responsibility:
            return cite(record, 0, len(record.responsibility), "responsibility")
    found = _handed_down(index).get(record.doc_id)
    return None if found is None else cite(found[0], found[1], found[2], "responsibility")


#: index → {doc_id: (record, start, end)}: the document's first note handing implementers down.
_HANDED_DOWN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _handed_down(index: HybridIndex) -> dict[str, tuple[Record, int, int]]:
    table = _HANDED_DOWN.get(index)
    if table is None:
        table = {}
        for other in index.records:
            if other.doc_id not in table and "不再一一列出" in other.responsibility:
                m = re.search(r"以下任务需.+?不再一一列出", other.responsibility)
                if m:
                    table[other.doc_id] = (other, m.start(), m.end())
        _HANDED_DOWN[index] = table
    return table


def answer_department(index, hits, composer) -> Departments:
    with_departments = [h for h in hits[:3] if h.record.departments]
    if not with_departments:
        top = hits[0].record
        if hits[0].evidence:
            s = quotable(top, hits[0].evidence)[0]
            composer.add(f"{label(top)} 未写明责任部门：" + s.text, cite(top, s.start, s.end))
        return Departments()
    best = with_departments[0].record
    _responsibility_statements(best, index, composer)
    return best.departments


ROLE_WORDS = (("lead", "牵头"), ("co", "协同负责"), ("implementers", "具体落实"))


def department_tasks(index: HybridIndex, names: list[str] | tuple[str, ...]) -> list[tuple[str, Record]]:
    """(role, record) for every clause of the canonical departments ``names``: the clauses
    they lead first, then those they share, then those they implement (each in text order)."""
    out: list[tuple[str, Record]] = []
    seen: set[tuple[str, int]] = set()
    for role, _ in ROLE_WORDS:
        rows = sorted({row for name in names for row in index.department_rows(name, role)})
        out += [(role, index.records[row]) for row in rows if (role, row) not in seen]
        seen |= {(role, row) for row in rows}
    return out


def answer_dept_tasks(index, names: tuple[str, ...], composer, filters: Filters | None) -> Departments:
    """Clauses where each named department leads, then shares, then implements (only those
    the filters allow)."""
    allowed = index.allowed_rows(filters)
    allowed_ids = None if allowed is None else {index.records[row].id for row in allowed}
    found: dict[str, list[str]] = {role: [] for role, _ in ROLE_WORDS}
    words = dict(ROLE_WORDS)
    for name in names:
        for role, r in department_tasks(index, [name]):
            if allowed_ids is not None and r.id not in allowed_ids:
                continue
            citation = role_citation(r, [name])
            if citation is not None:
                found[role].append(name)
                composer.add(f"{name}{words[role]}：{label(r)}", citation)
    return Departments(*(list(dict.fromkeys(found[role])) for role, _ in ROLE_WORDS))


def answer_target(question, hits, composer) -> list[TargetAnswer]:
    """The targets that best match the question; a sentence with the asked-for number
    when no extracted target matches better (thresholds such as 300平方米以下)."""
    scored: list[tuple[float, Record, Target]] = []
    numeric: list[tuple[float, Record, int, int]] = []
    for rank, hit in enumerate(hits[:3]):
        for t in hit.record.targets:
            scored.append((overlap(question, t.deadline_text + t.indicator + t.phrase) - 0.05 * rank,
                           hit.record, t))
        for s in hit.record.sentences:
            if re.search(r"\d", s.text):
                numeric.append((overlap(question, s.text) - 0.05 * rank, hit.record, s.start, s.end))
    scored.sort(key=lambda x: -x[0])
    numeric.sort(key=lambda x: -x[0])
    best_target = scored[0][0] if scored else 0.0
    best_sentence = numeric[0][0] if numeric else 0.0
    if best_target <= 0.1 and best_sentence <= 0.2:
        return []
    if best_target < 0.4 and best_sentence > best_target + 0.1:
        _, record, start, end = numeric[0]
        composer.add(f"{label(record)}：{record.text[start:end]}", cite(record, start, end))
        return []
    chosen = [x for x in scored if x[0] >= max(0.1, best_target * 0.85)][:3]
    out = []
    for _, record, t in chosen:
        start, end = _sentence_around(record, t.start)
        deadline = t.deadline_text or "未写明期限"
        composer.add(f"{t.indicator}：{amount_text(t.comparator, t.value, t.unit)}（{deadline}）", cite(record, start, end))
        out.append(TargetAnswer.of(t, record))
    return out


def answer_support(question, hits, composer) -> None:
    candidates = []
    for rank, hit in enumerate(hits[:3]):
        for s in hit.record.sentences:
            if is_heading(hit.record, s):
                continue  # the clause's own heading states no measure
            if SUPPORT_SENTENCE_RE.search(s.text):
                candidates.append((overlap(question, s.text) + (0.15 if s in hit.evidence else 0) - 0.1 * rank, hit.record, s))
    candidates.sort(key=lambda x: -x[0])
    floor = candidates[0][0] * 0.5 if candidates else 0.0
    for score, record, s in candidates[:5]:
        if score < floor:
            break
        composer.add(f"{label(record)}：{s.text}", cite(record, s.start, s.end))


#: Everyday words for the kinds of support a question asks about (besides the taxonomy's triggers).
KIND_WORDS = (("tax_relief", "税"), ("loans_credit", "贷款|融资|借钱|信贷"), ("land_premises", "用地|场地|房租|租金|门面|网点"),
              ("training", "培训"), ("social_insurance_subsidy", "社保"), ("job_stabilization", "稳岗|就业补贴|招人|招工"),
              ("guarantees_insurance", "担保|保险"), ("streamlined_approval", "审批|办证|手续|注册|执照"),
              ("consumption", "消费券|以旧换新"), ("prices_fees", "收费|价格"), ("fiscal_subsidy", "补贴|补助|奖励|资金"))


#: Kinds of measure that are money to the enterprise: what "补贴" means first.
MONEY_KINDS = frozenset(["fiscal_subsidy", "tax_relief", "social_insurance_subsidy", "job_stabilization",
                         "loans_credit", "guarantees_insurance", "prices_fees", "emergency_relief"])


def _question_profile(text: str) -> tuple[dict, set[str]]:
    """The sectors and entity kinds a support question names, and the kinds of support it asks for."""
    from corpus.measures import lexicon

    lex = lexicon()
    profile = {key: [name for name, rx in lex.terms[key] if rx.search(text)] for key in ("sectors", "entities")}
    people = {name for name, rx in lex.terms["people"] if rx.search(text)}
    profile["traits"] = [trait for trait, spec in lex.traits.items() if people & set(spec.get("people", ()))]
    kinds = {kind for kind, rx in lex.triggers if rx.search(text)}
    kinds |= {kind for kind, words in KIND_WORDS if re.search(words, text)}
    return profile, kinds


#: Words of a support question that say it is about support, not what about.
SUPPORT_QUESTION_WORDS = frozenset(
    ["政策", "支持", "扶持", "补贴", "补助", "优惠", "享受", "提供", "服务", "企业", "公司", "单位", "机构", "我们",
     "哪些", "什么", "有没有", "可以", "能", "申请", "规定", "措施", "帮助", "帮扶", "鼓励", "国家", "政府", "省里",
     "优惠政策", "扶持政策", "支持政策", "补贴政策",
     # how the asker describes the asking or the size of the firm, not what the question is about
     "怎么办", "怎么样", "干什么", "什么样", "小型", "微型", "大型", "中型", "拿到", "得到", "领到", "拿到手",
     # general verbs and nouns that any measure may contain (方面 of 土地方面, 解决 of 用地怎么解决)
     "方面", "扩大", "组织", "解决", "参与", "运营", "开展", "相关", "有关"])


#: A number or demonstrative with its measure word (一家, 这个, 几种): says how many, not what about.
COUNTED_RE = re.compile(r"[一两二三几这那每各某哪][个家些种类项名所条]")

#: jieba part-of-speech tags of words that can name what a question is about when no record
#: contains them (生二胎, 公交): nouns of every kind, verbal nouns, idioms and fixed phrases,
#: abbreviations, foreign words. A verb or pronoun the corpus never uses (拿到, the 我开 of 我开了)
#: is the asker's phrasing, not a topic.
CONTENT_TAG_RE = re.compile(r"n|vn|i|l|j|eng")

def _content_spans(question: str) -> list[str]:
    return [p.word for p in _pos_tokenizer().cut(question) if CONTENT_TAG_RE.match(p.flag)]


@functools.cache
def _pos_tokenizer():
    """jieba's part-of-speech tagger over the project's tokenizer (its policy terms: 稳岗返还, 适老化)."""
    import jieba.posseg

    from corpus.tokenize import tokenizer

    return jieba.posseg.POSTokenizer(tokenizer())


def topic_words(question: str, index: HybridIndex | None = None) -> list[str]:
    """The words of a support question that say what it is about (老年人, 助餐, 家政 …): with
    ``index``, a word no record contains counts only when it is a noun or phrase of the question."""
    from corpus.tokenize import tokenize_for_search
    from index.rerank_features import in_vocabulary

    spans = _content_spans(question) if index is not None else []
    return [w for w in dict.fromkeys(tokenize_for_search(question))
            if len(w) > 1 and w not in SUPPORT_QUESTION_WORDS and re.search(r"[\u4e00-\u9fff]", w)
            and not COUNTED_RE.fullmatch(w)
            and (index is None or in_vocabulary(index, w) or any(w in span for span in spans))]


def _residual_topic(words: list[str], question: str) -> list[str]:
    """``words`` that do not merely name a sector, an entity kind or a group of people (家政公司,
    小微企业, 老年人), nor lie inside such a name in ``question`` (员工 of 员工制企业, 高校 of
    高校毕业生): what the question is about beyond who asks (助餐, 贷款)."""
    from corpus.measures import lexicon

    terms = [rx for key in ("sectors", "entities", "people") for _, rx in lexicon().terms[key]]
    named = [m.group() for rx in terms for m in rx.finditer(question)]
    return [w for w in words if not any(rx.search(w) for rx in terms) and not any(w in n for n in named)]


#: Generic words for money, credit or relief: a topic word with one of them names a kind of support
#: (税收减免, 融资) rather than a particular measure (以旧换新, 一照多址).
GENERIC_KIND_RE = re.compile(r"税|费|贷|融资|担保|保险|补贴|补助|减免|优惠|奖励|资金|资助|用地|场地|房租|租金|培训")
#: Names of social-insurance schemes: what a question is about, not a kind of support asked for.
INSURANCE_SCHEME_RE = re.compile(r"(养老|医疗|失业|工伤|生育|社会)保险")


def _kinds_named(word: str) -> set[str]:
    """The kinds of measure a generic support word names (税收减免 → tax relief); none for others."""
    from corpus.measures import lexicon

    if not GENERIC_KIND_RE.search(word) or INSURANCE_SCHEME_RE.search(word):
        return set()
    return ({kind for kind, rx in lexicon().triggers if rx.search(word)}
            | {kind for kind, words in KIND_WORDS if re.search(words, word)})


def support_topic(question: str, index: HybridIndex) -> list[str]:
    """What a support question is about beyond who asks and which kind of support (助餐 in
    给老年人提供助餐服务有什么政策; nothing in 开家政公司能享受哪些补贴)."""
    return _residual_topic(topic_words(question, index), question)


def answer_support_measures(question: str, hits: list[Hit], measures: list, composer: Composer,
                            sure_p: float | None = None) -> None:
    """Support answered from measure records: those that apply to the sector and entity the
    question names (measures for other sectors left out unless open to everyone), the kinds it
    asks for and the clauses the search found first; each line quotes the measure's sentence,
    its condition included."""
    from qa.match import match

    profile, kinds = _question_profile(question)
    rank = {h.record.id: i for i, h in enumerate(hits)}
    named_profile = any(profile.values())
    topic = support_topic(question, composer.index)
    # "家政公司有哪些补贴" asks what support there is, not for grants alone: when the question names
    # no instrument beyond the bare money word and nothing else it is about, every kind of measure
    # for the named sector or entity is eligible (grants first: they match the kind asked for)
    any_kind = kinds <= {"fiscal_subsidy"} and not topic
    scored = []
    for m in match(measures, profile):
        in_hits = rank.get(m.measure.record_id)
        if in_hits is None and not (named_profile and m.group == "named" and (m.measure.kind in kinds or any_kind)):
            continue
        named = named_profile and m.group == "named"
        # a measure that only shares the word 补贴 with the question does not answer it: it must
        # name what the question is about beyond its sector and entity (老年人 in 给老年人提供助餐…),
        # or — when the question is about nothing else — apply to that sector or entity
        sentence = m.measure.quote + m.measure.condition.get("text", "")
        if topic:
            # a generic word for a kind of support (税收减免, 贷款) is stated by any measure of that
            # kind — when the question names nothing more specific, or the second stage is fairly
            # sure of the clause: 企业上市有奖励吗 is not answered by any grant
            specific = [w for w in topic if not _kinds_named(w)]
            sure = sure_p is not None and in_hits is not None and hits[in_hits].score >= sure_p
            stated = any(w in sentence for w in topic)
            by_kind = any(m.measure.kind in _kinds_named(w) for w in topic) and (not specific or sure)
            if not (stated or by_kind):
                continue
        elif (named_profile or kinds) and not (named or m.measure.kind in kinds):
            continue  # "有哪些支持政策" names nothing: any measure of the clauses found answers it
        # the more of the profile a measure names (sector, entity, people), the more specific it is
        score = (2.0 + 0.5 * m.score if named else 0.0) + (1.5 if m.measure.kind in kinds else 0.0)
        if any_kind and "fiscal_subsidy" in kinds and m.measure.kind in MONEY_KINDS:
            score += 0.75  # asked for 补贴: a benefit in money (tax, fees, credit) before training or promotion
        score += 1.0 / (1 + in_hits) if in_hits is not None else 0.0
        scored.append((score, m.measure))
    scored.sort(key=lambda x: -x[0])
    for _, m in scored[:4]:
        record = composer.index.record(m.record_id)
        if record is not None:
            label_kind = m.kind_label if hasattr(m, "kind_label") else m.kind
            composer.add(f"{label(record)}（{label_kind}）：{m.quote}", cite(record, m.start, m.end))


def answer_support_fallback(question: str, hits, composer, topic: list[str], sure_p: float | None) -> None:
    """A support question no measure record answers (失业金期间的医保, 一照多址 for a chain):
    the best sentences of the clauses the second stage gives at least ``sure_p``; below that,
    only a sentence stating one of the question's topic words — not the sentences of clauses that
    merely share 补贴 (耕地地力保护补贴, 光伏). Without the second stage (``sure_p`` None) a hit's
    score is no probability, and only the topic words decide."""
    for hit in hits[:3]:
        if not hit.evidence:
            continue
        s = max(quotable(hit.record, hit.evidence), key=lambda e: overlap(question, e.text))
        if (sure_p is not None and hit.score >= sure_p) or any(w in s.text for w in topic):
            composer.add(f"{label(hit.record)}：{s.text}", cite(hit.record, s.start, s.end))


def answer_general(question: str, hits, composer) -> None:
    """The best three clauses, each by the evidence sentence closest to the question's words
    — not one that only repeats the clause's title or a heading (:func:`quotable`), which
    shares the question's words and says nothing."""
    for hit in hits[:3]:
        r = hit.record
        if hit.evidence:
            s = max(quotable(r, hit.evidence), key=lambda e: overlap(question, e.text))  # ties: the first
            composer.add(f"{label(r)}：{s.text}", cite(r, s.start, s.end))

