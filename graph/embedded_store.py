"""The read primitives of :class:`graph.store.GraphStore` over the embedded pyoxigraph store.

Describing nodes and following relationships are direct quad-pattern look-ups on the store's
indexes, turned into the same property-graph shape graph/mapping.py gives Neo4j, so both stores
hand the service identical records. Treaties, breaches, sources and search run as SPARQL
(graph/sparql/queries.py) with every value substituted (SEP-0007).

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

import bisect
import datetime as dt
import json
import os
import threading
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyoxigraph as ox
from rdflib import RDF, XSD, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Node

from milcoop.graph.embedded import EmbeddedStore
from milcoop.graph.errors import StoreUnavailable
from milcoop.graph.mapping import node_id
from milcoop.graph.sparql import queries as q
from milcoop.graph.store import (
    ACTOR_LABELS,
    COUNTED_LABELS,
    EVENT_KIND_LABELS,
    FROM_TYPES,
    PATH_LABELS,
    PATH_TYPES,
    REFERENCE_LABELS,
    TARGET_TYPES,
    TO_TYPES,
    UNDATED,
    Edge,
    EventFilter,
    Keyed,
    NodeView,
    StoreStatus,
    search_rank,
)
from milcoop.loaders.curated import SECTIONS
from milcoop.loaders.dates import PartialDate
from milcoop.ontology.namespace import ID, MC
from milcoop.ontology.vocabulary import EnumProperty, NodeProperty, Vocabulary, vocabulary
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
_ID_KINDS = sorted({kind for kind, _ in SECTIONS.values()} | {"claim", "quantity", "provision", "ratification"})
_OTHER_NAMESPACES = ("https://w3id.org/milcoop/materiel/", "https://w3id.org/milcoop/ontology#")


class _Shapes:
    """Predicate IRI -> how graph/mapping.py stores it, precomputed for fast look-ups."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.node_properties: dict[str, NodeProperty] = {str(k): v for k, v in vocab.node_properties.items()}
        self.enum_properties: dict[str, EnumProperty] = {str(k): v for k, v in vocab.enum_properties.items()}
        self.enum_codes: dict[str, dict[str, str]] = {
            iri: {str(ind): code for code, ind in prop.codes.items()} for iri, prop in self.enum_properties.items()
        }
        self.relationships: dict[str, str] = {str(k): v.type for k, v in vocab.relationships.items()}
        self.predicates: dict[str, str] = {t: iri for iri, t in self.relationships.items()}
        self.labels: dict[str, tuple[str, ...]] = {str(c): vocab.labels_for_class(c) for c in vocab.labels}
        self.classes: dict[str, str] = {label: str(c) for c, label in vocab.labels.items()}

    def predicate(self, rel_type: str) -> ox.NamedNode:
        return ox.NamedNode(self.predicates[rel_type])

    def classes_with(self, label: str) -> list[str]:
        """Class IRIs whose nodes carry ``label`` (itself and its subclasses)."""
        return sorted(c for c, labels in self.labels.items() if label in labels)


def _text(term: object) -> str:
    """The IRI or lexical form of a pyoxigraph term (quoted triples do not occur in milcoop data)."""
    if isinstance(term, (ox.NamedNode, ox.BlankNode, ox.Literal)):
        return term.value
    raise TypeError(f"unexpected term {term!r}")


def _literal_value(prop: NodeProperty, literal: ox.Literal) -> Any:
    if prop.partial_date:
        return PartialDate.parse(literal.value)
    datatype = literal.datatype.value
    if datatype == _XSD_DATE:
        return dt.date.fromisoformat(literal.value)
    if datatype == _XSD_INTEGER:
        return int(literal.value)
    if datatype == _XSD_BOOLEAN:
        return literal.value in ("true", "1")
    return literal.value


@dataclass(frozen=True)
class _Event:
    iri: str
    key: str
    label: str
    start: dt.date | None
    end: dt.date | None
    #: (relationship type, actor) for every from-side relationship
    sources: tuple[tuple[str, str], ...]
    #: (relationship type, actor) for every to-side and target relationship
    to: tuple[tuple[str, str], ...]
    #: (status, reliability, credibility) of every claim asserting the event
    claims: tuple[tuple[str, str, int], ...]


