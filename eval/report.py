"""Writing an :class:`eval.result.EvalResult`: Markdown report, plots, JSON, TREC files.

``write_report(result, folder)`` writes::

    folder/report.md          tables: retrieval per mode, per type × mode, significance,
                              answers, abstention by top-hit score, latency, misses, settings
    folder/recall_at_k.png    Recall@1…k curve per mode
    folder/mrr_by_type.png    MRR@10 per question type, one bar per mode
    folder/results.json       result.to_dict()
    folder/qrels.trec         TREC qrels of the in-scope questions (gold expanded, graded)
    folder/run.<mode>.trec    TREC run per mode (trec_eval -m all_trec qrels.trec run.hybrid.trec)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.plots import plot_mrr_by_type, plot_recall_curves
from eval.tables import METRIC_LABELS, fmt, table
from eval.trec import write_qrels
from eval.trec import write_run as write_trec_run

if TYPE_CHECKING:
    from eval.result import EvalResult

MISSES_SHOWN = 25


def write_run(result: EvalResult, mode: str, path: str | Path, tag: str | None = None) -> Path:
    """The TREC run (``qid Q0 docid rank score tag``) of ``mode``; score = k+1−rank.
    The parent folder is created."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return write_trec_run(result.ranked(mode), path, tag or f"policyqa-{mode}")


