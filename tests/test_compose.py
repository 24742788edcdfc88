"""qa.compose: which sentence of a clause an answer quotes. A clause's first sentence is
often its own title (``开展生活服务促消费活动。`` opens 三(六)5); quoted alone it says
nothing, so the quote is the clause's next-best sentence — verbatim, as every quote is —
unless the title is all the clause has.

On the shipped plan's records (``plan_records``: a corpus build, no index or model).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from corpus.records import Sentence
from index.hits import Hit
from index.sparse import SparseIndex
from qa.citations import verify
from qa.compose import (
    Composer,
    answer_department,
    answer_general,
    answer_lookup,
    figure_for_other_sectors,
    is_heading,
    quotable,
)


class Records:
    """The part of a HybridIndex the composer asks: a record by id, and BM25 over the records
    (whose IDF weighs the question's words when a sentence is chosen)."""

    def __init__(self, *records):
        self.by_id = {r.id: r for r in records}
        self.sparse = SparseIndex.build([r.text for r in records])

    def record(self, record_id):
        return self.by_id.get(record_id)


def hit(record, evidence, rank=1, lookup=False) -> Hit:
    return Hit(rank=rank, record=record, score=1.0, bm25=None, dense=None, evidence=list(evidence), lookup=lookup)


def composed(records, fn, *args) -> Composer:
    composer = Composer(Records(*records))
    fn(*args, composer)
    for citation in composer.citations:  # the project's rule: a verbatim quote at its offsets
        assert verify(citation, composer.index.record(citation.record_id)), citation
    return composer


@pytest.fixture(scope="module")
def consumption(plan_records):
    record = plan_records["三(六)5"]
    assert record.sentences[0].text == "开展生活服务促消费活动。" and record.title == "开展生活服务促消费活动"
    return record


def test_a_sentence_repeating_the_title_or_a_heading_is_a_heading(consumption):
    first, second = consumption.sentences[:2]
    assert is_heading(consumption, first) and not is_heading(consumption, second)
    heading = Sentence(0, 9, consumption.headings[-1] + "：")  # 生活服务消费促进行动 (its part), punctuation aside
    assert is_heading(consumption, heading)


def test_general_answer_quotes_a_sentence_that_says_something_not_the_title(consumption):
    """The title shares the most words with 促消费活动有哪些; the next evidence sentence is quoted."""
    heading, measure = consumption.sentences[0], consumption.sentences[1]
    composer = composed([consumption], answer_general, "促消费活动有哪些", [hit(consumption, [heading, measure])])
    assert [c.quote for c in composer.citations] == [measure.text]
    assert composer.text() == f"三(六)5 开展生活服务促消费活动：{measure.text}〔1〕"


def test_when_the_evidence_is_only_the_title_the_clause_s_best_other_sentence_is_quoted(consumption):
    composer = composed([consumption], answer_general, "促消费活动有哪些发放电子消费券",
                        [hit(consumption, consumption.sentences[:1])])
    [citation] = composer.citations
    assert citation.quote == "支持商贸、餐饮等企业开展折扣优惠活动，发放电子消费券。"
    assert not is_heading(consumption, Sentence(citation.start, citation.end, citation.quote))


def test_a_clause_that_is_only_its_title_is_still_quoted(consumption):
    first = consumption.sentences[0]
    only_title = replace(consumption, id=consumption.id + "-short", text=first.text, sentences=[first])
    composer = composed([only_title], answer_general, "促消费活动有哪些", [hit(only_title, [first])])
    assert [c.quote for c in composer.citations] == ["开展生活服务促消费活动。"]


def test_every_general_answer_on_the_plan_quotes_more_than_a_title(plan_records):
    """Each record whose first sentence is its title, asked about in its title's words."""
    titled = [r for r in plan_records.values() if len(r.sentences) > 1 and is_heading(r, r.sentences[0])]
    assert len(titled) > 20
    for record in titled:
        composer = composed([record], answer_general, record.title, [hit(record, record.sentences[:2])])
        [citation] = composer.citations
        assert citation.quote != record.sentences[0].text, record.path


def test_quotable_keeps_order_and_falls_back_to_all_sentences(consumption):
    heading, *rest = consumption.sentences
    assert quotable(consumption, [heading, rest[2], rest[0]]) == [rest[2], rest[0]]
    assert quotable(consumption, [heading]) == rest
    assert quotable(consumption, []) == rest


def test_department_fallback_and_long_lookups_skip_the_title_too(consumption):
    """Without departments (none in hits[:3]) the top clause is quoted; a long clause named
    with others is quoted by its first sentence: neither is the bare title."""
    bare = replace(consumption, departments=type(consumption.departments)())
    composer = composed([bare], lambda hits, c: answer_department(None, hits, c),
                        [hit(bare, consumption.sentences[:2])])
    assert composer.citations[0].quote == consumption.sentences[1].text
    assert len(consumption.text) <= 400  # made long by repeating its last sentence
    last = consumption.sentences[-1]
    long = replace(consumption, id=consumption.id + "-long", text=consumption.text + last.text * 3)
    other = replace(consumption, id=consumption.id + "-other")
    composer = composed([long, other], lambda hits, c: answer_lookup(None, hits, c),
                        [hit(long, [], lookup=True), hit(other, [], rank=2, lookup=True)])
    assert composer.citations[0].quote == consumption.sentences[1].text


# 二¶2 as the plan writes it: 托育 figures in one sentence, 体育 areas in another
TARGETS_BY_SECTOR = ("到2025年，配套托育服务设施覆盖所有新建住宅小区，社区托育服务机构覆盖率达到50%以上，"
                     "每千人口拥有3岁以下婴幼儿托位数达到4.5个。人均体育场地面积达到2.5平方米，新建城区、居住（小）区"
                     "按室内人均建筑面积不低于0.1平方米的标准配建公共体育设施。")


def test_a_figure_asked_for_one_sector_is_not_stated_by_another_sectors_figures():
    gap = figure_for_other_sectors("新建小区配建托育设施的建筑面积标准是多少", [TARGETS_BY_SECTOR])
    assert gap is not None and gap.label == "托育方面的具体面积"
    # the sector's own figures answer what they measure; the other sector's area answers for it
    assert figure_for_other_sectors("每千人口托位数到2025年要达到多少", [TARGETS_BY_SECTOR]) is None
    assert figure_for_other_sectors("新建小区配建体育设施的建筑面积标准是多少", [TARGETS_BY_SECTOR]) is None
    # a question naming no sector, or texts with no figure: nothing to say
    assert figure_for_other_sectors("新建小区配建设施的建筑面积标准是多少", [TARGETS_BY_SECTOR]) is None
    assert figure_for_other_sectors("托育机构的面积标准是多少", ["支持社会力量发展普惠托育服务。"]) is None


def test_a_figure_in_ten_thousands_is_a_figure():
    clause = ["力争到2025年，生活性服务业相关专业本科在校生规模比2020年增加0.5万人。"]
    assert figure_for_other_sectors("2025年生活性服务业相关本科专业在校学生比2020年多出多少？", clause) is None
