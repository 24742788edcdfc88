"""The ``policyqa`` command line: parse flags, call the core (:class:`core.Assistant`), print.

Commands: ``corpus``/``model``/``index`` (:mod:`app.cli_build`), ``search``, ``ask``,
``departments``, ``targets``, ``serve``, ``eval`` (:mod:`app.cli_eval`). Errors: see
:mod:`app.cli_common`.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from app.cli_common import PolicyGroup, domain_errors, echo_json, home_option, settings_for
from corpus.config import MODES
from corpus.errors import PolicyError
from corpus.targets import amount_text


def _assistant(home: str | None):
    from core import Assistant

    return Assistant(settings_for(home))


@click.group(cls=PolicyGroup)
def main() -> None:
    """policyqa — questions over Chinese policy documents, answered with cited clauses."""


def scope_options(command):
    """--doc/--dept/--role/--domain/--section, the same on search and ask."""
    for option in reversed([
        click.option("--doc", help="Only this document (doc_id)."),
        click.option("--dept", help="Only clauses of this department (aliases work)."),
        click.option("--role", type=click.Choice(["lead", "co", "any"]), default="any", show_default=True,
                     help="With --dept: as lead, co-responsible, or either."),
        click.option("--domain", help="Only clauses with this domain tag (养老, 托育, …)."),
        click.option("--section", help="Only clauses under this path prefix (三(二))."),
    ]):
        command = option(command)
    return command


def _scope(doc, dept, role, domain, section) -> dict:
    return {"doc": doc, "dept": dept, "role": role, "domain": domain, "section": section}


@main.command("search")
@click.argument("query", required=False)
@click.option("-k", default=10, show_default=True, help="Number of hits.")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@scope_options
@click.option("--batch", type=click.Path(exists=True, path_type=Path),
              help="JSON Lines of {id, query, k?, mode?, doc?, dept?, role?, domain?, section?}.")
@click.option("--json", "as_json", is_flag=True)
@home_option
def search(query, k, mode, doc, dept, role, domain, section, batch, as_json, home) -> None:
    """Search the clauses (the model is loaded once, also for --batch)."""
    from core import parse_search, read_batch

    if not query and not batch and not (as_json and query is not None):
        raise click.UsageError("give a QUERY or --batch FILE")
    # with --json an empty QUERY ("") is refused below as a query without words, as "   " is
    with domain_errors(as_json):
        if batch:
            requests = read_batch(batch, "search")
            assistant = _assistant(home)
            assistant.check(requests)
            for request in requests:
                echo_json({"id": request.id, "hits": [h.to_dict() for h in assistant.search(request)]})
            return
        request = parse_search({"query": query, "k": k, "mode": mode, **_scope(doc, dept, role, domain, section)})
        hits = _assistant(home).search(request)
    if as_json:
        echo_json({"query": query, "mode": mode, "hits": [h.to_dict() for h in hits]})
        return
    if not hits:
        click.echo("no matching clauses")
    for hit in hits:
        r = hit.record
        click.echo(f"{hit.rank:>2}. [{r.doc_id}] {r.path} {r.title}  score {hit.score:.3f}")
        for sentence in hit.evidence:
            click.echo(f"      “{sentence.text}”")


# ---------------------------------------------------------------- answers
def _print_answer(result: dict) -> None:
    if result["notice"]:  # read first: the question was cut, or the department leads nothing
        click.echo(f"（{result['notice']}）")
    click.echo(result["answer"])
    for number, c in enumerate(result["citations"], 1):
        click.echo(f"〔{number}〕《{c['doc_title']}》{c['path']} {c['title']}：“{c['quote']}”")


@main.command("ask")
@click.argument("question", required=False)
@scope_options
@click.option("--batch", type=click.Path(exists=True, path_type=Path),
              help="JSON Lines of {id, question, doc?, dept?, role?, domain?, section?}; one answer a line out.")
@click.option("--json", "as_json", is_flag=True)
@home_option
def ask(question, doc, dept, role, domain, section, batch, as_json, home) -> None:
    """Answer a question with cited clauses (or abstain)."""
    from core import parse_ask, read_batch

    if not question and not batch and not (as_json and question is not None):
        raise click.UsageError("give a QUESTION or --batch FILE")
    # with --json an empty QUESTION ("") is refused below as a question without words, as "   " is
    with domain_errors(as_json):
        if batch:
            requests = read_batch(batch, "ask")
            assistant = _assistant(home)
            assistant.check(requests)
            for request in requests:
                echo_json({"id": request.id, **assistant.ask(request).to_dict()})
            return
        request = parse_ask({"question": question, **_scope(doc, dept, role, domain, section)})
        result = _assistant(home).ask(request).to_dict()
    if as_json:
        echo_json(result)
    else:
        _print_answer(result)


# ---------------------------------------------------------------- tables
def _write_csv(rows: list[dict]) -> None:
    """CSV on stdout (UTF-8 with a BOM, so Excel shows Chinese)."""
    out = sys.stdout
    out.write("\ufeff")
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


ROLE_LABELS = {"lead": "牵头", "co": "协同负责", "implementers": "具体落实"}


@main.command("departments")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.option("--csv", "as_csv", is_flag=True, help="CSV (UTF-8 with BOM) for Excel.")
@home_option
def departments(name: str, as_json: bool, as_csv: bool, home: str | None) -> None:
    """A department's clauses (aliases work): led first, then shared, then implemented."""
    with domain_errors(as_json):
        tasks = _assistant(home).department_tasks(name)
    if as_json:
        echo_json(tasks.to_dict())
    elif as_csv:
        _write_csv([row.to_dict() for row in tasks.rows])
    else:
        click.echo(f"{tasks.department}: " + ", ".join(f"{label} {tasks.count(role)}"
                                                       for role, label in ROLE_LABELS.items()))
        for row in tasks.rows:
            click.echo(f"  {ROLE_LABELS[row.role]}\t{row.doc_id}#{row.path}\t{row.title}")