#: Version of the event index's file format (bump when the rows change).
_INDEX_FORMAT = 1


def _scan_events(store: ox.Store, shapes: _Shapes) -> dict[str, Any]:
    """Everything the event index needs, read with quad-pattern scans, as JSON-ready rows."""

    def scan(rel_type_or_iri: str) -> Iterator[ox.Quad]:
        iri = shapes.predicates.get(rel_type_or_iri, rel_type_or_iri)
        return store.quads_for_pattern(None, ox.NamedNode(iri), None, _DEFAULT)

    labels: dict[str, str] = {}
    for label in sorted(set(EVENT_KIND_LABELS.values())):
        for quad in store.quads_for_pattern(None, _RDF_TYPE, ox.NamedNode(shapes.classes[label]), _DEFAULT):
            labels[_text(quad.subject)] = label
    starts = {_text(q.subject): _text(q.object) for q in scan(str(MC.spanStart))}
    ends = {_text(q.subject): _text(q.object) for q in scan(str(MC.spanEnd))}
    sides: dict[str, tuple[list[list[str]], list[list[str]]]] = {iri: ([], []) for iri in labels}
    for position, types in enumerate((FROM_TYPES, (*TO_TYPES, *TARGET_TYPES))):
        for rel_type in types:
            for quad in scan(rel_type):
                event = sides.get(_text(quad.subject))
                if event is not None:
                    event[position].append([rel_type, _text(quad.object)])
    statuses = shapes.enum_codes[str(MC.status)]
    claim_status = {_text(q.subject): statuses.get(_text(q.object), "") for q in scan(str(MC.status))}
    reliability = {_text(q.subject): _text(q.object) for q in scan(str(MC.sourceReliability))}
    credibility = {_text(q.subject): int(_text(q.object)) for q in scan(str(MC.informationCredibility))}
    claims: dict[str, list[list[Any]]] = defaultdict(list)
    for quad in scan("ASSERTS"):
        claim, fact = _text(quad.subject), _text(quad.object)
        if fact in labels:
            claims[fact].append([claim_status.get(claim, ""), reliability.get(claim, "F"), credibility.get(claim, 6)])
    concerns = [[_text(q.subject), _text(q.object)] for q in scan("CONCERNS")]
    rows = [
        [iri, label, starts.get(iri), ends.get(iri), sides[iri][0], sides[iri][1], claims.get(iri, [])]
        for iri, label in sorted(labels.items())
    ]
    return {"format": _INDEX_FORMAT, "events": rows, "concerns": concerns}


