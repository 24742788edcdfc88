"""Questions about a document's structure (README, "Answers"): the clauses of the part a
question names, in the document's order, each citing its title sentence; the parts of a whole
document; and no such answer for questions that only contain a part's name."""

from __future__ import annotations

import pytest

import qa
from qa.outline import WHOLE_ASKED_RE, part_asked, parts


def test_a_named_part_lists_its_clauses_in_order_each_cited(plan_index):
    answer = qa.answer("保障措施有哪些？", plan_index)
    assert not answer.abstained
    assert [c.path for c in answer.citations] == ["四(一)", "四(二)", "四(三)", "四(四)"]
    # each line quotes the clause's own title sentence
    assert answer.citations[0].quote.startswith("加强财税和投资支持")


@pytest.mark.parametrize("question, first, count", [
    ("方案的重点任务有哪些", "三(一)1", 22),
    ("营商环境优化行动包括哪些内容", "三(七)1", 4),
    ("组织实施方面有哪些要求", "五(一)", 4),
    ("行动目标是什么", "二¶1", 2),
])
def test_parts_named_as_people_ask(plan_index, question, first, count):
    clauses = part_asked(question, parts(plan_index.records))
    assert len(clauses) == count and clauses[0].path == first


@pytest.mark.parametrize("question", [
    "小微企业贷款有哪些政策支持",          # a heading's words at the end, asking for nothing in it
    "有哪些支持措施",                      # support, not 强化保障措施
    "网络个人求助和慈善募捐有什么区别",     # compares
    "谁牵头推动社区基础服务设施达标？",
    "养老服务方面的重点任务有哪些",       # the tasks about 养老, not all 22
])
def test_questions_that_only_contain_a_parts_words_are_no_structure_question(plan_index, question):
    assert part_asked(question, parts(plan_index.records)) == []


def test_a_whole_document_is_answered_with_its_parts(plan_index):
    assert WHOLE_ASKED_RE.search("这个方案主要讲了什么")
    answer = qa.answer("这个方案有哪几部分？", plan_index)
    assert not answer.abstained and len(answer.citations) == 5
    assert answer.answer.splitlines()[2].startswith("重点任务：三(一)1")
    assert "等 22 条" in answer.answer
