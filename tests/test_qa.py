"""Answers with cited clauses (issue: answers and the Gradio assistant)."""

from __future__ import annotations

import json

import pytest

import qa
from corpus.config import Settings
from corpus.errors import PolicyError
from index.hybrid import Filters
from qa.citations import cite, verify
from qa.shapes import MATTER_NOT_HELD_TEXT, NOT_HELD_TEXT, UNSTATED_TEXT


@pytest.fixture(scope="session")
def plan_index(plan_settings):
    from index.build import open_index

    return open_index(plan_settings)


def ask(index, question, **filters):
    return qa.answer(question, index, Filters(**filters) if filters else None)


def assert_citations_verbatim(answer, index):
    assert answer.citations, answer.answer
    for citation in answer.citations:
        record = index.record(citation.record_id)
        assert getattr(record, citation.field)[citation.start : citation.end] == citation.quote
        assert verify(citation, record)


def test_department_question_names_lead_co_and_implementers(plan_index):
    answer = ask(plan_index, "谁牵头推动社区基础服务设施达标？")
    assert answer.intent == "department" and not answer.abstained
    assert answer.departments.lead == ["省住建厅"]
    assert "省教育厅" in answer.departments.co
    assert answer.departments.implementers == ["市州人民政府", "兰州新区管委会"]
    assert answer.answer.splitlines()[0].startswith("牵头：省住建厅")
    assert_citations_verbatim(answer, plan_index)
    # the implementers are cited where they are handed down: 三(一)1's note
    assert any(c.path == "三(一)1" and "不再一一列出" in c.quote for c in answer.citations)


def test_department_question_with_alias(plan_index):
    answer = ask(plan_index, "完善老年人儿童和残疾人服务设施是不是卫健委牵头？")
    assert "省卫生健康委" in answer.departments.lead


def test_a_department_answer_is_about_what_the_question_names(plan_index):
    # 城市书房 is only in a target paragraph, which names no department: the departments of a
    # community-facilities task ranked near it are no answer
    answer = ask(plan_index, "方案的任务分工里，“城市书房”建设由哪个厅局牵头负责？")
    assert not answer.departments.lead and not answer.departments.co
    assert "未写明责任部门" in answer.answer and "城市书房" in answer.citations[0].quote
    assert_citations_verbatim(answer, plan_index)


def test_target_question_quotes_the_value(plan_index):
    answer = ask(plan_index, "到2025年每千人口托位数要达到多少？")
    assert answer.intent == "target" and not answer.abstained
    assert "4.5" in answer.answer
    assert answer.targets[0].value == 4.5 and answer.targets[0].deadline == 2025
    assert answer.to_dict()["targets"][0]["value"] == 4.5  # the JSON shape is unchanged
    assert any("4.5个" in c.quote for c in answer.citations)
    assert_citations_verbatim(answer, plan_index)


def test_a_target_answers_only_a_question_about_what_it_measures(plan_index):
    from qa.compose import Composer, answer_target

    hits = plan_index.search("爱心理发员 培训", k=3)
    assert hits[0].record.path == "三(四)2"  # 力争到2023年累计培训“爱心理发员”2万人次
    asked = Composer(plan_index)
    targets = answer_target("到2023年要累计培训多少爱心理发员？", hits, asked)
    assert any(t.value == 2 and "爱心理发员" in t.indicator for t in targets)
    # the same year, another subject: the clause's numbers are no answer to it
    other = Composer(plan_index)
    assert answer_target("上海市2023年政府工作报告提出的GDP增长目标是多少？", hits, other) == []
    assert not other.lines


def test_a_support_answer_from_measures_keeps_to_the_filters(index_settings, plan_index):
    from core import Assistant

    measures = Assistant(index_settings, index=plan_index).measures()
    # 小微企业 names who asks, and 四(二)'s credit for 小微企业 is its measure — in no domain but its own
    for question in ("小微企业贷款有什么支持", "我们是家政企业，有什么补贴", "托育机构用地有什么支持"):
        unfiltered = qa.answer(question, plan_index, measures=measures)
        assert unfiltered.citations and not unfiltered.abstained
        for domain in ("体育", "文旅", "社区服务"):
            answer = qa.answer(question, plan_index, Filters(domain=domain), measures=measures)
            assert all(domain in plan_index.record(c.record_id).domains for c in answer.citations), (question, domain)


