"""The ``milcoop`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from graph.errors import StoreError
from loaders.curated import compile_facts
from loaders.problems import CurationError
from milcoop.settings import Backend, get_settings

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
