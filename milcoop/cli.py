"""The ``milcoop`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from loaders.curated import compile_facts
from loaders.problems import CurationError

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


@app.command()
def validate(paths: PathsArgument = None) -> None:
    """Check curated fact files: structure, references, ontology terms and SHACL shapes.

    Reports every problem with file, line and field, and exits 1 if there is any.
    """
    try:
        compiled = compile_facts(paths)
    except CurationError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        count = len(exc.problems)
        err.print(f"[red]{count} problem{'s' if count != 1 else ''}[/red]: nothing was loaded.")
        raise typer.Exit(1) from None
    facts = len(compiled.locations)
    out.print(
        f"[green]OK[/green]: {facts} curated resources, {len(compiled.graph)} triples "
        f"from {len(compiled.files)} files (data version {compiled.version})."
    )
