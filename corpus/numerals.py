"""Numbers as laws write them: 十六周岁, 百分之三十, 六个月. Users type digits (16周岁, 30%, 6个月);
a clause writes the number a question asks with when it writes it either way."""

from __future__ import annotations

import re

_DIGITS = "零一二三四五六七八九"
_SMALL_UNITS = ("", "十", "百", "千")
#: Integers this module spells; larger ones (and decimals) are matched as digits only.
LARGEST = 99_999_999


def _below_ten_thousand(n: int) -> str:
    out, zero = [], False
    for power in (3, 2, 1, 0):
        digit = n // 10**power % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[digit] + _SMALL_UNITS[power])
    return "".join(out)


def chinese_numeral(n: int) -> str:
    """``n`` in the Chinese numerals of legal text: 16 → 十六, 105 → 一百零五, 2500 → 二千五百,
    30000 → 三万. Raises ValueError outside 0 … :data:`LARGEST`."""
    if not 0 <= n <= LARGEST:
        raise ValueError(f"{n} is outside 0 … {LARGEST}; only those are spelled in Chinese numerals")
    if n == 0:
        return "零"
    high, low = divmod(n, 10_000)
    text = (_below_ten_thousand(high) + "万") if high else ""
    if low:
        if high and low < 1000:
            text += "零"
        text += _below_ten_thousand(low)
    # 一十六 is written 十六 when it leads the number
    return text[1:] if text.startswith("一十") else text


_INTEGER_RE = re.compile(r"\d+")


def writes_number(text: str, number: str) -> bool:
    """Whether ``text`` writes ``number`` (as typed: ``16``, ``2025``, ``1.5``) — in digits, or,
    for an integer, in Chinese numerals (16 → 十六周岁)."""
    if number in text:
        return True
    if not _INTEGER_RE.fullmatch(number) or int(number) > LARGEST:
        return False
    return chinese_numeral(int(number)) in text
