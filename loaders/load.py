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
from dataclasses import dataclass, field
from pathlib import Path

from milcoop.loaders.curated import CompiledFacts, compile_facts
from milcoop.loaders.progress import ProgressReporter, SilentProgress
from milcoop.settings import Backend, Settings


@dataclass
class LoadSummary:
    """What one load did to one store."""

    backend: Backend
    data_version: str
    seconds: float
    nodes_created: int = 0
    nodes_updated: int = 0
    nodes_deleted: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    triples: int = 0
    details: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        if self.backend == "embedded":
            return f"embedded store: {self.triples} triples (data version {self.data_version}) in {self.seconds:.2f} s"
        return (
            f"neo4j: nodes {self.nodes_created} created, {self.nodes_updated} updated, {self.nodes_deleted} deleted; "
            f"relationships {self.relationships_created} created, {self.relationships_deleted} deleted "
            f"(data version {self.data_version}) in {self.seconds:.2f} s"
        )


def load_compiled(
    compiled: CompiledFacts, backend: Backend, settings: Settings, progress: ProgressReporter | None = None
) -> list[LoadSummary]:
    """Write already-validated facts to ``backend`` (and, for Neo4j, to the embedded copy)."""
    from milcoop.graph.embedded import EmbeddedStore

    progress = progress or SilentProgress()
    summaries: list[LoadSummary] = []
    if backend == "neo4j":
        from milcoop.loaders.neo4j_loader import load_into_neo4j

        summaries.append(load_into_neo4j(compiled, settings, progress))
    summaries.append(EmbeddedStore.replace_contents(settings.data_dir, compiled, progress))
    return summaries


def load(
    paths: Iterable[Path] | None, backend: Backend, settings: Settings, progress: ProgressReporter | None = None
) -> list[LoadSummary]:
    """Validate the fact files under ``paths`` (default: bundled ``data/``) and load them."""
    compiled = compile_facts(paths)
    return load_compiled(compiled, backend, settings, progress)
