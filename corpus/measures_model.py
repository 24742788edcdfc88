"""The learned half of support-measure extraction: ``corpus/data/measures_model.json``, two
logistic regressions over character 1–2-grams of a sentence unit (TF-IDF, sublinear term
frequency, L2-normalized, as scikit-learn's ``TfidfVectorizer``), trained on the gold's dev
split by ``python -m eval.train_measures``:

* ``support`` — the probability that the unit grants or promises support;
* ``kind`` — which kind, used when the lexicon has no trigger in the unit to name it.

Why both: the lexicon's triggers name kinds and anchor spans precisely on documents it was
written on, but on a law of a field it has not seen it misses measures phrased without its
words and fires on sentences that only mention support; the character model carries better
(every blind round, ``eval/measures/README.md``). Scoring is plain Python over the JSON
weights — no scikit-learn, no pickle — so a corpus build needs nothing else.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from corpus.config import DATA_DIR

MODEL_PATH = DATA_DIR / "measures_model.json"
FORMAT = "policyqa-measures-model/1"


def char_ngrams(text: str, lengths: tuple[int, ...] = (1, 2)) -> Counter:
    """Character n-grams of ``text`` (as ``TfidfVectorizer(analyzer="char")``, which does not
    lowercase CJK and keeps punctuation and spaces)."""
    grams: Counter = Counter()
    for n in lengths:
        grams.update(text[i : i + n] for i in range(len(text) - n + 1))
    return grams


@dataclass(frozen=True)
class TfidfLogit:
    """One linear model over TF-IDF character n-grams: ``idf`` by n-gram, ``coef`` one row per
    class (a binary model has one row, the positive class's), ``intercept`` per row."""

    lengths: tuple[int, ...]
    idf: dict[str, float]
    classes: tuple[str, ...]
    coef: dict[str, tuple[float, ...]]
    intercept: tuple[float, ...]

    def scores(self, text: str) -> list[float]:
        weights = {g: (1.0 + math.log(tf)) * self.idf[g]
                   for g, tf in char_ngrams(text, self.lengths).items() if g in self.idf}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        out = list(self.intercept)
        for g, w in weights.items():
            row = self.coef.get(g)
            if row:
                for i, c in enumerate(row):
                    out[i] += c * w / norm
        return out

    @classmethod
    def from_dict(cls, data: dict) -> TfidfLogit:
        coef = {g: tuple(row) if isinstance(row, list) else (row,) for g, row in data["coef"].items()}
        intercept = data["intercept"]
        return cls(tuple(data["lengths"]), data["idf"], tuple(data["classes"]), coef,
                   tuple(intercept) if isinstance(intercept, list) else (intercept,))


@dataclass(frozen=True)
class MeasuresModel:
    support: TfidfLogit
    kind: TfidfLogit
    #: A unit no veto rules out is a measure at ``p >= threshold``, or at ``p >= floor`` when
    #: the lexicon finds a measure in it too (both chosen on a held-out round).
    threshold: float
    floor: float

    def support_probability(self, text: str) -> float:
        z = self.support.scores(text)[0]
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    def kind_of(self, text: str) -> str:
        scores = self.kind.scores(text)
        return self.kind.classes[max(range(len(scores)), key=scores.__getitem__)]


def load_model(path: Path = MODEL_PATH) -> MeasuresModel:
    """Read ``measures_model.json``; a file of another format says how to make it again."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} file — rebuild it with `python -m eval.train_measures`")
    return MeasuresModel(TfidfLogit.from_dict(data["support"]), TfidfLogit.from_dict(data["kind"]),
                         float(data["threshold"]), float(data["floor"]))


@lru_cache(maxsize=1)
def model() -> MeasuresModel:
    """The shipped model, read once."""
    return load_model()
