"""Support answers (:func:`qa.answer.answer` for the ``support`` intent): from the measure
records that fit the sector, entity and people a question names and what it asks about
(:func:`answer_support_measures`); when none does, from the best sentences of clauses the
second stage is sure of or that state the question's topic (:func:`answer_support_fallback`);
without measure records, from support sentences of the best clauses (:func:`answer_support`).
A sentence that merely shares 补贴 with the question is never the answer."""

from __future__ import annotations

import functools
import re

from index.hybrid import Hit, HybridIndex
from index.rerank_features import words_share
from qa.citations import cite
from qa.compose import Composer, is_heading, label, meets, overlap, quotable

SUPPORT_SENTENCE_RE = re.compile(
    r"补贴|补助|减免|免征|先征后退|贷款|信贷|优惠|给予|奖励|激励|专项债|返还|支持|鼓励|允许|放宽|简化|降低|"
    r"绿色通道|纾困|免费|低收费|划拨|出让|租赁|优先|税"
)


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

#: A verb with an aspect particle (开了个, 办过): how the asker tells it, when no record writes it
#: — not a word that merely contains 过 (过桥 of 过桥贷款).
ASPECT_RE = re.compile(r"^\w[了过](?:[个家间些所]|$)")

#: jieba part-of-speech tags of words that can name what a question is about when no record
#: contains them (生二胎, 公交): nouns of every kind, verbal nouns, idioms and fixed phrases,
#: abbreviations, foreign words. A verb or pronoun the corpus never uses (拿到, the 我开 of 我开了)
#: is the asker's phrasing, not a topic.
CONTENT_TAG_RE = re.compile(r"n|vn|i|l|j|eng")


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
    from qa.document_facts import is_place

    tagged = list(_pos_tokenizer().cut(question)) if index is not None else []
    spans = [p.word for p in tagged if CONTENT_TAG_RE.match(p.flag)]
    places = {p.word for p in tagged if p.flag == "ns"}
    known = (lambda w: True) if index is None else (lambda w: in_vocabulary(index, w))
    return [w for w in dict.fromkeys(tokenize_for_search(question))
            if len(w) > 1 and w not in SUPPORT_QUESTION_WORDS and re.search(r"[\u4e00-\u9fff]", w)
            and not COUNTED_RE.fullmatch(w) and not is_place(w)
            and not ((ASPECT_RE.search(w) or w in places) and not known(w))
            and (index is None or known(w) or any(w in span for span in spans))]


def _who_patterns(*keys: str) -> list:
    """The measures lexicon's patterns for sectors, entity kinds and groups of people (``keys``:
    a subset of them): the words that say who asks or is concerned."""
    from corpus.measures import lexicon

    return [rx for key in keys or ("sectors", "entities", "people") for _, rx in lexicon().terms[key]]


def _measure_text(m) -> str:
    """What a measure writes: its sentence and its condition."""
    return m.quote + m.condition.get("text", "")


def _residual_topic(words: list[str], question: str) -> list[str]:
    """``words`` that do not merely name a sector, an entity kind or a group of people (家政公司,
    小微企业, 老年人), nor lie inside such a name in ``question`` (员工 of 员工制企业, 高校 of
    高校毕业生): what the question is about beyond who asks (助餐, 贷款)."""
    terms = _who_patterns()
    named = [m.group() for rx in terms for m in rx.finditer(question)]
    return [w for w in words if not any(rx.search(w) for rx in terms) and not any(w in n for n in named)]


def describing_words(words: list[str], question: str) -> list[str]:
    """Of a support question's topic ``words``, those written just before a sector, entity or
    group it names (社区 of 做社区养老的民营企业, 小吃店 of 开小吃店的个体户): they say what kind of
    that sector or entity the asker is — Chinese puts the head last —, so a measure for the sector
    applies without writing them, while a word after the name (用地 of 养老机构用地) is what the
    question asks about. A generic word for a kind of support (税, 用地) is never one of them, and
    the caller keeps them as topic when no measure of the sector writes them (提供助餐的养老机构:
    助餐 is what the asker provides and asks about)."""
    starts = {m.start() for rx in _who_patterns() for m in rx.finditer(question)}
    out = []
    for w in words:
        if _kinds_named(w):
            continue
        ends = [m.end() for m in re.finditer(re.escape(w), question)]
        if any(e in starts or (question[e : e + 1] == "的" and e + 1 in starts) for e in ends):
            out.append(w)
    return out


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


