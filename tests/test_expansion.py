"""Everyday words searched as the policy words the documents use (corpus/data/everyday.tsv)."""

from __future__ import annotations

import pytest

from corpus.config import Settings
from corpus.errors import PolicyError
from corpus.tokenize import tokenize_for_search
from index.expansion import expansion, load_rules
from index.query import Query
from qa import make_query


def test_everyday_words_add_the_policy_words_the_plan_uses():
    query = Query.parse("健身房办的年卡，老板卷钱跑了，政府管不管？")
    assert {"预付消费", "跑路", "监管"} <= set(query.expansion)
    assert set(tokenize_for_search("预付消费")) <= set(query.search_tokens)
    # what the second stage, coverage and evidence read is the question as written
    assert "预付消费" not in query.tokens and "预付消费" not in query.text


def test_a_policy_word_the_question_already_writes_is_not_added_again():
    assert "老年人" not in Query.parse("老年人和爸妈有什么区别").expansion
    assert "养老" in Query.parse("老年人和爸妈有什么区别").expansion


def test_an_everyday_word_must_be_whole_words_of_the_question():
    assert "税收优惠" in Query.parse("开店要交多少税").expansion
    assert "税收优惠" not in Query.parse("税务局在哪里").expansion
    # 运动 inside 运动员, 健身 inside 健身房 and the particle 地 of 有效地 are none of the rules' words
    assert "全民健身" not in Query.parse("运动员退役后怎么安置").expansion
    assert "全民健身" not in Query.parse("健身房办的年卡能退吗").expansion
    assert Query.parse("怎样有效地推进养老服务发展").expansion == ()
    # a word jieba cuts in two is still used whole (卷 + 钱)
    assert "预付消费" in Query.parse("老板卷钱跑了").expansion


def test_expansion_can_be_switched_off_in_the_settings():
    assert make_query("我爸妈不会用智能手机", Settings(expand_queries=True)).expansion
    off = make_query("我爸妈不会用智能手机", Settings(expand_queries=False))
    assert off.expansion == () and off.search_tokens == off.tokens


def test_every_rule_of_the_shipped_lexicon_adds_a_word_it_does_not_start_from():
    rules = load_rules()
    assert len(rules) >= 50
    for everyday, policy in rules:
        assert set(policy) - set(everyday), (everyday, policy)


def test_a_malformed_lexicon_line_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "everyday.tsv"
    path.write_text("# comment\n保姆\t家政服务\n没有制表符的一行\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_rules(str(path))
    assert f"{path}:3" in caught.value.message and caught.value.fix


def test_rules_read_from_a_file_apply_as_written(tmp_path):
    path = tmp_path / "everyday.tsv"
    path.write_text("喵星人\t猫\n", encoding="utf-8")
    assert expansion("家里的喵星人", load_rules(str(path))) == ("猫",)


def test_the_lexicon_is_read_like_questions(tmp_path):
    """A byte-order mark, an indented comment and Traditional script are what an editor may leave."""
    path = tmp_path / "everyday.tsv"
    path.write_text("\ufeff保姆\t家政服务\n  # an indented comment\n託兒所\t托育\n", encoding="utf-8")
    rules = load_rules(str(path))
    assert rules == ((("保姆",), ("家政服务",)), (("托儿所",), ("托育",)))
    assert expansion("找个保姆", rules) == ("家政服务",)


@pytest.mark.parametrize("question, path", [
    ("健身房办的年卡，老板卷钱跑了，政府管不管？", "三(七)4"),
    ("被大平台逼着“二选一”，找谁说理？", "三(七)4"),
])
def test_bm25_finds_the_clause_an_everyday_question_means(plan_index, question, path):
    def rank(expand: bool) -> int:
        paths = [h.record.path for h in plan_index.search(Query.parse(question, expand=expand), k=35, mode="bm25")]
        return paths.index(path) + 1 if path in paths else 99

    assert rank(True) == 1 and rank(False) > 1
