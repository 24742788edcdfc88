"""The abstention rule is chosen on out-of-fold probabilities (eval/choose_abstention.py):
a dev question is scored by the fold model of the second stage that did not see it."""

from __future__ import annotations

import json

import numpy as np

from eval.choose_abstention import fold_models, make_rule
from index.rerank import FEATURES, Reranker


def _weights(intercept: float) -> dict:
    n = len(FEATURES)
    return Reranker(names=FEATURES, mean=np.zeros(n), scale=np.ones(n), coef=np.zeros(n),
                    intercept=intercept).to_dict()


def test_each_dev_question_gets_the_model_of_its_fold(tmp_path):
    path = tmp_path / "folds.json"
    path.write_text(json.dumps({"question_fold": {"托育机构有什么补贴？": 1, "今天天气怎么样？": 0},
                                "models": [_weights(-2.0), _weights(3.0)]}, ensure_ascii=False),
                    encoding="utf-8")
    models = fold_models(path)
    assert set(models) == {"托育机构有什么补贴？", "今天天气怎么样？"}
    assert models["托育机构有什么补贴？"].intercept == 3.0 and models["今天天气怎么样？"].intercept == -2.0


def test_without_a_folds_file_every_question_uses_the_shipped_model(tmp_path):
    assert fold_models(tmp_path / "missing.json") == {}


def test_the_rule_abstains_on_a_low_probability_or_an_unstated_answer():
    rule = make_rule(0.1, 1.01, 0.87, 1.01, True)
    assert rule(0.05, 0.95, 1.0, False)       # low probability
    assert rule(0.9, 0.80, 1.0, False)        # in doubt (p < 1.01) and dense below 0.87
    assert rule(0.9, 0.95, 1.0, True)         # asks for what the clause does not state
    assert not rule(0.9, 0.95, 1.0, False)