def topic_forms(word: str, index: HybridIndex | None = None, question: str = "") -> tuple[str, ...]:
    """``word``, and when no record of ``index`` writes it, the policy words the documents use
    for it (生二胎 → 生育; corpus/data/everyday.tsv): a sentence states a topic word when it
    writes any of them. A word the documents do use (老人) keeps its own meaning — its rule's
    broader words (老年人, 养老) would let every measure for the elderly state it. A rule applies
    when its everyday word is the word, lies inside it (生二胎 in 生二胎的), or is a whole word of
    ``question`` the word lies inside (托儿 of 托儿点, which jieba cuts 托儿 + 点) — not merely
    around it: 育儿 is not 育儿嫂."""
    from index.rerank_features import in_vocabulary

    if index is not None and in_vocabulary(index, word):
        return (word,)
    return _lexicon_forms(word, question)


@functools.lru_cache(maxsize=1024)
def _lexicon_forms(word: str, question: str) -> tuple[str, ...]:
    from index.expansion import load_rules, uses

    def applies(e: str) -> bool:
        return e == word or (len(e) > 1 and e in word) or (word in e and bool(question) and uses(question, e))

    return (word, *dict.fromkeys(p for everyday, policy in load_rules() for p in policy
                                 if any(applies(e) for e in everyday)))


def states_topic(text: str, topic: list[str], index: HybridIndex | None = None, question: str = "") -> bool:
    """``text`` writes one of ``topic``'s words or, for a word no record writes, its policy words."""
    return any(form in text for word in topic for form in topic_forms(word, index, question))


def support_topic(question: str, index: HybridIndex) -> list[str]:
    """What a support question is about beyond who asks and which kind of support (助餐 in
    给老年人提供助餐服务有什么政策; nothing in 开家政公司能享受哪些补贴)."""
    return _residual_topic(topic_words(question, index), question)


#: Weight of the share of the question's topic words a measure's sentence writes, beside the profile
#: (2 + 0.5 per sector, entity or people named), the kind asked (1.5) and the search rank (≤ 1).
WRITTEN_WEIGHT = 2.0


def answer_support_measures(question: str, hits: list[Hit], measures: list, composer: Composer,
                            sure_p: float | None = None, topic: list[str] | None = None) -> None:
    """Support answered from measure records: those that apply to the sector and entity the
    question names (measures for other sectors left out unless open to everyone), the kinds it
    asks for and the clauses the search found first; each line quotes the measure's sentence,
    its condition included. ``topic``: :func:`support_topic` of the question, when the caller
    already has it (the fallback needs it too)."""
    from qa.match import match

    profile, kinds = _question_profile(question)
    rank = {h.record.id: i for i, h in enumerate(hits)}
    named_profile = any(profile.values())
    topic = support_topic(question, composer.index) if topic is None else topic
    # words describing who asks (社区 of 社区养老企业) rank the measures that write them first,
    # but a measure for the sector need not write them
    applicable = match(measures, profile)
    describing = describing_words(topic, question) if named_profile else []
    if describing and not any(states_topic(_measure_text(m.measure), describing, composer.index, question)
                              for m in applicable):
        describing = []  # no measure of the sector writes it: it may be what is asked (提供助餐的养老机构)
    topic = [w for w in topic if w not in describing]
    # "家政公司有哪些补贴" asks what support there is, not for grants alone: when the question names
    # no instrument beyond the bare money word and nothing else it is about, every kind of measure
    # for the named sector or entity is eligible (grants first: they match the kind asked for)
    any_kind = kinds <= {"fiscal_subsidy"} and not topic
    scored = []
    for m in applicable:
        in_hits = rank.get(m.measure.record_id)
        if in_hits is None and not (named_profile and m.group == "named" and (m.measure.kind in kinds or any_kind)):
            continue
        named = named_profile and m.group == "named"
        # a measure that only shares the word 补贴 with the question does not answer it: it must
        # name what the question is about beyond its sector and entity (老年人 in 给老年人提供助餐…),
        # or — when the question is about nothing else — apply to that sector or entity
        sentence = _measure_text(m.measure)
        if topic:
            # a generic word for a kind of support (税收减免, 贷款) is stated by any measure of that
            # kind — when the question names nothing more specific, or the second stage is fairly
            # sure of the clause: 企业上市有奖励吗 is not answered by any grant
            specific = [w for w in topic if not _kinds_named(w)]
            sure = sure_p is not None and in_hits is not None and hits[in_hits].score >= sure_p
            stated = states_topic(sentence, topic, composer.index, question)
            by_kind = any(m.measure.kind in _kinds_named(w) for w in topic) and (not specific or sure)
            if not (stated or by_kind):
                continue
        elif (named_profile or kinds) and not (named or m.measure.kind in kinds):
            continue  # "有哪些支持政策" names nothing: any measure of the clauses found answers it
        # the more of the profile a measure names (sector, entity, people), the more specific it is
        score = (2.0 + 0.5 * m.score if named else 0.0) + (1.5 if m.measure.kind in kinds else 0.0)
        score += 1.0 / (1 + in_hits) if in_hits is not None else 0.0
        score += 1.0 if describing and states_topic(sentence, describing, composer.index, question) else 0.0
        # of the measures, the one writing more of what the question is about (its topic words, by
        # IDF; not the sector or entity, counted above): 消防验收 of 社区日间照料…消防验收特别麻烦 quotes
        # 可因地制宜优化办理消防验收备案手续 first
        score += WRITTEN_WEIGHT * words_share(composer.index, topic, sentence)
        # asked for 补贴 and nothing narrower: every benefit in money (tax, fees, credit) comes before
        # training or promotion, however specific the promotion is to the sector (托育服务品牌)
        money = any_kind and "fiscal_subsidy" in kinds and m.measure.kind in MONEY_KINDS
        scored.append((money, score, m.measure))
    scored.sort(key=lambda x: (not x[0], -x[1]))
    for _, _, m in scored[:4]:
        record = composer.index.record(m.record_id)
        if record is not None:
            label_kind = m.kind_label if hasattr(m, "kind_label") else m.kind
            composer.add(f"{label(record)}（{label_kind}）：{m.quote}", cite(record, m.start, m.end))


