"""The read interface both stores implement, and the vocabulary of the queries behind the API.

The API answers every request from a handful of primitives: resolve a reference, select event
IRIs for a filter (keyset-paginated, in a stable order), describe a set of IRIs as
property-graph-shaped records, follow relationships backwards, list neighbours for path search,
and count. :mod:`milcoop.graph.service` assembles every JSON answer from these primitives, so
the Neo4j store (:mod:`milcoop.graph.neo4j.store`) and the embedded store
(:mod:`milcoop.graph.embedded.store`) give the same answers by construction;
``tests/graph/test_parity.py`` checks it end to end.

Each store does the selective part itself, with indexes: Neo4j seeks the bound actor through the
unique ``iri`` index and expands from it; the embedded store runs SPARQL anchored on the bound
actor or looks quads up by pattern. Values always travel as parameters.

Ordering: every paginated primitive returns ``(iri, key)`` pairs sorted by ``key``, a string
both stores compute the same way (see :func:`time_key`), and takes the last key of the previous
page as ``after``. Keys are ASCII (ISO dates, ``~`` for "no date", IRIs), so Cypher's and
SPARQL's string orders agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pyoxigraph as ox
from rdflib import Graph

from milcoop.graph.changes import ChangeRecord, Digest, VersionRecord
from milcoop.graph.partitions import PartitionRecord
from milcoop.graph.terms import ntriples_of
from milcoop.graph.writer import Facts, GraphWriter
from milcoop.ontology.kinds import TO_TYPES
from milcoop.settings import Backend, Settings

if TYPE_CHECKING:
    from milcoop.graph.rdf_source import RdfSource


@dataclass(frozen=True)
class NodeView:
    """One node as the property-graph mapping (graph/mapping.py) shapes it.

    ``labels`` exclude ``Resource``; ``properties`` hold Python values (dates as
    :class:`datetime.date`, partial dates as first day plus ``<key>Precision``, many-valued
    properties as sorted lists); ``out`` holds the outgoing relationships, sorted.
    """

    iri: str
    labels: frozenset[str]
    properties: Mapping[str, Any]
    out: tuple[tuple[str, str], ...] = ()

    def targets(self, *types: str) -> list[str]:
        """The IRIs this node points at through any of ``types``, in order."""
        return [target for rel_type, target in self.out if rel_type in types]

    def first(self, *types: str) -> str | None:
        found = self.targets(*types)
        return found[0] if found else None

    @property
    def id(self) -> str:
        return str(self.properties.get("id", ""))

    @property
    def name(self) -> str | None:
        value = self.properties.get("name")
        return str(value) if value is not None else None


@dataclass(frozen=True)
class Edge:
    """A relationship between two nodes, by IRI."""

    type: str
    start: str
    end: str


@dataclass(frozen=True)
class EventFilter:
    """Which events a selection keeps. Actor fields hold resolved IRIs."""

    #: The actor the event flows from (mc:fromActor subproperties).
    source: str | None = None
    #: The actor it flows to, through ``to_types``.
    target: str | None = None
    to_types: tuple[str, ...] = TO_TYPES
    #: Node labels of the kinds to keep; empty keeps every kind.
    labels: frozenset[str] = frozenset()
    since: dt.date | None = None
    until: dt.date | None = None
    include_undated: bool = True
    #: Keep events asserted by a claim with this status (and grading, below).
    status: str | None = None
    #: Admiralty grading bounds: reliability at most this letter, credibility at most this number.
    max_reliability: str | None = None
    max_credibility: int | None = None
    #: Actors that must every one take part in the event, on either side (from, to or target):
    #: the export's ``actor`` filter.
    involving: frozenset[str] = frozenset()
    #: Keep events asserted by a claim with one of these statuses (the export takes several; with
    #: ``status`` as well, a claim must meet both).
    statuses: frozenset[str] = frozenset()

    @property
    def filters_claims(self) -> bool:
        return self.status is not None or bool(self.statuses) or self.max_reliability is not None


Keyed = tuple[str, str]
"""An IRI with its sort key."""


@dataclass
class StoreStatus:
    """What the health check reports."""

    backend: Backend
    data_version: str
    counts: dict[str, int] = field(default_factory=dict)


class GraphStore(Protocol):
    """Read primitives over the knowledge graph. Implementations must give identical answers."""

    backend: Backend

    def close(self) -> None:
        """Release connections or file handles."""

    def status(self) -> StoreStatus:
        """Data version and node counts; raises StoreUnavailable when the store cannot answer."""

    def data_version(self) -> str:
        """The version of the loaded facts (a digest of the fact files)."""

    def named_entities(self) -> list[NodeView]:
        """Every node carrying one of :data:`REFERENCE_LABELS`, without relationships."""

    def lookup(self, key: Literal["iri", "id"], value: str) -> list[str]:
        """IRIs of the nodes whose ``iri`` or ``id`` is exactly ``value``, sorted."""

    def describe(self, iris: Collection[str]) -> dict[str, NodeView]:
        """The nodes with these IRIs (unknown IRIs are left out)."""

    def incoming(self, iris: Collection[str], types: Collection[str]) -> list[Edge]:
        """Relationships of the given types that end at one of ``iris``, sorted."""

    def incoming_counts(self, iri: str) -> dict[str, int]:
        """How many relationships of each type end at ``iri``."""

    def neighbours(self, iris: Collection[str]) -> list[Edge]:
        """Relationships of :data:`PATH_TYPES` touching ``iris`` whose two ends carry a
        :data:`PATH_LABELS` label, in either direction, sorted."""

    def select_events(self, flt: EventFilter, after: str | None, limit: int) -> list[Keyed]:
        """Events matching ``flt``, sorted by :func:`time_key` of ``spanStart`` (else ``spanEnd``),
        after ``after``."""

    def statements_between(self, a: str, b: str, after: str | None, limit: int) -> list[Keyed]:
        """Official statements about the two actors: concerning an event that flows between
        them (either way), or made by one about the other; sorted like events."""

    def treaties(self, parties: Collection[str]) -> list[Keyed]:
        """Treaties that have every one of ``parties`` as a party (all treaties when empty),
        keyed by signature date."""

    def breaches(self, state: str | None, measure: str | None, after: str | None, limit: int) -> list[Keyed]:
        """Breaches whose event involves ``state`` (on either side) and whose measure is
        ``measure``, keyed by the breaching event's start then the breach IRI."""

    def sources(self) -> list[Keyed]:
        """Every source document, keyed by IRI."""

    def source_facts(self, source: str, after: str | None, limit: int) -> list[Keyed]:
        """Facts asserted by a claim read in ``source`` or citing it, keyed by IRI."""

    def data_versions(self) -> list[VersionRecord]:
        """Every data version a load recorded, in load order (see :mod:`milcoop.graph.changes`)."""

    def changes_after(self, seq: int) -> list[ChangeRecord]:
        """Every change recorded by the loads after load ``seq``, by load then IRI."""

    def resource_digests(self) -> dict[str, Digest]:
        """Every resource's digest as the last load recorded it."""

    def search(self, text: str, after: str | None, limit: int) -> list[Keyed]:
        """Named nodes whose name, an alias or id contains ``text`` (already lower-cased).

        Key: :func:`search_key`, ranked by :data:`SEARCH_MATCHES` (exact, then prefix, then
        contains), then by IRI.
        """