def test_enterprise_hiring_graduates_finds_social_insurance_subsidy(plan_index):
    answer = ask(plan_index, "我们是员工制养老企业，招了高校毕业生，能拿什么补贴？")
    assert answer.intent == "support" and not answer.abstained
    assert any(c.path == "四(一)" and "社保补贴" in c.quote for c in answer.citations)
    assert_citations_verbatim(answer, plan_index)


def test_traditional_question_is_answered_like_simplified(plan_index):
    simplified = ask(plan_index, "普惠性幼儿园覆盖率要达到多少？")
    traditional = ask(plan_index, "普惠性幼兒園覆蓋率要達到多少？")
    assert "93" in traditional.answer
    assert traditional.answer == simplified.answer


@pytest.mark.parametrize("question", ["怎么做红烧肉？", "明天会下雨吗？", "梅西一共进了几个球", "今天兰州天气怎么样"])
def test_questions_about_no_policy_at_all_are_declined_as_such(plan_index, question):
    # 今天兰州天气怎么样 shares 兰州 with 三(六)3 and once got an answer from it: the domain
    # gate declines it before any clause is judged, and names no "related" clause
    answer = ask(plan_index, question)
    assert answer.abstained
    assert answer.answer == qa.OFF_DOMAIN_TEXT
    assert answer.citations == () and answer.hits == ()  # the web shows no "related" clauses


@pytest.mark.parametrize("term", ["白银", "面积"])
def test_a_term_of_the_documents_searched_for_is_never_declined_as_off_domain(plan_index, term):
    # short keywords are where the gate, trained on questions, is least sure: 白银 (a city of the
    # plan) and 面积 get P(off domain) 0.96-0.97 on the plan alone
    assert ask(plan_index, term).answer != qa.OFF_DOMAIN_TEXT


@pytest.mark.parametrize("question", ["社保卡丢了去哪里补办？", "残疾证到期了去哪里换？",
                                      "城乡居民医保一年交多少钱？", "护照过期了去哪里换？"])
def test_policy_questions_the_documents_do_not_answer_abstain_with_related_clauses(plan_index, question):
    answer = ask(plan_index, question)
    assert answer.abstained
    assert answer.answer.startswith(qa.ABSTAIN_TEXT) or "未写明" in answer.answer
    assert answer.citations == ()
    assert "可能相关的条款" in answer.answer


def test_with_the_gate_off_a_chit_chat_question_is_judged_on_the_evidence(plan_index):
    from qa.answer import answer as answer_question

    assert answer_question("梅西一共进了几个球", plan_index).answer == qa.OFF_DOMAIN_TEXT
    answer = answer_question("梅西一共进了几个球", plan_index, settings=Settings(abstain_off_domain=1.01))
    assert answer.answer != qa.OFF_DOMAIN_TEXT


@pytest.mark.parametrize(("question", "missing"), [
    ("体育场馆周末对外开放时间是几点到几点？", "具体时间"),
    ("养老机构床位补贴每张多少钱？", "具体金额"),
    ("社区普惠性生活服务网点认定申请表在哪里下载？", "电话、网址或办理地点"),
    ("员工制家政企业申请稳岗返还，返还比例是多少？", "具体比例或费率"),
])
def test_with_the_unstated_rule_a_question_asking_for_what_no_clause_states_abstains(plan_index, question,
                                                                                     missing):
    """The plan names 场馆开放, 床位, 网点 and 稳岗返还 — not opening hours, an amount per bed, a
    download page or a rate."""
    answer = qa.answer(question, plan_index, settings=Settings(abstain_unstated=True))
    assert answer.abstained and answer.citations == ()
    assert answer.answer.startswith(UNSTATED_TEXT.format(missing)), answer.answer
    assert "可能相关的条款" in answer.answer


def test_an_abstention_names_what_the_documents_do_not_state(plan_index):
    answer = ask(plan_index, "兰州市社区卫生服务中心预约挂号电话是多少？")
    assert answer.abstained
    assert answer.answer.startswith(UNSTATED_TEXT.format("电话、网址或办理地点")), answer.answer


