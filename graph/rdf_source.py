"""Where an export reads its triples: one subject at a time, from any store.

An export never holds the whole graph. Each source hands out :class:`SubjectBlock` s, every triple
of one subject together, as pyoxigraph terms (the serializers are pyoxigraph's, so terms are
converted once, here, and not per format):

* ``milcoop.graph.embedded.rdf_source.EmbeddedSource`` walks the embedded store's
  subject-ordered index;
* ``milcoop.graph.neo4j.rdf_source.Neo4jSource`` streams ``:Resource`` nodes ordered by ``iri``
  with their outgoing relationships and turns each into triples with
  :func:`milcoop.graph.mapping.node_triples`, the same mapping the loader used;
* :class:`GraphSource` (here) serves an in-memory graph: the compiled curated facts (``milcoop export
  --backend files``) or a shipped Turtle file (the ontology endpoints).

A block also carries the source document its triples come from when that is a claim's: a claim's
own ``mc:source``, or for a claim's quantity the source of the claim that states it.
:func:`graph_of` turns that into the block's named graph, the one place that decides it: the TriG
and N-Quads exports put each claim there, and the embedded store holds the same named graphs for
SPARQL (``milcoop.graph.embedded.source_graphs``).
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, cast

import pyoxigraph as ox
from rdflib import RDF, Graph

from milcoop.graph.terms import to_oxigraph
from milcoop.graph.writer import Facts
from milcoop.ontology.kinds import EVENT_KINDS
from milcoop.ontology.namespace import GRAPH, MC

Subject = ox.NamedNode | ox.BlankNode
Referrers = list[tuple[ox.NamedNode, ox.NamedNode]]

_DEFAULT = ox.DefaultGraph()
RDF_TYPE = ox.NamedNode(str(RDF.type))
CLAIM = ox.NamedNode(str(MC.Claim))
QUANTITY = ox.NamedNode(str(MC.Quantity))
SOURCE = ox.NamedNode(str(MC.source))
CLAIMED_QUANTITY = ox.NamedNode(str(MC.claimedQuantity))
#: Every property from a claim to a quantity it gives (delivered, ordered, the deal's value): each
#: quantity belongs to its claim's source graph.
CLAIM_QUANTITIES: tuple[ox.NamedNode, ...] = tuple(
    ox.NamedNode(str(p)) for p in (MC.claimedQuantity, MC.orderedQuantity, MC.dealValue)
)
ASSERTS = ox.NamedNode(str(MC.asserts))

#: Every class of cooperation event (the filters select among these).
EVENT_CLASSES: tuple[ox.NamedNode, ...] = tuple(ox.NamedNode(str(cls)) for cls, _, _ in EVENT_KINDS.values())


@dataclass(slots=True)
class SubjectBlock:
    """Every triple of one subject (as default-graph quads), and the claim source it belongs to."""

    subject: Subject
    quads: list[ox.Quad]
    #: For a claim, its source document; for a claim's quantity, the source of that claim.
    source: ox.NamedNode | None = None

    def objects(self, predicate: ox.NamedNode) -> list[Any]:
        return [q.object for q in self.quads if q.predicate == predicate]

    @property
    def types(self) -> list[Any]:
        return self.objects(RDF_TYPE)

    def is_a(self, cls: ox.NamedNode) -> bool:
        return any(q.predicate == RDF_TYPE and q.object == cls for q in self.quads)


def claim_source(quads: Sequence[ox.Quad]) -> ox.NamedNode | None:
    """A claim's source document, read from its own triples (None if ``quads`` are not a claim's)."""
    is_claim = False
    source = None
    for q in quads:
        if q.predicate == RDF_TYPE and q.object == CLAIM:
            is_claim = True
        elif q.predicate == SOURCE and isinstance(q.object, ox.NamedNode):
            source = q.object
    return source if is_claim else None


def local_name(iri: str) -> str:
    """The last segment of an IRI, after its last ``/`` or ``#``."""
    return re.split(r"[#/]", iri)[-1]


def source_graph(source: ox.NamedNode) -> ox.NamedNode:
    """The named graph of what the source document ``source`` says:
    ``https://w3id.org/milcoop/graph/{source id}``."""
    return ox.NamedNode(f"{GRAPH}{local_name(source.value)}")


def graph_of(block: SubjectBlock) -> ox.NamedNode | ox.DefaultGraph:
    """The named graph of a block: its claim source's graph (:func:`source_graph`), or the default graph."""
    if block.source is None:
        return _DEFAULT
    return source_graph(block.source)


def in_graph(block: SubjectBlock) -> list[ox.Quad]:
    """The block's quads in the graph :func:`graph_of` gives it."""
    graph = graph_of(block)
    if isinstance(graph, ox.DefaultGraph):
        return block.quads
    return [ox.Quad(q.subject, q.predicate, q.object, graph) for q in block.quads]


@dataclass(frozen=True)
class StoreDump:
    """A whole export's triples as the store writes them itself (:meth:`RdfSource.dump_writer`)."""

    #: Writes them into a binary file object: one document, or several one after the other where
    #: the format allows it (N-Triples, Turtle).
    write: Callable[[IO[bytes]], None]
    #: How many triples it writes (asked once it has written them, so that the first bytes go at once).
    count: Callable[[], int]


