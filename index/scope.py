"""Question-level out-of-scope probability: does this question look like one no policy text answers?

The second stage (:mod:`index.rerank`) judges a question and one clause; some questions that no
document answers still find a clause that shares their topic (`社区食堂消防验收要什么材料`,
`城市书房验收标准是什么`) and get a confident probability. What gives them away is the question
itself: it asks for an amount, a form, a contact, a place's local detail or another province's
plan. ``ScopeModel`` is a logistic regression over the question's e5 vector (already computed
for the dense search, so it costs no encoding) and its character 1–3-grams (TF-IDF), trained on
the labelled dev questions, in-scope and out-of-scope (``python -m eval.train_scope``; weights in
``index/data/scope.json``, plain JSON). ``qa.answer.abstains`` uses it only where the second
stage is not sure (``p`` below a guard), so a question on a document the model never saw is
not refused for its wording alone (eval/report-scope.md measures that case).

Inference is NumPy: ``sigmoid([vector, w · tfidf(text)] · coef + intercept)``.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "scope.json"
#: The domain gate: the same model kind, trained to tell a question about public policy, law or
#: government services (whatever documents are loaded) from one that is not (weather, chit-chat,
#: recipes); ``python -m eval.train_domain``.
DOMAIN_PATH = Path(__file__).resolve().parent / "data" / "domain.json"
#: One model per document whose own questions were labelled — P(a question is not about that
#: document), named ``<doc_id>.json`` (the shipped plan: ``python -m eval.train_document_scope``).
DOCUMENT_SCOPE_DIR = Path(__file__).resolve().parent / "data" / "document-scope"
NGRAM_RANGE = (1, 3)
_SPACES = re.compile(r"\s+")


def char_ngrams(text: str, low: int = NGRAM_RANGE[0], high: int = NGRAM_RANGE[1]) -> Counter:
    """Character n-grams of ``text`` (lower-cased, runs of white space as one space) with counts."""
    text = _SPACES.sub(" ", text.lower())
    return Counter(text[i:i + n] for n in range(low, high + 1) for i in range(len(text) - n + 1))


def fit_vocabulary(texts: Sequence[str], min_df: int = 2) -> tuple[dict[str, int], np.ndarray]:
    """The n-grams in ≥ ``min_df`` texts (column order: sorted) and their smoothed idf,
    ``ln((1 + n) / (1 + df)) + 1``."""
    df: Counter = Counter()
    for text in texts:
        df.update(set(char_ngrams(text)))
    grams = sorted(g for g, c in df.items() if c >= min_df)
    idf = np.array([math.log((1 + len(texts)) / (1 + df[g])) + 1.0 for g in grams], np.float64)
    return {g: i for i, g in enumerate(grams)}, idf


def tfidf(texts: Sequence[str], vocabulary: dict[str, int], idf: np.ndarray) -> np.ndarray:
    """(len(texts), len(vocabulary)) rows of sublinear tf (1 + ln tf) × idf, L2-normalized."""
    out = np.zeros((len(texts), len(vocabulary)), np.float64)
    for row, text in enumerate(texts):
        for gram, count in char_ngrams(text).items():
            col = vocabulary.get(gram)
            if col is not None:
                out[row, col] = (1.0 + math.log(count)) * idf[col]
        norm = np.linalg.norm(out[row])
        if norm > 0:
            out[row] /= norm
    return out


def design(texts: Sequence[str], vectors: np.ndarray, vocabulary: dict[str, int], idf: np.ndarray,
           ngram_weight: float) -> np.ndarray:
    """The model's input rows: the e5 vector, then ``ngram_weight`` × the n-gram TF-IDF."""
    return np.hstack([np.asarray(vectors, np.float64).reshape(len(texts), -1),
                      ngram_weight * tfidf(texts, vocabulary, idf)])


@dataclass
class ScopeModel:
    """P(out of scope | question) from the question's e5 vector and character n-grams."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # vector dims first, then one per n-gram
    intercept: float
    ngram_weight: float
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.idf = np.asarray(self.idf, np.float64)
        self.coef = np.asarray(self.coef, np.float64)
        if len(self.idf) != len(self.vocabulary) or len(self.coef) <= len(self.idf):
            raise ValueError("scope weights: vocabulary, idf and coef do not fit together")
        if not (np.all(np.isfinite(self.coef)) and np.all(np.isfinite(self.idf)) and math.isfinite(self.intercept)):
            raise ValueError("scope weights are not finite; run `python -m eval.train_scope`")

    @property
    def dim(self) -> int:
        """Length of the question vectors the model was trained on."""
        return len(self.coef) - len(self.idf)

    def probabilities(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        x = design(texts, vectors, self.vocabulary, self.idf, self.ngram_weight)
        return 1.0 / (1.0 + np.exp(-np.clip(x @ self.coef + self.intercept, -40.0, 40.0)))

    def probability(self, text: str, vector: np.ndarray | None) -> float | None:
        """P(out of scope) for one question; None without a vector of the trained length
        (a BM25-only search, or an index built with another model)."""
        if vector is None or len(vector) != self.dim:
            return None
        return float(self.probabilities([text], np.asarray(vector)[None, :])[0])

    def to_dict(self) -> dict:
        grams = sorted(self.vocabulary, key=self.vocabulary.get)
        return {"format": "policyqa-scope/1", "ngram_range": list(NGRAM_RANGE), "ngram_weight": self.ngram_weight,
                "ngrams": grams, "idf": [round(float(v), 6) for v in self.idf],
                "coef": [round(float(v), 6) for v in self.coef], "intercept": round(float(self.intercept), 6),
                "meta": self.meta}

    @classmethod
    def from_dict(cls, data: dict) -> ScopeModel:
        if data.get("format") != "policyqa-scope/1" or tuple(data.get("ngram_range", ())) != NGRAM_RANGE:
            raise ValueError("not a policyqa scope model (format policyqa-scope/1, n-grams 1–3)")
        return cls({g: i for i, g in enumerate(data["ngrams"])}, data["idf"], data["coef"],
                   float(data["intercept"]), float(data["ngram_weight"]), data.get("meta", {}))

    def save(self, path: Path = DEFAULT_PATH) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n",
                        encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> ScopeModel:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


_LOADED: dict[Path, ScopeModel] = {}
_LOCK = threading.Lock()


def default_model(path: Path) -> ScopeModel:
    """The shipped model at ``path``, loaded once (one per weights file)."""
    with _LOCK:
        if path not in _LOADED:
            _LOADED[path] = ScopeModel.load(path)
        return _LOADED[path]


def default_scope_model() -> ScopeModel:
    """The shipped out-of-scope model (``index/data/scope.json``)."""
    return default_model(DEFAULT_PATH)


def default_domain_model() -> ScopeModel:
    """The shipped domain gate (``index/data/domain.json``): P(not a policy question at all)."""
    return default_model(DOMAIN_PATH)


def document_scope_model(doc_id: str) -> ScopeModel | None:
    """The scope model of document ``doc_id``, if it has one (:data:`DOCUMENT_SCOPE_DIR`)."""
    path = DOCUMENT_SCOPE_DIR / f"{doc_id}.json"
    if path.parent != DOCUMENT_SCOPE_DIR or not path.is_file():
        return None  # a doc_id with a path separator names no model
    return default_model(path)