def test_a_question_asking_for_a_number_the_plan_states_is_answered(plan_index):
    answer = ask(plan_index, "到2025年，每千人口拥有3岁以下婴幼儿托位数要达到多少个？")
    assert not answer.abstained and "4.5" in answer.answer


def test_clause_lookup_returns_the_clause_in_full(plan_index):
    for question in ["三(五)1讲的是什么？", "三（五）1", "第三部分第五节第一条是什么内容？"]:
        answer = ask(plan_index, question)
        assert answer.intent == "lookup"
        record = plan_index.record("gansu-2022-46#三(五)1")
        assert answer.citations[0].quote == record.text, question


def test_department_tasks_list_lead_then_shared(plan_index):
    answer = ask(plan_index, "省民政厅牵头哪些任务？")
    assert answer.intent == "dept_tasks"
    lines = answer.answer.splitlines()
    assert lines[0].startswith("省民政厅牵头：三(二)2")
    assert any("协同负责" in line for line in lines)
    first_shared = next(i for i, line in enumerate(lines) if "协同负责" in line)
    assert all("牵头" in line for line in lines[:first_shared])
    assert_citations_verbatim(answer, plan_index)


def test_every_answer_line_points_at_a_citation(plan_index):
    questions = ["小微企业贷款有什么支持？", "卫健委负责什么？", "养老护理员培养目标是多少？",
                 "社区服务设施用地有什么优惠？", "生活性服务业品牌怎么创建？"]
    for question in questions:
        answer = ask(plan_index, question)
        assert not answer.abstained, question
        for line in answer.answer.splitlines():
            number = int(line.rsplit("〔", 1)[1].rstrip("〕"))
            assert 1 <= number <= len(answer.citations), line
        assert_citations_verbatim(answer, plan_index)


def test_filters_narrow_the_answer(plan_index):
    answer = ask(plan_index, "有哪些支持政策？", section="四(二)")
    assert {c.path for c in answer.citations} == {"四(二)"}


def test_role_filter_keeps_only_clauses_the_department_leads(plan_index):
    answer = ask(plan_index, "养老服务设施", dept="卫健委", dept_role="lead")
    assert answer.citations
    for citation in answer.citations:
        assert "省卫生健康委" in plan_index.record(citation.record_id).departments.lead


@pytest.mark.parametrize("filters, code", [
    ({"doc": "no-such-doc"}, "unknown_document"),
    ({"dept": "火星局"}, "unknown_department"),
    ({"domain": "航天"}, "unknown_domain"),
])  # fmt: skip
def test_unknown_filter_values_are_policy_errors(plan_index, filters, code):
    with pytest.raises(PolicyError) as caught:
        ask(plan_index, "养老服务", **filters)
    assert caught.value.code == code and caught.value.fix
    assert caught.value.to_dict() == {"error": {"code": code, "message": caught.value.message,
                                                "fix": caught.value.fix}}


def test_empty_and_long_questions(plan_index):
    for empty in ["", "   ", "？？！", "\x00\x01"]:
        with pytest.raises(PolicyError, match="问题为空") as caught:
            ask(plan_index, empty)
        assert caught.value.code == "empty_question" and caught.value.fix
    settings = Settings(home=plan_index_home(plan_index), max_question_chars=50)
    answer = qa.answer("养老" * 5000, plan_index, settings=settings)
    assert "问题过长" in answer.notice and len(answer.question) == 50


def plan_index_home(index):
    return Settings().home


def test_a_forged_citation_does_not_verify(plan_index):
    record = plan_index.record("gansu-2022-46#四(一)")
    citation = cite(record, 0, 10)
    assert verify(citation, record)
    forged = type(citation)(**{**citation.to_dict(), "quote": "给予一次性创业补贴十万元"})
    assert not verify(forged, record)
    assert not verify(citation, plan_index.record("gansu-2022-46#四(二)"))


