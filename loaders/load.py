"""Load curated facts into the configured store: validate everything first, then write all or nothing.

This is the one entry point the CLI and the API's first-start load use. It compiles and validates
the fact files (raising :class:`~loaders.problems.CurationError` before anything is written),
then writes the chosen backend:

* ``embedded``: the pyoxigraph store under ``MILCOOP_DATA_DIR`` is replaced atomically;
* ``neo4j``: Neo4j is brought to exactly this dataset in one transaction, and then the embedded
  copy is replaced as well, so that SPARQL answers the same data (see README, "SPARQL").
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from milcoop.graph.store import open_writer
from milcoop.graph.writer import LoadSummary, ProgressReporter, SilentProgress
from milcoop.loaders.curated import CompiledFacts, compile_facts
from milcoop.settings import Backend, Settings


def load_compiled(
    compiled: CompiledFacts, backend: Backend, settings: Settings, progress: ProgressReporter | None = None
) -> list[LoadSummary]:
    """Write already-validated facts to ``backend`` (and, for Neo4j, to the embedded copy)."""
    progress = progress or SilentProgress()
    summaries: list[LoadSummary] = []
    if backend == "neo4j":
        summaries.append(open_writer(settings, "neo4j").replace(compiled, progress))
    # SPARQL answers from the embedded store, so it always holds the same facts.
    summaries.append(open_writer(settings, "embedded").replace(compiled, progress))
    return summaries


def load(
    paths: Iterable[Path] | None, backend: Backend, settings: Settings, progress: ProgressReporter | None = None
) -> list[LoadSummary]:
    """Validate the fact files under ``paths`` (default: bundled ``data/``) and load them."""
    compiled = compile_facts(paths)
    return load_compiled(compiled, backend, settings, progress)
