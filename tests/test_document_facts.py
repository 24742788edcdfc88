"""Questions about a document itself (README, "Answers"): its 文号, issuer, date and period come
from its manifest, said to be document information, with no clause cited; a 文号 in a question
names the document to search."""

from __future__ import annotations

import pytest

from core import Assistant
from core.requests import AskRequest
from core.rows import DocumentInfo
from qa.document_facts import asked_facts, document_facts_text, named_by_number, named_by_title

PLAN = DocumentInfo("gansu-2022-46", "关于推动生活性服务业补短板上水平提高人民生活品质行动方案（2022—2025年）",
                    True, 35, "甘政办发〔2022〕46号", ("甘肃省人民政府办公厅",), "2022-04-15")
LAW = DocumentInfo("体育法-2022-06-24", "中华人民共和国体育法", False, 120, "", (), "2022-06-24")


@pytest.mark.parametrize("question, facts", [
    ("方案的文号是什么？", ["number"]),
    ("这个方案是哪个部门印发的？", ["issuer"]),
    ("这份文件的发文机关是谁", ["issuer"]),
    ("这个方案什么时候印发的？", ["date"]),
    ("行动方案的实施期限是哪几年？", ["period"]),
    # the same words about money or a task, not about a document
    ("补贴什么时候发的？", []),
    ("哪个部门负责养老服务？", []),
    ("部队里执行计划生育的具体办法由谁制定？", []),
    ("到2025年托位数要达到多少", []),
    # a policy, a subsidy or a notice is what a document is about, not the document held
    ("家政企业的税收优惠政策有效期到什么时候？", []),
    ("配套政策何时出台", []),
    ("项目申报通知由哪个部门下发？", []),
    ("申请方法什么时候发布", []),
    # a number names the document
    ("甘政办发〔2022〕46号是哪个部门印发的？", ["issuer"]),
    # from when a law applies; a law named by its name is a document, 办法 or 依法 is none
    ("职业教育法什么时候开始施行", ["effective"]),
    ("全民健身条例何时生效", ["effective"]),
    ("体育法的施行日期", ["effective"]),
    ("具体办法什么时候出台", []),
    ("依法什么时候施行", []),
    # why a document was made and on what basis; not why a measure is taken
    ("甘肃为什么要出台这个生活性服务业方案？依据是什么？", ["purpose"]),
    ("领导让我给村民讲讲这个方案为啥要出台", ["purpose"]),
    ("职业教育法的立法目的是什么", ["purpose"]),
    ("托育补贴为什么停发了", []),
    ("这项补贴的依据是什么", []),
    ("方案里养老补贴的依据是什么", []),
    ("这个方案的依据是什么", ["purpose"]),
])
def test_which_document_facts_a_question_asks_for(question, facts):
    assert asked_facts(question) == facts


def test_facts_come_from_the_manifest_of_the_document_meant_and_missing_ones_are_said_missing():
    text = document_facts_text("行动方案是哪个部门印发的，文号多少？", [LAW, PLAN], ["体育法-2022-06-24"])
    assert "甘政办发〔2022〕46号" in text and "甘肃省人民政府办公厅" in text and "条款正文不写" in text
    # the period is read from the title as written
    assert "2022—2025年" in document_facts_text("方案的实施期限是哪几年", [PLAN], [])
    # a law's manifest records no 文号: said, not made up
    missing = document_facts_text("《体育法》的文号是多少", [PLAN, LAW], [])
    assert "没有记录" in missing and "中华人民共和国体育法" in missing
    assert document_facts_text("托育服务有什么支持", [PLAN], []) == ""


def test_a_number_in_a_question_names_its_document_however_the_brackets_are_typed():
    for written in ("甘政办发〔2022〕46号里有什么税收优惠", "甘政办发[2022]46号里有什么税收优惠",
                    "甘政办发（2022）46号里有什么税收优惠"):
        doc, rest = named_by_number(written, [LAW, PLAN])
        assert doc.doc_id == "gansu-2022-46" and rest == "里有什么税收优惠"
    assert named_by_number("甘政办发〔2023〕46号里有什么", [PLAN]) is None
    assert named_by_number("甘政办发〔2022〕461号里有什么", [PLAN]) is None  # another, longer number
    assert named_by_number("甘政办发 [2022] 46号里有什么", [PLAN])[1] == "里有什么"


EMPLOYMENT = DocumentInfo("就业促进法-2015-04-24", "中华人民共和国就业促进法", False, 69, "", (), "2015-04-24")
SMES = DocumentInfo("中小企业促进法-2017-09-01", "中华人民共和国中小企业促进法", False, 61, "", (), "2017-09-01")