# ------------------------------------------------------------------------------------------------
# The factory: the one place that chooses a backend
# ------------------------------------------------------------------------------------------------


def open_store(settings: Settings, backend: Backend | None = None) -> GraphStore:
    """The store of ``backend``, by default the one the settings choose: Neo4j when
    ``NEO4J_URI`` is set, else the embedded one. Raises StoreUnavailable when it cannot be opened."""
    if (backend or settings.backend) == "neo4j":
        from milcoop.graph.errors import StoreUnavailable
        from milcoop.graph.neo4j.store import Neo4jGraphStore

        if not settings.neo4j_uri.strip():
            raise StoreUnavailable("the Neo4j store needs NEO4J_URI (for example bolt://127.0.0.1:7687)")
        return Neo4jGraphStore.connect(settings)
    from milcoop.graph.embedded.store import EmbeddedGraphStore

    return EmbeddedGraphStore.open(settings.data_dir)


def open_writer(settings: Settings, backend: Backend | None = None) -> GraphWriter:
    """The writer of ``backend`` (default: the one the settings choose)."""
    if (backend or settings.backend) == "neo4j":
        from milcoop.graph.neo4j.writer import Neo4jWriter

        return Neo4jWriter(settings)
    from milcoop.graph.embedded.writer import EmbeddedWriter

    return EmbeddedWriter(settings.data_dir)


