"""Everyday words → the words policy documents use (``corpus/data/everyday.tsv``).

A question asks 健身房办的年卡，老板卷钱跑了 where the plan writes 预付消费“跑路坑民”; the
e5 vectors do not bridge that and BM25 cannot. The first stage's BM25 therefore also
searches the policy words of every rule whose everyday word the question contains, as if the
question had written them too. Nothing else reads them: the second
stage, coverage, evidence and the answer see the question as written, so an expansion can
bring a clause into the candidates but never make a clause look like it answers.

>>> expansion("我爸妈不会用智能手机", ("我", "爸妈", "不会", "用", "智能手机"))
('老年人', '养老', '智能技术', '数字化')
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from corpus.config import DATA_DIR
from corpus.errors import PolicyError

LEXICON_PATH = DATA_DIR / "everyday.tsv"
Rule = tuple[tuple[str, ...], tuple[str, ...]]


@lru_cache(maxsize=4)
def load_rules(path: str = str(LEXICON_PATH)) -> tuple[Rule, ...]:
    """The lexicon's rules: (everyday words, policy words) per line; ``#`` lines are comments."""
    rules = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        everyday, sep, policy = line.partition("\t")
        if not sep or not everyday.split() or not policy.split():
            raise PolicyError("bad_lexicon", f"{path}:{number}: 不是“日常说法<TAB>政策用语”的一行：{line!r}",
                              "每行写日常说法（空格分隔）、一个制表符、政策用语（空格分隔）")
        rules.append((tuple(everyday.split()), tuple(policy.split())))
    return tuple(rules)


def matched_rules(text: str, tokens: Sequence[str], rules: Sequence[Rule] | None = None) -> list[tuple[str, ...]]:
    """The policy words of each rule whose everyday word ``text`` uses, in rule order.

    A one-character everyday word must be one of ``tokens`` (税 in 要交多少税, not in 税务局 —
    jieba decides); a longer one matches anywhere in ``text``.
    """
    whole = set(tokens)
    return [policy for everyday, policy in (load_rules() if rules is None else rules)
            if any(word in whole if len(word) == 1 else word in text for word in everyday)]


def expansion(text: str, tokens: Sequence[str], rules: Sequence[Rule] | None = None) -> tuple[str, ...]:
    """The policy words to search besides ``text``'s own: those of :func:`matched_rules`
    that ``text`` does not already contain, each once."""
    added: list[str] = []
    for policy in matched_rules(text, tokens, rules):
        added += [word for word in policy if word not in text and word not in added]
    return tuple(added)
