"""The read primitives of :class:`graph.store.GraphStore` over the embedded pyoxigraph store.

Describing nodes and following relationships are direct quad-pattern look-ups on the store's
indexes, turned into the same property-graph shape graph/mapping.py gives Neo4j, so both stores
hand the service identical records. Treaties, breaches, sources and search run as SPARQL
(graph/embedded/queries.py) with every value substituted (SEP-0007).

Event selections (flows, deployments, relations) use an in-memory index instead, built once from
quad-pattern scans when first needed: per actor, its events sorted by the ordering key, with
each event's kind, span, counterparts and claim gradings. An opened store never changes (a load
writes a new one), so the index never goes stale. SPARQL could not meet the latency target
here: Oxigraph plans the OPTIONAL span dates and the claim EXISTS as joins over the whole
predicate rather than per event, so one busy actor's flows took seconds (12.9 s for 338 events
of a 2,000-event dataset with the claim filter in the query). With the index, a page is a walk
along one actor's sorted events that stops once the page is full.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal

import pyoxigraph as ox
from rdflib import RDF, XSD, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Node

from milcoop.graph.changes import ChangeRecord, Digest, VersionRecord
from milcoop.graph.embedded import queries as q
from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.graph.embedded.index import EMPTY, EventIndex, pair
from milcoop.graph.embedded.shapes import Shapes, text
from milcoop.graph.errors import StoreUnavailable
from milcoop.graph.event_filter import matches
from milcoop.graph.mapping import node_id
from milcoop.graph.store import (
    Edge,
    EventFilter,
    Keyed,
    NodeView,
    StoreStatus,
    keys_after,
    search_key,
    search_rank,
)
from milcoop.graph.terms import property_value
from milcoop.ontology.dates import PartialDate
from milcoop.ontology.kinds import (
    ACTOR_LABELS,
    COUNTED_LABELS,
    FROM_TYPES,
    ID_KINDS,
    PATH_LABELS,
    PATH_TYPES,
    REFERENCE_LABELS,
    TARGET_TYPES,
    TO_TYPES,
)
from milcoop.ontology.namespace import ID
from milcoop.ontology.vocabulary import Vocabulary, vocabulary
from milcoop.settings import Backend

_DEFAULT = ox.DefaultGraph()
_RDF_TYPE = ox.NamedNode(str(RDF.type))
_XSD_DATE = str(XSD.date)
_XSD_INTEGER = str(XSD.integer)
_XSD_BOOLEAN = str(XSD.boolean)
_TRUE = RdfLiteral(True)
_FALSE = RdfLiteral(False)
_NONE = URIRef(q.NONE)

#: Where milcoop mints IRIs: ``<id base><kind>/<id>`` for curated and synthetic entities, the
#: materiel taxonomy's namespace, and the ontology's (for the concept scheme). A look-up by id
#: tries these (Neo4j has an index on ``id``); an IRI outside them is found by IRI only.
_OTHER_NAMESPACES = ("https://w3id.org/milcoop/materiel/", "https://w3id.org/milcoop/ontology#")


_PATH_SET = frozenset(PATH_TYPES)
#: Relationship types path search follows into an actor other than from events' participants.
_ACTOR_INCOMING = tuple(t for t in PATH_TYPES if t not in (*FROM_TYPES, *TO_TYPES, *TARGET_TYPES))


class EmbeddedGraphStore:
    """:class:`milcoop.graph.store.GraphStore` over an opened :class:`milcoop.graph.embedded.files.EmbeddedStore`."""

    backend: Backend = "embedded"

    def __init__(self, embedded: EmbeddedStore, vocab: Vocabulary | None = None) -> None:
        self.embedded = embedded
        self.store = embedded.store
        self.shapes = Shapes(vocab or vocabulary())
        self._counts: dict[str, int] | None = None
        self._lock = threading.Lock()
        self._events: EventIndex | None = None
        self._events_lock = threading.Lock()

    @classmethod
    def open(cls, data_dir: Path) -> EmbeddedGraphStore:
        """Open the active embedded store under ``data_dir`` (StoreUnavailable when empty)."""
        return cls(EmbeddedStore.open(data_dir))

    def close(self) -> None:
        # pyoxigraph closes the store when the object goes away; nothing to flush for reads.
        pass

    # -- status ---------------------------------------------------------------------------------

    def data_version(self) -> str:
        return self.embedded.info.data_version

    def status(self) -> StoreStatus:
        with self._lock:
            if self._counts is None:
                # The opened store never changes (a load writes a new one), so count once.
                self._counts = {label: self._count_label(label) for label in COUNTED_LABELS}
                self._counts["nodes"] = sum(1 for _ in self.store.quads_for_pattern(None, _RDF_TYPE, None, _DEFAULT))
            counts = dict(self._counts)
        return StoreStatus(self.backend, self.data_version(), counts)

    def _count_label(self, label: str) -> int:
        return sum(
            sum(1 for _ in self.store.quads_for_pattern(None, _RDF_TYPE, ox.NamedNode(cls), _DEFAULT))
            for cls in self.shapes.classes_with(label)
        )

    # -- nodes ------------------------------------------------------------------------------------

    def _view(self, iri: str, with_out: bool = True) -> NodeView | None:
        shapes = self.shapes
        labels: tuple[str, ...] = ()
        props: dict[str, Any] = {"iri": iri, "id": node_id(iri)}
        many: dict[str, list[Any]] = defaultdict(list)
        out: list[tuple[str, str]] = []
        found = False
        for quad in self.store.quads_for_pattern(ox.NamedNode(iri), None, None, _DEFAULT):
            found = True
            predicate = quad.predicate.value
            obj = quad.object
            if predicate == _RDF_TYPE.value:
                labels = shapes.labels.get(text(obj), ())
                continue
            prop = shapes.node_properties.get(predicate)
            if prop is not None and (
                isinstance(obj, ox.Literal) or (prop.iri_valued and isinstance(obj, ox.NamedNode))
            ):
                value = property_value(prop, obj.value)
                if prop.many:
                    many[prop.key].append(value)
                elif isinstance(value, PartialDate):
                    props[prop.key] = value.first_day
                    props[prop.precision_key] = value.precision
                else:
                    props[prop.key] = value
                continue
            enum = shapes.enum_properties.get(predicate)
            if enum is not None:
                code = shapes.enum_codes[predicate].get(text(obj))
                if code is not None:
                    if enum.many:
                        many[enum.key].append(code)
                    else:
                        props[enum.key] = code
                continue
            rel_type = shapes.relationships.get(predicate)
            if rel_type is not None and with_out and isinstance(obj, ox.NamedNode):
                out.append((rel_type, obj.value))
        if not found or not labels:
            return None
        for key, values in many.items():
            props[key] = sorted(values)
        return NodeView(iri, frozenset(labels), props, tuple(sorted(out)))

    def describe(self, iris: Collection[str]) -> dict[str, NodeView]:
        views: dict[str, NodeView] = {}
        for iri in iris:
            view = self._view(iri)
            if view is not None:
                views[iri] = view
        return views

    def named_entities(self) -> list[NodeView]:
        subjects: set[str] = set()
        for label in REFERENCE_LABELS:
            for cls in self.shapes.classes_with(label):
                for quad in self.store.quads_for_pattern(None, _RDF_TYPE, ox.NamedNode(cls), _DEFAULT):
                    subjects.add(text(quad.subject))
        views = (self._view(iri, with_out=False) for iri in sorted(subjects))
        return [view for view in views if view is not None]

    def _exists(self, iri: str) -> bool:
        node = ox.NamedNode(iri)
        return any(True for _ in self.store.quads_for_pattern(node, _RDF_TYPE, None, _DEFAULT))

    def lookup(self, key: Literal["iri", "id"], value: str) -> list[str]:
        if key == "iri":
            try:
                return [value] if self._exists(value) else []
            except ValueError:  # not an IRI pyoxigraph accepts
                return []
        candidates = [f"{ID}{kind}/{value}" for kind in ID_KINDS] + [f"{ns}{value}" for ns in _OTHER_NAMESPACES]
        found = []
        for iri in candidates:
            try:
                if self._exists(iri):
                    found.append(iri)
            except ValueError:
                continue
        return sorted(set(found))

    # -- relationships -----------------------------------------------------------------------------

    def incoming(self, iris: Collection[str], types: Collection[str]) -> list[Edge]:
        edges: list[Edge] = []
        predicates = [(t, self.shapes.predicate(t)) for t in types]
        for iri in iris:
            node = ox.NamedNode(iri)
            for rel_type, predicate in predicates:
                for quad in self.store.quads_for_pattern(None, predicate, node, _DEFAULT):
                    edges.append(Edge(rel_type, text(quad.subject), iri))
        return sorted(edges, key=lambda e: (e.end, e.type, e.start))

    def incoming_counts(self, iri: str) -> dict[str, int]:
        counts: Counter[str] = Counter()
        relationships = self.shapes.relationships
        for quad in self.store.quads_for_pattern(None, None, ox.NamedNode(iri), _DEFAULT):
            rel_type = relationships.get(quad.predicate.value)
            if rel_type is not None:
                counts[rel_type] += 1
        return dict(sorted(counts.items()))

    def _labels_of(self, iri: str, cache: dict[str, frozenset[str]]) -> frozenset[str]:
        if iri not in cache:
            labels: tuple[str, ...] = ()
            for quad in self.store.quads_for_pattern(ox.NamedNode(iri), _RDF_TYPE, None, _DEFAULT):
                labels = self.shapes.labels.get(text(quad.object), ())
            cache[iri] = frozenset(labels)
        return cache[iri]

    def neighbours(self, iris: Collection[str]) -> list[Edge]:
        index = self.event_index()
        types = {self.shapes.predicates[t]: t for t in PATH_TYPES}
        cache: dict[str, frozenset[str]] = {}

        def labels_of(iri: str) -> frozenset[str]:
            event = index.events.get(iri)
            return frozenset((event.label,)) if event is not None else self._labels_of(iri, cache)

        edges: set[Edge] = set()
        for iri in iris:
            labels = labels_of(iri)
            if not labels & PATH_LABELS:
                continue
            node = ox.NamedNode(iri)
            for quad in self.store.quads_for_pattern(node, None, None, _DEFAULT):
                rel_type = types.get(quad.predicate.value)
                if rel_type is not None and labels_of(text(quad.object)) & PATH_LABELS:
                    edges.add(Edge(rel_type, iri, text(quad.object)))
            if labels & ACTOR_LABELS:
                # A busy actor takes part in thousands of events: take those from the event index
                # and look only the other relationship types up in the store.
                for event in index.by_source.get(iri, EMPTY).events:
                    edges.update(Edge(t, event.iri, iri) for t, a in event.sources if a == iri and t in _PATH_SET)
                for event in index.by_target.get(iri, EMPTY).events:
                    edges.update(Edge(t, event.iri, iri) for t, a in event.to if a == iri and t in _PATH_SET)
                for rel_type in _ACTOR_INCOMING:
                    for quad in self.store.quads_for_pattern(None, self.shapes.predicate(rel_type), node, _DEFAULT):
                        if labels_of(text(quad.subject)) & PATH_LABELS:
                            edges.add(Edge(rel_type, text(quad.subject), iri))
            else:
                for quad in self.store.quads_for_pattern(None, None, node, _DEFAULT):
                    rel_type = types.get(quad.predicate.value)
                    if rel_type is not None and labels_of(text(quad.subject)) & PATH_LABELS:
                        edges.add(Edge(rel_type, text(quad.subject), iri))
        return sorted(edges, key=lambda e: (e.start, e.type, e.end))

    # -- selections --------------------------------------------------------------------------------

    def _keyed(self, query: str, bindings: dict[str, Node], subject: str, limit: int | None = None) -> list[Keyed]:
        rows = self.embedded.select(query, bindings)
        keyed = [(str(row[subject]), str(row["key"])) for row in rows]
        return keyed if limit is None else keyed[:limit]

    @property
    def event_index_file(self) -> Path:
        """Where the event index of this store is kept (beside the store folder, removed with it
        when a later load replaces the store)."""
        return self.embedded.path.parent / f"{self.embedded.path.name}.events.json"

    def event_index(self) -> EventIndex:
        """The in-memory event index: read from its file, or built by scanning the store (about a
        minute for 100,000 events on two busy cores) and saved for the next start."""
        if self._events is None:
            with self._events_lock:
                if self._events is None:
                    self._events = EventIndex.load(self.store, self.shapes, self.event_index_file)
        return self._events

    def warm_up(self) -> threading.Thread:
        """Build the event index in the background, so the first requests need not wait for it."""
        thread = threading.Thread(target=self.event_index, name="milcoop-event-index", daemon=True)
        thread.start()
        return thread

    def select_events(self, flt: EventFilter, after: str | None, limit: int) -> list[Keyed]:
        index = self.event_index()
        if flt.source is not None and flt.target is not None:
            candidates = index.by_pair.get(pair(flt.source, flt.target), EMPTY)
        elif flt.source is not None:
            candidates = index.by_source.get(flt.source, EMPTY)
        elif flt.target is not None:
            candidates = index.by_target.get(flt.target, EMPTY)
        elif len(flt.labels) == 1:
            candidates = index.by_label.get(next(iter(flt.labels)), EMPTY)
        else:
            candidates = index.all
        found: list[Keyed] = []
        position = candidates.after(after)
        events = candidates.events
        while position < len(events) and len(found) < limit:
            event = events[position]
            if flt.until is not None and event.start is not None and event.start > flt.until:
                # Events with a start sort by it: no later one can start before ``until`` either.
                # Only those with no known start may still match: known by their end only (they
                # sort by it, among the others) or undated.
                position = candidates.next_without_start(position + 1)
                continue
            if matches(event, flt):
                found.append((event.iri, event.key))
            position += 1
        return found

    def statements_between(self, a: str, b: str, after: str | None, limit: int) -> list[Keyed]:
        index = self.event_index()
        sides = (*TO_TYPES, *TARGET_TYPES)
        statements: set[str] = set()
        for one, other in ((a, b), (b, a)):
            for event in index.by_pair.get(pair(one, other), EMPTY).events:
                if any(actor == other and rel_type in sides for rel_type, actor in event.to):
                    statements.update(index.concerned_by.get(event.iri, ()))
            for event in index.statements_by.get(one, ()):
                if other in index.concerns.get(event.iri, ()):
                    statements.add(event.iri)
        keyed = sorted(
            (index.events[s].iri, index.events[s].key)
            for s in statements
            if s in index.events and index.events[s].label == "OfficialStatement"
        )
        keyed.sort(key=lambda pair: pair[1])
        return [pair for pair in keyed if pair[1] > (after or "")][:limit]

    def treaties(self, parties: Collection[str]) -> list[Keyed]:
        chosen = sorted(parties)
        if len(chosen) > 2:
            raise ValueError("at most two parties")
        bindings: dict[str, Node] = {
            "hasParty1": _TRUE if len(chosen) > 0 else _FALSE,
            "party1": URIRef(chosen[0]) if len(chosen) > 0 else _NONE,
            "hasParty2": _TRUE if len(chosen) > 1 else _FALSE,
            "party2": URIRef(chosen[1]) if len(chosen) > 1 else _NONE,
        }
        return self._keyed(q.TREATIES, bindings, "t")

    def breaches(self, state: str | None, measure: str | None, after: str | None, limit: int) -> list[Keyed]:
        bindings: dict[str, Node] = {
            "hasState": _TRUE if state else _FALSE,
            "state": URIRef(state) if state else _NONE,
            "hasMeasure": _TRUE if measure else _FALSE,
            "measure": URIRef(measure) if measure else _NONE,
            "after": RdfLiteral(after or ""),
        }
        if measure:
            query = q.BREACHES_OF_MEASURE
        elif state:
            query = q.BREACHES_BY_STATE
        else:
            query = q.BREACHES
        return self._keyed(query, bindings, "breach", limit)

    def sources(self) -> list[Keyed]:
        rows = self.embedded.select(q.SOURCES)
        return sorted((str(row["s"]), str(row["s"])) for row in rows)

    def source_facts(self, source: str, after: str | None, limit: int) -> list[Keyed]:
        bindings: dict[str, Node] = {"source": URIRef(source), "after": RdfLiteral(after or "")}
        return self._keyed(q.SOURCE_FACTS, bindings, "fact", limit)

    # -- versions and changes -------------------------------------------------------------------

    def data_versions(self) -> list[VersionRecord]:
        return self.embedded.data_versions()

    def changes_after(self, seq: int) -> list[ChangeRecord]:
        return self.embedded.changes_after(seq)

    def resource_digests(self) -> dict[str, Digest]:
        return self.embedded.resource_digests()

    def search(self, text: str, after: str | None, limit: int) -> list[Keyed]:
        labels: dict[str, list[str]] = defaultdict(list)
        for row in self.embedded.select(q.SEARCH, {"text": RdfLiteral(text)}):
            labels[str(row["n"])].append(str(row["label"]))
        # SPARQL keeps the names that contain the text; the ranking is graph/store.py's rule.
        ranks = {iri: search_rank(text, candidates) for iri, candidates in labels.items()}
        keyed = sorted(
            ((iri, search_key(rank, iri)) for iri, rank in ranks.items() if rank is not None), key=lambda pair: pair[1]
        )
        return keys_after(keyed, after, limit)


__all__ = ["EmbeddedGraphStore", "StoreUnavailable"]
