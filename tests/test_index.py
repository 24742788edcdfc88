"""The hybrid index: BM25 parity, modes, filters, lookup, evidence, persistence,
corruption, staleness, incremental builds and failure handling.

The plan is indexed once per session (``index_settings`` / ``plan_index`` in conftest);
tests that change a home work on a copy (``clone_home``), so they embed only what they add.
"""

from __future__ import annotations

import ast
import hashlib
import json
from datetime import datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import corpus
from corpus.config import REPO_ROOT, Settings
from corpus.docstore import remove_document
from corpus.errors import PolicyError
from corpus.stored import load_report
from index.build import build_index, check_fresh, get_encoder, model_fingerprint, open_index
from index.hybrid import Filters, HybridIndex, search_text, vector_key
from index.model import ModelNotFoundError
from index.sparse import K1, B, SparseIndex, analyze
from index.store import SCHEMA_VERSION, CorruptIndex, StaleIndex, read_manifest
from tests.conftest import ELDERLY_LAW, MODEL_PATH, POPULATION_LAW, clone_home

PLAN = "gansu-2022-46"
ELDERLY = "老年人权益保障法-2018-12-29"
POPULATION = "人口与计划生育法-2021-08-20"

#: A small added document with the plan's 一、/（一） structure and text found nowhere in the plan.
MEAL_DOC = """关于开展社区老年助餐服务试点的通知
一、试点目标
（一）助餐点覆盖。到2024年底，每个试点街道建成老年助餐点2个以上，助餐服务惠及独居高龄老人。
（二）服务质量。助餐点实行食品安全承诺制，菜品价格低于市场价一成。
二、保障措施
（一）资金支持。对运营满一年的助餐点给予一次性建设补贴，按就餐人次给予运营补助。
"""
MEAL_ID = "社区老年助餐试点"


def write_meal_doc(folder: Path) -> Path:
    path = folder / f"{MEAL_ID}.txt"
    path.write_text(MEAL_DOC, encoding="utf-8")
    return path


def hit_paths(hits) -> list[str]:
    return [h.record.path for h in hits]


def texts_of(records) -> int:
    """How many vectors a document's records need: one per record, one per sentence of a
    record with more than one sentence."""
    return sum(1 + (len(r.sentences) if len(r.sentences) > 1 else 0) for r in records)


# ------------------------------------------------------------------ BM25 parity
PARITY_QUERIES = [
    "到2025年，每千人口拥有的3岁以下婴幼儿托位数要达到多少个？",
    "甘肃普惠性幼儿园覆盖率到2025年的目标是多少？",
    "社区托育服务机构覆盖率要提高到多少？",
    "养老企业招大学生有什么补助",
    "省住建厅负责哪些任务",
    "家政服务员培训",
    "体育健身设施建设",
    "养老 养老 服务",  # a repeated token counts twice on both sides
    "推动服务",  # both words are in more than half the records: idf clipped to 0
    "适老化改造和无障碍环境建设",
    "数字化生活服务 智慧社区",
    "金融支持 税费减免 用地保障",
]


@pytest.mark.parametrize("bigrams", [False, True], ids=["words", "words+bigrams"])
def test_bm25_scores_equal_rank_bm25_okapi_divided_by_k1_plus_1(plan_index, bigrams):
    """bm25s ``method="robertson"`` = rank_bm25 ``BM25Okapi(epsilon=0)`` / (k1 + 1).

    Both use idf = ln((N − n + 0.5) / (n + 0.5)) and both clip it at 0 for a word in
    more than half the records (bm25s: ``allow_negative=False``; rank_bm25: negative
    idf → ε · mean idf = 0). rank_bm25 multiplies the term-frequency part by (k1 + 1),
    bm25s does not — the only difference, a constant factor.
    """
    from rank_bm25 import BM25Okapi

    texts = [search_text(r) for r in plan_index.records]
    sparse = plan_index.sparse if plan_index.sparse.bigrams == bigrams else SparseIndex.build(texts, bigrams)
    tokens = [analyze(t, bigrams) for t in texts]
    okapi = BM25Okapi(tokens, k1=K1, b=B, epsilon=0)
    assert okapi.idf["服务"] == 0 and okapi.idf["推动"] == 0  # the clipping is exercised
    assert len(PARITY_QUERIES) >= 10
    for query in PARITY_QUERIES:
        ours = sparse.scores(query).astype(np.float64) * (K1 + 1)
        theirs = okapi.get_scores(analyze(query, bigrams))
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6, err_msg=query)
        if query != "推动服务":
            assert theirs.max() > 0, query
        top_ours = np.argsort(-ours, kind="stable")[:10]
        top_theirs = np.argsort(-theirs, kind="stable")[:10]
        assert top_ours.tolist() == top_theirs.tolist(), query
    if not bigrams:
        assert not sparse.scores("推动服务").any()


