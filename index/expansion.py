"""Everyday words → the words policy documents use (``corpus/data/everyday.tsv``).

A question asks 健身房办的年卡，老板卷钱跑了 where the plan writes 预付消费“跑路坑民”; the
e5 vectors do not bridge that and BM25 cannot. Three places read the lexicon:

* the first stage's BM25 also searches the policy words of every rule whose everyday word the
  question uses, as if the question had written them (``POLICYQA_EXPAND_QUERIES=0`` turns this
  off);
* the second stage's feature ``everyday_clause`` says how many of those rules a clause writes in
  policy words (its weights were learned with it, so it does not follow the setting);
* a support question's topic word that no record writes is stated by its policy words
  (:func:`qa.support.topic_forms`: 生二胎 → 生育).

Coverage, evidence and the quoted sentences read the question as written.

>>> expansion("我爸妈不会用智能手机")
('老年人', '养老', '智能化', '数字化')
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from corpus.config import DATA_DIR
from corpus.errors import PolicyError
from corpus.normalize import normalize_text

LEXICON_PATH = DATA_DIR / "everyday.tsv"
Rule = tuple[tuple[str, ...], tuple[str, ...]]


@lru_cache(maxsize=4)
def load_rules(path: str = str(LEXICON_PATH)) -> tuple[Rule, ...]:
    """The lexicon's rules: (everyday words, policy words) per line; ``#`` lines are comments.
    Words are normalized like questions (Traditional → Simplified). Read once per process: an
    edited lexicon takes effect after a restart (and changes what the second stage was trained on)."""
    rules = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip() or line.strip().startswith("#"):
            continue
        everyday, sep, policy = line.strip(" \r").partition("\t")
        if not sep or not everyday.split() or not policy.split():
            raise PolicyError("bad_lexicon", f"{path}:{number}: 不是“日常说法<TAB>政策用语”的一行：{line!r}",
                              "每行写日常说法（空格分隔）、一个制表符、政策用语（空格分隔）")
        rules.append((tuple(normalize_text(w) for w in everyday.split()),
                      tuple(normalize_text(w) for w in policy.split())))
    return tuple(rules)


@lru_cache(maxsize=512)
def _boundaries(text: str) -> tuple[frozenset[int], frozenset[int]]:
    """Where jieba's words of ``text`` start and end."""
    from corpus.tokenize import tokenizer

    spans = list(tokenizer().tokenize(text))
    return frozenset(s for _, s, _ in spans), frozenset(e for _, _, e in spans)


def uses(text: str, word: str) -> bool:
    """``text`` uses ``word`` as whole words of its own: an occurrence that starts and ends where
    jieba's words do (税 in 要交多少税 but not in 税务局; 运动 not in 运动员; 卷钱 in 老板卷钱跑了
    even when jieba cuts it 卷 + 钱)."""
    starts, ends = _boundaries(text)
    i = text.find(word)
    while i >= 0:
        if i in starts and i + len(word) in ends:
            return True
        i = text.find(word, i + 1)
    return False


def matched_rules(text: str, rules: Sequence[Rule] | None = None) -> list[tuple[str, ...]]:
    """The policy words of each rule whose everyday word ``text`` uses (:func:`uses`), in rule order."""
    return list(_matched(text, load_rules() if rules is None else tuple(rules)))


@lru_cache(maxsize=512)
def _matched(text: str, rules: tuple[Rule, ...]) -> tuple[tuple[str, ...], ...]:
    # a question is matched twice (its search, then the second stage's feature); a plain
    # substring test first keeps jieba's word boundaries to the few words the text contains
    return tuple(policy for everyday, policy in rules if any(word in text and uses(text, word) for word in everyday))


def expansion(text: str, rules: Sequence[Rule] | None = None) -> tuple[str, ...]:
    """The policy words to search besides ``text``'s own: those of :func:`matched_rules`
    that ``text`` does not already contain, each once."""
    added: list[str] = []
    for policy in matched_rules(text, rules):
        added += [word for word in policy if word not in text and word not in added]
    return tuple(added)