@main.command("targets")
@click.option("--doc", help="Only this document (doc_id).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--csv", "as_csv", is_flag=True, help="CSV (UTF-8 with BOM) for Excel.")
@home_option
def targets(doc: str | None, as_json: bool, as_csv: bool, home: str | None) -> None:
    """Every quantified target of the corpus (or of one document)."""
    with domain_errors(as_json):
        rows = _assistant(home).targets(doc)
    if as_json:
        echo_json({"targets": [row.to_dict() for row in rows]})
    elif as_csv:
        _write_csv([row.to_dict() for row in rows])
    else:
        for row in rows:
            click.echo(f"{row.doc_id}#{row.path}\t{row.indicator}\t{amount_text(row.comparator, row.value, row.unit)}"
                       f"\t{row.deadline}")


@main.command("match")
@click.option("--sector", "sectors", multiple=True, help="养老, 托育, 家政, 餐饮 … (repeat; aliases work).")
@click.option("--entity", "entities", multiple=True, help="小微企业, 个体工商户, 民营企业 … (repeat).")
@click.option("--trait", "traits", multiple=True,
              help="hires_graduates, employee_based, rents_premises, rural … (repeat).")
@click.option("--profile", "profile_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='A JSON file {"sectors": [...], "entities": [...], "traits": [...]}.')
@click.option("--json", "as_json", is_flag=True)
@click.option("--csv", "as_csv", is_flag=True, help="CSV (UTF-8 with BOM) for Excel.")
@home_option
def match(sectors, entities, traits, profile_file, as_json, as_csv, home) -> None:
    """政策匹配: every support measure that applies to an enterprise, with its condition and clause."""
    import json

    profile = {"sectors": list(sectors), "entities": list(entities), "traits": list(traits)}
    shape = '{"sectors": [...], "entities": [...], "traits": [...]}'
    with domain_errors(as_json):
        if profile_file:
            try:
                loaded = json.loads(profile_file.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise PolicyError("bad_profile", f"{profile_file}: not a UTF-8 JSON object ({exc})",
                                  f"write it as {shape}, saved as UTF-8") from None
            if not isinstance(loaded, dict):
                raise PolicyError("bad_profile", f"{profile_file}: not a JSON object", f"write it as {shape}")
            for key in profile:
                profile[key] += loaded.get(key, []) if isinstance(loaded.get(key, []), list) else [loaded[key]]
            profile.update({k: v for k, v in loaded.items() if k not in profile})  # unknown keys: the core says so
        matches = _assistant(home).match(profile)
    rows = [m.to_dict() for m in matches]
    if as_json:
        echo_json({"profile": profile, "measures": rows})
    elif as_csv:
        _write_csv([{k: ("、".join(v) if isinstance(v, list) else v) for k, v in row.items()
                     if not isinstance(v, dict)} for row in rows])
    else:
        if not rows:
            click.echo("no measure applies to this profile")
        for row in rows:
            click.echo(f"[{row['kind_label']}] {row['doc_id']}#{row['path']}  ({row['reason']})")
            if row["condition"]:
                click.echo(f"    条件：{row['condition']}")
            click.echo(f"    “{row['quote']}”")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind; anything but localhost needs POLICYQA_AUTH for uploads.")
@click.option("--port", default=7860, show_default=True, type=int)
@home_option
def serve(host: str, port: int, home: str | None) -> None:
    """Start the Gradio assistant (builds a missing or stale index first)."""
    from app.web import launch

    with domain_errors():
        launch(settings_for(home), host=host, port=port)


from app.cli_build import register as register_build
from app.cli_eval import register as register_eval

register_build(main)
register_eval(main)

if __name__ == "__main__":
    sys.exit(main())