#: A support question asking for money: a clause sharing only that word is the classic wrong answer.
MONEY_ASKED_RE = re.compile(r"补贴|补助|奖励|奖金|优惠|减免|资助|[给发补拿领退]钱|多少钱")


def shares_what_is_asked(question: str, text: str) -> bool:
    """``text`` writes one of the words a support question is about beyond asking for support —
    its content words other than 政府, 补贴, 有什么 …, or the policy words of its everyday words
    (我妈 → 老年人). A clause writing none shares only the asking, however sure the second stage is:
    在兰州新区买房落户，有什么购房补贴 is not answered by the plan's sentences on public services."""
    from index.expansion import expansion
    from index.rerank_features import content_words

    # neither the question's support words nor the policy words of its everyday money words
    # (给钱 → 补贴) say what it is about, nor a group of people concerned (孩子 → 未成年人: 城镇居民
    # 医保的政府补贴 for 未成年人 does not answer 我想给孩子报个游泳班，政府有补贴吗)
    who = _who_patterns("people")
    about = [w for w in [*content_words(question), *expansion(question)] if w not in SUPPORT_QUESTION_WORDS
             and not SUPPORT_SENTENCE_RE.search(w) and not MONEY_ASKED_RE.search(w)
             and not any(rx.search(w) for rx in who)]
    return any(w in text for w in about)


def answer_support_fallback(question: str, hits, composer, topic: list[str], sure_p: float | None) -> None:
    """A support question no measure record answers (失业金期间的医保, 一照多址 for a chain):
    the best sentences of the clauses the second stage gives at least ``sure_p`` (for a question
    asking for money, only those sharing what it is about: :func:`shares_what_is_asked`); otherwise
    only a sentence stating one of the question's topic words — not the sentences of clauses that
    merely share 补贴 (耕地地力保护补贴, 光伏). Without the second stage (``sure_p`` None) a hit's
    score is no probability, and only the topic words decide."""
    for hit in hits[:3]:
        if not hit.evidence:
            continue
        s = max(quotable(hit.record, hit.evidence), key=lambda e: meets(composer.index, question, e.text))
        sure = sure_p is not None and hit.score >= sure_p and (
            not MONEY_ASKED_RE.search(question) or shares_what_is_asked(question, hit.record.text))
        if sure or states_topic(s.text, topic, composer.index, question):
            composer.add(f"{label(hit.record)}：{s.text}", cite(hit.record, s.start, s.end))