# ------------------------------------------------------------------ queries
def test_traditional_and_simplified_queries_give_the_same_hits(plan_index):
    for mode in ("bm25", "hybrid"):
        traditional = plan_index.search("養老服務機構覆蓋率", k=5, mode=mode)
        simplified = plan_index.search("养老服务机构覆盖率", k=5, mode=mode)
        assert [h.record.id for h in traditional] == [h.record.id for h in simplified]
        assert [h.score for h in traditional] == pytest.approx([h.score for h in simplified], abs=1e-6)
    top = plan_index.search("養老服務機構覆蓋率", k=1)[0].record
    assert top.path == "二¶2" and "覆盖率" in top.text


def test_paraphrased_question_finds_the_graduate_subsidy_clause(plan_index):
    hits = plan_index.search("养老企业招大学生有什么补助", k=3, mode="hybrid")
    assert "四(一)" in hit_paths(hits)
    assert "高校毕业生" in plan_index.record(f"{PLAN}#四(一)").text  # the words differ from the question


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_each_mode_fills_the_scores_it_computes(plan_index, mode):
    hits = plan_index.search("托育服务设施建设", k=8, mode=mode)
    assert [h.rank for h in hits] == list(range(1, 9))
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        d = hit.to_dict()["scores"]
        if mode == "bm25":
            assert hit.dense is None and d["dense"] is None
            assert hit.bm25 == pytest.approx(hit.score) and hit.bm25 > 0
        elif mode == "dense":
            assert hit.bm25 is None and d["bm25"] is None
            assert hit.dense == pytest.approx(hit.score) and -1 <= hit.dense <= 1
        else:
            assert isinstance(hit.bm25, float) and isinstance(hit.dense, float)
            assert 0 <= hit.score <= 1 + 1e-6  # weighted fusion of two [0, 1] scales
        assert d["bm25"] == (None if hit.bm25 is None else pytest.approx(hit.bm25, abs=1e-5))


def test_hybrid_fusion_scores_every_candidate_on_both_sides(plan_index):
    """With few candidates per side, BM25's best record is missing from the dense top N: it keeps
    its exact cosine (best of clause and sentences) instead of 0, and fusion ranks it on both."""
    import numpy as np

    from index.fusion import DENSE_FLOOR
    from index.query import Query

    query = Query.parse("养老托育 首贷户")
    bm25 = plan_index.sparse.scores(query.text, query.search_tokens)
    best_bm25 = int(np.argmax(bm25))
    vector = plan_index.encode_query(query.text)

    def cosine(row: int) -> float:
        start, end = plan_index._sentence_start[row], plan_index._sentence_start[row + 1]
        sentences = plan_index.sentences.vectors[start:end] @ vector if end > start else [-1.0]
        return max(float(plan_index.clauses.vectors[row] @ vector), float(max(sentences)))

    dense_order = sorted(range(len(plan_index.records)), key=cosine, reverse=True)
    assert best_bm25 not in dense_order[:2]  # the case: the dense side alone would cut it
    hits = plan_index.search(query, k=4, candidates=2, dense_weight=0.8)
    row_of = {h.record.id: plan_index._by_id[h.record.id] for h in hits}
    assert plan_index.records[best_bm25].id in row_of
    for hit in hits:
        row = row_of[hit.record.id]
        assert hit.dense == pytest.approx(cosine(row), abs=1e-5)
        expected = 0.2 * bm25[row] / bm25.max() + 0.8 * min(max((cosine(row) - DENSE_FLOOR) / (1 - DENSE_FLOOR), 0), 1)
        assert hit.score == pytest.approx(expected, abs=1e-5)


def test_unknown_mode_is_an_error_naming_the_valid_modes(plan_index):
    with pytest.raises(PolicyError) as info:
        plan_index.search("养老", mode="sparse")
    assert info.value.code == "bad_mode" and "bm25、dense、hybrid" in info.value.fix


