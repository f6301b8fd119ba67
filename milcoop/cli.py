"""The ``milcoop`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from graph.errors import StoreError
from loaders.curated import compile_facts
from loaders.problems import CurationError
from milcoop.settings import Backend, Settings, get_settings

app = typer.Typer(
    help="milcoop: a knowledge graph of state military cooperation.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@app.callback()
def _root() -> None:
    """milcoop: a knowledge graph of state military cooperation."""


PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(help="Fact files or folders (default: the bundled data/).", show_default=False),
]


def _report_problems(exc: CurationError) -> None:
    for problem in exc.problems:
        err.print(str(problem), markup=False, highlight=False)
    count = len(exc.problems)
    err.print(f"[red]{count} problem{'s' if count != 1 else ''}[/red]: nothing was loaded.")


BackendOption = Annotated[
    Backend | None,
    typer.Option(
        "--backend",
        help="Store to write: 'neo4j' or 'embedded'. Default: neo4j when NEO4J_URI is set, else embedded.",
        show_default=False,
    ),
]


@app.command()
def load(paths: PathsArgument = None, backend: BackendOption = None) -> None:
    """Validate the fact files, then load them into the store, all or nothing.

    With Neo4j, the graph is brought to exactly this dataset (facts removed from the files are
    removed from the graph) and the embedded copy that serves SPARQL is refreshed too.
    """
    from loaders.load import load as load_facts
    from loaders.progress import BarProgress, progress_for_terminal

    settings = get_settings()
    chosen = backend or settings.backend
    progress = progress_for_terminal()
    try:
        summaries = load_facts(paths, chosen, settings, progress)
    except CurationError as exc:
        _report_problems(exc)
        raise typer.Exit(1) from None
    except StoreError as exc:
        err.print(f"[red]load failed[/red]: {exc}", highlight=False)
        err.print("The store was left as it was before the load.")
        raise typer.Exit(2) from None
    finally:
        if isinstance(progress, BarProgress):
            progress.close()
    for summary in summaries:
        out.print(summary.describe(), highlight=False)


@app.command()
def validate(paths: PathsArgument = None) -> None:
    """Check curated fact files: structure, references, ontology terms and SHACL shapes.

    Reports every problem with file, line and field, and exits 1 if there is any.
    """
    try:
        compiled = compile_facts(paths)
    except CurationError as exc:
        _report_problems(exc)
        raise typer.Exit(1) from None
    facts = len(compiled.locations)
    out.print(
        f"[green]OK[/green]: {facts} curated resources, {len(compiled.graph)} triples "
        f"from {len(compiled.files)} files (data version {compiled.version})."
    )


def _neo4j_data_version(settings: Settings, wait_seconds: float) -> str | None:
    """The data version Neo4j holds (None when empty), waiting for the server to come up."""
    import time

    from graph.cypher.load import DATASET_NAME, READ_DATASET
    from graph.errors import StoreUnavailable
    from loaders.neo4j_loader import open_driver

    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            driver = open_driver(settings)
            break
        except StoreUnavailable as exc:
            if time.monotonic() >= deadline:
                raise
            err.print(f"waiting for Neo4j: {exc}", highlight=False)
            time.sleep(2.0)
    try:
        with driver.session(database=settings.neo4j_database) as session:
            record = session.run(READ_DATASET, name=DATASET_NAME).single()
    finally:
        driver.close()
    return None if record is None else str(record["version"])


def _load_bundled_if_empty(settings: Settings, neo4j_wait_seconds: float) -> None:
    """First start: fill an empty store with the bundled facts, saying so."""
    from graph.embedded import EmbeddedStore
    from loaders.load import load_compiled

    if settings.backend == "embedded":
        if EmbeddedStore.exists(settings.data_dir):
            return
        out.print(f"The embedded store in {settings.data_dir} is empty: loading the bundled facts from data/ first.")
        for summary in load_compiled(compile_facts(None), "embedded", settings):
            out.print(summary.describe(), highlight=False)
        return
    version = _neo4j_data_version(settings, neo4j_wait_seconds)
    if version is None:
        out.print(f"Neo4j at {settings.neo4j_uri} holds no milcoop data: loading the bundled facts from data/ first.")
        for summary in load_compiled(compile_facts(None), "neo4j", settings):
            out.print(summary.describe(), highlight=False)
    elif not EmbeddedStore.exists(settings.data_dir):
        compiled = compile_facts(None)
        if compiled.version == version:
            # Neo4j holds the bundled facts but the embedded copy that answers SPARQL is gone
            # (a fresh container, say): rebuild the copy from the same files.
            out.print(f"Rebuilding the embedded copy in {settings.data_dir} from the bundled facts (as in Neo4j).")
            out.print(EmbeddedStore.replace_contents(settings.data_dir, compiled).describe(), highlight=False)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: MILCOOP_HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: MILCOOP_PORT or 8000).")] = None,
    neo4j_wait: Annotated[
        float, typer.Option(help="Seconds to wait for Neo4j to come up before giving up.")
    ] = 60.0,
) -> None:
    """Serve the HTTP API (docs at /docs). On first start with an empty store, the bundled facts
    are loaded first."""
    import uvicorn

    from api.app import create_app

    settings = get_settings()
    try:
        _load_bundled_if_empty(settings, neo4j_wait)
    except CurationError as exc:
        _report_problems(exc)
        raise typer.Exit(1) from None
    except StoreError as exc:
        err.print(f"[red]cannot start[/red]: {exc}", highlight=False)
        raise typer.Exit(2) from None
    chosen_host = host or settings.host
    chosen_port = port or settings.port
    out.print(f"milcoop API ({settings.backend} store) on http://{chosen_host}:{chosen_port} (docs at /docs)")
    uvicorn.run(create_app(settings), host=chosen_host, port=chosen_port, log_level="info")
