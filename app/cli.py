"""The ``policyqa`` command line: a thin layer over corpus / index / qa / eval.

Domain errors become one-line CLI errors here (exit code 2) and nowhere else.
"""

from __future__ import annotations

import json
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


if __name__ == "__main__":
    sys.exit(main())