def test_k_must_be_positive(plan_index):
    with pytest.raises(PolicyError) as info:
        plan_index.search("养老", k=0)
    assert info.value.code == "bad_k"


# ------------------------------------------------------------------ filters
def test_department_filter_applies_before_top_k(plan_index):
    query = "家政服务员职业技能培训"
    unfiltered = plan_index.search(query, k=10)
    assert "三(二)2" not in hit_paths(unfiltered)  # the only clause 省卫生健康委 leads is not near the top
    leads = {r.id for r in plan_index.records if "省卫生健康委" in r.departments.lead}
    assert leads == {f"{PLAN}#三(二)2"}
    for mode in ("dense", "hybrid"):
        # candidates=3: a filter applied after each side's cut would leave nothing
        hits = plan_index.search(query, k=10, mode=mode, candidates=3,
                                 filters=Filters(dept="卫健委", dept_role="lead"))
        assert {h.record.id for h in hits} == leads


def test_department_roles_select_lead_co_or_any(plan_index):
    def ids(role):
        rows = plan_index.allowed_rows(Filters(dept="卫健委", dept_role=role))
        return {plan_index.records[row].id for row in rows}

    lead, co, anyrole = ids("lead"), ids("co"), ids("any")
    assert co == {r.id for r in plan_index.records if "省卫生健康委" in r.departments.co}
    assert len(co) >= 5 and lead.isdisjoint(co)
    assert anyrole == {r.id for r in plan_index.records if "省卫生健康委" in r.departments.all()}
    assert lead | co <= anyrole


def test_domain_filter_keeps_only_tagged_clauses(plan_index):
    tagged = {r.id for r in plan_index.records if "托育" in r.domains}
    assert 2 <= len(tagged) < len(plan_index.records)
    dense = plan_index.search("服务", k=50, mode="dense", filters=Filters(domain="托育"))
    assert {h.record.id for h in dense} == tagged
    bm25 = plan_index.search("养老服务", k=10, mode="bm25", filters=Filters(domain="托育"))
    assert bm25 and all("托育" in h.record.domains for h in bm25)


def test_section_filter_keeps_the_section_subtree(plan_index):
    hits = plan_index.search("服务", k=20, mode="dense", filters=Filters(section="三(二)"))
    assert sorted(hit_paths(hits)) == ["三(二)1", "三(二)2", "三(二)3"]
    full_width = plan_index.allowed_rows(Filters(section="三（二）"))
    assert sorted(plan_index.records[row].path for row in full_width) == ["三(二)1", "三(二)2", "三(二)3"]


def test_doc_filter(plan_index):
    assert {h.record.doc_id for h in plan_index.search("养老", k=5, filters=Filters(doc=PLAN))} == {PLAN}
    with pytest.raises(PolicyError) as info:  # the same error for the CLI and the web
        plan_index.search("养老", k=5, filters=Filters(doc="no-such-doc"))
    assert info.value.code == "unknown_document" and "no-such-doc" in info.value.message


def test_unknown_department_is_an_error_that_suggests_names(plan_index):
    with pytest.raises(PolicyError) as info:
        plan_index.search("养老", filters=Filters(dept="省魔法部"))
    assert info.value.code == "unknown_department"
    assert "省魔法部" in info.value.message and "卫健委" in info.value.fix


# ------------------------------------------------------------------ clause lookup
LOOKUPS = [("三(五)1", "三(五)1"), ("三（五）1", "三(五)1"), ("四(三)", "四(三)"),
           ("三(五)1讲了什么？", "三(五)1"), ("方案四（三）的要求", "四(三)")]


@pytest.mark.parametrize("query, path", LOOKUPS)
def test_a_clause_named_by_number_comes_first(plan_index, query, path):
    hits = plan_index.search(query, k=5, mode="bm25")
    assert hits[0].record.path == path and hits[0].lookup
    assert not any(h.lookup for h in hits[1:])


@pytest.mark.parametrize("query, path", LOOKUPS[:3])
def test_a_clause_named_by_number_comes_first_in_hybrid_mode(plan_index, query, path):
    hits = plan_index.search(query, k=5, mode="hybrid")
    assert hits[0].record.path == path and hits[0].lookup
    assert len(hits) == 5 and not any(h.lookup for h in hits[1:])