def test_answer_json_shape(plan_index):
    data = ask(plan_index, "谁牵头推动社区基础服务设施达标？").to_dict()
    assert set(data) == {"question", "intent", "answer", "abstained", "citations", "departments",
                         "targets", "hits", "notice"}
    assert set(data["citations"][0]) == {"record_id", "doc_id", "doc_title", "path", "title", "quote",
                                         "start", "end", "field"}
    target = ask(plan_index, "到2025年每千人口托位数要达到多少？").to_dict()["targets"][0]
    assert set(target) == {"indicator", "value", "unit", "comparator", "deadline", "phrase", "record_id"}
    json.dumps(data, ensure_ascii=False)


def test_answer_is_frozen(plan_index):
    import dataclasses

    answer = ask(plan_index, "谁牵头推动社区基础服务设施达标？")
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.answer = "forged"  # type: ignore[misc]


@pytest.fixture(scope="session")
def plan_measures(plan_settings):
    from corpus.stored import load_measures

    return load_measures(plan_settings)


def test_a_support_answer_cites_measures_about_the_question_not_ones_sharing_only_the_word(plan_index,
                                                                                            plan_measures):
    answer = qa.answer("开家政公司能享受哪些补贴", plan_index, measures=plan_measures)
    assert not answer.abstained and answer.citations
    assert all("家政" in c.quote for c in answer.citations), answer.answer
    assert not any("以旧换新" in c.quote or "消费券" in c.quote for c in answer.citations)


def test_asking_for_subsidies_finds_every_kind_of_measure_for_the_sector_even_outside_the_hits(plan_index,
                                                                                              plan_measures):
    """In a library the search may rank law articles first; the sector's measures still answer
    "哪些补贴" — tax relief and training count, not grants alone — and a quantifier (一家) is no topic."""
    from qa.compose import Composer
    from qa.support import answer_support_measures, topic_words

    composer = Composer(plan_index)
    answer_support_measures("开家政公司能享受哪些补贴", [], plan_measures, composer)
    kinds = {m.kind for m in plan_measures if any(m.quote == c.quote for c in composer.citations)}
    assert composer.citations and all("家政" in c.quote for c in composer.citations)
    assert len(kinds - {"fiscal_subsidy"}) >= 1 and len(kinds) >= 2, kinds
    assert "一家" not in topic_words("我们是一家养老服务企业，有哪些补贴和优惠政策？")


def test_asking_for_subsidies_lists_money_before_training_and_a_named_topic_keeps_to_its_measures(plan_index,
                                                                                                plan_measures):
    from qa.compose import Composer
    from qa.support import MONEY_KINDS, answer_support_measures

    def kinds_in_order(question: str) -> list[str]:
        composer = Composer(plan_index)
        answer_support_measures(question, [], plan_measures, composer)
        by_quote = {m.quote: m.kind for m in plan_measures}
        return [by_quote[c.quote] for c in composer.citations if c.quote in by_quote]

    kinds = kinds_in_order("开家政公司能享受哪些补贴")
    assert kinds and kinds[0] in MONEY_KINDS, kinds
    # a topic (医养结合) is what the question is about: no measure of the sector outside the hits
    # enters just because it is the sector's
    assert kinds_in_order("我们是小型养老机构，想和医院合作开展医养结合，有政策吗？") == []


def test_words_inside_the_askers_own_description_are_no_topic(plan_index, plan_measures):
    """员工 (of 员工制企业) and 高校/毕业生 (of 高校毕业生) describe who asks: the question is still
    "what support is there for us", answered with the sector's measures, money first."""
    from qa.compose import Composer
    from qa.support import MONEY_KINDS, _residual_topic, answer_support_measures, topic_words

    question = "我们是一家员工制家政企业，招了高校毕业生，有什么补贴？"
    assert _residual_topic(topic_words(question), question) == []
    composer = Composer(plan_index)
    answer_support_measures(question, [], plan_measures, composer)
    cited = [m for m in plan_measures if any(m.quote == c.quote for c in composer.citations)]
    # the sector's tax relief names neither 员工 nor 毕业生: a topic of those words left it out
    assert any(m.kind in MONEY_KINDS and "家政" in m.quote for m in cited), composer.text()


