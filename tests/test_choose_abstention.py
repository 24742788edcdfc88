"""The abstention rule is chosen on out-of-fold probabilities (eval/choose_abstention.py):
a dev question is scored by the fold model of the second stage that did not see it."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from eval.choose_abstention import (
    GRID,
    Signals,
    fold_models,
    question_folds,
    require_scope_folds,
    rule_mask,
    settings_for,
)
from index.rerank import FEATURES, Reranker
from qa.answer import abstains


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


def _rule(*values):
    settings = settings_for(values)
    return lambda p, dense, cover, unstated, scope=None, domain=None: abstains(p, dense, cover, unstated, settings,
                                                                             scope, domain)


def test_the_rule_abstains_on_a_low_probability_an_unstated_answer_or_an_out_of_scope_question():
    rule = _rule(0.1, 1.01, 0.87, 1.01, True, 0.6, 0.5)
    assert rule(0.05, 0.95, 1.0, False)       # low probability
    assert rule(0.9, 0.80, 1.0, False)        # in doubt (p < 1.01) and dense below 0.87
    assert rule(0.9, 0.95, 1.0, True)         # asks for what the clause does not state
    assert rule(0.3, 0.95, 1.0, False, 0.8)   # looks out of scope, and the second stage is unsure
    assert not rule(0.9, 0.95, 1.0, False, 0.8)   # looks out of scope, but a clause clearly answers
    assert not rule(0.3, 0.95, 1.0, False, 0.4)
    assert not rule(0.3, 0.95, 1.0, False, None)  # no scope probability (BM25 only)
    assert rule(0.49, 0.95, 1.0, False, 0.6)      # on the threshold: scope >= above counts
    assert not rule(0.5, 0.95, 1.0, False, 0.9)   # p on the guard is not below it
    assert not rule(0.9, 0.95, 1.0, False)


def test_the_vectorized_grid_search_applies_the_answer_layers_own_rule():
    rng = np.random.default_rng(0)
    n = 400

    def on_the_grid(values, low, high):
        """Uniform draws, a third of them exactly on a threshold of the grid (ties decide < vs <=)."""
        x = rng.uniform(low, high, n)
        ties = rng.random(n) < 1 / 3
        x[ties] = rng.choice([v for v in values if low <= v <= high] or [low], ties.sum())
        return x

    p = on_the_grid(GRID["below"] + GRID["scope_guard"], 0.0, 1.0)
    dense = on_the_grid(GRID["doubt_dense"], 0.8, 0.95)
    cover = on_the_grid(GRID["doubt_coverage"], 0.0, 1.0)
    scope = on_the_grid(GRID["scope_above"], 0.0, 1.0)
    new_doc = on_the_grid(GRID["scope_above"], 0.0, 1.0)
    scope[::7] = math.nan
    domain = on_the_grid(GRID["domain_above"], 0.0, 1.0)
    domain_new_doc = on_the_grid(GRID["domain_above"], 0.0, 1.0)
    domain[::5] = math.nan
    sig = Signals(rng.uniform(0, 1, n) < 0.7, p, dense, cover, rng.uniform(0, 1, n) < 0.1, scope, new_doc,
                  domain, domain_new_doc)
    grid = list(itertools.product(*GRID.values()))
    for values in [grid[i] for i in rng.choice(len(grid), 60, replace=False)]:
        rule = _rule(*values)
        for probabilities, domains, new_document in ((scope, domain, False), (new_doc, domain_new_doc, True)):
            expected = [rule(p[i], dense[i], cover[i], bool(sig.unstated[i]),
                             None if math.isnan(probabilities[i]) else probabilities[i],
                             None if math.isnan(domains[i]) else domains[i]) for i in range(n)]
            assert rule_mask(sig, *values, new_document=new_document).tolist() == expected


def test_scope_folds_read_the_out_of_fold_and_new_document_probabilities(tmp_path):
    path = tmp_path / "scope-folds.json"
    path.write_text(json.dumps({"out_of_fold": {"今天天气怎么样？": 0.97},
                                "held_out_document": {"托育机构有什么补贴？": 0.2}}, ensure_ascii=False),
                    encoding="utf-8")
    assert question_folds(path) == ({"今天天气怎么样？": 0.97}, {"托育机构有什么补贴？": 0.2})
    assert question_folds(tmp_path / "missing.json") == ({}, {})


def test_a_rule_is_not_chosen_on_in_sample_scope_probabilities():
    with pytest.raises(SystemExit, match="train_scope"):
        require_scope_folds({"今天天气怎么样？": 0.9}, {"今天天气怎么样？", "托育机构有什么补贴？"})
    require_scope_folds({"今天天气怎么样？": 0.9}, {"今天天气怎么样？"})


def test_the_rule_declines_a_question_the_gate_doubts_when_no_clause_is_likely():
    rule = _rule(0.03, 1.01, 0.86, 1.01, True, 1.01, 0.3, 0.8, 0.1)
    assert rule(0.05, 0.95, 1.0, False, None, 0.85)      # looks like no policy question, and p is low
    assert not rule(0.5, 0.95, 1.0, False, None, 0.85)   # … but a clause is likely
    assert not rule(0.05, 0.95, 1.0, False, None, 0.6)   # looks like a policy question
    assert not rule(0.05, 0.95, 1.0, False, None, None)  # no gate (BM25 only, or its weights missing)
