"""Where an export reads its triples: one subject at a time, from any store.

An export never holds the whole graph. Each source hands out :class:`SubjectBlock` s, every triple
of one subject together, as pyoxigraph terms (the serializers are pyoxigraph's, so terms are
converted once, here, and not per format):

* :class:`EmbeddedSource` walks the embedded store's subject-ordered index;
* :class:`Neo4jSource` streams ``:Resource`` nodes ordered by ``iri`` with their outgoing
  relationships and turns each into triples with :func:`graph.mapping.node_triples`, the same
  mapping the loader used, so the triples are the compiled ones;
* :class:`GraphSource` serves an in-memory graph: the compiled curated facts (``milcoop export
  --backend files``) or a shipped Turtle file (the ontology endpoints).

A block also carries the source document its triples come from when that is a claim's: a claim's
own ``mc:source``, or for a claim's quantity the source of the claim that states it. The TriG and
N-Quads exports use it to put each claim in the named graph of its source document.
"""

from __future__ import annotations

import datetime as dt
import itertools
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, LiteralString, cast

import pyoxigraph as ox
from rdflib import RDF, XSD, Graph, Literal, URIRef

from milcoop.graph.cypher import export as cypher
from milcoop.graph.cypher import load as load_cypher
from milcoop.graph.embedded import EmbeddedStore, to_oxigraph
from milcoop.graph.errors import StoreError, StoreUnavailable
from milcoop.graph.mapping import MappingError, node_triples
from milcoop.ontology.namespace import MC
from milcoop.ontology.vocabulary import Vocabulary, vocabulary

if TYPE_CHECKING:
    from neo4j import Driver

    from milcoop.loaders.curated import CompiledFacts
    from milcoop.settings import Settings

Subject = ox.NamedNode | ox.BlankNode
Referrers = list[tuple[ox.NamedNode, ox.NamedNode]]

_DEFAULT = ox.DefaultGraph()
RDF_TYPE = ox.NamedNode(str(RDF.type))
CLAIM = ox.NamedNode(str(MC.Claim))
QUANTITY = ox.NamedNode(str(MC.Quantity))
SOURCE = ox.NamedNode(str(MC.source))
CLAIMED_QUANTITY = ox.NamedNode(str(MC.claimedQuantity))
ASSERTS = ox.NamedNode(str(MC.asserts))

#: Every class of cooperation event (the filters select among these).
EVENT_CLASSES: tuple[ox.NamedNode, ...] = tuple(
    ox.NamedNode(str(c))
    for c in (
        MC.MaterielTransfer,
        MC.TechnologyTransfer,
        MC.TroopDeployment,
        MC.WeaponsUse,
        MC.SupportRequest,
        MC.OfficialStatement,
    )
)


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

    def close(self) -> None:  # noqa: B027 - most sources hold nothing of their own
        """Release what the source holds (a driver, a store handle)."""

    def __enter__(self) -> RdfSource:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


# ------------------------------------------------------------------------------------------------
# Embedded store
# ------------------------------------------------------------------------------------------------


class EmbeddedSource(RdfSource):
    """The embedded pyoxigraph store, read through its subject-ordered index (flat memory)."""

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store
        self._ox = store.store
        self.data_version = store.info.data_version
        self.issued = _date_of(store.info.loaded_at)
        # A store folder is written once and never changed, so a whole-dataset export of it can be
        # kept and replayed (see graph.export.Snapshots).
        self.snapshot_key = store.path.name
        self.snapshot_root: Path | None = store.path.parent / "exports"

    @classmethod
    def open(cls, data_dir: Path) -> EmbeddedSource:
        return cls(EmbeddedStore.open(data_dir))

    def blocks(self) -> Iterator[SubjectBlock]:
        # The default graph's SPO index returns each subject's quads next to each other.
        quads = self._ox.quads_for_pattern(None, None, None, _DEFAULT)
        for subject, group in itertools.groupby(quads, key=attrgetter("subject")):
            yield self._block(cast(Subject, subject), list(group))

    def event_blocks(self) -> Iterator[SubjectBlock]:
        for cls in EVENT_CLASSES:
            for quad in self._ox.quads_for_pattern(None, RDF_TYPE, cls, _DEFAULT):
                subject = cast(Subject, quad.subject)
                yield self._block(subject, list(self._ox.quads_for_pattern(subject, None, None, _DEFAULT)))

    def describe(self, subjects: Sequence[ox.NamedNode]) -> list[SubjectBlock]:
        out = []
        for subject in subjects:
            quads = list(self._ox.quads_for_pattern(subject, None, None, _DEFAULT))
            if quads:
                out.append(self._block(subject, quads))
        return out

    def referrers(self, objects: Sequence[ox.NamedNode], predicate: ox.NamedNode) -> Referrers:
        return [
            (obj, quad.subject)
            for obj in objects
            for quad in self._ox.quads_for_pattern(None, predicate, obj, _DEFAULT)
            if isinstance(quad.subject, ox.NamedNode)
        ]

    def _block(self, subject: Subject, quads: list[ox.Quad]) -> SubjectBlock:
        source = claim_source(quads)
        if source is None and any(q.predicate == RDF_TYPE and q.object == QUANTITY for q in quads):
            source = self._quantity_source(subject)
        return SubjectBlock(subject, quads, source)

    def _quantity_source(self, quantity: Subject) -> ox.NamedNode | None:
        for claim in self._ox.quads_for_pattern(None, CLAIMED_QUANTITY, quantity, _DEFAULT):
            for quad in self._ox.quads_for_pattern(claim.subject, SOURCE, None, _DEFAULT):
                if isinstance(quad.object, ox.NamedNode):
                    return quad.object
        return None


