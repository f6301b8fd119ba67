"""The one-to-one mapping between the compiled RDF graph and the Neo4j property graph.

See :mod:`milcoop.ontology.vocabulary` for the rules. :func:`to_property_graph` turns RDF into node and
relationship records that the Neo4j loader writes; :func:`to_rdf` turns records read back from
Neo4j into RDF. ``to_rdf(to_property_graph(g))`` is isomorphic to ``g`` (a test checks it), which
is what makes an export from Neo4j lossless.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rdflib import RDF, XSD, Graph, Literal, URIRef

from milcoop.graph.terms import MappingError, decimal_literal, property_value
from milcoop.ontology.dates import PartialDate
from milcoop.ontology.vocabulary import RESOURCE_LABEL, EnumProperty, NodeProperty, Vocabulary, vocabulary

PropertyValue = str | int | bool | dt.date | list[str] | list[int] | list[dt.date]


@dataclass
class NodeRecord:
    """One node: its IRI, labels (asserted class first, then superclasses) and properties."""

    iri: str
    labels: tuple[str, ...]
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, order=True)
class RelationshipRecord:
    """One relationship between two nodes, by their IRIs."""

    type: str
    start: str
    end: str


def node_id(iri: str) -> str:
    """The short id shown to users: the IRI's last segment (``.../state/PRK`` -> ``PRK``)."""
    return re.split(r"[/#]", iri)[-1]


def to_property_graph(
    graph: Graph, vocab: Vocabulary | None = None
) -> tuple[list[NodeRecord], list[RelationshipRecord]]:
    """Map an RDF graph to node and relationship records, in a stable order.

    Raises :class:`MappingError` on any predicate, class or literal outside the allow-list.
    """
    vocab = vocab or vocabulary()
    classes: dict[URIRef, URIRef] = {}
    for subject, cls in graph.subject_objects(RDF.type):
        if not isinstance(subject, URIRef) or not isinstance(cls, URIRef):
            raise MappingError(f"blank nodes are not supported: {subject} a {cls}")
        if cls not in vocab.labels:
            raise MappingError(f"{subject}: class {cls} is not in the ontology's allow-list")
        if subject in classes and classes[subject] != cls:
            raise MappingError(f"{subject} has two classes: {classes[subject]} and {cls}")
        classes[subject] = cls

    nodes: dict[URIRef, NodeRecord] = {
        s: NodeRecord(str(s), vocab.labels_for_class(c), {"iri": str(s), "id": node_id(str(s))})
        for s, c in classes.items()
    }
    many: dict[tuple[URIRef, str], list[Any]] = defaultdict(list)
    relationships: list[RelationshipRecord] = []

    for subject, predicate, obj in graph:
        if predicate == RDF.type:
            continue
        node = nodes.get(subject) if isinstance(subject, URIRef) else None
        if node is None:
            raise MappingError(f"{subject} has properties but no rdf:type")
        assert isinstance(predicate, URIRef)
        if predicate in vocab.node_properties:
            prop = vocab.node_properties[predicate]
            if prop.iri_valued:
                if not isinstance(obj, URIRef):
                    raise MappingError(f"{subject} {predicate}: expected an IRI, got {obj}")
            elif not isinstance(obj, Literal):
                raise MappingError(f"{subject} {predicate}: expected a literal, got {obj}")
            value = property_value(prop, str(obj))
            if prop.many:
                many[(subject, prop.key)].append(value)  # type: ignore[index]
            elif isinstance(value, PartialDate):
                node.properties[prop.key] = value.first_day
                node.properties[prop.precision_key] = value.precision
            else:
                node.properties[prop.key] = value
        elif predicate in vocab.enum_properties:
            enum = vocab.enum_properties[predicate]
            assert isinstance(obj, URIRef)
            code = enum.code_of(obj)
            if enum.many:
                many[(subject, enum.key)].append(code)  # type: ignore[index]
            else:
                node.properties[enum.key] = code
        elif predicate in vocab.relationships:
            if obj not in nodes:
                raise MappingError(f"{subject} {predicate} {obj}: the object has no rdf:type")
            relationships.append(RelationshipRecord(vocab.relationships[predicate].type, str(subject), str(obj)))
        else:
            raise MappingError(f"{subject}: predicate {predicate} is not in the ontology's allow-list")

    for (subject, key), values in many.items():
        nodes[subject].properties[key] = sorted(values)

    return [nodes[s] for s in sorted(nodes)], sorted(relationships)


def _to_literal(prop: NodeProperty, value: Any, properties: Mapping[str, Any]) -> Literal | URIRef:
    if prop.iri_valued:
        return URIRef(str(value))
    if prop.partial_date:
        return PartialDate.from_date(_as_date(value), str(properties[prop.precision_key])).to_literal()
    if prop.datatype == XSD.date:
        return Literal(_as_date(value), datatype=XSD.date)
    if prop.datatype == XSD.decimal:
        return decimal_literal(value)
    if prop.datatype == XSD.string:
        # A simple literal, as the compiler and every RDF parser produce it (RDF 1.1 treats it
        # as xsd:string, but rdflib compares the two as different terms).
        return Literal(value)
    return Literal(value, datatype=prop.datatype)


def _as_date(value: Any) -> dt.date:
    # The neo4j driver returns neo4j.time.Date; it converts with to_native().
    if isinstance(value, dt.date):
        return value
    to_native = getattr(value, "to_native", None)
    if to_native is not None:
        native = to_native()
        if isinstance(native, dt.date):
            return native
    raise MappingError(f"{value!r} is not a date")


def node_triples(
    iri: str, labels: Iterable[str], properties: Mapping[str, Any], vocab: Vocabulary | None = None
) -> Iterable[tuple[URIRef, URIRef, URIRef | Literal]]:
    """The RDF triples of one node read back from the property graph."""
    vocab = vocab or vocabulary()
    subject = URIRef(iri)
    own = [label for label in labels if label != RESOURCE_LABEL]
    if not own:
        raise MappingError(f"{iri} has no class label")
    # The asserted class is the one whose superclasses include all the other labels.
    asserted = max(own, key=lambda label: len(vocab.superlabels.get(label, ())))
    yield subject, RDF.type, vocab.class_for_label(asserted)
    for key, value in properties.items():
        if key in ("iri", "id") or key.endswith("Precision"):
            continue
        prop = vocab.property_for_key(key)
        values = value if isinstance(value, list) else [value]
        if isinstance(prop, EnumProperty):
            for code in values:
                yield subject, prop.iri, prop.codes[str(code)]
        else:
            for item in values:
                yield subject, prop.iri, _to_literal(prop, item, properties)


def to_rdf(
    nodes: Iterable[NodeRecord], relationships: Iterable[RelationshipRecord], vocab: Vocabulary | None = None
) -> Graph:
    """Rebuild the RDF graph from property-graph records."""
    vocab = vocab or vocabulary()
    graph = Graph()
    for node in nodes:
        for triple in node_triples(node.iri, node.labels, node.properties, vocab):
            graph.add(triple)
    for rel in relationships:
        graph.add((URIRef(rel.start), vocab.relationship_for_type(rel.type).iri, URIRef(rel.end)))
    return graph
