"""eval: question files, TREC files, metrics by hand, answer metrics, report, CLI, real index."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest

from corpus.config import REPO_ROOT
from eval.answer_scoring import abstention_sweep, answer_metrics, best_sweep_row
from eval.gold import export_qrels, qrels
from eval.metrics import evaluate
from eval.questions import Question, QuestionFileError, load_questions
from eval.trec import rank_scores, read_qrels, read_run, write_run

QUESTIONS = REPO_ROOT / "eval" / "questions"


# ---------------------------------------------------------------- fakes
def q(qid: str, gold: list[str], qtype: str = "topical", **extra) -> Question:
    return Question(id=qid, question=f"question {qid}", type=qtype, gold=tuple(gold), **extra)


class FakeIndex:
    """``search`` returns the ranking stored for (question text, mode); scores may tie."""

    def __init__(self, rankings: dict[tuple[str, str], list[tuple[str, float]]]):
        self.manifest = {"model": {"id": "fake"}, "corpus_hash": "abc"}
        self.rankings = rankings
        self.calls: list[tuple[str, str]] = []

    def search(self, query, k=10, mode="hybrid", filters=None, fusion="weighted",
               dense_weight=0.5, candidates=100):
        self.calls.append((query, mode))
        ranked = self.rankings.get((query, mode), [])[:k]
        return [SimpleNamespace(record=SimpleNamespace(id=doc_id), score=score, rank=i)
                for i, (doc_id, score) in enumerate(ranked, 1)]


#: q1 gold a at rank 2; q2 gold {b, c} at ranks 1 and 4; q3 gold d absent; q4 out of scope.
HAND = [q("q1", ["D#a"], "t1"), q("q2", ["D#b", "D#c"], "t1"), q("q3", ["D#d"], "t2"),
        q("q4", [], "out_of_scope")]
HYBRID = {"q1": ["D#x", "D#a", "D#y"], "q2": ["D#b", "D#z", "D#w", "D#c"],
          "q3": ["D#x", "D#y", "D#z"], "q4": ["D#a"]}
#: bm25 is worse: q1 gold at rank 3, q2 first gold at rank 2.
BM25 = {"q1": ["D#x", "D#y", "D#a"], "q2": ["D#z", "D#c"], "q3": [], "q4": []}


def fake_index() -> FakeIndex:
    rankings = {}
    for mode, table in (("hybrid", HYBRID), ("bm25", BM25)):
        for qid, ids in table.items():
            # equal scores everywhere: only the rank order may decide the metrics
            rankings[(f"question {qid}", mode)] = [(doc_id, 0.5) for doc_id in ids]
    return FakeIndex(rankings)


def hand_result(answer_fn=None):
    from eval.run import run

    return run(HAND, fake_index(), modes=("bm25", "hybrid"), answer_fn=answer_fn,
               source="hand.jsonl")


# ---------------------------------------------------------------- question files
def test_package_exports_the_functions():
    import eval

    assert callable(eval.run) and eval.run.__name__ == "run", "the function, not the module"
    assert {"load_questions", "run", "tune", "write_report"} <= set(eval.__all__)


def test_shipped_question_files_are_valid():
    plan, problems = load_questions(QUESTIONS / "plan.jsonl", strict=True)
    assert not problems and len(plan) > 200
    laws, problems = load_questions(QUESTIONS / "laws.jsonl", strict=True)
    assert not problems and laws
    assert all(not x.gold for x in plan + laws if x.type == "out_of_scope")
    dev, _ = load_questions(QUESTIONS / "plan.jsonl", split="dev")
    assert dev and {x.split for x in dev} == {"dev"}


BAD_FILE_LINES = [
    '{"id": "ok-1", "question": "谁牵头？", "type": "department", "gold": ["d#三(二)1"], "lead": []}',
    '{"id": "bad-json", "question": ',                                              # 2
    '["not", "an", "object"]',                                                      # 3
    '',                                                                             # 4 blank
    '{"id": "no-gold", "question": "x", "type": "topical"}',                        # 5
    '{"id": "bad-gold", "question": "x", "type": "topical", "gold": ["d#a#b"]}',    # 6
    '{"id": "oos", "question": "x", "type": "out_of_scope", "gold": ["d#1"]}',      # 7
    '{"id": "ok-1", "question": "x", "type": "topical", "gold": ["d#1"]}',          # 8 dup
    '{"id": "typo", "question": "x", "type": "topical", "gold": ["d#1"], "contain": ["1"]}',
    '{"id": "ok-2", "question": "天气？", "type": "out_of_scope", "gold": [], "split": "dev"}',
]


def write_bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.jsonl"
    data = "\n".join(BAD_FILE_LINES).encode("utf-8") + b'\n{"id": "\xff\xfe"}\n'  # line 11
    path.write_bytes(data)
    return path


def test_malformed_lines_are_reported_with_line_numbers(tmp_path):
    path = write_bad_file(tmp_path)
    questions, problems = load_questions(path)
    assert [x.id for x in questions] == ["ok-1", "ok-2"]
    assert questions[0].lead == () and questions[1].split == "dev"
    reasons = {p.line: p.reason for p in problems}
    assert sorted(reasons) == [2, 3, 5, 6, 7, 8, 9, 11]
    assert "invalid JSON" in reasons[2]
    assert "not a JSON object" in reasons[3]
    assert "missing field(s) gold" in reasons[5]
    assert "doc_id#path" in reasons[6]
    assert "out_of_scope" in reasons[7]
    assert "duplicate id 'ok-1'" in reasons[8] and "line 1" in reasons[8]
    assert "unknown field(s) contain" in reasons[9]
    assert "not UTF-8" in reasons[11]


def test_strict_loading_raises_at_the_first_bad_line(tmp_path):
    path = write_bad_file(tmp_path)
    with pytest.raises(QuestionFileError) as info:
        load_questions(path, strict=True)
    assert info.value.line == 2
    assert str(info.value).startswith(f"{path}:2: invalid JSON")


# ---------------------------------------------------------------- TREC files
def test_trec_files_round_trip_through_ranx(tmp_path):
    from ranx import Qrels, Run

    gold = qrels(HAND)
    assert "q4" not in gold, "out_of_scope questions have no qrels"
    run = {qid: rank_scores(ids, 10) for qid, ids in HYBRID.items()}
    export_qrels(HAND, tmp_path / "qrels.trec")
    assert (tmp_path / "qrels.trec").read_text(encoding="utf-8").splitlines() == [
        "q1 0 D#a 1", "q2 0 D#b 1", "q2 0 D#c 1", "q3 0 D#d 1"]
    write_run(run, tmp_path / "run.trec", tag="hybrid")
    assert (tmp_path / "run.trec").read_text(encoding="utf-8").splitlines()[0] == \
        "q1 Q0 D#x 1 10.0 hybrid"

    assert Qrels.from_file(str(tmp_path / "qrels.trec")).to_dict() == gold
    loaded = Run.from_file(str(tmp_path / "run.trec"))
    assert loaded.name == "hybrid"
    assert loaded.to_dict() == {qid: dict(ranked) for qid, ranked in run.items()}
    assert read_qrels(tmp_path / "qrels.trec") == gold
    assert read_run(tmp_path / "run.trec") == run

    # Chinese record ids survive, whitespace in an id is refused
    chinese = {"law-1": [("老年人权益保障法-2018-12-29#第一章/第十二条", 1.0)]}
    write_run(chinese, tmp_path / "zh.trec")
    assert Run.from_file(str(tmp_path / "zh.trec")).to_dict() == {"law-1": dict(chinese["law-1"])}
    with pytest.raises(ValueError, match="whitespace"):
        write_run({"q": [("a b", 1.0)]}, tmp_path / "x.trec")
    with pytest.raises(ValueError, match="strictly decrease"):
        write_run({"q": [("a", 1.0), ("b", 1.0)]}, tmp_path / "x.trec")


# ---------------------------------------------------------------- retrieval metrics
NDCG_Q1 = 1 / math.log2(3)
NDCG_Q2 = (1 + 1 / math.log2(5)) / (1 + 1 / math.log2(3))


def test_metrics_by_hand():
    run = {qid: dict(rank_scores(ids, 10)) for qid, ids in HYBRID.items()}
    scores = evaluate(qrels(HAND), run)
    assert scores["mrr@10"] == pytest.approx((1 / 2 + 1 + 0) / 3)
    assert scores["recall@1"] == pytest.approx((0 + 1 / 2 + 0) / 3)
    assert scores["recall@3"] == pytest.approx((1 + 1 / 2 + 0) / 3)
    assert scores["recall@5"] == pytest.approx((1 + 1 + 0) / 3)
    assert scores["recall@10"] == pytest.approx(2 / 3)
    assert scores["ndcg@10"] == pytest.approx((NDCG_Q1 + NDCG_Q2 + 0) / 3)
    assert evaluate(qrels(HAND), {})["mrr@10"] == 0.0


def test_run_scores_every_mode_and_type_by_hand():
    result = hand_result()
    hybrid, bm25 = result.retrieval["hybrid"], result.retrieval["bm25"]
    # the fake gives every hit the same score: the metrics follow the ranks, not ties
    assert hybrid["mrr@10"] == pytest.approx(0.5)
    assert hybrid["recall@5"] == pytest.approx(2 / 3)
    assert bm25["mrr@10"] == pytest.approx((1 / 3 + 1 / 2 + 0) / 3)
    assert bm25["recall@3"] == pytest.approx((1 + 1 / 2 + 0) / 3)
    assert set(result.by_type["hybrid"]) == {"t1", "t2"}, "out_of_scope is not a retrieval type"
    assert result.by_type["hybrid"]["t1"]["mrr@10"] == pytest.approx(0.75)
    assert result.by_type["hybrid"]["t1"]["n"] == 2
    assert result.by_type["hybrid"]["t2"]["mrr@10"] == 0.0
    assert result.recall_curves["hybrid"][0] == pytest.approx(1 / 6)
    assert len(result.recall_curves["hybrid"]) == 10
    assert result.settings["n_in_scope"] == 3 and result.settings["n_out_of_scope"] == 1
    assert {"p50", "p95"} <= set(result.latency_ms["hybrid"])
    first = {e["id"]: e["retrieval"]["hybrid"]["first_gold_rank"] for e in result.questions}
    assert first == {"q1": 2, "q2": 1, "q3": None, "q4": None}

    sig = result.significance
    assert sig["treatment"] == "hybrid" and sig["baseline"] == "bm25"
    for test in ("student", "fisher"):
        p = sig["tests"][test]["mrr@10"]["p_value"]
        assert p is None or 0 <= p <= 1
    assert sig["win_tie_loss"]["mrr@10"] == {"W": 2, "T": 1, "L": 0}
    json.dumps(result.to_dict(), allow_nan=False)

    with pytest.raises(ValueError, match="unknown mode"):
        from eval.run import run

        run(HAND, fake_index(), modes=("sparse",))


class TuneIndex(FakeIndex):
    """Gold at rank 1 with weighted fusion and dense_weight ≥ 0.5, rank 2 below, rank 3 RRF."""

    def search(self, query, k=10, mode="hybrid", filters=None, fusion="weighted",
               dense_weight=0.5, candidates=100):
        gold = "D#" + query.split()[-1]
        rank = 3 if fusion == "rrf" else 1 if dense_weight >= 0.5 else 2
        ids = ["D#x", "D#y", "D#z"]
        ids.insert(rank - 1, gold)
        return [SimpleNamespace(record=SimpleNamespace(id=i), score=1.0) for i in ids]


def test_tune_grid_is_sorted_by_mrr_then_recall():
    from eval.tuning import tune

    dev = [q("a", ["D#a"], split="dev"), q("b", ["D#b"], split="dev"),
           q("c", ["D#c"], split="test"), q("o", [], "out_of_scope", split="dev")]
    rows = tune(dev, TuneIndex({}), fusions=("weighted", "rrf"))
    assert len(rows) == 2 * 7 and all(r["n"] == 2 for r in rows), "dev, in scope only"
    assert [(r["fusion"], r["dense_weight"]) for r in rows[:4]] == [
        ("weighted", 0.5), ("weighted", 0.6), ("weighted", 0.7), ("weighted", 0.8)]
    assert [r["mrr@10"] for r in rows[3:5]] == [1.0, 0.5]
    assert rows[-1]["fusion"] == "rrf" and rows[-1]["mrr@10"] == pytest.approx(1 / 3)


# ---------------------------------------------------------------- answers
ANSWER_QUESTIONS = [
    q("d1", ["D#1"], "department", lead=("省住建厅",)),
    q("d2", ["D#2"], "department", lead=("省民政厅", "省卫生健康委")),
    q("d3", ["D#3"], "department", lead=()),
    q("t1", ["D#4"], "target", contains=("4.5",)),
    q("t2", ["D#4"], "target", contains=("93", "2025")),
    q("t3", ["D#4"], "target", contains=("50",)),
    q("o1", [], "out_of_scope"), q("o2", [], "out_of_scope"), q("o3", [], "out_of_scope"),
]


def fake_answer(lead=(), text="答案", abstained=False) -> dict:
    return {"question": "", "intent": "general", "answer": text, "abstained": abstained,
            "citations": [{"doc_id": "D", "path": "1"}],
            "departments": {"lead": list(lead), "co": [], "implementers": []},
            "targets": [], "hits": [], "notice": ""}


FAKE_ANSWERS = {
    "d1": fake_answer(lead=["省住建厅"]),
    "d2": fake_answer(lead=["省卫生健康委", "省民政厅"]),       # order does not matter
    "d3": fake_answer(lead=["省民政厅"]),                        # gold: no lead
    "t1": fake_answer(text="到2025年达到4.5个。"),
    "t2": fake_answer(text="普惠性幼儿园覆盖率达到93%。"),      # 2025 missing
    "t3": fake_answer(text="", abstained=True),                  # false abstention
    "o1": fake_answer(text="", abstained=True),
    "o2": fake_answer(text="……"),                                # should have abstained
    "o3": fake_answer(text="", abstained=True),
}


def test_answer_metrics_by_hand():
    m = answer_metrics(ANSWER_QUESTIONS, FAKE_ANSWERS)
    assert m["lead_exact"] == {"n": 3, "correct": 2, "value": pytest.approx(2 / 3)}
    assert m["contains"] == {"n": 3, "correct": 1, "value": pytest.approx(1 / 3)}
    a = m["abstention"]
    assert (a["tp"], a["fp"], a["fn"], a["tn"]) == (2, 1, 1, 5)
    assert a["precision"] == pytest.approx(2 / 3) and a["recall"] == pytest.approx(2 / 3)
    assert m["false_abstention"] == {"n": 6, "abstained": 1, "rate": pytest.approx(1 / 6)}
    assert answer_metrics([], {})["abstention"]["precision"] is None


def test_run_with_answer_fn_records_answers_and_errors():
    from eval.run import run

    def answer_fn(question: dict) -> dict:
        if question["id"] == "o2":
            raise RuntimeError("boom")
        return FAKE_ANSWERS[question["id"]]

    index = FakeIndex({})
    result = run(ANSWER_QUESTIONS, index, modes=("hybrid",), answer_fn=answer_fn)
    a = result.answers
    assert a["lead_exact"]["correct"] == 2 and a["contains"]["correct"] == 1
    assert a["abstention"]["fn"] == 1, "an error counts as an answer that did not abstain"
    assert a["errors"] == [{"id": "o2", "error": "RuntimeError: boom"}]
    by_id = {e["id"]: e["answer"] for e in result.questions}
    assert by_id["d2"]["lead_ok"] is True and by_id["t2"]["contains_ok"] is False
    assert "answer" in result.latency_ms
    assert result.significance is None, "one mode: nothing to compare"


def test_abstention_sweep_by_hand():
    rows = abstention_sweep([0.9, 0.8, 0.4], [0.3, 0.5])
    by_t = {r["threshold"]: r for r in rows}
    assert [r["threshold"] for r in rows][:5] == [0.3, 0.4, 0.5, 0.8, 0.9]
    assert by_t[0.3]["precision"] is None and by_t[0.3]["recall"] == 0.0
    assert (by_t[0.5]["precision"], by_t[0.5]["recall"]) == (0.5, 0.5)
    assert by_t[0.8]["precision"] == pytest.approx(2 / 3) and by_t[0.8]["recall"] == 1.0
    assert by_t[0.8]["false_abstention_rate"] == pytest.approx(1 / 3)
    assert rows[-1]["abstained_in"] == 3 and rows[-1]["abstained_out"] == 2
    assert best_sweep_row(rows)["threshold"] == 0.8


# ---------------------------------------------------------------- report
def test_report_writes_markdown_plots_json_and_runs(tmp_path):
    from ranx import Qrels, Run

    from eval.report import write_report

    result = hand_result(answer_fn=lambda question: fake_answer(text="x"))
    paths = write_report(result, tmp_path / "report")
    text = paths["report"].read_text(encoding="utf-8")
    for heading in ("## Retrieval", "## Per question type", "## Significance", "## Answers",
                    "## Latency", "## Settings", "## Misses"):
        assert heading in text
    assert "recall_at_k.png" in text and "mrr_by_type.png" in text
    assert "| q4 | out_of_scope | answered (out of scope) |" in text, "answer failures listed"
    assert "| hybrid | 0.167 | 0.500 | 0.667 | 0.667 | 0.500 |" in text  # R@1 R@3 R@5 R@10 MRR
    for name in ("recall_plot", "type_plot"):
        data = paths[name].read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 1000
    assert json.loads(paths["results"].read_text(encoding="utf-8")) == result.to_dict()
    gold = Qrels.from_file(str(paths["qrels"]))
    hybrid = Run.from_file(str(paths["run_hybrid"]))
    assert evaluate(gold.to_dict(), hybrid.to_dict())["mrr@10"] == pytest.approx(0.5)


# ---------------------------------------------------------------- CLI
def cli():
    """The ``policyqa`` command group (``eval`` is one of its commands)."""
    from app.cli import main

    return main


def test_cli_errors_users_can_fix(tmp_path):
    from click.testing import CliRunner

    bad = write_bad_file(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli(), ["eval", str(bad), "--strict", "--home", str(tmp_path)])
    assert result.exit_code == 1 and f"{bad}:2: invalid JSON" in result.output
    result = runner.invoke(cli(), ["eval", str(bad), "--split", "test", "--home", str(tmp_path)])
    assert result.exit_code == 1 and "no valid questions in split test" in result.output
    assert f"{bad}:5:" in result.output, "skipped lines are warned about"
    result = runner.invoke(cli(), ["eval", str(bad), "--modes", "bm25,sparse"])
    assert result.exit_code == 2 and "sparse" in result.output


# ---------------------------------------------------------------- real index
@pytest.fixture(scope="module")
def plan_index(plan_settings):
    """The plan indexed in the session's temporary home (shared with other index tests)."""
    from index import build_index, open_index
    from index.build import get_encoder

    encoder = get_encoder(plan_settings)
    if not (plan_settings.index_dir / "manifest.json").is_file():
        build_index(plan_settings, encoder)
    return open_index(plan_settings, rebuild=False)