@pytest.mark.parametrize("question, named, rest", [
    # a law's short title, or most of a plan's: the document to search, and what is asked
    ("体育法对学校体育课有什么要求", "体育法-2022-06-24", "对学校体育课有什么要求"),
    ("中小企业促进法现行这一版是从哪天开始施行的？", "中小企业促进法-2017-09-01", "现行这一版是从哪天开始施行的？"),
    ("甘肃省生活性服务业行动方案的目标是什么", "gansu-2022-46", "的目标是什么"),
    ("省市场监管局在生活性服务业行动方案中的职责分工是什么？", "gansu-2022-46", "省市场监管局在中的职责分工是什么？"),
    # no document, or not one: words every plan writes, another province's plan, two laws
    ("这份行动方案下发给了哪些单位？", None, None),
    ("陕西省有没有类似的生活性服务业行动方案？", None, None),
    ("就业促进法和中小企业促进法对创业有什么支持", None, None),
    ("生活性服务业企业有什么税收优惠", None, None),
])
def test_a_title_written_without_brackets_names_its_document(question, named, rest):
    found = named_by_title(question, [PLAN, LAW, EMPLOYMENT, SMES])
    assert (found and (found[0].doc_id, found[1])) == ((named, rest) if named else None)


def test_a_question_naming_the_plan_by_title_is_answered_from_what_it_asks(index_settings, plan_index):
    # the title's words (生活性服务业, 行动方案) match 五(二)'s 编制生活性服务业发展行动方案 better than
    # the plan's 主要目标
    answer = Assistant(index_settings, index=plan_index).ask(AskRequest("甘肃省生活性服务业行动方案的目标是什么"))
    assert not answer.abstained and answer.citations[0].path.startswith("二")


def test_the_answer_says_the_search_kept_to_the_document_the_question_names(plan_index):
    import qa

    answer = qa.answer("甘肃省生活性服务业行动方案的目标是什么", plan_index, documents=[PLAN, LAW])
    assert answer.notice == f"问题指明了《{PLAN.title}》，只在其中查找。"
    assert qa.answer("体育设施有什么规定", plan_index, documents=[PLAN, LAW]).notice == ""
    # with one document there is nowhere else to look: nothing to say
    assert qa.answer("甘肃省生活性服务业行动方案的目标是什么", plan_index, documents=[PLAN]).notice == ""


def test_asking_the_plans_number_is_answered_from_its_manifest_with_no_clause_cited(index_settings, plan_index):
    core = Assistant(index_settings, index=plan_index)
    answer = core.ask(AskRequest("方案的文号是什么？"))
    assert answer.abstained and not answer.citations and not answer.hits  # no clause is "related"
    assert "甘政办发〔2022〕46号" in answer.answer, answer.answer
    # the number names the document; the rest of the question is searched within it
    support = core.ask(AskRequest("甘政办发〔2022〕46号对家政服务有什么税收减免"))
    assert not support.abstained and support.citations
    assert all(c.doc_id == "gansu-2022-46" for c in support.citations)


def test_a_question_about_another_province_is_declined_only_when_every_document_is_a_provinces_own():
    from qa.document_facts import jurisdiction, other_region

    assert jurisdiction(PLAN) == "甘肃" and jurisdiction(LAW) is None
    never_mentioned = lambda place: False
    assert other_region("北京市的公积金提取政策是怎样的？", [PLAN], never_mentioned) == ("北京", ["甘肃"])
    assert other_region("深圳市的人才补贴有多少？", [PLAN], never_mentioned) == ("深圳", ["甘肃"])
    # the documents' own province and its cities are theirs
    assert other_region("甘肃省托育服务的目标是多少", [PLAN], never_mentioned) is None
    # a place the documents mention (the plan's 与上海、福建…对接) is something they say
    assert other_region("方案里和上海对接什么", [PLAN], lambda place: place == "上海") is None
    # a national law answers anywhere
    assert other_region("北京的老年人能享受哪些优待", [PLAN, LAW], never_mentioned) is None
    # places are whole words: 大连 is none in 扩大连锁, 合肥 none in 复合肥料, 长春 none in 延长春节
    for question in ("扩大连锁经营有什么支持政策", "复合肥料有补贴吗", "延长春节营业时间有补贴吗"):
        assert other_region(question, [PLAN], never_mentioned) is None, question
    # naming the covered province too is asking about it
    assert other_region("我在北京打工，回甘肃返乡创业有什么补贴？", [PLAN], never_mentioned) is None
    # a law (a title ending in 法) is national even when it names a province
    assert jurisdiction(DocumentInfo("hn", "海南自由贸易港法", False, 1)) is None


def test_asking_the_plan_alone_about_beijing_says_what_it_covers(index_settings, plan_index):
    answer = Assistant(index_settings, index=plan_index).ask(AskRequest("北京市的公积金提取政策是怎样的？"))
    assert answer.abstained and not answer.citations and not answer.hits
    assert "甘肃" in answer.answer and "北京" in answer.answer


