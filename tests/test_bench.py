"""The benchmark's pure parts (tools/bench*.py): recall, the switch point, fill-run rates, the
import check, the eval figures, the goal lines. No timing is asserted here."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import numpy as np
import pytest

from tools.bench_ann import best_meeting_goals, choose_threshold, recall_at_k
from tools.bench_quality import quality_figures
from tools.bench_report import full_build_projection, goal_lines, render_markdown
from tools.bench_scale import (
    fill_runs,
    load_during,
    read_load_log,
    run_rate,
    scale_sizes,
    sentence_counts,
)
from tools.bench_startup import heavy_imports


def test_recall_counts_overlap_per_row_and_ignores_missing_ids():
    exact = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    approx = np.array([[4, 3, 2, 1], [5, 9, -1, -1]])
    assert recall_at_k(exact, approx) == pytest.approx((4 + 1) / 8)


def test_threshold_is_where_the_fitted_line_reaches_the_budget():
    # p50 = 0.05 ms per 1k vectors: 2 ms at 40k
    measured = {10_000: 0.5, 20_000: 1.0, 50_000: 2.5, 100_000: 5.0}
    assert choose_threshold(measured, 2.0, step=5_000) == 40_000
    assert choose_threshold(measured, 2.2, step=5_000) == 40_000  # rounded down
    assert choose_threshold({10_000: 50.0, 20_000: 100.0}, 2.0, step=5_000) == 5_000  # never below one step


def test_threshold_when_cost_does_not_grow_is_the_largest_size():
    assert choose_threshold({10_000: 1.0, 20_000: 0.9}, 2.0) == 20_000


def test_best_setting_must_meet_both_goals():
    rows = [{"recall_at_10": 0.99, "p50_ms": 3.0}, {"recall_at_10": 0.96, "p50_ms": 0.2},
            {"recall_at_10": 0.98, "p50_ms": 0.9}, {"recall_at_10": 0.975, "p50_ms": 0.5}]
    assert best_meeting_goals(rows) == {"recall_at_10": 0.975, "p50_ms": 0.5}
    assert best_meeting_goals(rows[:2]) is None


def test_run_rate_counts_texts_after_the_first_chunk():
    rate = run_rate([(100.0, 1024), (150.0, 1024), (200.0, 512)])
    assert rate["texts"] == 2560
    assert rate["wall_s"] == 100.0
    assert rate["texts_per_s"] == pytest.approx(1536 / 100, abs=0.01)
    assert run_rate([(100.0, 1024)])["texts_per_s"] is None


def test_fill_runs_groups_chunks_by_writer(tmp_path):
    def chunk(name: str, rows: int, mtime: float) -> None:
        path = tmp_path / f"{name}.keys.json"
        path.write_text(json.dumps([f"k{i}" for i in range(rows)]))
        os.utime(path, (mtime, mtime))

    chunk("chunk-00000", 4, 1000)
    chunk("chunk-00001", 4, 1010)
    chunk("chunk-00002-abc123", 2, 2000)
    chunk("chunk-00003-abc123", 2, 2004)
    chunk("chunk-00004-abc123", 2, 2008)
    (tmp_path / "stats.json").write_text("{}")
    runs = fill_runs(tmp_path)
    assert [r["writer"] for r in runs] == ["(no writer id)", "abc123"]
    assert runs[0]["texts_per_s"] == pytest.approx(0.4)
    assert runs[1]["texts"] == 6 and runs[1]["texts_per_s"] == pytest.approx(0.5)


def test_load_during_a_run_and_the_log_format(tmp_path):
    log = tmp_path / "load.log"
    log.write_text("100 1.5 1.2 1.0\n200 3.0 2.0 1.0\nbroken line\n300 2.0 2.0 1.0\n400 9.0 9.0 9.0\n")
    samples = read_load_log(log)
    assert samples == [(100.0, 1.5), (200.0, 3.0), (300.0, 2.0), (400.0, 9.0)]
    assert load_during(samples, 150, 350) == {"samples": 2, "min": 2.0, "median": 2.5, "max": 3.0}
    assert load_during(samples, 500, 600) is None
    assert read_load_log(tmp_path / "missing.log") == []


def test_scale_sizes_caps_and_deduplicates():
    assert scale_sizes("10000,100000,all", 50_000) == [(10_000, "10000"), (50_000, "100000")]
    assert scale_sizes("500, all", 1224) == [(500, "500"), (1224, "all")]


def test_sentence_counts_only_records_with_several_sentences():
    def record(*texts):
        return SimpleNamespace(sentences=[SimpleNamespace(text=t) for t in texts])

    counts = sentence_counts([record("一句。"), record("甲。", "乙。"), record("甲。", "丙丙。")])
    assert counts["sentences"] == 4 and counts["distinct"] == 3


def test_heavy_imports_reads_the_importtime_log():
    log = """import time: self [us] | cumulative | imported package