@pytest.fixture(scope="session")
def law_index(indexed_home, encoder):
    """Plan + the two laws, clause vectors only."""
    settings = indexed_home("laws", [ELDERLY_LAW, POPULATION_LAW], sentence_vectors=False)
    manifest = HybridIndex.load(settings.index_dir).manifest
    assert manifest.counts.records == len(corpus.load_records(settings))
    return HybridIndex.load(settings.index_dir, encoder)


def test_law_article_named_with_its_law_comes_first(law_index):
    hits = law_index.search("老年人权益保障法第十二条", k=3)
    assert hits[0].record.id == f"{ELDERLY}#第一章/第十二条" and hits[0].lookup
    hits = law_index.search("人口与计划生育法第十八条的内容是什么？", k=3)
    assert hits[0].record.id == f"{POPULATION}#第三章/第十八条"


def test_article_number_without_a_law_names_every_law_s_article(law_index):
    hits = law_index.search("第十二条", k=3, mode="bm25")
    assert {h.record.id for h in hits[:2]} == {f"{ELDERLY}#第一章/第十二条", f"{POPULATION}#第二章/第十二条"}
    assert [h.lookup for h in hits[:2]] == [True, True] and not any(h.lookup for h in hits[2:])


def test_doc_filter_on_the_law_index(law_index):
    hits = law_index.search("老年人的赡养义务", k=10, filters=Filters(doc=ELDERLY))
    assert len(hits) == 10 and {h.record.doc_id for h in hits} == {ELDERLY}


def test_a_number_typed_in_digits_is_written_by_a_law_that_spells_it(law_index):
    """Laws write 六十周岁; the user types 60周岁. The second stage must not read the article as
    missing the question's number, nor its coverage as missing the word 60."""
    from index.rerank_features import FEATURES, features

    article = law_index.record(f"{ELDERLY}#第一章/第二条")
    assert "六十周岁" in article.text and "60" not in article.text
    hits = [h for h in law_index.search("60周岁以上就算老年人吗", k=20) if h.record.id == article.id]
    assert hits, "the article is a candidate"
    typed = features(law_index, "60周岁以上就算老年人吗", hits, "general")[0]
    assert typed[FEATURES.index("number_missing")] == 0.0
    assert typed[FEATURES.index("cov_clause")] > 0.6  # 60, 周岁, 以上, 老年人 are written; 就算 is not


# ------------------------------------------------------------------ evidence
def test_evidence_sentences_are_spans_of_the_record_text(plan_index):
    runs = [(q, "bm25") for q in ["托位数要达到多少", "养老服务机构覆盖率", "家政服务", "三(五)1"]]
    runs += [("托位数要达到多少", "hybrid"), ("家政服务", "hybrid")]
    for query, mode in runs:
        for hit in plan_index.search(query, k=10, mode=mode):
            text = hit.record.text
            assert 1 <= len(hit.evidence) <= 2
            starts = [s.start for s in hit.evidence]
            assert starts == sorted(starts)
            for sentence in hit.evidence:
                assert text[sentence.start : sentence.end] == sentence.text
                assert sentence in hit.record.sentences


def test_evidence_picks_the_sentence_that_answers(plan_index):
    hit = plan_index.search("每千人口拥有3岁以下婴幼儿托位数", k=1)[0]
    assert hit.record.path == "二¶2" and len(hit.record.sentences) > 2
    assert any("托位数" in s.text for s in hit.evidence)


# ------------------------------------------------------------------ persistence
def test_index_files_are_json_numpy_or_faiss_only(index_settings):
    folder = index_settings.index_dir.resolve()
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    assert {p.suffix for p in files} <= {".json", ".jsonl", ".npy", ".faiss"}
    for path in files:
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)  # raises on an object (pickled) array


def test_every_numpy_load_in_the_index_package_refuses_pickles():
    loads = 0
    for source in sorted((REPO_ROOT / "index").glob("*.py")):
        text = source.read_text(encoding="utf-8")
        assert "import pickle" not in text and "torch.load" not in text, source.name
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load":
                owner = node.func.value
                if isinstance(owner, ast.Name) and owner.id == "np":
                    loads += 1
                    flags = {k.arg: k.value for k in node.keywords}
                    assert "allow_pickle" in flags, f"{source.name}:{node.lineno}"
                    assert isinstance(flags["allow_pickle"], ast.Constant) and flags["allow_pickle"].value is False
                if isinstance(owner, ast.Attribute) and owner.attr == "BM25":  # bm25s.BM25.load(...)
                    flags = {k.arg: k.value for k in node.keywords}
                    assert getattr(flags.get("allow_pickle"), "value", None) is False, f"{source.name}:{node.lineno}"
    assert loads >= 3