def test_a_target_amount_reads_as_the_plan_writes_it():
    from corpus.targets import amount_text

    assert amount_text("以上", 60, "%") == "60%以上"
    assert amount_text("达到", 4.5, "个") == "达到4.5个"
    assert amount_text("比2020年增加以上", 10, "%") == "比2020年增加10%以上"


def test_a_plan_asked_when_it_takes_effect_is_answered_with_the_years_it_covers():
    text = document_facts_text("这个方案什么时候开始施行", [PLAN], [])
    assert "2022—2025年" in text and "实施期限" in text
    # a law the library does not hold is not the plan, even when the plan is all there is
    assert document_facts_text("职业教育法什么时候开始施行", [PLAN], []) == ""
    assert "中华人民共和国体育法" in document_facts_text("体育法是哪个部门发布的", [PLAN, LAW], [])
    # 本法 / 这部法 name no law: the only document is meant
    assert "中华人民共和国体育法" in document_facts_text("请问这部法是哪个部门发布的", [LAW], [])
    assert "中华人民共和国体育法" in document_facts_text("请问本法是哪个部门发布的", [LAW], [])


@pytest.fixture(scope="module")
def law_home(indexed_home):
    from tests.conftest import ELDERLY_LAW, POPULATION_LAW

    return indexed_home("laws", [ELDERLY_LAW, POPULATION_LAW], sentence_vectors=False)


def test_a_law_asked_when_it_takes_effect_cites_its_last_article(law_home):
    # the question's other words (是哪年) match no clause; the title becomes the filter and the
    # article that says 本法自…起施行 answers, cited
    answer = Assistant(law_home).ask(AskRequest("老年人权益保障法是哪年开始施行的"))
    assert not answer.abstained, answer.answer
    first = answer.citations[0]
    assert first.record_id.endswith("第九章/第八十五条") and first.quote == "本法自2013年7月1日起施行。"



def test_who_drafted_the_plan_is_cited_from_its_preamble(index_settings, plan_index):
    """The question names the plan by its title, so only the rest of it is searched and 前言 need
    not rank in the first three: it was answered from the manifest, no clause cited."""
    answer = Assistant(index_settings, index=plan_index).ask(
        AskRequest("甘肃这个生活性服务业补短板的行动方案，最早是省里哪个部门起草报上去的？"))
    assert not answer.abstained and answer.citations, answer.answer
    assert answer.citations[0].path == "前言" and "省发展改革委" in answer.citations[0].quote


def test_why_the_plan_was_made_is_cited_from_the_sentence_of_its_preamble_that_says_so(index_settings, plan_index):
    """Before, 依据 and 甘肃 matched 三(七)2 (甘肃中医药) and 四(二) (甘肃信易贷) and those were cited."""
    answer = Assistant(index_settings, index=plan_index).ask(
        AskRequest("甘肃为什么要出台这个生活性服务业方案？依据是什么？"))
    assert not answer.abstained and answer.citations, answer.answer
    assert [c.path for c in answer.citations] == ["前言"]
    assert "制定本方案" in answer.citations[0].quote and "根据国务院" in answer.citations[0].quote


def test_why_a_law_was_made_is_cited_from_its_first_article(law_home):
    answer = Assistant(law_home).ask(AskRequest("老年人权益保障法为什么要制定？"))
    assert not answer.abstained and answer.citations, answer.answer
    first = answer.citations[0]
    assert first.record_id.endswith("第一条") and "制定本法" in first.quote


@pytest.mark.parametrize("question, place", [
    ("四川对家政服务企业有没有免房租的扶持？", "四川"),
    ("青海省有没有出台类似的托育补贴政策？", "青海"),
    ("宁夏的养老护理员岗位补贴一个月给多少？", "宁夏"),
    # where the asker is or goes is no region asked about: a national law answers anywhere
    ("我在上海住院，用的是甘肃老家的医保，能直接在医院结账吗？", None),
    ("跟团去云南，被拉进玉石店不买不让走，回来还能退货吗？", None),
    ("我是甘肅戶口，媳婦是新疆戶口，兩邊對再要孩子的規定不一樣，到底按哪邊的來？", None),
])
def test_another_regions_own_policy_asked(question, place):
    from qa.document_facts import region_policy_asked

    assert region_policy_asked(question, lambda p: p in ("甘肃", "兰州")) == place


def test_a_region_a_record_mentions_is_not_another_region():
    from qa.document_facts import region_policy_asked

    # the plan names 上海 (劳务对接): its clauses may answer what is asked of it
    assert region_policy_asked("上海市对持证上岗的家政服务员有多少补贴？", lambda p: p == "上海") is None
