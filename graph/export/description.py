"""The triples that describe an export (VoID and DCAT), written after its data.

Title, data version, licence, the day the data was loaded, the triple count and the ontology it
conforms to, with its version IRI. They are a function of the data version, the load day and the
count only, so two exports of the same load agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import OWL, XSD, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, VOID

from milcoop.graph.export.formats import FORMATS
from milcoop.graph.rdf_source import RDF_TYPE
from milcoop.ontology import ontology_graph
from milcoop.ontology.namespace import DATASET_IRI, ID, MC, ONTOLOGY_IRI, ONTOLOGY_VERSION, ONTOLOGY_VERSION_IRI

if TYPE_CHECKING:
    from milcoop.graph.export.selection import ExportFilter

#: dcat:version (DCAT 3; rdflib's DCAT namespace is DCAT 2).
DCAT_VERSION = URIRef(f"{DCAT}version")

DATASET_TITLE = "milcoop: a knowledge graph of state military cooperation"
DATASET_DESCRIPTION = (
    "Sourced, graded facts on arms and technology transfers, troop deployments, treaties and the "
    "sanctions measures they breach, each fact with the claims and source documents behind it."
)


#: Who publishes milcoop's knowledge (as pyproject.toml names the authors).
PUBLISHER_NAME = "The milcoop contributors"
PUBLISHER_HOMEPAGE = "https://w3id.org/milcoop/"
#: Where a media type's IANA registration is, for dcat:mediaType.
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"


@dataclass(frozen=True)
class DatasetLinks:
    """Where a deployment serves the dataset: the base of its SPARQL endpoint and data dumps.

    A link only (the public base, or the address a request came to): identifiers never change
    with it. Without one (an export written by ``milcoop export`` with no public base set) the
    description names no endpoint and no dump.
    """

    base: str

    @property
    def sparql_endpoint(self) -> str:
        return f"{self.base}/v1/sparql"

    def dump(self, format_name: str) -> str:
        return f"{self.base}/v1/export?format={format_name}"


@cache
def data_licence() -> str:
    """The licence milcoop's knowledge is published under, as the ontology declares it."""
    licence = ontology_graph().value(ONTOLOGY_IRI, DCTERMS.license)
    if licence is None:
        raise RuntimeError("the ontology declares no dcterms:license")
    return str(licence)


def description_triples(
    data_version: str,
    issued: dt.date | None,
    triples: int,
    flt: ExportFilter | None = None,
    links: DatasetLinks | None = None,
) -> list[ox.Triple]:
    """The VoID/DCAT description of an export of ``triples`` triples (not counting these).

    An unfiltered export describes the dataset itself (``void:triples``); a filtered one
    describes the dataset and, as its ``void:subset``, the selection with its own count. Always:
    title, licence, publisher, URI space (``void:uriSpace``), vocabulary, data version and the
    ontology with its version; with ``links``, the SPARQL endpoint (``void:sparqlEndpoint``), a
    ``void:dataDump`` and a ``dcat:distribution`` per export format.
    """

    def iri(value: Any) -> ox.NamedNode:
        return ox.NamedNode(str(value))

    def lit(value: str, datatype: URIRef | None = None) -> ox.Literal:
        return ox.Literal(value, datatype=iri(datatype)) if datatype is not None else ox.Literal(value)

    dataset = iri(DATASET_IRI)
    ontology = iri(ONTOLOGY_IRI)
    publisher = ox.BlankNode("publisher")
    count = lit(str(triples), XSD.integer)
    out = [
        ox.Triple(dataset, RDF_TYPE, iri(VOID.Dataset)),
        ox.Triple(dataset, RDF_TYPE, iri(DCAT.Dataset)),
        ox.Triple(dataset, iri(DCTERMS.title), lit(DATASET_TITLE)),
        ox.Triple(dataset, iri(DCTERMS.description), lit(DATASET_DESCRIPTION)),
        ox.Triple(dataset, iri(DCTERMS.license), iri(data_licence())),
        ox.Triple(dataset, iri(DCTERMS.conformsTo), ontology),
        ox.Triple(dataset, iri(VOID.vocabulary), iri(MC._NS)),
        ox.Triple(dataset, iri(VOID.uriSpace), lit(str(ID))),
        ox.Triple(dataset, iri(DCTERMS.publisher), publisher),
        ox.Triple(publisher, RDF_TYPE, iri(FOAF.Organization)),
        ox.Triple(publisher, iri(FOAF.name), lit(PUBLISHER_NAME)),
        ox.Triple(publisher, iri(FOAF.homepage), iri(PUBLISHER_HOMEPAGE)),
        ox.Triple(ontology, RDF_TYPE, iri(OWL.Ontology)),
        ox.Triple(ontology, iri(OWL.versionIRI), iri(ONTOLOGY_VERSION_IRI)),
        ox.Triple(ontology, iri(OWL.versionInfo), lit(ONTOLOGY_VERSION)),
    ]
    if links is not None:
        out.append(ox.Triple(dataset, iri(VOID.sparqlEndpoint), iri(links.sparql_endpoint)))
        for fmt in FORMATS.values():
            dump, distribution = iri(links.dump(fmt.name)), ox.BlankNode(f"distribution-{fmt.name}")
            out += [
                ox.Triple(dataset, iri(VOID.dataDump), dump),
                ox.Triple(dataset, iri(DCAT.distribution), distribution),
                ox.Triple(distribution, RDF_TYPE, iri(DCAT.Distribution)),
                ox.Triple(distribution, iri(DCAT.downloadURL), dump),
                ox.Triple(distribution, iri(DCAT.mediaType), iri(IANA_MEDIA_TYPES + fmt.media_type)),
                ox.Triple(distribution, iri(DCTERMS.format), lit(fmt.media_type)),
                ox.Triple(distribution, iri(DCTERMS.license), iri(data_licence())),
            ]
    if data_version:
        out.append(ox.Triple(dataset, iri(DCAT_VERSION), lit(data_version)))
    if issued is not None:
        out.append(ox.Triple(dataset, iri(DCTERMS.issued), lit(issued.isoformat(), XSD.date)))
    if flt is None or flt.is_empty:
        out.append(ox.Triple(dataset, iri(VOID.triples), count))
    else:
        subset = ox.BlankNode("selection")
        out += [
            ox.Triple(dataset, iri(VOID.subset), subset),
            ox.Triple(subset, RDF_TYPE, iri(VOID.Dataset)),
            ox.Triple(subset, iri(DCTERMS.description), lit(flt.describe())),
            ox.Triple(subset, iri(DCTERMS.conformsTo), ontology),
            ox.Triple(subset, iri(VOID.triples), count),
        ]
    return out
