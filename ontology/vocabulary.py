"""The ontology as an allow-list for the property graph.

Neo4j holds the same knowledge as the RDF graph, mapped one to one so that an export from Neo4j
is isomorphic to the compiled RDF:

* every resource with an IRI becomes a node with label ``Resource`` plus the label of its class
  and of that class's milcoop superclasses (``MaterielTransfer`` + ``CooperationEvent``);
* an object property becomes a relationship type (``mc:supplier`` -> ``SUPPLIER``), except for
  properties whose range is a closed enumeration (``mc:status``), which become string properties
  holding the individual's ``skos:notation`` (``status: 'reported'``);
* a datatype property becomes a node property; a non-functional one always holds a list;
* a date that may be partial (``mc:startDate`` as ``xsd:gYear``) becomes a Neo4j ``date`` of its
  first day plus ``<key>Precision`` (``year``, ``month`` or ``day``).

Labels, relationship types and property keys therefore only ever come from this module, never
from input; Cypher text is built from them and values travel as parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from rdflib import OWL, RDF, RDFS, SKOS, XSD, Graph, URIRef
from rdflib.namespace import DCTERMS

from milcoop.ontology import ontology_graph
from milcoop.ontology.namespace import MC

#: Datatype properties whose values may be partial dates (the XSD type carries the precision).
PARTIAL_DATE_PROPERTIES: frozenset[URIRef] = frozenset(
    {
        MC.startDate,
        MC.endDate,
        MC.signedOn,
        MC.entryIntoForce,
        MC.terminatedOn,
        MC.ratifiedOn,
        MC.adoptedOn,
        MC.established,
        MC.mandateEnded,
        MC.briefedOn,
        MC.isoCodeWithdrawn,
        MC.heldFrom,
        MC.heldUntil,
        MC.inForceFrom,
        MC.inForceUntil,
        MC.orderDate,
        DCTERMS.issued,
    }
)

#: Terms from well-known vocabularies that the compiled graph uses, with their property-graph
#: names. (key or relationship type, is it many-valued?)
_EXTERNAL_DATATYPE_PROPERTIES: dict[URIRef, tuple[str, bool, URIRef | None]] = {
    SKOS.prefLabel: ("name", False, XSD.string),
    SKOS.altLabel: ("aliases", True, XSD.string),
    SKOS.definition: ("definition", False, XSD.string),
    SKOS.notation: ("notation", False, XSD.string),
    RDFS.label: ("label", False, XSD.string),
    DCTERMS.title: ("title", False, XSD.string),
    DCTERMS.publisher: ("publisher", False, XSD.string),
    DCTERMS.description: ("description", False, XSD.string),
    DCTERMS.issued: ("issued", False, None),
}
#: Properties whose value is an IRI outside the graph (no node of ours), stored as a list of IRI
#: strings: ``owl:sameAs`` links an entity to its Wikidata item.
_EXTERNAL_IRI_PROPERTIES: dict[URIRef, str] = {OWL.sameAs: "sameAs"}
_EXTERNAL_RELATIONSHIPS: dict[URIRef, str] = {
    SKOS.broader: "BROADER",
    SKOS.closeMatch: "CLOSE_MATCH",
    SKOS.relatedMatch: "RELATED_MATCH",
    SKOS.broadMatch: "BROAD_MATCH",
    SKOS.narrowMatch: "NARROW_MATCH",
    SKOS.inScheme: "IN_SCHEME",
    SKOS.topConceptOf: "TOP_CONCEPT_OF",
    SKOS.hasTopConcept: "HAS_TOP_CONCEPT",
}
_EXTERNAL_CLASSES: dict[URIRef, str] = {SKOS.ConceptScheme: "ConceptScheme"}

#: The label every milcoop node carries; its ``iri`` is unique.
RESOURCE_LABEL = "Resource"

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class NodeProperty:
    """A datatype property stored as a node property."""

    iri: URIRef
    key: str
    many: bool
    #: XSD datatype of the literal; ``None`` for a partial date (gYear, gYearMonth or date).
    datatype: URIRef | None
    #: The value is an IRI (an external resource such as a Wikidata item), not a literal.
    iri_valued: bool = False

    @property
    def partial_date(self) -> bool:
        return self.datatype is None

    @property
    def precision_key(self) -> str:
        return f"{self.key}Precision"


@dataclass(frozen=True)
class EnumProperty:
    """An object property whose range is a closed set of individuals, stored as strings."""

    iri: URIRef
    key: str
    many: bool
    range: URIRef
    #: notation (the code analysts write) -> individual IRI
    codes: dict[str, URIRef]

    def code_of(self, individual: URIRef) -> str:
        for code, iri in self.codes.items():
            if iri == individual:
                return code
        raise KeyError(f"{individual} is not a {self.range}")


@dataclass(frozen=True)
class Relationship:
    """An object property stored as a relationship type."""

    iri: URIRef
    type: str


@dataclass(frozen=True)
class Vocabulary:
    """Every label, relationship type and property key the property graph may use."""

    #: class IRI -> node label
    labels: dict[URIRef, str]
    #: node label -> labels of its milcoop superclasses (nearest first)
    superlabels: dict[str, tuple[str, ...]]
    node_properties: dict[URIRef, NodeProperty]
    enum_properties: dict[URIRef, EnumProperty]
    relationships: dict[URIRef, Relationship]
    _by_label: dict[str, URIRef] = field(default_factory=dict)
    _by_key: dict[str, NodeProperty | EnumProperty] = field(default_factory=dict)
    _by_type: dict[str, Relationship] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_label.update({label: iri for iri, label in self.labels.items()})
        self._by_key.update({p.key: p for p in self.node_properties.values()})
        self._by_key.update({p.key: p for p in self.enum_properties.values()})
        self._by_type.update({r.type: r for r in self.relationships.values()})

    def class_for_label(self, label: str) -> URIRef:
        return self._by_label[label]

    def property_for_key(self, key: str) -> NodeProperty | EnumProperty:
        return self._by_key[key]

    def relationship_for_type(self, rel_type: str) -> Relationship:
        return self._by_type[rel_type]

    def labels_for_class(self, cls: URIRef) -> tuple[str, ...]:
        """The asserted class's label followed by its superclasses' labels."""
        label = self.labels[cls]
        return (label, *self.superlabels.get(label, ()))

    @property
    def relationship_types(self) -> frozenset[str]:
        return frozenset(self._by_type)

    @property
    def all_labels(self) -> frozenset[str]:
        return frozenset(self._by_label) | {RESOURCE_LABEL}

    @property
    def enum_keys(self) -> frozenset[str]:
        return frozenset(p.key for p in self.enum_properties.values())


def _local_name(iri: URIRef) -> str:
    return re.split(r"[#/]", str(iri))[-1]


def relationship_type_for(iri: URIRef) -> str:
    """``mc:usesMaterielFrom`` -> ``USES_MATERIEL_FROM``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", _local_name(iri)).upper()