def write_report(result: EvalResult, folder: str | Path) -> dict[str, Path]:
    """Write the report files into ``folder`` (created); return ``{name: path}``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "report": folder / "report.md",
        "recall_plot": folder / "recall_at_k.png",
        "type_plot": folder / "mrr_by_type.png",
        "results": folder / "results.json",
        "qrels": folder / "qrels.trec",
    }
    plot_recall_curves(result.recall_curves, paths["recall_plot"])
    plot_mrr_by_type(result.by_type, paths["type_plot"])
    paths["results"].write_text(
        json.dumps(result.to_dict(), ensure_ascii=False, indent=1, allow_nan=False) + "\n",
        encoding="utf-8")
    write_qrels(result.qrels(), paths["qrels"])
    for mode in result.modes:
        paths[f"run_{mode}"] = write_run(result, mode, folder / f"run.{mode}.trec")
    paths["report"].write_text(render_markdown(result, paths), encoding="utf-8")
    return paths


# ---------------------------------------------------------------- markdown
def render_markdown(result: EvalResult, paths: dict[str, Path] | None = None,
                    level: int = 1, link_prefix: str = "") -> str:
    """The report as Markdown (image links are relative to the report's folder).

    ``level`` is the level of the title heading (2 nests the report as a section of a
    larger one; every heading moves down with it); ``link_prefix`` goes before image
    file names (e.g. ``"library-plan/"`` when the images are in a sub-folder).
    """
    text = _render(result, paths, link_prefix)
    if level > 1:
        extra = "#" * (level - 1)
        text = "\n".join(extra + line if line.startswith("#") else line
                         for line in text.split("\n"))
    return text


def _render(result: EvalResult, paths: dict[str, Path] | None, link_prefix: str) -> str:
    s = result.settings
    metrics = list(s["metrics"])
    labels = [METRIC_LABELS.get(m, m) for m in metrics]
    out = [f"# policyqa evaluation{' — ' + s['source'] if s.get('source') else ''}", "",
           (f"{s['date']} · {s['n_questions']} questions ({s['n_in_scope']} in scope, "
           f"{s['n_out_of_scope']} out of scope) · split {s['split']} · k {s['k']}"), ""]

    missing = s.get("missing_gold") or []
    if missing:
        out += [(f"**Warning: {s.get('n_skipped', 0)} question(s) skipped: {len(missing)} gold "
                 "id(s) name nothing in the index** (add the documents with `policyqa corpus "
                 f"build PATHS…`): {', '.join(missing[:10])}"
                 + (" …" if len(missing) > 10 else "")), ""]
    out += ["## Retrieval (in-scope questions)", ""]
    out += table(["mode", *labels], ([m, *(result.retrieval[m].get(x) for x in metrics)]
                                      for m in result.modes))
    if paths:
        out += [f"![Recall@k per mode]({link_prefix}{paths['recall_plot'].name})", ""]

    out += ["## Per question type", ""]
    rows = []
    types = sorted({t for per_type in result.by_type.values() for t in per_type})
    for t in types:
        for m in result.modes:
            cell = result.by_type[m].get(t, {})
            rows.append([t, int(cell.get("n", 0)), m, *(cell.get(x) for x in metrics)])
    out += table(["type", "n", "mode", *labels], rows)
    if paths:
        out += [f"![MRR@10 per question type]({link_prefix}{paths['type_plot'].name})", ""]

    out += _significance_section(result.significance)
    out += _answer_section(result.answers)
    out += _answer_failures(result)
    out += _abstention_section(result.abstention)

    out += ["## Latency (ms per question)", ""]
    out += table(["", "p50", "p95", "mean", "max", "n"],
                  ([name, *(fmt(v.get(x), 1) for x in ("p50", "p95", "mean", "max")), v.get("n")]
                   for name, v in result.latency_ms.items()))
    if s.get("warmup"):
        out += ["One untimed warm-up search per mode ran first (model and JIT start-up).", ""]

    out += _misses_section(result)
    if result.problems:
        out += ["## Skipped questions", ""]
        out += table(["line", "reason"], ([p["line"], p["reason"]] for p in result.problems))

    out += ["## Settings", ""]
    index = s.get("index") or {}
    model = index.get("model") or {}
    rows = [["question file", s.get("source")], ["split", s["split"]],
            ["modes", ", ".join(s["modes"])], ["k", s["k"]], ["fusion", s["fusion"]],
            ["dense weight", s["dense_weight"]], ["candidates", s["candidates"]],
            ["doc filter", s["doc_filter"]], ["answers evaluated", s["answers"]],
            ["significance tests", ", ".join(s["stat_tests"]) + f" (p < {s['max_p']})"],
            ["model", model.get("id")], ["corpus hash", index.get("corpus_hash")],
            ["index counts", json.dumps(index.get("counts"), ensure_ascii=False)
             if index.get("counts") else None],
            ["index settings", json.dumps(index.get("settings"), ensure_ascii=False)
             if index.get("settings") else None],
            ["date (UTC)", s["date"]]]
    out += table(["setting", "value"], rows)
    return "\n".join(out)


def _significance_section(sig: dict[str, Any] | None) -> list[str]:
    out = ["## Significance", ""]
    if not sig:
        return out + ["Not computed (needs hybrid and at least one single mode).", ""]
    t, b = sig["treatment"], sig["baseline"]
    out += [(f"Paired tests of **{t}** against the best single mode **{b}** (by MRR@10) over "
            f"{sig['n_queries']} in-scope questions; significant when p < {sig['max_p']}. "
            f"W/T/L = questions where {t} wins/ties/loses. Fisher p-values are Monte-Carlo "
            "estimates (ranx, 1000 permutations) and can differ by ~0.01 between runs."), ""]
    names = {"student": "paired t-test", "fisher": "Fisher randomization"}
    rows = []
    for test, per_metric in sig["tests"].items():
        for m, v in per_metric.items():
            wtl = sig["win_tie_loss"][m]
            rows.append([names.get(test, test), METRIC_LABELS.get(m, m), sig["scores"][t][m],
                         sig["scores"][b][m], fmt(v["p_value"], 4), v["significant"],
                         f"{wtl['W']}/{wtl['T']}/{wtl['L']}"])
    return out + table(["test", "metric", t, b, "p-value", "significant", "W/T/L"], rows)


def answer_rows(a: dict[str, Any]) -> list[list[Any]]:
    """(metric, value, count) rows of :func:`eval.answer_scoring.answer_metrics`' result (the
    library's combined answers carry only some of them)."""
    rows = []
    if "lead_exact" in a:
        rows.append(["department lead exact match", a["lead_exact"]["value"],
                     f"{a['lead_exact']['correct']}/{a['lead_exact']['n']}"])
    if "contains" in a:
        rows.append(["target value present (all `contains`)", a["contains"]["value"],
                     f"{a['contains']['correct']}/{a['contains']['n']}"])
    rows += [
        ["abstention precision", a["abstention"]["precision"],
         f"{a['abstention']['tp']}/{a['abstention']['tp'] + a['abstention']['fp']}"],
        ["abstention recall", a["abstention"]["recall"],
         f"{a['abstention']['tp']}/{a['abstention']['tp'] + a['abstention']['fn']}"],
        ["false abstention rate (in scope)", a["false_abstention"]["rate"],
         f"{a['false_abstention']['abstained']}/{a['false_abstention']['n']}"],
    ]
    for name, label in (("abstention_near", "abstention recall, near out-of-scope"),
                        ("abstention_far", "abstention recall, far out-of-scope")):
        cell = a.get(name) or {}
        if cell.get("n"):
            rows.append([label, cell["recall"], f"{cell['abstained']}/{cell['n']}"])
    first = a.get("lead_first") or {}
    if first.get("n"):
        rows.append(["led clauses cited first (dept_tasks)", first["value"],
                     f"{first['correct']}/{first['n']}"])
    return rows


def _answer_section(answers: dict[str, Any] | None) -> list[str]:
    out = ["## Answers", ""]
    if answers is None:
        return out + ["Not evaluated (retrieval only).", ""]
    a = answers
    out += table(["metric", "value", "count"], answer_rows(a))
    errors = a.get("errors") or []
    if errors:
        out += [f"**{len(errors)} question(s) raised an error** (scored as empty answers):", ""]
        out += table(["id", "error"], ([e["id"], e["error"]] for e in errors[:MISSES_SHOWN]))
    return out


def _answer_failures(result: EvalResult) -> list[str]:
    """Questions whose answer failed a check: wrong lead, missing value, wrong abstention."""
    rows = []
    for q in result.questions:
        a = q.get("answer")
        if a is None:
            continue
        failed = []
        if a["lead_ok"] is False:
            failed.append(f"lead {'、'.join(a['lead']) or '∅'}")
        if a["contains_ok"] is False:
            failed.append("value missing")
        if a.get("lead_first") is False:
            failed.append("led clauses not cited first")
        if a["abstained"] and q["gold"]:
            failed.append("abstained (in scope)")
        if not a["abstained"] and not q["gold"]:
            failed.append("answered (out of scope)")
        if a.get("error"):
            failed.append("error")
        if failed:
            excerpt = a["answer"].replace("\n", " ")
            rows.append([q["id"], q["type"], "; ".join(failed),
                         excerpt[:60] + ("…" if len(excerpt) > 60 else "")])
    if not rows:
        return []
    shown = rows[:MISSES_SHOWN]
    note = f" (first {len(shown)} of {len(rows)})" if len(rows) > len(shown) else ""
    out = [f"### Answer failures{note}", ""]
    return out + table(["id", "type", "failed", "answer"], shown)


def _abstention_section(abstention: dict[str, Any]) -> list[str]:
    if not abstention:
        return []
    out = ["## Abstention by top-hit score", "",
           ("If the answer layer abstained when the top hit's score is below a threshold: the "
           "best-F1 threshold per mode (positive = out of scope). Weighted-fusion hybrid "
           "scores are min-max normalized per query, so its top score carries little signal."),
           ""]
    rows = [[mode, r["threshold"], r["precision"], r["recall"], r["f1"],
             r["false_abstention_rate"]] for mode, r in abstention.items() if r]
    return out + table(["mode", "threshold", "precision", "recall", "F1",
                         "false abstention"], rows)


def _misses_section(result: EvalResult) -> list[str]:
    mode = "hybrid" if "hybrid" in result.modes else result.modes[0]
    misses = []
    for q in result.questions:
        if not q["gold"]:
            continue
        r = q["retrieval"][mode]
        rank = r["first_gold_rank"]
        if rank is None or rank > 5:
            misses.append([q["id"], q["type"], q["question"], ", ".join(q["gold"]),
                           rank if rank is not None else "–", r["ids"][0] if r["ids"] else "–"])
    out = [f"## Misses ({mode}: gold not in the top 5)", ""]
    if not misses:
        return out + ["None.", ""]
    shown = misses[:MISSES_SHOWN]
    note = f" (first {len(shown)} of {len(misses)})" if len(misses) > len(shown) else ""
    out += [f"{len(misses)} question(s){note}; full details in results.json.", ""]
    return out + table(["id", "type", "question", "gold", "rank", "top hit"], shown)