def test_manifest_describes_the_build_and_checksums_every_file(index_settings):
    folder = index_settings.index_dir.resolve()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["corpus_hash"] == load_report(index_settings).corpus_hash
    backend = index_settings.encoder_backend
    assert manifest["model"] == {"id": MODEL_PATH, "dim": 384, "backend": backend,
                                 "fingerprint": model_fingerprint(MODEL_PATH, backend)}
    for name in ("bm25s", "faiss-cpu", "sentence-transformers", "numpy"):
        assert manifest["libraries"][name] == metadata.version(name)
    datetime.strptime(manifest["created_at"], "%Y-%m-%dT%H:%M:%S%z")
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == on_disk
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    counts = manifest["counts"]
    assert counts["records"] == 35 and counts["sentence_vectors"] > counts["records"]


# ------------------------------------------------------------------ corruption
@pytest.fixture(scope="module")
def small_settings(tmp_path_factory, encoder) -> Settings:
    """A home whose only document is the small one: rebuilding it from scratch is cheap."""
    base = tmp_path_factory.mktemp("small")
    (base / "shipped").mkdir()
    settings = Settings(home=base / "home", docs_dir=base / "shipped", model=MODEL_PATH)
    corpus.build(settings, paths=[write_meal_doc(base)])
    build_index(settings, encoder)
    return settings


@pytest.fixture
def small_copy(small_settings, tmp_path) -> Settings:
    return clone_home(small_settings, tmp_path / "home")


def _flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    path.write_bytes(bytes(data))


def test_flipped_bytes_are_detected_and_open_index_rebuilds(small_copy):
    folder = small_copy.index_dir.resolve()
    _flip_bytes(folder / "clause_vectors.npy")
    with pytest.raises(CorruptIndex, match="clause_vectors.npy") as info:
        read_manifest(small_copy.index_dir)
    assert "policyqa index build" in str(info.value)
    index = open_index(small_copy)
    assert index.search("老年助餐点", k=1)[0].record.doc_id == MEAL_ID
    read_manifest(small_copy.index_dir)  # the rebuilt index verifies


def test_truncated_file_is_corrupt(small_copy):
    path = small_copy.index_dir.resolve() / "bm25" / "data.csc.index.npy"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CorruptIndex, match="policyqa index build"):
        read_manifest(small_copy.index_dir)


def test_truncated_manifest_is_corrupt(small_copy):
    path = small_copy.index_dir.resolve() / "manifest.json"
    path.write_text(path.read_text(encoding="utf-8")[:100], encoding="utf-8")
    with pytest.raises(CorruptIndex, match="policyqa index build"):
        read_manifest(small_copy.index_dir)


def test_other_schema_version_is_corrupt_and_open_index_rebuilds(small_copy):
    path = small_copy.index_dir.resolve() / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["schema_version"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CorruptIndex, match="schema version") as info:
        read_manifest(small_copy.index_dir)
    assert "policyqa index build" in str(info.value)
    assert open_index(small_copy).manifest.schema_version == SCHEMA_VERSION


def test_missing_model_is_a_clear_error():
    with pytest.raises(ModelNotFoundError, match="make setup"):
        get_encoder(Settings(model="/nonexistent"))


# ------------------------------------------------------------------ staleness, incremental builds
@pytest.fixture
def plan_copy(index_settings, tmp_path) -> Settings:
    return clone_home(index_settings, tmp_path / "home")


def test_a_changed_corpus_makes_the_index_stale_and_open_index_rebuilds(plan_copy, tmp_path):
    check_fresh(plan_copy, read_manifest(plan_copy.index_dir))
    corpus.build(plan_copy, paths=[write_meal_doc(tmp_path)])
    with pytest.raises(StaleIndex, match="policyqa index build"):
        check_fresh(plan_copy, read_manifest(plan_copy.index_dir))
    index = open_index(plan_copy)
    check_fresh(plan_copy, index.manifest)
    hits = index.search("独居高龄老人助餐点", k=3)
    assert hits[0].record.id == f"{MEAL_ID}#一(一)"
    assert index.search("运营补助", k=5, filters=Filters(doc=MEAL_ID))[0].record.path == "二(一)"


