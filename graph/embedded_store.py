"""The read primitives of :class:`graph.store.GraphStore` over the embedded pyoxigraph store.

Selections with filters and ordering run as SPARQL (graph/sparql/queries.py) anchored on the
bound actor, measure or class, with every value substituted (SEP-0007). Describing nodes and
following relationships are direct quad-pattern look-ups on the store's indexes, turned into
the same property-graph shape graph/mapping.py gives Neo4j, so both stores hand the service
identical records.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any, Literal

import pyoxigraph as ox
from rdflib import RDF, XSD, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Node

from graph.embedded import EmbeddedStore
from graph.errors import StoreUnavailable
from graph.mapping import node_id
from graph.sparql import queries as q
from graph.store import (
    COUNTED_LABELS,
    PATH_LABELS,
    PATH_TYPES,
    REFERENCE_LABELS,
    Edge,
    EventFilter,
    Keyed,
    NodeView,
    StoreStatus,
    search_rank,
)
from loaders.curated import SECTIONS
from loaders.dates import PartialDate
from milcoop.settings import Backend
from ontology.namespace import ID
from ontology.vocabulary import EnumProperty, NodeProperty, Vocabulary, vocabulary

_DEFAULT = ox.DefaultGraph()
_RDF_TYPE = ox.NamedNode(str(RDF.type))
_XSD_DATE = str(XSD.date)
_XSD_INTEGER = str(XSD.integer)
_XSD_BOOLEAN = str(XSD.boolean)
_TRUE = RdfLiteral(True)
_FALSE = RdfLiteral(False)
_NONE = URIRef(q.NONE)
_NO_DATE = RdfLiteral(dt.date(1, 1, 1), datatype=XSD.date)

#: Where milcoop mints IRIs: ``<id base><kind>/<id>`` for curated and synthetic entities, the
#: materiel taxonomy's namespace, and the ontology's (for the concept scheme).
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


class EmbeddedGraphStore:
    """:class:`graph.store.GraphStore` over an opened :class:`graph.embedded.EmbeddedStore`."""

    backend: Backend = "embedded"

    def __init__(self, embedded: EmbeddedStore, vocab: Vocabulary | None = None) -> None:
        self.embedded = embedded
        self.store = embedded.store
        self.shapes = _Shapes(vocab or vocabulary())
        self._counts: dict[str, int] | None = None
        self._lock = threading.Lock()

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
        if not found:
            rows = self.embedded.select(q.NODES_WITH_ID, {"id": RdfLiteral(value)})
            found = [str(row["n"]) for row in rows]
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
        types = {self.shapes.predicates[t]: t for t in PATH_TYPES}
        cache: dict[str, frozenset[str]] = {}
        edges: set[Edge] = set()
        for iri in iris:
            if not self._labels_of(iri, cache) & PATH_LABELS:
                continue
            node = ox.NamedNode(iri)
            for quad in self.store.quads_for_pattern(node, None, None, _DEFAULT):
                rel_type = types.get(quad.predicate.value)
                if rel_type is not None and self._labels_of(_text(quad.object), cache) & PATH_LABELS:
                    edges.add(Edge(rel_type, iri, _text(quad.object)))
            for quad in self.store.quads_for_pattern(None, None, node, _DEFAULT):
                rel_type = types.get(quad.predicate.value)
                if rel_type is not None and self._labels_of(_text(quad.subject), cache) & PATH_LABELS:
                    edges.add(Edge(rel_type, _text(quad.subject), iri))
        return sorted(edges, key=lambda e: (e.start, e.type, e.end))

    # -- selections --------------------------------------------------------------------------------

    def _keyed(self, query: str, bindings: dict[str, Node], subject: str, limit: int | None = None) -> list[Keyed]:
        rows = self.embedded.select(query, bindings)
        keyed = [(str(row[subject]), str(row["key"])) for row in rows]
        return keyed if limit is None else keyed[:limit]

    def _predicate_list(self, types: Iterable[str]) -> RdfLiteral:
        # Matched with CONTAINS(?list, CONCAT(" ", STR(?p), " ")): space-delimited IRIs.
        return RdfLiteral(" " + " ".join(self.shapes.predicates[t] for t in sorted(types)) + " ")

    def select_events(self, flt: EventFilter, after: str | None, limit: int) -> list[Keyed]:
        kinds = " ".join(self.shapes.classes[label] for label in sorted(flt.labels))
        bindings: dict[str, Node] = {
            "kinds": RdfLiteral(f" {kinds} " if kinds else ""),
            "target": URIRef(flt.target) if flt.target else _NONE,
            "toPredicates": self._predicate_list(flt.to_types),
            "none": _NONE,
            "hasSince": _TRUE if flt.since else _FALSE,
            "since": RdfLiteral(flt.since, datatype=XSD.date) if flt.since else _NO_DATE,
            "hasUntil": _TRUE if flt.until else _FALSE,
            "until": RdfLiteral(flt.until, datatype=XSD.date) if flt.until else _NO_DATE,
            "undated": _TRUE if flt.include_undated else _FALSE,
            "claimFilter": _TRUE if flt.filters_claims else _FALSE,
            "status": self._status_iri(flt.status),
            "maxReliability": RdfLiteral(flt.max_reliability or "F"),
            "maxCredibility": RdfLiteral(flt.max_credibility or 6),
            "after": RdfLiteral(after or ""),
        }
        if flt.source:
            query = q.EVENTS_FROM
            bindings["source"] = URIRef(flt.source)
        elif flt.target:
            query = q.EVENTS_TO
        else:
            query = q.EVENTS_OF_KINDS
        return self._keyed(query, bindings, "e", limit)

    def _status_iri(self, code: str | None) -> URIRef:
        if code is None:
            return _NONE
        from ontology.namespace import MC

        return self.shapes.vocab.enum_properties[MC.status].codes[code]

    def statements_between(self, a: str, b: str, after: str | None, limit: int) -> list[Keyed]:
        from graph.store import TARGET_TYPES, TO_TYPES

        bindings: dict[str, Node] = {
            "a": URIRef(a),
            "b": URIRef(b),
            "toPredicates": self._predicate_list((*TO_TYPES, *TARGET_TYPES)),
            "after": RdfLiteral(after or ""),
        }
        return self._keyed(q.STATEMENTS_BETWEEN, bindings, "s", limit)

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