class _EventIndex:
    """Events by source actor, by target actor and by kind, each list sorted by key."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.concerned_by: dict[str, list[str]] = defaultdict(list)
        self.concerns: dict[str, set[str]] = defaultdict(set)
        for statement, concerned in data["concerns"]:
            self.concerned_by[concerned].append(statement)
            self.concerns[statement].add(concerned)
        self.events: dict[str, _Event] = {}
        by_source: dict[str, list[_Event]] = defaultdict(list)
        by_target: dict[str, list[_Event]] = defaultdict(list)
        by_pair: dict[str, list[_Event]] = defaultdict(list)
        by_label: dict[str, list[_Event]] = defaultdict(list)
        for iri, label, start, end, sources, to, claims in data["events"]:
            event = _Event(
                iri=iri,
                key=f"{start if start else UNDATED} {iri}",
                label=label,
                start=dt.date.fromisoformat(start) if start else None,
                end=dt.date.fromisoformat(end) if end else None,
                sources=tuple(sorted((t, a) for t, a in sources)),
                to=tuple(sorted((t, a) for t, a in to)),
                claims=tuple(sorted((s, r, int(c)) for s, r, c in claims)),
            )
            self.events[iri] = event
            for actor in {actor for _, actor in event.sources}:
                by_source[actor].append(event)
            for actor in {actor for _, actor in event.to}:
                by_target[actor].append(event)
                for source in {source for _, source in event.sources}:
                    by_pair[_pair(source, actor)].append(event)
            by_label[label].append(event)
        self.by_source = _sorted_lists(by_source)
        self.by_target = _sorted_lists(by_target)
        #: events from one actor to another (through any to-side or target relationship)
        self.by_pair = _sorted_lists(by_pair)
        self.by_label = _sorted_lists(by_label)
        #: official statements by each actor
        self.statements_by: dict[str, list[_Event]] = defaultdict(list)
        for event in by_label.get("OfficialStatement", []):
            for actor in {actor for _, actor in event.sources}:
                self.statements_by[actor].append(event)
        self.all = _SortedEvents(sorted(self.events.values(), key=lambda e: e.key))

    @classmethod
    def load(cls, store: ox.Store, shapes: _Shapes, cache: Path | None) -> _EventIndex:
        """From the cache file beside the store when it is there and whole, else by scanning the
        store (and then writing the cache file, when the folder is writable)."""
        if cache is not None and cache.is_file():
            try:
                data = json.loads(cache.read_text(encoding="utf-8"))
                if data.get("format") == _INDEX_FORMAT:
                    return cls(data)
            except (OSError, ValueError, KeyError, TypeError):
                pass  # damaged or from another version: rebuild it
        data = _scan_events(store, shapes)
        if cache is not None:
            temporary = cache.with_name(cache.name + ".tmp")
            try:
                temporary.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
                os.replace(temporary, cache)
            except OSError:
                temporary.unlink(missing_ok=True)
        return cls(data)


class _SortedEvents:
    """Events sorted by key, with the keys alongside for bisection."""

    def __init__(self, events: list[_Event]) -> None:
        self.events = events
        self.keys = [e.key for e in events]

    def after(self, key: str | None) -> int:
        return bisect.bisect_right(self.keys, key) if key else 0

    def first_undated(self) -> int:
        return bisect.bisect_left(self.keys, UNDATED)


_EMPTY = _SortedEvents([])


def _pair(source: str, target: str) -> str:
    return f"{source} {target}"

_PATH_SET = frozenset(PATH_TYPES)
#: Relationship types path search follows into an actor other than from events' participants.
_ACTOR_INCOMING = tuple(t for t in PATH_TYPES if t not in (*FROM_TYPES, *TO_TYPES, *TARGET_TYPES))


def _sorted_lists(lists: dict[str, list[_Event]]) -> dict[str, _SortedEvents]:
    return {key: _SortedEvents(sorted(events, key=lambda e: e.key)) for key, events in lists.items()}


def _matches(event: _Event, flt: EventFilter) -> bool:
    """Whether ``event`` passes ``flt`` (apart from its source actor, the anchor)."""
    if flt.labels and event.label not in flt.labels:
        return False
    if flt.target is not None and not any(
        actor == flt.target and rel_type in flt.to_types for rel_type, actor in event.to
    ):
        return False
    if event.start is None:
        if not flt.include_undated:
            return False
    else:
        if flt.until is not None and event.start > flt.until:
            return False
        if flt.since is not None and event.end is not None and event.end < flt.since:
            return False
    if flt.filters_claims:
        return any(
            (flt.status is None or status == flt.status)
            and (flt.max_reliability is None or (reliability <= flt.max_reliability
                                                 and credibility <= (flt.max_credibility or 6)))
            for status, reliability, credibility in event.claims
        )
    return True


class EmbeddedGraphStore:
    """:class:`graph.store.GraphStore` over an opened :class:`graph.embedded.EmbeddedStore`."""

    backend: Backend = "embedded"

    def __init__(self, embedded: EmbeddedStore, vocab: Vocabulary | None = None) -> None:
        self.embedded = embedded
        self.store = embedded.store
        self.shapes = _Shapes(vocab or vocabulary())
        self._counts: dict[str, int] | None = None
        self._lock = threading.Lock()
        self._events: _EventIndex | None = None
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
                labels = shapes.labels.get(_text(obj), ())
                continue
            prop = shapes.node_properties.get(predicate)
            if prop is not None and isinstance(obj, ox.Literal):
                value = _literal_value(prop, obj)
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
                code = shapes.enum_codes[predicate].get(_text(obj))
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
                    subjects.add(_text(quad.subject))
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
        candidates = [f"{ID}{kind}/{value}" for kind in _ID_KINDS] + [f"{ns}{value}" for ns in _OTHER_NAMESPACES]
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
                    edges.append(Edge(rel_type, _text(quad.subject), iri))
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
                labels = self.shapes.labels.get(_text(quad.object), ())
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
                if rel_type is not None and labels_of(_text(quad.object)) & PATH_LABELS:
                    edges.add(Edge(rel_type, iri, _text(quad.object)))
            if labels & ACTOR_LABELS:
                # A busy actor takes part in thousands of events: take those from the event index
                # and look only the other relationship types up in the store.
                for event in index.by_source.get(iri, _EMPTY).events:
                    edges.update(Edge(t, event.iri, iri) for t, a in event.sources if a == iri and t in _PATH_SET)
                for event in index.by_target.get(iri, _EMPTY).events:
                    edges.update(Edge(t, event.iri, iri) for t, a in event.to if a == iri and t in _PATH_SET)
                for rel_type in _ACTOR_INCOMING:
                    for quad in self.store.quads_for_pattern(None, self.shapes.predicate(rel_type), node, _DEFAULT):
                        if labels_of(_text(quad.subject)) & PATH_LABELS:
                            edges.add(Edge(rel_type, _text(quad.subject), iri))
            else:
                for quad in self.store.quads_for_pattern(None, None, node, _DEFAULT):
                    rel_type = types.get(quad.predicate.value)
                    if rel_type is not None and labels_of(_text(quad.subject)) & PATH_LABELS:
                        edges.add(Edge(rel_type, _text(quad.subject), iri))
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

    def event_index(self) -> _EventIndex:
        """The in-memory event index: read from its file, or built by scanning the store (about a
        minute for 100,000 events on two busy cores) and saved for the next start."""
        if self._events is None:
            with self._events_lock:
                if self._events is None:
                    self._events = _EventIndex.load(self.store, self.shapes, self.event_index_file)
        return self._events

    def warm_up(self) -> threading.Thread:
        """Build the event index in the background, so the first requests need not wait for it."""
        thread = threading.Thread(target=self.event_index, name="milcoop-event-index", daemon=True)
        thread.start()
        return thread

    def select_events(self, flt: EventFilter, after: str | None, limit: int) -> list[Keyed]:
        index = self.event_index()
        if flt.source is not None and flt.target is not None:
            candidates = index.by_pair.get(_pair(flt.source, flt.target), _EMPTY)
        elif flt.source is not None:
            candidates = index.by_source.get(flt.source, _EMPTY)
        elif flt.target is not None:
            candidates = index.by_target.get(flt.target, _EMPTY)
        elif len(flt.labels) == 1:
            candidates = index.by_label.get(next(iter(flt.labels)), _EMPTY)
        else:
            candidates = index.all
        found: list[Keyed] = []
        position = candidates.after(after)
        events = candidates.events
        while position < len(events) and len(found) < limit:
            event = events[position]
            if flt.until is not None and event.start is not None and event.start > flt.until:
                # Sorted by start: no later dated event can start before ``until`` either.
                position = max(position + 1, candidates.first_undated())
                continue
            if _matches(event, flt):
                found.append((event.iri, event.key))
            position += 1
        return found

    def statements_between(self, a: str, b: str, after: str | None, limit: int) -> list[Keyed]:
        index = self.event_index()
        sides = (*TO_TYPES, *TARGET_TYPES)
        statements: set[str] = set()
        for one, other in ((a, b), (b, a)):
            for event in index.by_pair.get(_pair(one, other), _EMPTY).events:
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

    def search(self, text: str, after: str | None, limit: int) -> list[Keyed]:
        labels: dict[str, list[str]] = defaultdict(list)
        for row in self.embedded.select(q.SEARCH, {"text": RdfLiteral(text)}):
            labels[str(row["n"])].append(str(row["label"]))
        keyed = []
        for iri, candidates in labels.items():
            rank = search_rank(text, candidates)
            if rank is not None:
                key = f"{rank} {iri}"
                if key > (after or ""):
                    keyed.append((iri, key))
        keyed.sort(key=lambda pair: pair[1])
        return keyed[:limit]


__all__ = ["EmbeddedGraphStore", "StoreUnavailable"]