def test_adding_then_removing_a_document_embeds_only_its_texts(plan_copy, tmp_path, encoder):
    before = read_manifest(plan_copy.index_dir).counts
    corpus.build(plan_copy, paths=[write_meal_doc(tmp_path)])
    added = [r for r in corpus.load_records(plan_copy) if r.doc_id == MEAL_ID]
    assert len(added) == 3
    counts = build_index(plan_copy, encoder).counts
    assert counts.embedded == texts_of(added)
    assert counts.reused == before.records + before.sentence_vectors

    remove_document(MEAL_ID, plan_copy.user_docs_dir)
    corpus.build(plan_copy)
    counts = build_index(plan_copy, encoder).counts
    assert counts.embedded == 0
    assert (counts.records, counts.sentence_vectors) == (before.records, before.sentence_vectors)
    assert counts.reused == before.records + before.sentence_vectors
    index = HybridIndex.load(plan_copy.index_dir, encoder)
    assert all(r.doc_id != MEAL_ID for r in index.records)
    assert len(index.clauses.vectors) == len(index.records) == counts.records
    assert len(index.sentences.vectors) == len(index.sentence_rows) == counts.sentence_vectors
    keys = set(json.loads((plan_copy.index_dir / "vector_keys.json").read_text(encoding="utf-8")))
    fingerprint = index.manifest.model.fingerprint
    assert not any(vector_key(fingerprint, search_text(r)) in keys for r in added)
    assert not any(vector_key(fingerprint, s.text) in keys for r in added for s in r.sentences)


class ExplodingEncoder:
    """Fails on the first batch to embed, like a crash or an out-of-memory kill mid-build."""

    def encode_query(self, sentences, **kwargs):
        raise RuntimeError("encoder exploded")

    encode_document = encode_query


def _index_versions(settings: Settings) -> list[str]:
    return sorted(p.name for p in settings.home.glob("*index-*"))


def test_failed_embedding_keeps_the_last_good_index(plan_copy, tmp_path):
    good = read_manifest(plan_copy.index_dir)
    versions = _index_versions(plan_copy)
    corpus.build(plan_copy, paths=[write_meal_doc(tmp_path)])
    with pytest.raises(RuntimeError, match="exploded"):
        build_index(plan_copy, ExplodingEncoder())
    assert read_manifest(plan_copy.index_dir) == good  # verifies every checksum too
    assert _index_versions(plan_copy) == versions
    assert not list(plan_copy.home.glob(".index-*.partial"))
    with pytest.raises(StaleIndex):
        check_fresh(plan_copy, good)


def test_failed_save_keeps_the_last_good_index_and_no_partial_dir(plan_copy, encoder, monkeypatch):
    import index.hybrid_store

    good = read_manifest(plan_copy.index_dir)

    def broken_manifest(folder, draft):
        assert any(folder.iterdir())  # the data files were already written
        raise OSError("disk full")

    monkeypatch.setattr(index.hybrid_store, "write_manifest", broken_manifest)
    with pytest.raises(OSError, match="disk full"):
        build_index(plan_copy, encoder)
    assert read_manifest(plan_copy.index_dir) == good
    assert not list(plan_copy.home.glob(".index-*"))
    assert HybridIndex.load(plan_copy.index_dir, encoder).search("养老", k=1)


def test_section_and_title_lookups_match_a_scan_of_every_record(plan_index):
    """The look-up tables (sorted paths, titles by their first characters) give what a loop
    over every record would, without the loop (a query must not scan 151k records)."""
    idx = plan_index
    for prefix in ("三(二)", "三", "四(", "五(四)", "九", ""):
        scanned = sorted(row for row, r in enumerate(idx.records) if r.path.startswith(prefix))
        assert sorted(idx._rows_under(prefix)) == scanned
    title = next(iter(idx._short_titles.values()))
    text = f"请问{title}第三条说了什么"
    assert idx._named_documents(text) == {d for d, t in idx._short_titles.items() if t and t in text}
    assert idx._named_documents("与任何文件标题无关的问题") == set()
