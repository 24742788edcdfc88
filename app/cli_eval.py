"""``policyqa eval``: a question file scored on the served index through the core
(:meth:`core.Assistant.evaluate`), registered onto the CLI group by :func:`register`.

Only click is imported here; ranx, matplotlib, the index and qa load when the command runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from app.cli_common import domain_errors, home_option, settings_for
from corpus.config import MODES


def _parse_modes(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    modes = tuple(dict.fromkeys(m.strip() for m in value.split(",") if m.strip()))
    unknown = [m for m in modes if m not in MODES]
    if not modes or unknown:
        raise click.BadParameter(f"{', '.join(unknown) or 'nothing'} — use a comma-separated "
                                 f"subset of {','.join(MODES)}")
    return modes


def _run_paths(path: Path, modes: tuple[str, ...]) -> dict[str, Path]:
    """One mode → ``path``; several → ``run.trec`` becomes ``run.bm25.trec``, …"""
    if len(modes) == 1:
        return {modes[0]: path}
    return {m: path.with_name(f"{path.stem}.{m}{path.suffix or '.trec'}") for m in modes}


def _summary(result) -> list[str]:
    """Plain-text tables for the terminal."""
    metrics = result.settings["metrics"]
    s = result.settings
    lines = [(f"{s['n_questions']} questions ({s['n_in_scope']} in scope), split {s['split']}, "
             f"fusion {s['fusion']} dense_weight {s['dense_weight']}"),
             f"{'mode':<8}" + "".join(f"{m:>11}" for m in metrics) + f"{'p50 ms':>9}{'p95 ms':>9}"]
    for mode in result.modes:
        scores = result.retrieval[mode]
        latency = result.latency_ms[mode]
        lines.append(f"{mode:<8}" + "".join(f"{scores[m]:>11.3f}" for m in metrics)
                     + f"{latency['p50']:>9.1f}{latency['p95']:>9.1f}")
    sig = result.significance
    if sig:
        for test, per_metric in sig["tests"].items():
            p = per_metric.get("mrr@10", {}).get("p_value")
            lines.append(f"{sig['treatment']} vs {sig['baseline']} ({test}): MRR@10 p = "
                         + ("n/a" if p is None else f"{p:.4f}"))
    a = result.answers
    if a:
        def pct(v):
            return "n/a" if v is None else f"{v:.3f}"

        lines.append(f"answers: lead exact {pct(a['lead_exact']['value'])}, "
                     f"contains {pct(a['contains']['value'])}, "
                     f"abstention P {pct(a['abstention']['precision'])} "
                     f"R {pct(a['abstention']['recall'])}, "
                     f"false abstention {pct(a['false_abstention']['rate'])}, "
                     f"errors {len(a['errors'])}")
    return lines


def register(main: click.Group) -> None:
    """Add the ``eval`` command to ``main``."""

    @main.command("eval")
    @click.argument("questions_path", metavar="QUESTIONS.jsonl",
                    type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--modes", default="bm25,dense,hybrid", show_default=True,
                  callback=_parse_modes, help="Comma-separated search modes to evaluate.")
    @click.option("--split", type=click.Choice(["dev", "test", "all"]), default="all",
                  show_default=True, help="Only the questions of this split.")
    @click.option("--run-out", type=click.Path(dir_okay=False, path_type=Path),
                  help="TREC run file (several modes: run.bm25.trec, run.dense.trec, …).")
    @click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path),
                  help="Write report.md, plots, results.json and TREC files into this folder.")
    @click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
    @click.option("--strict", is_flag=True,
                  help="Stop at the first malformed line or gold id that names nothing "
                       "in the index (default: skip such questions with a warning).")
    @click.option("--no-answers", is_flag=True, help="Retrieval only; do not call qa.answer.")
    @home_option
    def eval_command(questions_path: Path, modes: tuple[str, ...], split: str,
                     run_out: Path | None, report_dir: Path | None, as_json: bool, strict: bool,
                     no_answers: bool, home: str | None) -> None:
        """Score retrieval (and answers) on a question set: Recall@k, MRR, nDCG per mode and
        question type, significance of hybrid vs the best single mode, latency."""
        from core import Assistant
        from eval.progress import progress_reporter

        with domain_errors(), progress_reporter("eval", stream=sys.stderr, disable=as_json) as progress:
            result = Assistant(settings_for(home)).evaluate(
                questions_path, modes, split=split, answers=not no_answers, strict=strict,
                progress=progress)
        for p in result.problems:
            click.echo(f"warning: {questions_path}:{p['line']}: {p['reason']} (skipped)", err=True)
        from eval.report import write_report, write_run

        written: list[Path] = []
        try:
            if run_out:
                for mode, path in _run_paths(run_out, modes).items():
                    written.append(write_run(result, mode, path))
            if report_dir:
                written.append(write_report(result, report_dir)["report"])
        except OSError as exc:
            raise click.ClickException(f"cannot write output: {exc}") from exc
        if as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        else:
            for line in _summary(result):
                click.echo(line)
        for path in written:
            click.echo(f"wrote {path}", err=as_json)
