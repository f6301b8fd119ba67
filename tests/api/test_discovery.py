"""Discovery: ``/.well-known/void`` and every export's own description name the endpoint, the dumps
per format, the distributions, publisher, licence, URI space, counts and versions."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from rdflib import OWL, RDF, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, VOID, XSD

from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.graph.export import FORMATS
from milcoop.loaders.curated import CompiledFacts
from milcoop.ontology.namespace import DATASET_IRI, ONTOLOGY_IRI, ONTOLOGY_VERSION_IRI
from milcoop.settings import Settings
from tests.api.stores import embedded_settings, serving

DCAT_VERSION = URIRef(f"{DCAT}version")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Settings:
    return embedded_settings(tmp_path_factory.mktemp("discovery"), bundled)


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    with serving(settings) as base:
        yield base


def _check_links(g: Graph, base: str) -> None:
    assert g.value(DATASET_IRI, VOID.sparqlEndpoint) == URIRef(f"{base}/v1/sparql")
    dumps = set(g.objects(DATASET_IRI, VOID.dataDump))
    assert dumps == {URIRef(f"{base}/v1/export?format={name}") for name in FORMATS}
    distributions = list(g.objects(DATASET_IRI, DCAT.distribution))
    assert len(distributions) == len(FORMATS)
    assert {g.value(d, DCAT.downloadURL) for d in distributions} == dumps
    assert {str(g.value(d, DCTERMS.format)) for d in distributions} == {f.media_type for f in FORMATS.values()}
    publisher = g.value(DATASET_IRI, DCTERMS.publisher)
    assert publisher is not None and any(g.predicate_objects(publisher))
    assert g.value(DATASET_IRI, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert g.value(DATASET_IRI, VOID.uriSpace) == Literal("https://w3id.org/milcoop/id/")
    assert g.value(ONTOLOGY_IRI, OWL.versionIRI) == ONTOLOGY_VERSION_IRI


def test_well_known_void_describes_the_dataset_and_its_dumps_work(server: str, settings: Settings) -> None:
    response = httpx.get(f"{server}/.well-known/void", timeout=60)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=response.content, format="turtle")
    _check_links(g, server)
    info = EmbeddedStore.open(settings.data_dir).info
    assert g.value(DATASET_IRI, VOID.triples) == Literal(info.triples, datatype=XSD.integer)
    assert str(g.value(DATASET_IRI, DCAT_VERSION)) == info.data_version
    for distribution in g.objects(DATASET_IRI, DCAT.distribution):
        url, media_type = str(g.value(distribution, DCAT.downloadURL)), str(g.value(distribution, DCTERMS.format))
        with httpx.stream("GET", url, timeout=60) as dump:
            assert dump.status_code == 200 and dump.headers["content-type"].startswith(media_type)
    as_jsonld = httpx.get(f"{server}/.well-known/void", headers={"Accept": "application/ld+json"}, timeout=60)
    _check_links(Graph().parse(data=as_jsonld.content, format="json-ld"), server)


def test_the_dataset_iri_303s_to_its_description(server: str) -> None:
    response = httpx.get(f"{server}/dataset", timeout=60)
    assert response.status_code == 303 and response.headers["location"] == f"{server}/.well-known/void"


def test_an_export_describes_itself_with_the_same_links(server: str, bundled: CompiledFacts) -> None:
    response = httpx.get(f"{server}/v1/export", params={"format": "ntriples", "actor": "PRK"}, timeout=60)
    g = Graph().parse(data=response.content, format="nt")
    _check_links(g, server)
    assert str(g.value(DATASET_IRI, DCAT_VERSION)) == bundled.version
    assert g.value(DATASET_IRI, RDF.type) is not None
