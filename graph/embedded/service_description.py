"""The SPARQL 1.1 Service Description of ``/v1/sparql``: what a ``GET`` without a query answers.

A client (or a person) asking the endpoint itself learns the language it speaks (SPARQL 1.1
Query, no update, no federation), the result formats it writes, its default dataset with the
triple count, data version and named graphs (one per claim source), and the limits it applies
(time, result cap), as the Service Description vocabulary
(https://www.w3.org/TR/sparql11-service-description/) says. The graph is small, so it is built
with rdflib and written in Turtle, RDF/XML, JSON-LD or N-Triples.

The endpoint's address is a link: the caller passes it (the public base when one is configured,
else the address the request came to); no milcoop identifier depends on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, VOID

from milcoop.graph.export import data_licence, negotiate
from milcoop.graph.export.description import DATASET_TITLE, DCAT_VERSION
from milcoop.ontology.namespace import DATASET_IRI, ONTOLOGY_IRI, ONTOLOGY_VERSION_IRI

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
#: The W3C's IRIs of the media formats (https://www.w3.org/ns/formats/).
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")

#: The W3C format IRI of each media type the endpoint writes (results and RDF).
FORMAT_IRIS: dict[str, URIRef] = {
    "application/sparql-results+json": FORMATS_NS.SPARQL_Results_JSON,
    "application/sparql-results+xml": FORMATS_NS.SPARQL_Results_XML,
    "text/csv": FORMATS_NS.SPARQL_Results_CSV,
    "text/tab-separated-values": FORMATS_NS.SPARQL_Results_TSV,
    "text/turtle": FORMATS_NS.Turtle,
    "application/n-triples": FORMATS_NS["N-Triples"],
    "application/n-quads": FORMATS_NS["N-Quads"],
    "application/trig": FORMATS_NS.TriG,
    "application/ld+json": FORMATS_NS["JSON-LD"],
    "application/rdf+xml": FORMATS_NS.RDF_XML,
}

#: The media types the description itself is written in, Turtle (the default) first, with the
#: rdflib serializer of each. ``application/json`` asks for JSON-LD.
DESCRIPTION_TYPES: dict[str, str] = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/json": "json-ld",
}

_JSONLD_CONTEXT = {
    "sd": str(SD),
    "void": str(VOID),
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "formats": str(FORMATS_NS),
    "owl": str(OWL),
}


@dataclass(frozen=True)
class EndpointFacts:
    """What the description states about one endpoint and the data it answers over."""

    #: The endpoint's address, as clients are to use it.
    endpoint: str
    #: The data version the store holds (None: nothing loaded yet).
    data_version: str | None
    #: Triples in the default graph (None: nothing loaded yet).
    triples: int | None
    timeout_seconds: float
    max_results: int
    #: The media types SELECT/ASK results and CONSTRUCT/DESCRIBE results are written in.
    result_types: Sequence[str]
    #: The default dataset's named graphs: one per claim source (the TriG export's graphs).
    named_graphs: Sequence[str] = ()


def description_graph(facts: EndpointFacts) -> Graph:
    """The Service Description of the endpoint ``facts`` describe."""
    g = Graph()
    for prefix, namespace in _JSONLD_CONTEXT.items():
        g.bind(prefix, namespace)
    service = BNode("service")
    endpoint = URIRef(facts.endpoint)
    dataset = URIRef(str(DATASET_IRI))
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, endpoint))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.defaultEntailmentRegime, ENTAILMENT.Simple))
    for media_type in dict.fromkeys(facts.result_types):
        iri = FORMAT_IRIS.get(media_type)
        if iri is not None:
            g.add((service, SD.resultFormat, iri))
    g.add((service, RDFS.label, Literal("milcoop SPARQL endpoint (read-only)")))
    g.add((service, RDFS.comment, Literal(
        "Read-only SPARQL 1.1 Query: updates and SERVICE are refused. A query runs for at most "
        f"{facts.timeout_seconds:g} s, and an answer holds at most {facts.max_results} rows or triples: a query "
        "with more results is refused with 400 and a message saying how to page with ORDER BY, LIMIT and OFFSET "
        "(answers are never cut short)."
    )))
    # The default dataset: the milcoop dataset, whose facts are the default graph.
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, DCTERMS.title, Literal(DATASET_TITLE)))
    g.add((dataset, DCTERMS.license, URIRef(data_licence())))
    g.add((dataset, DCTERMS.conformsTo, URIRef(str(ONTOLOGY_IRI))))
    g.add((dataset, VOID.sparqlEndpoint, endpoint))
    default_graph = BNode("default-graph")
    g.add((dataset, SD.defaultGraph, default_graph))
    g.add((default_graph, RDF.type, SD.Graph))
    if facts.triples is not None:
        g.add((default_graph, VOID.triples, Literal(facts.triples, datatype=XSD.integer)))
    # The named graphs, one per source document whose claims they hold (GRAPH, FROM NAMED).
    for number, name in enumerate(facts.named_graphs):
        named, graph = BNode(f"named-graph-{number}"), BNode(f"graph-{number}")
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(name)))
        g.add((named, SD.graph, graph))
        g.add((graph, RDF.type, SD.Graph))
    if facts.data_version:
        g.add((dataset, URIRef(str(DCAT_VERSION)), Literal(facts.data_version)))
    g.add((URIRef(str(ONTOLOGY_IRI)), OWL.versionIRI, URIRef(str(ONTOLOGY_VERSION_IRI))))
    return g


def description_media_type(accept: str | None) -> str | None:
    """The media type of the description ``accept`` prefers (None: it accepts none of them)."""
    return negotiate(accept, list(DESCRIPTION_TYPES))


def serialize_description(facts: EndpointFacts, media_type: str) -> bytes:
    """The description in ``media_type`` (one of :data:`DESCRIPTION_TYPES`)."""
    fmt = DESCRIPTION_TYPES[media_type]
    graph = description_graph(facts)
    if fmt == "json-ld":
        return graph.serialize(format="json-ld", context=_JSONLD_CONTEXT, auto_compact=True).encode()
    return graph.serialize(format=fmt).encode()