class RdfSource(ABC):
    """Triples grouped by subject, plus the few lookups a filtered export needs."""

    #: The data version the source holds (a digest of the curated files).
    data_version: str = ""
    #: The day the data was loaded into this store (None for data compiled on the spot).
    issued: dt.date | None = None
    #: Set by sources whose contents never change under the same key (an embedded store folder):
    #: whole-dataset exports may then be kept under ``snapshot_root/snapshot_key`` and replayed.
    snapshot_key: str | None = None
    snapshot_root: Path | None = None

    @abstractmethod
    def blocks(self) -> Iterator[SubjectBlock]:
        """Every subject with all its triples, streamed."""

    @abstractmethod
    def event_blocks(self) -> Iterator[SubjectBlock]:
        """Every cooperation event with all its triples, streamed."""

    @abstractmethod
    def describe(self, subjects: Sequence[ox.NamedNode]) -> list[SubjectBlock]:
        """The blocks of these subjects (those with no triple are left out)."""

    @abstractmethod
    def referrers(self, objects: Sequence[ox.NamedNode], predicate: ox.NamedNode) -> Referrers:
        """``(object, subject)`` for every triple ``subject predicate object`` with one of ``objects``."""

    def dump_writer(self, fmt: ox.RdfFormat, prefixes: Mapping[str, str] | None = None) -> StoreDump | None:
        """Every triple :meth:`blocks` gives and the standard triples an export adds to them
        (:mod:`milcoop.graph.standard`), written in ``fmt`` (with ``prefixes``) by the store's own
        dump, when the source can; None (the default) when it cannot: an export then reads the
        blocks."""
        return None

    def close(self) -> None:  # noqa: B027 - most sources hold nothing of their own
        """Release what the source holds (a driver, a store handle)."""

    def __enter__(self) -> RdfSource:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _quad_order(quad: ox.Quad) -> tuple[bool, str, str]:
    return (quad.predicate != RDF_TYPE, quad.predicate.value, str(quad.object))


def date_of(timestamp: str | None) -> dt.date | None:
    if not timestamp:
        return None
    try:
        return dt.datetime.fromisoformat(timestamp).date()
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------------
# In-memory graphs: the compiled facts, the shipped Turtle files
# ------------------------------------------------------------------------------------------------


class GraphSource(RdfSource):
    """An in-memory set of triples (small: the curated facts, the ontology)."""

    def __init__(self, triples: Iterable[ox.Triple], data_version: str = "", issued: dt.date | None = None) -> None:
        by_subject: dict[Subject, list[ox.Quad]] = defaultdict(list)
        for t in triples:
            by_subject[cast(Subject, t.subject)].append(ox.Quad(t.subject, t.predicate, t.object, _DEFAULT))
        # Sorted subjects, and within each the type first, then predicates and objects: a stable,
        # readable order (the stores have their own; order never matters to the graph).
        self._by_subject = {
            subject: sorted(quads, key=_quad_order)
            for subject, quads in sorted(by_subject.items(), key=lambda item: str(item[0]))
        }
        self._by_object: dict[tuple[ox.NamedNode, Any], list[ox.NamedNode]] = defaultdict(list)
        for quads in self._by_subject.values():
            for q in quads:
                if isinstance(q.subject, ox.NamedNode):
                    self._by_object[(q.predicate, q.object)].append(q.subject)
        self.data_version = data_version
        self.issued = issued

    @classmethod
    def from_rdflib(cls, graph: Graph, data_version: str = "", issued: dt.date | None = None) -> GraphSource:
        return cls(
            (ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph),  # type: ignore[arg-type]
            data_version,
            issued,
        )

    @classmethod
    def from_compiled(cls, compiled: Facts) -> GraphSource:
        """The curated facts compiled on the spot: no store, no load date."""
        return cls.from_rdflib(compiled.graph, compiled.version)

    @classmethod
    def from_file(cls, path: Path | Traversable, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> GraphSource:
        """A shipped RDF file (a path, or package data read through importlib.resources)."""
        return cls(ox.parse(path.read_bytes(), format=fmt))  # type: ignore[arg-type]

    def __len__(self) -> int:
        return sum(len(quads) for quads in self._by_subject.values())

    def blocks(self) -> Iterator[SubjectBlock]:
        for subject, quads in self._by_subject.items():
            yield self._block(subject, quads)

    def event_blocks(self) -> Iterator[SubjectBlock]:
        for block in self.blocks():
            if any(block.is_a(cls) for cls in EVENT_CLASSES):
                yield block

    def describe(self, subjects: Sequence[ox.NamedNode]) -> list[SubjectBlock]:
        return [self._block(s, self._by_subject[s]) for s in subjects if s in self._by_subject]

    def referrers(self, objects: Sequence[ox.NamedNode], predicate: ox.NamedNode) -> Referrers:
        return [(obj, subject) for obj in objects for subject in self._by_object.get((predicate, obj), [])]

    def _block(self, subject: Subject, quads: list[ox.Quad]) -> SubjectBlock:
        source = claim_source(quads)
        if source is None and isinstance(subject, ox.NamedNode) and any(
            q.predicate == RDF_TYPE and q.object == QUANTITY for q in quads
        ):
            claims = [c for p in CLAIM_QUANTITIES for c in self._by_object.get((p, subject), [])]
            for claim in claims:
                source = claim_source(self._by_subject.get(claim, []))
                if source is not None:
                    break
        return SubjectBlock(subject, quads, source)
