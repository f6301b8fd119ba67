"""The write interface both stores implement: bring a store to exactly one set of facts.

``milcoop.loaders`` compiles and validates curated files (and, later, register imports) into a
:class:`Facts` value and hands it to the writer of the chosen backend (:func:`open_writer` in
:mod:`milcoop.graph.store`). Writers are all or nothing: readers see the previous facts or the
new ones, never a mix, and a failed write leaves the previous facts in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pyoxigraph as ox
from rdflib import Graph

from milcoop.settings import Backend


class Facts(Protocol):
    """What a writer takes: one RDF graph of facts and the version that names it."""

    @property
    def graph(self) -> Graph: ...

    @property
    def version(self) -> str: ...

    def quads(self) -> Sequence[ox.Quad]:
        """The graph's triples as pyoxigraph default-graph quads (:func:`graph.terms.oxigraph_quads`),
        converted once however many steps read them (validation, digests, the embedded write)."""
        ...

    def ntriples(self) -> str:
        """:meth:`quads` as an N-Triples document (:func:`graph.terms.ntriples_of`), written once:
        the Rust SHACL engine reads it, and digests and named graphs are cut from its lines."""
        ...


class ProgressReporter(Protocol):
    """What writers call while they work. ``total`` and ``advance`` count rows (or triples)."""

    def start(self, description: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...

    def finish(self) -> None: ...


class SilentProgress:
    """Reports nothing (library use and tests)."""

    def start(self, description: str, total: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def finish(self) -> None:
        pass


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
    unchanged: bool = False
    """The store already held exactly these facts, so nothing was written (nor, when the files'
    digest showed it before compiling, validated)."""
    method: str = ""
    """How the store was written when not whole (the embedded store) or by the whole-graph
    comparison (Neo4j): ``offline import`` (graph/neo4j/offline.py), or ``by digest``, only the
    resources whose digest changed."""
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds of each phase of the load, when the writer measures them."""

    def describe(self) -> str:
        """One line for people: what changed, in which store, how fast."""
        if self.unchanged:
            return (
                f"{self.backend}: unchanged, the store already holds these facts (data version {self.data_version}); "
                f"nothing written, in {self.seconds:.2f} s"
            )
        if self.backend == "embedded":
            return (
                f"embedded store: {self.triples} triples (data version {self.data_version}) in {self.seconds:.2f} s"
                + (f", {self.method}" if self.method else "")  # "by digest"
            )
        return (
            f"neo4j: nodes {self.nodes_created} created, {self.nodes_updated} updated, {self.nodes_deleted} deleted; "
            f"relationships {self.relationships_created} created, {self.relationships_deleted} deleted "
            f"(data version {self.data_version}) in {self.seconds:.2f} s"
            + (f", by {self.method}" if self.method else "")
        )


class GraphWriter(Protocol):
    """Replaces a store's facts, atomically."""

    backend: Backend

    def current_iris(self) -> frozenset[str]:
        """The IRIs of every resource the store holds now (empty when nothing was loaded).

        Raises StoreUnavailable when the store cannot be read.
        """

    def replace(self, facts: Facts, progress: ProgressReporter, *, verify: bool = False) -> LoadSummary:
        """Bring the store to exactly ``facts``; raises LoadFailed or StoreUnavailable.

        ``verify``: compare with everything the store holds, where the writer would otherwise
        trust what it recorded at the previous load (each store's digests)."""