@dataclass
class MergedFacts:
    """One partition's new facts beside what the store keeps of the others
    (:mod:`milcoop.graph.partitions`): what a writer that replaces a whole store is given."""

    graph: Graph
    version: str
    files: list[Any]
    partition: str
    #: The same triples as pyoxigraph quads: the new facts' (converted once, by their load) and
    #: the kept ones (read from the embedded store as quads).
    converted: list[ox.Quad] = field(default_factory=list, repr=False)

    def quads(self) -> list[ox.Quad]:
        """The merged graph as pyoxigraph quads."""
        return self.converted

    def ntriples(self) -> str:
        """The merged graph as an N-Triples document."""
        return ntriples_of(self.converted)


def merged_facts(settings: Settings, facts: Facts) -> MergedFacts:
    """``facts`` with the resources of the store's other partitions, as the embedded store (the
    book of record of partitions, written by every load) holds them, and the store's data
    version after the replacement."""
    from rdflib.graph import ReadOnlyGraphAggregate

    from milcoop.graph.embedded.files import EmbeddedStore

    plan = EmbeddedStore.plan_for(settings.data_dir, facts)
    graph = facts.graph if not plan.kept_quads else ReadOnlyGraphAggregate([facts.graph, plan.kept_triples()])
    converted = [*facts.quads(), *plan.kept_quads]
    return MergedFacts(graph, plan.data_version, list(getattr(facts, "files", ())), plan.partition, converted)


def partition_resources(settings: Settings, partition: str) -> frozenset[str] | None:
    """The resources ``partition`` holds in the store (None when nothing was ever loaded)."""
    from milcoop.graph.embedded.files import EmbeddedStore

    if not EmbeddedStore.exists(settings.data_dir):
        return None
    return EmbeddedStore.open(settings.data_dir).partition_subjects(partition)


def _held(
    settings: Settings, backend: Backend, partition: str, wanted: Callable[[PartitionRecord], bool]
) -> tuple[PartitionRecord, str] | None:
    """``partition``'s record and the store's data version, when the embedded store (the book of
    record) holds a record of ``partition`` that is ``wanted`` and, for Neo4j, Neo4j holds the same
    data version as the embedded copy (asked only once the record is wanted). None otherwise;
    unreachable or empty stores hold nothing."""
    from milcoop.graph.embedded.files import EmbeddedStore
    from milcoop.graph.errors import StoreError

    if not EmbeddedStore.exists(settings.data_dir):
        return None
    try:
        embedded = EmbeddedStore.open(settings.data_dir)
        record = embedded.partition_records().get(partition)
        if record is None or not wanted(record):
            return None
        held = embedded.info.data_version
        if backend != "neo4j":
            return record, held
        store = open_store(settings, "neo4j")
        try:
            return (record, held) if store.data_version() == held else None
        finally:
            store.close()
    except StoreError:
        return None


def held_record(settings: Settings, backend: Backend, partition: str) -> PartitionRecord | None:
    """The record of ``partition`` when the store holds it as its book of record says: the
    embedded store records it, and, for Neo4j, Neo4j holds the same data version as the embedded
    copy. None otherwise; unreachable or empty stores hold nothing."""
    found = _held(settings, backend, partition, lambda _: True)
    return None if found is None else found[0]