def _checked(name: str) -> str:
    # Labels, keys and types are spliced into Cypher text: refuse anything but identifiers.
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} cannot be a Neo4j label, key or relationship type")
    return name


def build_vocabulary(onto: Graph) -> Vocabulary:
    """Derive the allow-list from the ontology graph."""
    ns = str(MC._NS)
    classes = sorted(c for c in onto.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef) and str(c).startswith(ns))
    enum_classes = {c for c in classes if (c, RDFS.subClassOf, SKOS.Concept) in onto and c != MC.MaterielConcept}
    labels: dict[URIRef, str] = {c: _checked(_local_name(c)) for c in classes if c not in enum_classes}
    labels.update(_EXTERNAL_CLASSES)

    superlabels: dict[str, tuple[str, ...]] = {}
    for cls, label in labels.items():
        chain: list[str] = []
        current = cls
        while True:
            parents = [p for p in onto.objects(current, RDFS.subClassOf) if p in labels]
            if not parents:
                break
            current = parents[0]  # type: ignore[assignment]
            chain.append(labels[current])
        superlabels[label] = tuple(chain)

    node_properties: dict[URIRef, NodeProperty] = {}
    enum_properties: dict[URIRef, EnumProperty] = {}
    relationships: dict[URIRef, Relationship] = {}

    for prop in sorted(p for p in onto.subjects(RDF.type, OWL.DatatypeProperty) if isinstance(p, URIRef)):
        many = (prop, RDF.type, OWL.FunctionalProperty) not in onto
        datatype = None if prop in PARTIAL_DATE_PROPERTIES else onto.value(prop, RDFS.range)
        if datatype is None and prop not in PARTIAL_DATE_PROPERTIES:
            raise ValueError(f"datatype property {prop} declares no rdfs:range")
        node_properties[prop] = NodeProperty(prop, _checked(_local_name(prop)), many, datatype)  # type: ignore[arg-type]

    for prop in sorted(p for p in onto.subjects(RDF.type, OWL.ObjectProperty) if isinstance(p, URIRef)):
        many = (prop, RDF.type, OWL.FunctionalProperty) not in onto
        rng = onto.value(prop, RDFS.range)
        if rng in enum_classes:
            individuals = sorted(i for i in onto.subjects(RDF.type, rng) if isinstance(i, URIRef))
            codes = {str(onto.value(ind, SKOS.notation)): ind for ind in individuals}
            enum_properties[prop] = EnumProperty(prop, _checked(_local_name(prop)), many, rng, codes)  # type: ignore[arg-type]
        else:
            relationships[prop] = Relationship(prop, _checked(relationship_type_for(prop)))

    for prop, (key, many, datatype) in _EXTERNAL_DATATYPE_PROPERTIES.items():
        node_properties[prop] = NodeProperty(prop, key, many, datatype)
    for prop, key in _EXTERNAL_IRI_PROPERTIES.items():
        node_properties[prop] = NodeProperty(prop, key, True, XSD.anyURI, iri_valued=True)
    for prop, rel_type in _EXTERNAL_RELATIONSHIPS.items():
        relationships[prop] = Relationship(prop, rel_type)

    return Vocabulary(labels, superlabels, node_properties, enum_properties, relationships)


@cache
def vocabulary() -> Vocabulary:
    """The allow-list derived from the shipped ontology (built once per process)."""
    return build_vocabulary(ontology_graph())
