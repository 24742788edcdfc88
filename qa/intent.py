"""What a question asks: its intent and the departments it names.

Intents:

* ``lookup`` — names a clause by number (``三(五)1``, ``四（三）``, ``第三部分第二节第一条``,
  ``第十二条``); decided by rule (the reference regexes of :mod:`index.hybrid`), since a
  clause number is unambiguous;
* ``dept_tasks`` — names a department and asks what it does, leads or takes part in
  (卫健委负责哪些任务 / 住建厅主抓哪几件事 / 省人社厅在方案里要干哪些活);
* ``department`` — asks who is responsible (哪个部门负责托育 / 谁牵头 / 民政厅是不是牵头单位);
* ``target`` — asks for a number or a date (托位数要达到多少 / 覆盖率目标 / 哪一年起施行);
* ``support`` — asks about support measures (补贴 / 税收优惠 / 贷款 / 用地 / 能不能享受);
* ``general`` — anything else (how / why / what is, rights and duties, lawfulness).

Everything but ``lookup`` is decided by a multinomial logistic regression over

* character 1–3-grams of the question with its slots masked (a department mention
  becomes ``@``, a digit run ``0``, a clause number ``§``, so 民政厅牵头 and 卫健委牵头
  share the n-gram ``@牵头``);
* slot features: department mentioned (where, how often, with a role word after it),
  role words (牵头/负责/主抓/分管…), question words (哪些/什么 · 谁/哪个部门 · 多少/几/哪一年
  · 吗/是不是/管不管), support words, a business persona (我们是…企业), legal words
  (合法/权利/后果), and the keyword regexes of the former rule cascade.

``python -m qa.intent_train`` trains it with scikit-learn (training time only) from
``qa/data/intent_train.jsonl``, the ``dev`` split of ``eval/questions`` and
``qa/data/intent_dev_labels.jsonl``, and exports it to ``qa/data/intent_model.json``
(plain JSON: feature names, coefficients, intercepts, labels). Inference is a sum of
coefficient rows and a softmax in numpy. Two rules constrain the model: ``lookup`` iff
the question names a clause; ``dept_tasks`` only when a department is mentioned.
:func:`classify_proba` gives the probabilities, :func:`classify` the most likely intent.

The features are :mod:`qa.intent_features`; the departments and clause numbers a question
names, :mod:`qa.mentions`. :class:`Parsed` carries the canonical names and the mentions as
written.
Questions are expected normalized (:func:`corpus.normalize.normalize_text`: Traditional
→ Simplified); :func:`classify` normalizes again, which is idempotent and cheap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from corpus.normalize import normalize_text
from index.answer_types import asked_in
from qa.intent_features import Slots, features, slots

Intent = Literal["lookup", "dept_tasks", "department", "target", "support", "general"]
INTENTS: tuple[str, ...] = ("lookup", "dept_tasks", "department", "target", "support", "general")

MODEL_PATH = Path(__file__).parent / "data" / "intent_model.json"

# ------------------------------------------------------------------ model
@dataclass(frozen=True)
class Model:
    labels: tuple[str, ...]
    vocabulary: dict[str, int]
    coef: np.ndarray        # (n_features, n_labels)
    intercept: np.ndarray   # (n_labels,)

    @classmethod
    def from_json(cls, data: dict) -> Model:
        vocabulary = {f: i for i, f in enumerate(data["features"])}
        coef = np.asarray(data["coef"], dtype=np.float64)
        if coef.shape != (len(vocabulary), len(data["labels"])):
            raise ValueError(f"intent model: coef shape {coef.shape} does not match "
                             f"{len(vocabulary)} features × {len(data['labels'])} labels")
        return cls(tuple(data["labels"]), vocabulary, coef,
                   np.asarray(data["intercept"], dtype=np.float64))

    def scores(self, feats: list[str]) -> np.ndarray:
        rows = [self.vocabulary[f] for f in feats if f in self.vocabulary]
        return self.coef[rows].sum(axis=0) + self.intercept


@lru_cache(maxsize=2)
def load_model(path: Path = MODEL_PATH) -> Model:
    """The exported model (plain JSON: no pickle)."""
    return Model.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


#: Kinds of answer (index.answer_types) a list of a department's tasks does not give: how or where
#: to get something done, a sum, a share, a date or a time (a count does: 民政厅牵头几项任务).
_NOT_TASK_KINDS = frozenset({"form", "procedure", "contact", "money", "rate", "date", "clock"})


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _proba(question: str, model: Model | None = None) -> tuple[dict[str, float], Slots]:
    question = normalize_text(question or "")
    s = slots(question)
    if s.refs:
        return {i: float(i == "lookup") for i in INTENTS}, s
    model = model or load_model()
    z = model.scores(features(question, s))
    # a department named in a question asking how or where to get something done (残联那边需要带什么材料,
    # 去人社局哪个窗口) or when (兰州新区…招聘会什么时候举办) names whom to ask or where, not whose
    # tasks to list
    tasks_possible = bool(s.mentions) and not any(k.name in _NOT_TASK_KINDS for k in asked_in(question))
    allowed = np.array([lab != "lookup" and (lab != "dept_tasks" or tasks_possible) for lab in model.labels])
    z = np.where(allowed, z, -np.inf)
    p = _softmax(z)
    out = {i: 0.0 for i in INTENTS}
    out.update({lab: float(v) for lab, v in zip(model.labels, p)})
    return out, s


def classify_proba(question: str) -> dict[str, float]:
    """Probability of each intent (they sum to 1).

    ``lookup`` is 1 when the question names a clause and 0 otherwise; ``dept_tasks`` is 0
    when no department is mentioned; the model's other probabilities are renormalized.
    """
    return _proba(question)[0]


@dataclass(frozen=True)
class Parsed:
    intent: Intent
    #: Canonical names (the plan's 省民政厅, or a law body such as 国务院民政部门).
    departments: list[str] = field(default_factory=list)
    #: Department mentions as written (for ``HybridIndex.resolve_departments``).
    mentions: list[str] = field(default_factory=list)


def classify(question: str) -> Parsed:
    """Intent and named departments (canonical names) of a question.

    >>> classify("卫健委负责哪些任务").intent
    'dept_tasks'
    >>> classify("谁牵头推动社区基础服务设施达标").intent
    'department'
    """
    proba, s = _proba(question)
    intent = max(INTENTS, key=lambda i: proba[i])
    return Parsed(intent, s.departments, [m.text for m in s.mentions])  # type: ignore[arg-type]