def test_a_word_describing_the_askers_sector_ranks_measures_but_does_not_exclude_the_sectors(plan_index,
                                                                                             plan_measures):
    """社区 of 做社区养老的民营企业 says what kind of elderly-care firm asks (the head comes last in
    Chinese): the plan's measures for 养老 apply though few write 社区, and those writing it come
    first. A word after the sector (医养结合, 用地) stays what the question is about."""
    from qa.compose import Composer
    from qa.support import answer_support_measures, describing_words, support_topic

    question = "我们是一家做社区养老的民营企业，能拿到哪些扶持？"
    assert describing_words(support_topic(question, plan_index), question) == ["社区"]
    assert describing_words(["小吃店"], "开小吃店的个体户有什么优惠") == ["小吃店"]
    assert describing_words(["用地"], "社区养老机构用地有什么支持") == []
    assert describing_words(["医养结合"], "我们是小型养老机构，想和医院合作开展医养结合，有政策吗？") == []
    composer = Composer(plan_index)
    answer_support_measures(question, [], plan_measures, composer)
    by_quote = {m.quote: m for m in plan_measures}
    cited = [by_quote[c.quote] for c in composer.citations if c.quote in by_quote]  # in answer order
    assert len(cited) >= 2 and all("养老" in m.quote for m in cited), composer.text()
    assert any("社区" not in m.quote for m in cited)  # the sector's measures, not only 社区's
    assert "社区" in cited[0].quote, composer.text()
    # 助餐 of 提供助餐的养老机构 is what the asker provides and asks about: no measure of 养老 writes
    # it, so it stays the topic and no measure for 养老 in general answers
    provider = Composer(plan_index)
    answer_support_measures("提供助餐的养老机构有什么补贴", [], plan_measures, provider)
    assert provider.citations == [], provider.text()


def test_a_support_question_no_measure_is_about_gets_the_sentences_closest_to_it(plan_index, plan_measures):
    """No support measure of the plan is about 助餐 (三(五)1's 助餐 sentence is a task, not a
    measure): the answer quotes that sentence instead of the clause's unrelated measures."""
    answer = qa.answer("给老年人提供助餐服务有什么政策", plan_index, measures=plan_measures)
    assert not answer.abstained
    assert any("助餐" in c.quote for c in answer.citations), answer.answer
    assert_citations_verbatim(answer, plan_index)


def test_a_question_about_a_document_the_library_does_not_hold_says_so(plan_index):
    answer = ask(plan_index, "《四川省养老服务条例》第十条规定了什么？")
    assert answer.abstained and answer.citations == ()
    assert answer.answer.startswith(NOT_HELD_TEXT.format("四川省养老服务条例")), answer.answer


def test_another_regions_document_named_without_brackets_is_not_held_either(plan_index):
    answer = ask(plan_index, "广东省促进家政服务业提质扩容的实施方案里有哪些措施？")
    assert answer.abstained and answer.citations == ()
    assert answer.answer.startswith(NOT_HELD_TEXT.format("广东省促进家政服务业提质扩容的实施方案")), answer.answer
    answer = ask(plan_index, "陕西省有没有类似的生活性服务业行动方案，跟甘肃的有啥不同？")
    assert answer.answer.startswith(NOT_HELD_TEXT.format("陕西省生活性服务业行动方案")), answer.answer
    # the plan's own province: its plan is held, whatever it is called
    assert not ask(plan_index, "甘肃省的行动方案里家政服务有什么支持？").answer.startswith("已收录的政策文件中没有")


def test_a_law_written_out_without_brackets_is_not_held_either(plan_index):
    answer = ask(plan_index, "预付卡商家跑路了，按消费者权益保护法能要求三倍赔偿吗？")
    assert answer.abstained and answer.answer.startswith(NOT_HELD_TEXT.format("消费者权益保护法")), answer.answer
    answer = ask(plan_index, "民法典规定的法定继承顺序是怎样的？")
    assert answer.answer.startswith(NOT_HELD_TEXT.format("民法典")), answer.answer


@pytest.mark.parametrize("question", ["自家人拿钱也犯法吗", "公司不开证明我都没法办失业登记", "退休了想学点书法唱歌，小区附近有地方上课不",
                                      "政府鼓励服务业换个什么活法", "加班费怎么算，周末和法定节假日一样吗", "有什么好办法让老人出门方便"])
