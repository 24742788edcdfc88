"""corpus.numerals: numbers as laws spell them, so that 16周岁 typed finds 十六周岁 written."""

from __future__ import annotations

import pytest

from corpus.numerals import LARGEST, chinese_numeral, writes_number


@pytest.mark.parametrize("n, spelled", [(7, "七"), (10, "十"), (16, "十六"), (60, "六十"), (105, "一百零五"),
                                        (116, "一百一十六"), (1005, "一千零五"), (2500, "二千五百"),
                                        (30000, "三万"), (100000, "十万"), (120000, "十二万"), (10005, "一万零五")])
def test_chinese_numerals_as_legal_text_writes_them(n, spelled):
    assert chinese_numeral(n) == spelled


def test_numbers_beyond_the_spelled_range_are_refused_with_the_range():
    with pytest.raises(ValueError, match="outside"):
        chinese_numeral(LARGEST + 1)


def test_a_text_writes_a_number_in_digits_or_in_words():
    assert writes_number("不得为未满十六周岁的未成年人提供", "16")
    assert writes_number("托位数达到4.5个", "4.5")
    assert writes_number("以每人五百元以上二千元以下的标准处以罚款", "500")
    assert not writes_number("未满八周岁", "7")
    assert not writes_number("十六周岁", "1.6")  # a decimal is matched as typed