import time:       120 |        120 |   jieba
import time:        80 |        900 |     onnxruntime.capi
import time:        10 |         10 | torchvision_like
some other stderr line mentioning torch
"""
    assert heavy_imports(log) == ["onnxruntime"]
    assert heavy_imports("import time: 1 | 1 | torch.nn.functional") == ["torch"]


def test_quality_figures_from_both_result_shapes():
    answers = {"abstention": {"tp": 10, "fp": 2, "fn": 3, "tn": 100, "precision": 0.833, "recall": 0.769},
               "false_abstention": {"n": 100, "abstained": 2, "rate": 0.02}}
    plan = {"retrieval": {"hybrid": {"mrr@10": 0.9, "recall@5": 0.95, "n": 121}}, "answers": answers}
    library = {"summary": {"retrieval": {"library-plan.jsonl": {"hybrid": {"mrr@10": 0.1}},
                                         "all files": {"hybrid": {"mrr@10": 0.86, "recall@5": 0.84, "n": 336}}},
                           "answers": answers}}
    p, lib = quality_figures(plan), quality_figures(library)
    assert (p["mrr_at_10"], p["in_scope"], p["out_of_scope"]) == (0.9, 121, 13)
    assert (lib["mrr_at_10"], lib["abstention_precision"], lib["false_abstention"]) == (0.86, 0.833, 0.02)


def _latency(p50: float) -> dict:
    return {"p50_ms": p50, "p95_ms": p50 * 2}


def _scale(bm25_full: float, lookup_full: float) -> dict:
    def size(label, n, bm25, lookup, ratio):
        return {"label": label, "records": n, "real_vectors": n, "loadavg": [1.0, 1.0, 1.0],
                "latency": {"bm25": _latency(bm25), "lookup": _latency(lookup), "bm25_core": _latency(0.5)},
                "goal_bm25_met": bm25 <= 5.0, "hybrid_over_encode_p50": ratio, "goal_hybrid_met": ratio <= 1.3}

    return {"unique_texts": 120_000, "sentence_counts": {"distinct": 60_000},
            "embedding": {"runs": [{"writer": "a", "texts": 1000, "texts_per_s": 10.0},
                                   {"writer": "b", "texts": 90_000, "texts_per_s": 50.0}]},
            "index_build": {"seconds": 120.0, "peak_rss_mb": 3000},
            "sizes": [size("10000", 10_000, 1.0, 0.2, 1.1), size("all", 150_000, bm25_full, lookup_full, 1.2)]}


def test_full_build_projection_uses_the_longest_run():
    proj = full_build_projection(_scale(2.0, 0.3))
    assert proj["run"]["writer"] == "b"
    assert proj["embed_min"] == pytest.approx(40.0)  # 120k texts at 50/s
    assert proj["total_min"] == pytest.approx(42.0)
    assert proj["sentence_min"] == pytest.approx(20.0)


def test_goal_lines_say_not_met_with_a_cause():
    rows = {r["goal"][:3]: r for r in goal_lines({"scale": _scale(7.5, 30.0)})}
    assert rows["2. "]["status"] == "met"
    assert rows["3a."]["status"] == "**NOT met**" and "7.5" in rows["3a."]["figure"]
    assert "look-up 30.00 ms" in rows["3a."]["cause"]
    assert rows["3b."]["status"] == "met"
    assert rows["3c."]["status"] == "**NOT met**" and rows["3c."]["cause"]
    fine = {r["goal"][:3]: r for r in goal_lines({"scale": _scale(2.0, 0.3)})}
    assert fine["3a."]["status"] == "met" and fine["3c."]["status"] == "met"


def test_report_renders_failed_parts_instead_of_crashing():
    results = {"command": "python -m tools.bench", "date": "2026-12-01", "duration_min": 1.0,
               "model": {"path": "m", "backend": "onnx-fp32", "load_s": 1.0},
               "machine": {"cores": 2, "cpu_model": "x", "memory_gb": 1, "python": "3.11", "platform": "p",
                           "libraries": {}, "env": {}, "loadavg": [1.0, 1.0, 1.0]},
               "quality": {"error": "RuntimeError: eval failed"},
               "plan_startup": {"error": "RuntimeError: no plan home"},
               "second_stage": {"error": "RuntimeError: rerank weights"}}
    text = render_markdown(results)
    assert text.count("Not measured") == 3
    assert "rerank weights" in text


def test_peak_rss_is_the_childs_own_not_inherited_from_the_parent():
    import subprocess
    import sys

    from tools.bench_startup import PeakRss

    ballast = bytearray(300 * 2**20)  # a large parent: wait4's ru_maxrss would report ≥ this
    ballast[::4096] = b"x" * len(ballast[::4096])  # touch every page so it is resident
    proc = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(120 * 2**20); time.sleep(0.5)"])
    peak = PeakRss(proc.pid, every=0.01)
    os.wait4(proc.pid, 0)
    peak_mb = peak.stop()
    assert 100 <= peak_mb < 300
    del ballast
