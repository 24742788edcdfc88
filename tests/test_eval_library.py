"""eval: graded and hierarchical gold, unknown gold ids, non-TTY progress, the library
benchmark command (``python -m eval.library``) on a tiny library."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest

from eval.answer_scoring import answer_metrics
from eval.gold import RecordCatalog, UnknownGoldError, export_qrels, path_segments, qrels
from eval.metrics import evaluate
from eval.questions import Question, load_questions, parse_lines
from eval.trec import rank_scores, read_qrels
from tests.conftest import POPULATION_LAW, clone_home

PLAN = "gansu-2022-46"
LAW = "老年人权益保障法-2018-12-29"
#: Hand-made record ids: plan parts 二 and 二十 (a false prefix of 二), sections, items,
#: a law with chapters and one with 编/章/节.
RECORD_IDS = [
    f"{PLAN}#前言", f"{PLAN}#二", f"{PLAN}#二¶1", f"{PLAN}#二¶2", f"{PLAN}#二(一)",
    f"{PLAN}#二十(一)1", f"{PLAN}#二十¶1", f"{PLAN}#三(二)", f"{PLAN}#三(二)1",
    f"{PLAN}#三(二)2", f"{PLAN}#三(二)12", f"{PLAN}#三(二十)1", f"{PLAN}#三(三)1",
    f"{LAW}#第一章/第一条", f"{LAW}#第三章/第十条", f"{LAW}#第三章/第十一条",
    f"{LAW}#第三十章/第一条", "民法典-2020#第一编/第二章/第一节/第十条",
    "民法典-2020#第一编/第二章/第二节/第十五条", "民法典-2020#第一编/第三章/第一节/第二十条",
]


def q(qid: str, gold, qtype: str = "topical", **extra) -> Question:
    grades = None
    if isinstance(gold, dict):
        gold, grades = tuple(gold), tuple(gold.values())
    return Question(id=qid, question=f"question {qid}", type=qtype, gold=tuple(gold),
                    grades=grades, **extra)


class RecordsIndex:
    """A fake index with ``records`` (so gold is expanded) and fixed rankings per question."""

    def __init__(self, record_ids, rankings: dict[str, list[str]]):
        self.records = [SimpleNamespace(id=i) for i in record_ids]
        self.rankings = rankings
        self.manifest = {"model": {"id": "fake"}}

    def search(self, query, k=10, mode="hybrid", filters=None, fusion="weighted",
               dense_weight=0.5, candidates=100, rerank=False):
        text = query if isinstance(query, str) else query.text  # a qa Query when reranking
        ids = self.rankings.get(text.split()[-1], [])[:k]
        return [SimpleNamespace(record=SimpleNamespace(id=i), score=1.0) for i in ids]


# ---------------------------------------------------------------- graded gold
def test_graded_gold_parses_and_goes_into_qrels_and_trec(tmp_path):
    lines = [
        json.dumps({"id": "g1", "question": "x", "type": "target",
                    "gold": {f"{PLAN}#二¶2": 2, f"{LAW}#第一章/第一条": 1}}),
        json.dumps({"id": "g2", "question": "x", "type": "target", "gold": [f"{PLAN}#前言"]}),
        json.dumps({"id": "bad3", "question": "x", "type": "target", "gold": {f"{PLAN}#二": 3}}),
        json.dumps({"id": "badt", "question": "x", "type": "target", "gold": {f"{PLAN}#二": True}}),
        json.dumps({"id": "bads", "question": "x", "type": "target", "gold": f"{PLAN}#二"}),
    ]
    questions, problems = parse_lines(lines)
    assert [x.id for x in questions] == ["g1", "g2"]
    assert {p.line for p in problems} == {3, 4, 5}
    assert all("1 or 2" in p.reason for p in problems if p.line in (3, 4))
    g1 = questions[0]
    assert g1.gold_grades == {f"{PLAN}#二¶2": 2, f"{LAW}#第一章/第一条": 1}
    assert g1.to_dict()["gold"] == {f"{PLAN}#二¶2": 2, f"{LAW}#第一章/第一条": 1}
    assert questions[1].to_dict()["gold"] == [f"{PLAN}#前言"], "a list stays a list"
    assert qrels(questions) == {"g1": g1.gold_grades, "g2": {f"{PLAN}#前言": 1}}
    export_qrels(questions, tmp_path / "qrels.trec")
    assert f"g1 0 {PLAN}#二¶2 2" in (tmp_path / "qrels.trec").read_text(encoding="utf-8")
    assert read_qrels(tmp_path / "qrels.trec") == qrels(questions)


def test_ndcg_uses_grades_while_mrr_and_recall_count_any_grade():
    gold = {"q": {"D#a": 2, "D#b": 1}}
    run = {"q": dict(rank_scores(["D#b", "D#x", "D#a"], 10))}
    scores = evaluate(gold, run)
    dcg = 1 / math.log2(2) + 2 / math.log2(4)
    ideal = 2 / math.log2(2) + 1 / math.log2(3)
    assert scores["ndcg@10"] == pytest.approx(dcg / ideal)
    flat = evaluate({"q": {"D#a": 1, "D#b": 1}}, run)
    assert flat["ndcg@10"] != pytest.approx(scores["ndcg@10"]), "grades change nDCG"
    assert scores["mrr@10"] == 1.0, "the grade-1 record at rank 1 counts for MRR"
    assert scores["recall@1"] == 0.5 and scores["recall@3"] == 1.0


# ---------------------------------------------------------------- hierarchical gold
def test_path_segments_compare_whole_levels():
    assert path_segments("三(二)1") == ("三", "(二)", "1")
    assert path_segments("二¶1") == ("二", "¶1")
    assert path_segments("二十(一)") == ("二十", "(一)")
    assert path_segments("三（二）") == ("三", "(二)"), "full-width parentheses"
    assert path_segments("第一编/第二章/第一节/第十条") == ("第一编", "第二章", "第一节", "第十条")


def test_hierarchical_gold_expands_to_every_record_inside():
    catalog = RecordCatalog(RECORD_IDS)
    assert set(catalog.expand(f"{PLAN}#二")) == {f"{PLAN}#二", f"{PLAN}#二¶1", f"{PLAN}#二¶2",
                                                f"{PLAN}#二(一)"}, "part: not 二十…"
    assert catalog.expand(f"{PLAN}#三(二)") == (f"{PLAN}#三(二)", f"{PLAN}#三(二)1",
                                                f"{PLAN}#三(二)2", f"{PLAN}#三(二)12")
    assert catalog.expand(f"{PLAN}#三(二)1") == (f"{PLAN}#三(二)1",), "not 三(二)12"
    assert catalog.expand(f"{LAW}#第三章") == (f"{LAW}#第三章/第十条", f"{LAW}#第三章/第十一条")
    assert catalog.expand("民法典-2020#第一编/第二章") == (
        "民法典-2020#第一编/第二章/第一节/第十条", "民法典-2020#第一编/第二章/第二节/第十五条")
    assert len(catalog.expand(PLAN)) == 13, "a whole document"
    assert catalog.expand(f"{PLAN}#四") == () and catalog.expand("nope#二") == ()
    assert catalog.expand(f"{LAW}#第三") == (), "no partial level"

    graded = q("h", {f"{PLAN}#二": 1, f"{PLAN}#二¶2": 2})
    assert qrels([graded], catalog)["h"] == {f"{PLAN}#二": 1, f"{PLAN}#二¶1": 1,
                                             f"{PLAN}#二¶2": 2, f"{PLAN}#二(一)": 1}


def test_run_scores_expanded_gold_with_inherited_grades(tmp_path):
    from eval.report import write_report
    from eval.run import run

    questions = [q("part", {f"{PLAN}#三(二)": 2}), q("chapter", [f"{LAW}#第三章"]),
                 q("doc", [LAW], "whole")]
    index = RecordsIndex(RECORD_IDS, {
        "part": [f"{PLAN}#二", f"{PLAN}#三(二)2"],
        "chapter": [f"{LAW}#第三十章/第一条", f"{LAW}#第一章/第一条", f"{LAW}#第三章/第十一条"],
        "doc": [f"{PLAN}#二", f"{LAW}#第三十章/第一条"],
    })
    result = run(questions, index, modes=("hybrid",))
    first = {e["id"]: e["retrieval"]["hybrid"]["first_gold_rank"] for e in result.questions}
    assert first == {"part": 2, "chapter": 3, "doc": 2}
    assert result.retrieval["hybrid"]["mrr@10"] == pytest.approx((1 / 2 + 1 / 3 + 1 / 2) / 3)
    by_id = {e["id"]: e for e in result.questions}
    assert by_id["part"]["qrels"] == {f"{PLAN}#三(二)": 2, f"{PLAN}#三(二)1": 2,
                                      f"{PLAN}#三(二)2": 2, f"{PLAN}#三(二)12": 2}
    assert by_id["part"]["gold"] == [f"{PLAN}#三(二)"], "the gold as written is kept"
    assert len(by_id["doc"]["qrels"]) == 4, "every article of the law"
    assert result.by_type["hybrid"]["whole"]["mrr@10"] == pytest.approx(0.5)
    paths = write_report(result, tmp_path / "report")
    assert read_qrels(paths["qrels"])["part"][f"{PLAN}#三(二)12"] == 2


# ---------------------------------------------------------------- unknown gold
def unknown_file(tmp_path: Path) -> Path:
    lines = [{"id": "ok", "question": "question ok", "type": "topical", "gold": [f"{PLAN}#二"]},
             {"id": "lost", "question": "question lost", "type": "topical",
              "gold": [f"{PLAN}#二", "慈善法-2023-12-29#第一章"]},
             {"id": "oos", "question": "question oos", "type": "out_of_scope", "gold": []}]
    path = tmp_path / "unknown.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                    encoding="utf-8")
    return path


def test_unknown_gold_is_an_error_naming_question_and_id(tmp_path):
    from eval.run import missing_gold, run

    path = unknown_file(tmp_path)
    questions, _ = load_questions(path)
    index = RecordsIndex(RECORD_IDS, {"ok": [f"{PLAN}#二¶1"]})
    with pytest.raises(UnknownGoldError) as info:
        run(questions, index, modes=("hybrid",), strict=True, source=str(path))
    message = str(info.value)
    assert message.startswith(f"{path}:2: question lost:")
    assert "慈善法-2023-12-29#第一章" in message and "policyqa corpus build" in message

    result = run(questions, index, modes=("hybrid",), source=str(path))
    assert [e["id"] for e in result.questions] == ["ok", "oos"], "skipped, not a miss"
    assert result.retrieval["hybrid"]["mrr@10"] == 1.0
    assert result.problems == [{"line": 2, "reason": info.value.reason}]
    assert result.settings["missing_gold"] == ["慈善法-2023-12-29#第一章"]
    assert missing_gold(questions, index) == ["慈善法-2023-12-29#第一章"]

    with pytest.raises(ValueError, match=r"no question left.*unknown.jsonl:2: question lost"):
        run([questions[1]], index, modes=("hybrid",), source=str(path))


def cli():
    """The ``policyqa`` command group (``eval`` is one of its commands)."""
    from app.cli import main

    return main


def test_cli_skips_unknown_gold_with_file_line_and_prints_plain_progress(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from core import Assistant

    path = unknown_file(tmp_path)
    fake = RecordsIndex(RECORD_IDS, {"ok": [f"{PLAN}#二¶1"]})
    monkeypatch.setattr(Assistant, "_open", lambda self, progress=None: fake)  # the served index
    runner = CliRunner()
    args = ["eval", str(path), "--no-answers", "--modes", "hybrid", "--home", str(tmp_path)]
    result = runner.invoke(cli(), args)
    assert result.exit_code == 0, result.output
    assert f"warning: {path}:2: question lost: gold id '慈善法-2023-12-29#第一章'" in result.stderr
    assert "(skipped)" in result.stderr
    assert "2 questions (1 in scope)" in result.stdout
    # stderr is not a terminal: plain progress lines, no redrawn bar frames
    assert "\r" not in result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("eval ")]
    assert progress and progress[0].startswith("eval ") and "%" in progress[0]
    assert progress[-1].startswith("eval 100%")

    strict = runner.invoke(cli(), [*args, "--strict"])
    assert strict.exit_code == 1
    assert f"{path}:2: question lost" in strict.output and "policyqa corpus build" in strict.output


# ---------------------------------------------------------------- progress
def test_line_progress_prints_lines_every_interval_not_bar_frames():
    from eval.progress import BarProgress, LineProgress, progress_reporter

    now = [0.0]
    stream = io.StringIO()
    say = LineProgress("eval", stream, interval=50.0, clock=lambda: now[0])
    for step in range(1, 301):
        now[0] = float(step)  # one step a second, a line every 50 s
        say(step / 300, f"hybrid {step}/300")
    say.close()
    lines = stream.getvalue().splitlines()
    assert lines[:3] == ["eval 0% hybrid 1/300", "eval 17% hybrid 51/300",
                         "eval 33% hybrid 101/300"]
    assert len(lines) == 7, "one line per interval, not one per step"
    assert lines[-1] == "eval 100% hybrid 300/300", "the last state is written on close"
    assert "\r" not in stream.getvalue()

    with progress_reporter("eval", stream=io.StringIO()) as reporter:
        assert isinstance(reporter, LineProgress), "a StringIO is not a terminal"
    bar_stream = io.StringIO()
    with progress_reporter("eval", stream=bar_stream, tty=True) as reporter:
        assert isinstance(reporter, BarProgress)
        reporter(0.5, "hybrid 1/2")
    assert "\r" in bar_stream.getvalue(), "a terminal gets the redrawn tqdm bar"
    quiet = io.StringIO()
    with progress_reporter("eval", stream=quiet, disable=True) as reporter:
        reporter(0.5, "x")
    assert quiet.getvalue() == ""


# ---------------------------------------------------------------- new fields, answers
def test_new_optional_fields_are_validated_with_line_numbers():
    lines = [
        json.dumps({"id": "d1", "question": "省民政厅要做什么？", "type": "dept_tasks",
                    "dept": "省民政厅", "gold": [f"{PLAN}#三(二)1", f"{PLAN}#二¶1"],
                    "lead_gold": [f"{PLAN}#三(二)1"], "split": "dev"}, ensure_ascii=False),
        json.dumps({"id": "n1", "question": "x", "type": "out_of_scope", "gold": [], "near": True}),
        json.dumps({"id": "n2", "question": "x", "type": "topical", "gold": [PLAN], "near": False}),
        json.dumps({"id": "n3", "question": "x", "type": "out_of_scope", "gold": [], "near": "yes"}),
        json.dumps({"id": "d2", "question": "x", "type": "dept_tasks", "gold": [PLAN], "dept": ""}),
        json.dumps({"id": "d3", "question": "x", "type": "dept_tasks", "gold": [PLAN],
                    "lead_gold": ["a b"]}),
    ]
    questions, problems = parse_lines(lines)
    assert [x.id for x in questions] == ["d1", "n1"]
    d1 = questions[0]
    assert d1.dept == "省民政厅" and d1.lead_gold == (f"{PLAN}#三(二)1",) and d1.line == 1
    assert questions[1].near is True
    assert d1.to_dict()["lead_gold"] == [f"{PLAN}#三(二)1"] and questions[1].to_dict()["near"]
    reasons = {p.line: p.reason for p in problems}
    assert "only for out_of_scope" in reasons[3]
    assert "true or false" in reasons[4]
    assert "'dept' must be a non-empty string" in reasons[5]
    assert "lead_gold id 'a b'" in reasons[6]


def cited(*ids: str, abstained: bool = False) -> dict:
    return {"answer": "" if abstained else "答案", "abstained": abstained,
            "citations": [{"doc_id": i.split("#")[0], "path": i.split("#")[1]} for i in ids],
            "departments": {"lead": []}}


def test_answer_metrics_split_near_far_and_check_led_clauses_first():
    from eval.run import run

    questions = [
        q("d-ok", [f"{PLAN}#三(二)", f"{PLAN}#二¶1"], "dept_tasks", dept="省民政厅",
          lead_gold=(f"{PLAN}#三(二)",)),  # a section: the answer must cite all 4 first
        q("d-late", [f"{PLAN}#三(二)1", f"{PLAN}#二¶1"], "dept_tasks",
          lead_gold=(f"{PLAN}#三(二)1",)),
        q("d-none", [f"{PLAN}#二¶1"], "dept_tasks", lead_gold=()),  # leads nothing: not counted
        q("near-1", [], "out_of_scope", near=True), q("near-2", [], "out_of_scope", near=True),
        q("far-1", [], "out_of_scope", near=False), q("oos", [], "out_of_scope"),
    ]
    section = [f"{PLAN}#三(二)", f"{PLAN}#三(二)1", f"{PLAN}#三(二)2", f"{PLAN}#三(二)12"]
    answers = {
        "d-ok": cited(*reversed(section), f"{PLAN}#二¶1"),
        "d-late": cited(f"{PLAN}#二¶1", f"{PLAN}#三(二)1"),
        "d-none": cited(f"{PLAN}#二¶1"),
        "near-1": cited(abstained=True), "near-2": cited(f"{PLAN}#二"),
        "far-1": cited(abstained=True), "oos": cited(abstained=True),
    }
    index = RecordsIndex(RECORD_IDS, {})
    result = run(questions, index, modes=("hybrid",), answer_fn=lambda x: answers[x["id"]])
    a = result.answers
    assert a["lead_first"] == {"n": 2, "correct": 1, "value": 0.5}
    assert a["abstention_near"] == {"n": 2, "abstained": 1, "recall": 0.5}
    assert a["abstention_far"] == {"n": 1, "abstained": 1, "recall": 1.0}
    assert a["abstention"]["recall"] == pytest.approx(3 / 4)
    by_id = {e["id"]: e["answer"] for e in result.questions}
    assert by_id["d-ok"]["lead_first"] is True and by_id["d-late"]["lead_first"] is False
    assert by_id["d-none"]["lead_first"] is None
    # without the expansion the section id is not cited literally first → not counted ok
    literal = answer_metrics(questions, answers)
    assert literal["lead_first"]["correct"] == 0

    from eval.report import render_markdown

    text = render_markdown(result)
    assert "| abstention recall, near out-of-scope | 0.500 | 1/2 |" in text
    assert "| led clauses cited first (dept_tasks) | 0.500 | 1/2 |" in text
    assert "led clauses not cited first" in text


# ---------------------------------------------------------------- the library command
def test_library_errors_name_the_missing_path_and_variable(tmp_path):
    from eval.library import LibraryError, main, read_documents

    listing = tmp_path / "documents.txt"
    listing.write_text("# comment\n\n社会法/不存在的法(2000-01-01).md\n", encoding="utf-8")
    with pytest.raises(LibraryError) as info:
        read_documents(listing, tmp_path / "nowhere")
    assert f"{listing}:3" in str(info.value) and "POLICYQA_SHARED" in str(info.value)
    assert str(tmp_path / "nowhere" / "社会法") in str(info.value)
    err = io.StringIO()
    status = main(["--documents", str(tmp_path / "missing.txt"), "--home", str(tmp_path / "h")],
                  stdout=io.StringIO(), stderr=err)
    assert status == 1 and f"{tmp_path / 'missing.txt'}" in err.getvalue()


POP = "人口与计划生育法-2021-08-20"
LIBRARY_QUESTIONS = {
    "library-mini.jsonl": [
        {"id": "m-plan", "question": "社区服务设施建设补短板有哪些任务？", "type": "topical",
         "gold": {f"{PLAN}#三(二)": 2, f"{PLAN}#二": 1}, "split": "dev"},
        {"id": "m-law", "question": "国家对实行计划生育的夫妻有哪些奖励和社会保障？", "type": "law",
         "gold": [f"{POP}#第四章"], "split": "dev"},
        {"id": "m-doc", "question": "人口与计划生育法的立法目的是什么？", "type": "law",
         "gold": [POP], "split": "test"},
        {"id": "m-lost", "question": "慈善组织如何登记？", "type": "law",
         "gold": ["慈善法-2023-12-29#第二章"], "split": "dev"},
    ],
    "library-oos.jsonl": [
        {"id": "o-near", "question": "兰州市养老机构床位补贴标准是多少？", "type": "out_of_scope",
         "gold": [], "near": True, "split": "dev"},
        {"id": "o-far", "question": "明天兰州天气怎么样？", "type": "out_of_scope", "gold": [],
         "near": False, "split": "dev"},
    ],
}


@pytest.fixture(scope="module")
def tiny_library(tmp_path_factory, indexed_home):
    """A library home: the plan + the population law, indexed (vectors seeded from pytest's
    cache), copied so the command may rebuild in it."""
    from corpus.config import Settings

    law_root = Settings().shared / "corpora" / "lawrefbook"
    assert POPULATION_LAW.is_file(), f"shared corpus missing at {law_root}"
    root = tmp_path_factory.mktemp("library")
    settings = clone_home(indexed_home("eval-library", paths=[POPULATION_LAW]), root / "home")
    listing = root / "documents.txt"
    listing.write_text(f"# tiny library\n{POPULATION_LAW.relative_to(law_root)}\n",
                       encoding="utf-8")
    questions = root / "questions"
    questions.mkdir()
    for name, rows in LIBRARY_QUESTIONS.items():
        (questions / name).write_text(
            "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    (questions / "plan.jsonl").write_text("not a library file\n", encoding="utf-8")
    return SimpleNamespace(settings=settings, listing=listing, questions=questions, root=root)


def test_library_command_writes_a_combined_report(tiny_library):
    from eval.library import main
    from eval.library_report import ALL

    lib = tiny_library
    out, err = io.StringIO(), io.StringIO()
    report = lib.root / "report"
    status = main(["--home", str(lib.settings.home), "--documents", str(lib.listing),
                   "--questions", str(lib.questions), "--report", str(report),
                   "--split", "dev", "--no-answers"], stdout=out, stderr=err)
    assert status == 0, err.getvalue()
    assert "library-mini.jsonl:4: question m-lost" in err.getvalue(), "skipped, with file:line"
    assert "\r" not in err.getvalue()

    text = (report / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# policyqa library benchmark")
    assert text.index("## Summary") < text.index("## By question type")
    headings = [line for line in text.splitlines() if line.startswith("## policyqa evaluation")]
    assert len(headings) == 2
    assert "library-mini.jsonl" in headings[0] and "library-oos.jsonl" in headings[1]
    assert "### Retrieval (in-scope questions)" in text, "file sections are nested"
    assert "](library-mini/recall_at_k.png)" in text
    assert "Not evaluated (retrieval only" in text

    data = json.loads((report / "results.json").read_text(encoding="utf-8"))
    assert set(data["files"]) == {"library-mini.jsonl", "library-oos.jsonl"}
    mini = data["summary"]["retrieval"]["library-mini.jsonl"]
    assert mini["hybrid"]["n"] == 2, "dev split, m-lost skipped"
    assert 0.0 <= mini["hybrid"]["mrr@10"] <= 1.0
    assert mini["hybrid"]["recall@5"] > 0, "the expanded section/chapter gold is found"
    assert data["summary"]["retrieval"][ALL]["hybrid"]["n"] == 2
    assert data["files"]["library-oos.jsonl"]["settings"]["n_out_of_scope"] == 2
    details = json.loads((report / "library-mini" / "results.json").read_text(encoding="utf-8"))
    plan_q = next(x for x in details["questions"] if x["id"] == "m-plan")
    assert plan_q["qrels"][f"{PLAN}#三(二)1"] == 2 and plan_q["qrels"][f"{PLAN}#二¶1"] == 1
    law_q = next(x for x in details["questions"] if x["id"] == "m-law")
    assert law_q["qrels"] and all(i.startswith(f"{POP}#第四章/") for i in law_q["qrels"])
    for name in ("mrr_by_file.png", "mrr_by_type.png", "recall_at_k.png",
                 "library-mini/mrr_by_type.png"):
        assert (report / name).read_bytes().startswith(b"\x89PNG")
    assert "library-mini.jsonl" in out.getvalue() and "wrote" in out.getvalue()