def test_a_word_ending_in_fa_names_no_law(plan_index, question):
    from qa.about import documents_not_held
    from qa.document_facts import unquoted_law_names

    assert unquoted_law_names(question) == []
    assert documents_not_held(qa.make_query(question), plan_index) == []


@pytest.mark.parametrize("question", ["北京户口的老人在兰州养老有什么办法", "我是陕西人在兰州开店有什么补贴办法",
                                      "黄河南岸的生态保护规划", "甘肃省的行动方案里养老有什么目标"])
def test_a_province_in_an_ordinary_question_names_no_document(plan_index, question):
    from qa.about import documents_not_held

    assert documents_not_held(qa.make_query(question), plan_index) == []


def test_a_document_named_loosely_is_still_the_one_held(plan_index):
    answer = ask(plan_index, "《甘肃生活性服务业行动方案》三(二)1讲的是什么")
    assert not answer.abstained
    assert answer.citations[0].path == "三(二)1"


def test_the_askers_phrasing_is_no_topic_of_a_support_question(plan_index):
    """我开 (of 我开了), 拿到 and 小型 say how the question is put: with them as topic words no
    measure matched "我开了一家小型养老院，能拿到哪些补贴？" and sentences sharing 补贴 answered."""
    from qa.support import support_topic

    assert support_topic("我开了一家小型养老院，能拿到哪些补贴？", plan_index) == []
    # a noun no record contains is still what the question is about
    assert "光伏" in support_topic("分布式光伏并网有补贴吗", plan_index)


def test_an_everyday_name_of_a_business_names_its_sector(plan_index):
    """餐馆, 饭馆, 保姆, 小卖部 are how owners name their trade: they are the sector (餐饮, 家政, 零售),
    not a topic no measure writes — "个体户开餐馆有什么扶持" fell back to sentences sharing 扶持."""
    from qa.support import _question_profile, support_topic

    for question, sector in (("个体户开餐馆有什么扶持", "餐饮"), ("开饭馆的小老板能拿到什么补贴", "餐饮"),
                             ("我们是做月嫂保姆的公司，政府有啥支持", "家政"), ("开小卖部的个体户，税能不能少交点", "零售")):
        profile, _ = _question_profile(question)
        assert sector in profile["sectors"], question
        assert not any(w in support_topic(question, plan_index) for w in ("餐馆", "饭馆", "保姆", "小卖部")), question


def test_a_generic_support_word_is_stated_by_any_measure_of_its_kind(plan_index, plan_measures):
    """税收减免 is no phrase a measure must repeat: the plan's tax relief says 实行税收减免 for some
    sectors and 免征增值税 for bookshops; a particular measure's own words (以旧换新) are not generic."""
    from qa.support import _kinds_named

    assert "tax_relief" in _kinds_named("税收减免")
    assert _kinds_named("以旧换新") == set()
    answer = qa.answer("我们是做家政服务的公司，能不能享受税收减免？", plan_index, measures=plan_measures)
    assert not answer.abstained and any("税" in c.quote and "家政" in c.quote for c in answer.citations), answer.answer


def test_a_support_question_no_measure_answers_gets_no_sentence_that_only_shares_subsidy(plan_index):
    """The fallback when no measure record answers: a clause the second stage doubts must state a
    topic word of the question; one it is fairly sure of answers in its best sentence when it writes what the question is about."""
    from dataclasses import replace

    from corpus.config import get_settings
    from qa.compose import Composer
    from qa.support import answer_support_fallback

    sure_p = get_settings().support_fallback_p
    hit = next(h for h in plan_index.search("社区服务设施用地", k=3) if h.evidence)
    doubted = replace(hit, score=sure_p / 2)
    composer = Composer(plan_index)
    answer_support_fallback("分布式光伏并网有补贴吗", [doubted], composer, ["光伏"], sure_p)
    assert composer.lines == []
    sure = replace(hit, score=min(1.0, sure_p * 2))
    # sure, but the clause shares nothing the question is about (光伏, 并网): still no answer
    answer_support_fallback("分布式光伏并网有补贴吗", [sure], composer, ["光伏"], sure_p)
    assert composer.lines == []
    # sure, and the clause writes what is asked about (社区, 设施): its best sentence answers
    answer_support_fallback("社区服务设施有什么补贴", [sure], composer, ["光伏"], sure_p)
    assert len(composer.lines) == 1 and composer.citations[0].record_id == hit.record.id
    # without the second stage a score is no probability: only the topic words decide
    unscored = Composer(plan_index)
    answer_support_fallback("分布式光伏并网有补贴吗", [sure], unscored, ["光伏"], None)
    assert unscored.lines == []


