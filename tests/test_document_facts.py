"""Questions about a document itself (README, "Answers"): its 文号, issuer, date and period come
from its manifest, said to be document information, with no clause cited; a 文号 in a question
names the document to search."""

from __future__ import annotations

import pytest

from core import Assistant
from core.requests import AskRequest
from core.rows import DocumentInfo
from qa.document_facts import asked_facts, document_facts_text, named_by_number

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
