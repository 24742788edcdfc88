"""Rendering of the library benchmark's combined report (see :mod:`eval.library`).

:func:`write_library_report` writes ``report.md``, ``results.json``, the cross-file plots
and one sub-folder per evaluated question file; :func:`render_library_markdown` renders the
combined Markdown report and :func:`summary_lines` the plain-text terminal summary.
This module only renders a :class:`eval.library_eval.LibraryResult`; it never imports
:mod:`eval.library_eval` at run time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from eval.plots import plot_mrr_by_type, plot_recall_curves
from eval.report import answer_rows, render_markdown, write_report
from eval.tables import METRIC_LABELS, fmt, table

if TYPE_CHECKING:
    from eval.library_eval import LibraryResult

#: The summary's metrics (every per-file section has them all).
SUMMARY_METRICS = ("mrr@10", "recall@5", "ndcg@10")
ALL = "all files"


def write_library_report(lib: LibraryResult, folder: Path) -> dict[str, Path]:
    """``report.md``, ``results.json``, ``mrr_by_file.png``, ``mrr_by_type.png``,
    ``recall_at_k.png`` and one sub-folder per evaluated file (:func:`write_report`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"report": folder / "report.md", "results": folder / "results.json",
             "file_plot": folder / "mrr_by_file.png", "type_plot": folder / "mrr_by_type.png",
             "recall_plot": folder / "recall_at_k.png"}
    file_paths = {f.name: write_report(f.result, folder / f.folder)
                  for f in lib.files if f.result is not None}
    s = lib.summary
    modes = lib.settings["modes"]
    by_file = {m: {name.removesuffix(".jsonl"): cells[m] for name, cells in s["retrieval"].items()
                   if m in cells and cells[m].get("n")} for m in modes}
    plot_mrr_by_type(by_file, paths["file_plot"], title="MRR@10 per question file")
    plot_mrr_by_type(s["by_type"], paths["type_plot"],
                     title="MRR@10 per question type (all files)")
    plot_recall_curves(s["recall_curves"], paths["recall_plot"])
    paths["results"].write_text(json.dumps(lib.to_dict(), ensure_ascii=False, indent=1,
                                           allow_nan=False) + "\n", encoding="utf-8")
    paths["report"].write_text(render_library_markdown(lib, paths, file_paths),
                               encoding="utf-8")
    return paths


def render_library_markdown(lib: LibraryResult, paths: Mapping[str, Path] | None = None,
                            file_paths: Mapping[str, Mapping[str, Path]] | None = None) -> str:
    """The combined report: summary tables, then each file's report as a section."""
    st, s = lib.settings, lib.summary
    labels = [METRIC_LABELS[m] for m in SUMMARY_METRICS]
    out = ["# policyqa library benchmark", "",
           (f"{st['date']} · split {st['split']} · {s['n_questions']} questions in "
            f"{sum(f.result is not None for f in lib.files)} file(s) · "
            f"{len(st.get('documents') or [])} law(s) + the shipped plan · "
            f"{st.get('records', '?')} records · no document filter"), ""]
    if lib.failed:
        out += [f"**{len(lib.failed)} question file(s) failed:**", ""]
        out += table(["file", "error"], ([f.name, f.error] for f in lib.failed))

    out += ["## Summary (in-scope questions)", ""]
    rows = []
    for name, cells in s["retrieval"].items():
        for mode, cell in cells.items():
            rows.append([f"**{name}**" if name == ALL else name, mode, cell.get("n"),
                         *(cell.get(m) for m in SUMMARY_METRICS)])
    for f in lib.files:
        if f.result is None:
            rows.append([f.name, "–", 0, *(["–"] * len(SUMMARY_METRICS))])
    out += table(["file", "mode", "n", *labels], rows)
    if paths:
        out += [(f"![MRR@10 per question file]({paths['file_plot'].name}) "
                f"![Recall@k, all files]({paths['recall_plot'].name})"), ""]

    out += ["## By question type (all files)", ""]
    rows = []
    types = sorted({t for per_type in s["by_type"].values() for t in per_type})
    for t in types:
        for mode, per_type in s["by_type"].items():
            cell = per_type.get(t, {})
            rows.append([t, int(cell.get("n", 0)), mode, *(cell.get(m) for m in SUMMARY_METRICS)])
    out += table(["type", "n", "mode", *labels], rows)
    if paths:
        out += [f"![MRR@10 per question type]({paths['type_plot'].name})", ""]

    out += ["## Answers (all files)", ""]
    a = s["answers"]
    if a is None:
        out += ["Not evaluated (retrieval only, `--no-answers`).", ""]
    else:
        out += table(["metric", "value", "count"], answer_rows(a))
        out += [("Positive = out of scope (should abstain). Near out-of-scope questions are "
                 "close to the library's topics, far ones are not. *Led clauses cited first*: "
                 "the answer's citations start with every clause the department leads "
                 "(`lead_gold`)."), ""]
        if a["errors"]:
            out += [f"**{a['errors']} answer(s) raised an error** (see the file sections).", ""]

    out += ["## Documents", "", "The shipped plan and, from `lawrefbook`:", ""]
    out += [f"- {d}" for d in st.get("documents") or []] + [""]
    for key, label in (("model", "model"), ("corpus_hash", "corpus hash"),
                       ("build_s", "build / open seconds"), ("eval_s", "evaluation seconds")):
        if st.get(key) is not None:
            out += [f"{label}: {fmt(st[key], 1)}  "]
    out += [""]

    for f in lib.files:
        if f.result is None:
            out += [f"## {f.name}", "", f.error or f.note or "not evaluated", ""]
            if f.problems:
                out += table(["line", "reason"], ([p.line, p.reason] for p in f.problems))
            continue
        fp = dict((file_paths or {}).get(f.name) or {}) or None
        out += [render_markdown(f.result, fp, level=2, link_prefix=f"{f.folder}/"), ""]
    return "\n".join(out)


def summary_lines(lib: LibraryResult) -> list[str]:
    """Plain-text summary for the terminal."""
    head = f"{'file':<24}{'mode':<8}{'n':>5}" + "".join(f"{METRIC_LABELS[m]:>9}"
                                                      for m in SUMMARY_METRICS)
    lines = [f"split {lib.settings['split']}: {lib.summary['n_questions']} questions", head]
    for name, cells in lib.summary["retrieval"].items():
        for mode, cell in cells.items():
            lines.append(f"{name:<24}{mode:<8}{cell.get('n') or 0:>5}"
                         + "".join(f"{fmt(cell.get(m)):>9}" for m in SUMMARY_METRICS))
    for f in lib.files:
        if f.result is None:
            lines.append(f"{f.name:<24}{'–':<8}{0:>5}  {f.error or f.note}")
    a = lib.summary["answers"]
    if a:
        lines.append(f"answers: abstention P {fmt(a['abstention']['precision'])} "
                     f"R {fmt(a['abstention']['recall'])} "
                     f"(near {fmt(a['abstention_near']['recall'])}, "
                     f"far {fmt(a['abstention_far']['recall'])}), "
                     f"false abstention {fmt(a['false_abstention']['rate'])}, "
                     f"led clauses first {fmt(a['lead_first']['value'])}, errors {a['errors']}")
    return lines
