"""The export's source over Neo4j: ``:Resource`` nodes streamed in ``iri`` order, mapped back to triples."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, LiteralString

import pyoxigraph as ox
from neo4j import READ_ACCESS
from rdflib import RDF, XSD, Literal, URIRef

from milcoop.graph.errors import StoreError, StoreUnavailable
from milcoop.graph.mapping import node_triples
from milcoop.graph.neo4j.cypher import export as cypher
from milcoop.graph.neo4j.cypher import load as load_cypher
from milcoop.graph.neo4j.driver import open_driver, translated
from milcoop.graph.rdf_source import RdfSource, Referrers, SubjectBlock, claim_source
from milcoop.graph.terms import MappingError
from milcoop.ontology.vocabulary import Vocabulary, vocabulary

if TYPE_CHECKING:
    from neo4j import Driver

    from milcoop.settings import Settings

_DEFAULT = ox.DefaultGraph()
#: How messages name the server (the source has a driver, not the configured URI).
_SERVER = "the Neo4j server"


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
    so that the stream is never buffered by the driver. Every session is a read session
    (``READ_ACCESS``), so through a ``neo4j://`` routing URI a cluster serves the export from its
    readers (read replicas, secondaries) rather than its leader; both start from the bookmark of
    the read of the data version, so a lagging reader waits until it holds at least that version.
    """

    driver: Driver
    database: str
    owns_driver: bool = False
    vocab: Vocabulary = field(default_factory=vocabulary)
    fetch_size: int = 2_000

    def __post_init__(self) -> None:
        self._terms = _Terms(self.vocab)
        self._lookup_session: Any = None
        self._bookmarks: Any = None
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
        with (
            translated(_SERVER, "stream the export"),
            self.driver.session(
                database=self.database,
                default_access_mode=READ_ACCESS,
                bookmarks=self._bookmarks,
                fetch_size=self.fetch_size,
            ) as session,
        ):
            for record in session.run(query):
                yield self._record_block(record)

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
        with translated(_SERVER, "look up the export's context"):
            if self._lookup_session is None:
                self._lookup_session = self.driver.session(
                    database=self.database, default_access_mode=READ_ACCESS, bookmarks=self._bookmarks
                )
            return list(self._lookup_session.run(query, params))

    def _read_one(self, query: LiteralString, **params: Any) -> Mapping[str, Any] | None:
        with (
            translated(_SERVER, "read the dataset"),
            self.driver.session(database=self.database, default_access_mode=READ_ACCESS) as session,
        ):
            records = list(session.run(query, params))
            self._bookmarks = session.last_bookmarks()
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