def test_asking_what_a_department_leads_says_so_when_it_leads_nothing(plan_index):
    """省商务厅 leads no clause of the plan: its shared clauses are listed under a notice saying so,
    not as if they answered "牵头干什么"; a department that leads one gets no such notice."""
    shared_only = qa.answer("省商务厅在这个方案里牵头干什么？", plan_index)
    assert shared_only.intent == "dept_tasks" and shared_only.citations
    assert "省商务厅" in shared_only.notice and "没有牵头" in shared_only.notice
    leads = qa.answer("民政厅牵头负责哪一块工作", plan_index)
    assert "省民政厅" in leads.departments.lead and leads.notice == ""


def test_a_generic_kind_word_does_not_stand_in_for_a_specific_topic():
    """企业上市有奖励吗: 奖励 names a kind (grants) but 上市 is what is asked about — a grant for
    something else does not answer it unless the second stage is sure of its clause; the name of
    an insurance scheme (养老保险) is a topic, not the insurance kind of support."""
    from qa.support import _kinds_named

    assert "fiscal_subsidy" in _kinds_named("奖励")
    assert _kinds_named("养老保险") == set() and _kinds_named("用地")


def test_an_enterprise_asking_about_listing_rewards_gets_no_unrelated_grant(plan_index, plan_measures):
    from qa.compose import Composer
    from qa.support import answer_support_measures

    composer = Composer(plan_index)
    answer_support_measures("企业上市有奖励吗", [], plan_measures, composer)
    assert all("上市" in c.quote for c in composer.citations), composer.text()


def test_a_topic_word_no_record_writes_is_stated_by_its_policy_words(plan_index):
    """生二胎 is in no document; the documents write 生育 (corpus/data/everyday.tsv). A word they
    do write keeps its own meaning, and a rule's everyday word must lie inside the topic word
    (育儿 is not 育儿嫂, whose rule says 家政服务)."""
    from qa.support import states_topic, topic_forms

    assert "生育" in topic_forms("生二胎", plan_index)
    assert topic_forms("老年人", plan_index) == ("老年人",)
    assert topic_forms("育儿") == ("育儿",)
    assert states_topic("符合法律、法规规定生育子女的夫妻，可以获得延长生育假的奖励", ["生二胎"], plan_index)
    assert not states_topic("城镇居民基本医疗保险实行个人缴费和政府补贴相结合。", ["生二胎"], plan_index)


def test_a_support_question_in_everyday_words_is_answered_by_the_law_that_uses_the_policy_word(
        indexed_home, encoder):
    """生二胎有补贴吗 on the plan + 人口与计划生育法: the law's 生育 article answers, not a sentence
    of another document that only shares 补贴."""
    import corpus
    from index.hybrid import HybridIndex
    from tests.conftest import ELDERLY_LAW, POPULATION_LAW

    settings = indexed_home("laws-sentences", [ELDERLY_LAW, POPULATION_LAW])
    index = HybridIndex.load(settings.index_dir, encoder)
    answer = qa.answer("生二胎有补贴吗", index, measures=corpus.load_measures(settings))
    assert not answer.abstained and answer.citations, answer.answer
    assert all(c.record_id.startswith("人口与计划生育法") and "生育" in c.quote for c in answer.citations), answer.answer