def held_data_version(settings: Settings, backend: Backend, partition: str, version: str) -> str | None:
    """The store's data version when it already holds exactly ``partition`` at ``version`` (the
    embedded store records it so, and, for Neo4j, Neo4j holds the same data version as the
    embedded copy); None otherwise. Unreachable or empty stores hold nothing."""
    found = _held(settings, backend, partition, lambda record: record.version == version)
    return None if found is None else found[1]


def holds_partition(settings: Settings, backend: Backend, partition: str, version: str) -> bool:
    """Whether the store already holds exactly ``partition`` at data ``version`` (see
    :func:`held_data_version`)."""
    return held_data_version(settings, backend, partition, version) is not None


def partition_records(settings: Settings) -> list[PartitionRecord]:
    """What each partition of the store holds (empty when nothing was ever loaded), by name."""
    from milcoop.graph.embedded.files import EmbeddedStore

    if not EmbeddedStore.exists(settings.data_dir):
        return []
    records = EmbeddedStore.open(settings.data_dir).partition_records()
    return [records[name] for name in sorted(records)]


def source_for_store(store: Any) -> RdfSource:
    """The export source over an open API store (graph.store.GraphStore), sharing its handle.

    The embedded store's read handle and Neo4j's driver stay the store's: closing the source
    does not close them.
    """
    if store.backend == "embedded":
        from milcoop.graph.embedded.rdf_source import EmbeddedSource

        return EmbeddedSource(store.embedded)
    from milcoop.graph.neo4j.rdf_source import Neo4jSource

    return Neo4jSource(store.driver, store.database)


def open_source(settings: Settings, backend: str | None = None) -> RdfSource:
    """An export source of its own for ``backend`` (default: the one the settings choose)."""
    chosen = backend or settings.backend
    if chosen == "neo4j":
        from milcoop.graph.neo4j.rdf_source import Neo4jSource

        return Neo4jSource.from_settings(settings)
    from milcoop.graph.embedded.rdf_source import EmbeddedSource

    return EmbeddedSource.open(settings.data_dir)


# ------------------------------------------------------------------------------------------------
# Shared rules of the primitives
# ------------------------------------------------------------------------------------------------


def keys_after(keyed: Iterable[Keyed], after: str | None, limit: int | None = None) -> list[Keyed]:
    """The pairs of ``keyed`` (sorted by key) whose key comes after ``after``, at most ``limit``."""
    found = [(iri, key) for iri, key in keyed if key > (after or "")]
    return found if limit is None else found[:limit]


SearchMatch = Literal["exact", "prefix", "contains"]

#: The search ranking, defined here once. A named node matches the searched text (lower case)
#: through its name, an alias or its id; its rank is the position in this tuple of the best way
#: one of them matches: 0 when one equals the text, 1 when one starts with it, 2 when one
#: contains it. The embedded store applies it with :func:`search_rank`; the Neo4j store's
#: Cypher (``SEARCH_RANK`` in graph/neo4j/cypher/queries.py) is written from this tuple, one
#: ``WHEN`` per entry, and tests/graph/test_parity.py checks that the two rank alike.
SEARCH_MATCHES: tuple[SearchMatch, ...] = ("exact", "prefix", "contains")

_SEARCH_TESTS: dict[SearchMatch, Callable[[str, str], bool]] = {
    "exact": lambda name, text: name == text,
    "prefix": lambda name, text: name.startswith(text),
    "contains": lambda name, text: text in name,
}


def search_rank(text: str, candidates: Collection[str]) -> int | None:
    """The rank of :data:`SEARCH_MATCHES` for names ``candidates`` (any case) and ``text`` (lower
    case); None when none of them contains ``text``."""
    lowered = [c.lower() for c in candidates]
    for rank, match in enumerate(SEARCH_MATCHES):
        test = _SEARCH_TESTS[match]
        if any(test(name, text) for name in lowered):
            return rank
    return None


def search_key(rank: int, iri: str) -> str:
    """The sort key of a search hit: ``"<rank> <iri>"`` (best rank first, then by IRI)."""
    return f"{rank} {iri}"