PICKED = ("plan-001", "plan-032", "plan-050", "plan-064", "plan-208", "plan-209")


def test_run_over_the_real_plan_index(plan_index, tmp_path):
    from eval.run import run
    from eval.tuning import tune

    questions, _ = load_questions(QUESTIONS / "plan.jsonl")
    by_type: dict[str, list[Question]] = {}
    for x in questions:
        by_type.setdefault(x.type, []).append(x)
    picked = [x for x in questions if x.id in PICKED]
    picked += [group[0] for t, group in sorted(by_type.items()) if group[0] not in picked][:4]
    assert 8 <= len(picked) <= 12

    result = run(picked, plan_index, progress=lambda fraction, message: None)
    types = {x.type for x in picked if x.in_scope}
    for mode in ("bm25", "dense", "hybrid"):
        assert 0.0 <= result.retrieval[mode]["mrr@10"] <= 1.0
        assert set(result.by_type[mode]) == types
        assert result.latency_ms[mode]["n"] == len(picked)
    assert result.retrieval["hybrid"]["recall@10"] > 0, "some gold clause is found"
    assert result.significance["baseline"] in ("bm25", "dense")
    assert result.settings["missing_gold"] == []
    laws, _ = load_questions(QUESTIONS / "laws.jsonl")
    from eval.run import missing_gold

    assert "老年人权益保障法-2018-12-29#第一章/第十二条" in missing_gold(laws, plan_index)
    hit_ids = {i for e in result.questions for i in e["retrieval"]["hybrid"]["ids"]}
    assert all("#" in i for i in hit_ids)

    rows = tune(picked, plan_index, dense_weights=(0.5,), split=None)  # every fusion (FUSIONS)
    assert {(r["fusion"], r["dense_weight"]) for r in rows} == {("scaled", 0.5), ("weighted", 0.5), ("rrf", 0.5)}
    assert rows[0]["mrr@10"] >= rows[1]["mrr@10"]
    assert "encode_query" not in vars(plan_index), "the query-vector memo is removed"
