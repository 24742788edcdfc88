"""The second stage's query adapter (index/adapter.py): a low-rank map on question vectors that
leaves documents alone, stored in the second stage's plain-JSON weights."""

from __future__ import annotations

import numpy as np

from index.adapter import QueryAdapter
from index.rerank import FEATURES, Reranker
from index.rerank_features import features


def test_a_zero_map_is_the_identity_and_the_result_is_normalized():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(3, 8)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    identity = QueryAdapter(rng.normal(size=(8, 2)), np.zeros((8, 2)))
    assert np.allclose(identity.apply(q), q, atol=1e-6)
    moved = QueryAdapter(rng.normal(size=(8, 2)), rng.normal(size=(8, 2))).apply(q)
    assert not np.allclose(moved, q) and np.allclose(np.linalg.norm(moved, axis=1), 1.0, atol=1e-5)


def test_a_vector_of_another_length_is_not_adapted():
    adapter = QueryAdapter(np.ones((8, 2)), np.ones((8, 2)))
    assert adapter.apply(np.ones(5)) is None


def test_the_adapter_travels_with_the_weights(tmp_path):
    n = len(FEATURES)
    rng = np.random.default_rng(1)
    adapter = QueryAdapter(rng.normal(size=(8, 2)), rng.normal(size=(8, 2)), {"rank": 2})
    path = Reranker(FEATURES, np.zeros(n), np.ones(n), np.zeros(n), 0.0, adapter=adapter).save(tmp_path / "w.json")
    loaded = Reranker.load(path).adapter
    assert loaded is not None and loaded.meta == {"rank": 2}
    assert np.allclose(loaded.u, adapter.u, rtol=1e-4) and np.allclose(loaded.v, adapter.v, rtol=1e-4)


def test_without_an_adapter_the_adapted_features_are_the_plain_ones(plan_index):
    hits = plan_index.search("托位数要达到多少", k=10, candidates=50)
    x = features(plan_index, "托位数要达到多少", hits, "target")
    col = {name: x[:, i] for i, name in enumerate(FEATURES)}
    best = np.maximum(col["dense_clause"], col["dense_sentence"])
    assert np.allclose(col["adapted_dense"], best)
    assert np.allclose(col["adapted_gap"], best - best.max())


def test_fitting_moves_labelled_questions_towards_their_clauses(plan_index):
    from eval.adapter_fit import fit_adapter

    gold = {"老人吃饭不方便，社区有没有地方管饭？": "三(一)3", "家里请保姆，有没有靠谱的培训过的阿姨？": "三(四)2",
            "小区里能不能有个给娃写作业的地方": "三(二)2"}
    rows = {r.path: i for i, r in enumerate(plan_index.records)}
    vectors = [plan_index.encode_query(q) for q in gold]
    gold_rows = [[rows[path]] for path in gold.values()]
    adapter = fit_adapter(plan_index, vectors, gold_rows, rank=4, epochs=60)

    def rank(vector, row):
        sims = plan_index.clauses.vectors @ vector
        return int((sims > sims[row]).sum())

    before = [rank(v, r[0]) for v, r in zip(vectors, gold_rows)]
    after = [rank(adapter.apply(v), r[0]) for v, r in zip(vectors, gold_rows)]
    assert sum(after) < sum(before) and all(a <= b for a, b in zip(after, before))


def test_out_of_scope_questions_keep_the_map_from_singling_out_a_clause_for_them(plan_index):
    from eval.adapter_fit import TEMPERATURE, fit_adapter

    rows = {r.path: i for i, r in enumerate(plan_index.records)}
    gold = {"兰州的夜市和步行街以后会搞得更热闹吗？": "三(六)3", "城里的商圈会不会多些吃喝玩乐的地方": "三(六)3",
            "老人吃饭不方便，社区有没有地方管饭？": "三(一)3"}
    vectors = [plan_index.encode_query(q) for q in gold]
    weather = plan_index.encode_query("明天兰州天气怎么样？")

    def share(adapter) -> float:
        z = plan_index.clauses.vectors @ adapter.apply(weather) / TEMPERATURE
        z = np.exp(z - z.max())
        return float(z.max() / z.sum())

    plain = fit_adapter(plan_index, vectors, [[rows[p]] for p in gold.values()], rank=4, epochs=60)
    guarded = fit_adapter(plan_index, vectors, [[rows[p]] for p in gold.values()], rank=4, epochs=60,
                          out_of_scope=[weather])
    assert share(guarded) < share(plain)


def test_non_finite_matrices_are_refused():
    import pytest

    u = np.ones((8, 2))
    u[0, 0] = np.inf
    with pytest.raises(ValueError, match="finite"):
        QueryAdapter(u, np.zeros((8, 2)))