def _quad_order(quad: ox.Quad) -> tuple[bool, str, str]:
    return (quad.predicate != RDF_TYPE, quad.predicate.value, str(quad.object))


def _date_of(timestamp: str | None) -> dt.date | None:
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
    def from_compiled(cls, compiled: CompiledFacts) -> GraphSource:
        """The curated facts compiled on the spot: no store, no load date."""
        return cls.from_rdflib(compiled.graph, compiled.version)

    @classmethod
    def from_file(cls, path: Path, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> GraphSource:
        return cls(ox.parse(path=str(path), format=fmt))  # type: ignore[arg-type]

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
            for claim in self._by_object.get((CLAIMED_QUANTITY, subject), []):
                source = claim_source(self._by_subject.get(claim, []))
                if source is not None:
                    break
        return SubjectBlock(subject, quads, source)


# ------------------------------------------------------------------------------------------------
# Neo4j
# ------------------------------------------------------------------------------------------------


class _Terms:
    """rdflib -> pyoxigraph term conversion, with the vocabulary's IRIs converted once."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.iris: dict[str, ox.NamedNode] = {}
        for iri in itertools.chain(
            vocab.labels,
            vocab.node_properties,
            vocab.enum_properties,
            vocab.relationships,
            (ind for enum in vocab.enum_properties.values() for ind in enum.codes.values()),
            (RDF.type, XSD.string, XSD.integer, XSD.boolean, XSD.date, XSD.gYear, XSD.gYearMonth, XSD.anyURI),
        ):
            self.iris[str(iri)] = ox.NamedNode(str(iri))
        self.rel_predicates = {rel.type: self.iris[str(rel.iri)] for rel in vocab.relationships.values()}

    def iri(self, value: str) -> ox.NamedNode:
        node = self.iris.get(value)
        return node if node is not None else ox.NamedNode(value)

    def term(self, term: URIRef | Literal) -> ox.NamedNode | ox.Literal:
        if type(term) is URIRef:
            return self.iri(str(term))
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype is None:
                return ox.Literal(str(term))
            return ox.Literal(str(term), datatype=self.iri(str(term.datatype)))
        return self.iri(str(term))


@dataclass
class Neo4jSource(RdfSource):
    """Neo4j, read with streaming results: nodes ordered by ``iri``, each with its relationships.

    Two sessions are used: one streams the nodes, the other answers a filtered export's lookups,
    so that the stream is never buffered by the driver.
    """

    driver: Driver
    database: str
    owns_driver: bool = False
    vocab: Vocabulary = field(default_factory=vocabulary)
    fetch_size: int = 2_000

    def __post_init__(self) -> None:
        self._terms = _Terms(self.vocab)
        self._lookup_session: Any = None
        meta = self._read_one(load_cypher.READ_DATASET, name=load_cypher.DATASET_NAME)
        if meta is None or meta.get("version") is None:
            raise StoreUnavailable("Neo4j holds no milcoop dataset: run `milcoop load` first")
        self.data_version = str(meta["version"])
        loaded_at = meta.get("loadedAt")
        to_native = getattr(loaded_at, "to_native", None)
        self.issued = to_native().date() if to_native is not None else None

    @classmethod
    def from_settings(cls, settings: Settings) -> Neo4jSource:
        """Connect with the settings' URI and credentials; raises StoreUnavailable if Neo4j is down."""
        from milcoop.loaders.neo4j_loader import open_driver

        driver = open_driver(settings)
        try:
            return cls(driver, settings.neo4j_database, owns_driver=True)
        except BaseException:
            driver.close()
            raise

    def close(self) -> None:
        if self._lookup_session is not None:
            self._lookup_session.close()
            self._lookup_session = None
        if self.owns_driver:
            self.driver.close()

    # -- streaming -----------------------------------------------------------------------------

    def blocks(self) -> Iterator[SubjectBlock]:
        yield from self._stream(cypher.ALL_NODES)

    def event_blocks(self) -> Iterator[SubjectBlock]:
        yield from self._stream(cypher.EVENT_NODES)

    def _stream(self, query: LiteralString) -> Iterator[SubjectBlock]:
        from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

        try:
            with self.driver.session(database=self.database, fetch_size=self.fetch_size) as session:
                result = session.run(query)
                for record in result:
                    yield self._record_block(record)
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreUnavailable(f"Neo4j stopped answering during the export: {exc}") from exc
        except Neo4jError as exc:
            raise StoreError(f"Neo4j refused the export query: {exc}") from exc

    # -- lookups (a second session) ------------------------------------------------------------

    def describe(self, subjects: Sequence[ox.NamedNode]) -> list[SubjectBlock]:
        if not subjects:
            return []
        records = self._lookup(cypher.NODES_BY_IRI, iris=[s.value for s in subjects])
        return [self._record_block(r) for r in records]

    def referrers(self, objects: Sequence[ox.NamedNode], predicate: ox.NamedNode) -> Referrers:
        if not objects:
            return []
        relationship = self.vocab.relationships.get(URIRef(predicate.value))
        if relationship is None:
            return []  # an enum or datatype property never points at a node
        records = self._lookup(cypher.referrers(relationship.type), iris=[o.value for o in objects])
        return [(self._terms.iri(r["iri"]), self._terms.iri(r["referrer"])) for r in records]

    def _lookup(self, query: LiteralString, **params: Any) -> list[Any]:
        from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

        try:
            if self._lookup_session is None:
                self._lookup_session = self.driver.session(database=self.database)
            return list(self._lookup_session.run(query, params))
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreUnavailable(f"Neo4j stopped answering during the export: {exc}") from exc
        except Neo4jError as exc:
            raise StoreError(f"Neo4j refused an export lookup: {exc}") from exc

    def _read_one(self, query: LiteralString, **params: Any) -> Mapping[str, Any] | None:
        from neo4j.exceptions import Neo4jError, ServiceUnavailable

        try:
            with self.driver.session(database=self.database) as session:
                records = list(session.run(query, params))
        except ServiceUnavailable as exc:
            raise StoreUnavailable(f"cannot reach Neo4j: {exc}") from exc
        except Neo4jError as exc:
            raise StoreError(f"Neo4j refused the export query: {exc}") from exc
        return dict(records[0]) if records else None

    # -- records to triples ----------------------------------------------------------------------

    def _record_block(self, record: Any) -> SubjectBlock:
        iri: str = record["iri"]
        subject = self._terms.iri(iri)
        try:
            quads = [
                ox.Quad(subject, self._terms.term(p), self._terms.term(o), _DEFAULT)  # type: ignore[arg-type]
                for _, p, o in node_triples(iri, record["labels"], record["properties"], self.vocab)
            ]
            for rel_type, target in sorted(record["links"]):
                quads.append(ox.Quad(subject, self._terms.rel_predicates[rel_type], self._terms.iri(target), _DEFAULT))
        except (KeyError, MappingError) as exc:
            raise StoreError(
                f"Neo4j holds {iri} with a label, key or relationship outside the ontology: {exc}"
            ) from exc
        source = claim_source(quads)
        if source is None and record["claim_source"] is not None:
            source = self._terms.iri(record["claim_source"])
        return SubjectBlock(subject, quads, source)


def source_for_store(store: Any) -> RdfSource:
    """The export source over an open API store (graph.store.GraphStore), sharing its handle.

    The embedded store's read handle and Neo4j's driver stay the store's: closing the source
    does not close them.
    """
    if store.backend == "embedded":
        return EmbeddedSource(store.embedded)
    return Neo4jSource(store.driver, store.database)


def open_source(settings: Settings, backend: str | None = None) -> RdfSource:
    """An export source of its own for ``backend`` (default: the one the settings choose)."""
    chosen = backend or settings.backend
    if chosen == "neo4j":
        return Neo4jSource.from_settings(settings)
    return EmbeddedSource.open(settings.data_dir)