def test_where_the_asker_is_and_how_they_tell_it_are_no_topic(plan_index, plan_measures):
    """我在兰州开了个托育园，政府给补贴吗: 兰州 says where the asker is and 开了个 how they tell it;
    as topic words no measure stated them, and the plan's measures for 托育 went unanswered."""
    from qa.document_facts import is_place
    from qa.support import support_topic

    assert is_place("兰州") and is_place("天水市") and is_place("甘肃省") and not is_place("拉面")
    assert support_topic("我在兰州开了个托育园，政府给补贴吗", plan_index) == []
    answer = qa.answer("我在兰州开了个托育园，政府给补贴吗", plan_index, measures=plan_measures)
    assert not answer.abstained and any("托育" in c.quote or "保教" in c.quote for c in answer.citations), answer.answer


def test_asked_for_subsidy_money_comes_before_promotion_whatever_the_search_ranked_first(plan_index, plan_measures):
    """In a library the search may rank the brand clause 三(三)2 (培育…托育服务品牌) above 四(一):
    a question asking for 补贴 still gets the tax relief for 保教服务 first."""
    from qa.compose import Composer
    from qa.support import answer_support_measures

    order = ("三(三)2", "三(一)2", "三(二)3", "四(一)")
    hits = [plan_index.search(path, k=1)[0] for path in order]
    assert tuple(h.record.path for h in hits) == order
    composer = Composer(plan_index)
    answer_support_measures("我在兰州开了个托育园，政府给补贴吗", hits, plan_measures, composer)
    kinds = [line.partition("（")[2].partition("）")[0] for line in composer.lines]
    assert "品牌与宣传推介" in kinds and kinds[0] == "税费减免", composer.lines


def test_a_sure_clause_must_share_what_a_support_question_is_about():
    """The support fallback trusts the second stage only for a clause that writes something the
    question is about besides 政府/补贴/有什么 — or the policy words of its everyday words."""
    from qa.support import shares_what_is_asked

    assert not shares_what_is_asked("在兰州新区买房落户，有什么购房补贴？",
                                    "结合经济社会发展情况，兼顾财政承受能力，适时对基本公共服务实施标准进行动态调整。")
    # 我妈 is an everyday word for 老年人
    assert shares_what_is_asked("想把我妈从老家接来跟我们一块儿住，国家有啥支持没？",
                                "国家建立健全家庭养老支持政策，鼓励家庭成员与老年人共同生活或者就近居住")
    assert shares_what_is_asked("盲人乘坐地铁要买票吗", "盲人持有效证件免费乘坐市内公共汽车、电车、地铁")
    # 孩子 → 未成年人 names who is concerned, not what is asked about (the swimming class)
    assert not shares_what_is_asked("我想给孩子报个游泳班，政府有补贴吗",
                                    "享受最低生活保障的人、丧失劳动能力的残疾人和未成年人等所需个人缴费部分，由政府给予补贴。")
    # 给钱 is an everyday word for 补贴: still only the asking
    assert not shares_what_is_asked("开个小店政府给钱吗", "对符合条件的给予一次性建设补贴")


@pytest.mark.parametrize(("question", "word"), [("房贷提前还款要付违约金吗？", "房贷"),
                                                ("微信转账转错人了，对方不肯退怎么办？", "转账"),
                                                ("驾照扣满12分怎么办", "驾照")])
def test_a_matter_no_document_writes_about_is_declined_as_another_field(plan_index, question, word):
    from qa.about import other_fields

    answer = ask(plan_index, question)
    assert answer.abstained and answer.citations == () and answer.hits == ()
    assert answer.answer == MATTER_NOT_HELD_TEXT.format(word, other_fields()[word]), answer.answer


def test_a_matter_is_another_fields_only_while_no_document_writes_it():
    from types import SimpleNamespace

    from qa.about import matter_not_held

    class Library:  # the part of an index the check reads (weakly referenced, as an index is)
        def __init__(self, text):
            self.records = [SimpleNamespace(text=text, doc_title="条例", headings=[])]

    assert matter_not_held("驾照扣满12分怎么办", Library("养老机构应当…")) == ("驾照", "道路交通")
    # a library holding a traffic law answers it; a word only a story mentions (邻居) is no matter
    assert matter_not_held("驾照扣满12分怎么办", Library("驾照记分周期为十二个月")) is None
    assert matter_not_held("邻居家孩子老被打，能举报吗", Library("养老机构应当…")) is None
