"""Dereferenceable IRIs: every milcoop IRI's path answers, with content negotiation."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rdflib import OWL, RDF, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from milcoop.loaders.curated import CompiledFacts
from milcoop.ontology.namespace import MC, ONTOLOGY_IRI, ONTOLOGY_VERSION
from milcoop.settings import Settings
from tests.api.stores import client_for, embedded_settings, neo4j_with_bundled, serving

PRK = URIRef("https://w3id.org/milcoop/id/state/PRK")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Settings:
    return embedded_settings(tmp_path_factory.mktemp("linked-data"), bundled)


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    with serving(settings) as base:
        yield base


@pytest.fixture()
def http(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60, follow_redirects=False) as client:
        yield client


def _own(bundled: CompiledFacts, iri: URIRef) -> set[tuple[object, object, object]]:
    return set(bundled.graph.triples((iri, None, None)))


def test_curl_asking_for_turtle_gets_the_states_description(server: str, bundled: CompiledFacts) -> None:
    done = subprocess.run(
        ["curl", "--silent", "--show-error", "--fail", "-H", "Accept: text/turtle", f"{server}/id/state/PRK"],
        capture_output=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    g = Graph().parse(data=done.stdout, format="turtle")
    assert _own(bundled, PRK) <= set(g)
    assert (PRK, MC.isoCode, Literal("PRK")) in g


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [("application/ld+json", "json-ld"), ("application/n-triples", "nt"), ("application/rdf+xml", "xml"),
     ("*/*", "turtle"), (None, "turtle")],
)
def test_every_rdf_format_by_accept(
    http: httpx.Client, server: str, bundled: CompiledFacts, accept: str | None, fmt: str
) -> None:
    response = http.get("/id/state/PRK", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    g = Graph().parse(data=response.content, format=fmt)
    assert _own(bundled, PRK) <= set(g)
    document = response.headers["content-location"]
    assert document.startswith(f"{server}/data/id/state/PRK.") and "describedby" in response.headers["link"]
    again = http.get(document)
    assert again.status_code == 200 and again.headers["content-type"] == response.headers["content-type"]
    assert len(Graph().parse(data=again.content, format=fmt)) == len(g)


def test_a_browser_is_sent_to_the_entity_page_with_303(http: httpx.Client) -> None:
    response = http.get("/id/state/PRK", headers={"Accept": BROWSER})
    assert response.status_code == 303
    assert response.headers["location"].endswith("/entities/PRK")
    assert "accept" in response.headers["vary"].lower()


def test_an_event_comes_with_its_claims_and_their_quantities(http: httpx.Client, bundled: CompiledFacts) -> None:
    event = URIRef("https://w3id.org/milcoop/id/event/prk-rus-ammunition-2024")
    g = Graph().parse(data=http.get(event.removeprefix("https://w3id.org/milcoop")).content, format="turtle")
    claims = set(bundled.graph.subjects(MC.asserts, event))
    assert claims and claims <= set(g.subjects(MC.asserts, event))
    for claim in claims:
        assert _own(bundled, claim) <= set(g)  # type: ignore[arg-type]
        for quantity in bundled.graph.objects(claim, MC.claimedQuantity):
            assert _own(bundled, quantity) <= set(g)  # type: ignore[arg-type]


def test_a_quantity_without_a_page_gets_a_minimal_html_page(http: httpx.Client, bundled: CompiledFacts) -> None:
    quantity = next(iter(bundled.graph.subjects(RDF.type, MC.Quantity)))
    response = http.get(str(quantity).removeprefix("https://w3id.org/milcoop"), headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert str(quantity) in response.text and "/data/id/quantity/" in response.text
    value = bundled.graph.value(quantity, MC.value)
    assert f"<td>{value}" in response.text


def test_materiel_concepts_and_the_ontology_dereference(http: httpx.Client) -> None:
    concept = http.get("/materiel/ballistic-missile", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=concept.content, format="turtle")
    assert (URIRef("https://w3id.org/milcoop/materiel/ballistic-missile"), RDF.type, None) in g
    assert any(g.objects(URIRef("https://w3id.org/milcoop/materiel/ballistic-missile"), SKOS.prefLabel))
    for path in ("/ontology", f"/ontology/{ONTOLOGY_VERSION}"):
        owl = Graph().parse(data=http.get(path, headers={"Accept": "text/turtle"}).content, format="turtle")
        assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in owl
    as_jsonld = http.get("/ontology", headers={"Accept": "application/ld+json"})
    assert as_jsonld.headers["content-type"].startswith("application/ld+json") and json.loads(as_jsonld.content)
    page = http.get("/ontology", headers={"Accept": BROWSER})
    assert page.headers["content-type"].startswith("text/html") and ONTOLOGY_VERSION in page.text
    assert http.get("/ontology/9.9.9").status_code == 404


def test_unknown_iris_are_a_404_and_etags_answer_304(http: httpx.Client) -> None:
    missing = http.get("/id/state/XZZ-not-a-state")
    assert missing.status_code == 404 and missing.json()["parameter"] == "iri"
    first = http.get("/id/state/PRK")
    again = http.get("/id/state/PRK", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert http.head("/id/state/PRK").headers["etag"] == first.headers["etag"]


def test_v1_entities_honours_accept_turtle(http: httpx.Client, bundled: CompiledFacts) -> None:
    as_turtle = http.get("/v1/entities/PRK", headers={"Accept": "text/turtle"})
    assert as_turtle.headers["content-type"].startswith("text/turtle")
    assert _own(bundled, PRK) <= set(Graph().parse(data=as_turtle.content, format="turtle"))
    by_name = http.get("/v1/entities/North Korea", headers={"Accept": "application/n-triples"})
    assert len(Graph().parse(data=by_name.content, format="nt")) == len(
        Graph().parse(data=as_turtle.content, format="turtle"))
    assert "entity" in http.get("/v1/entities/PRK").json()  # the API's JSON stays the default


def test_the_public_base_changes_links_never_identifiers(settings: Settings) -> None:
    public = settings.model_copy(update={"public_base_url": "https://milcoop.example.org/"})
    with serving(public) as base:
        response = httpx.get(f"{base}/id/state/PRK", headers={"Accept": "text/turtle"})
        redirect = httpx.get(f"{base}/id/state/PRK", headers={"Accept": BROWSER})
    assert response.headers["content-location"] == "https://milcoop.example.org/data/id/state/PRK.ttl"
    assert redirect.headers["location"] == "https://milcoop.example.org/entities/PRK"
    g = Graph().parse(data=response.content, format="turtle")
    assert (PRK, MC.isoCode, Literal("PRK")) in g
    assert not any("example.org" in str(term) for triple in g for term in triple)


@pytest.mark.neo4j
def test_neo4j_as_the_primary_store_describes_an_iri_as_the_embedded_store_does(
    neo4j_settings: Settings, bundled: CompiledFacts, tmp_path: Path, server: str
) -> None:
    settings = neo4j_with_bundled(neo4j_settings.model_copy(update={"data_dir": tmp_path}), bundled)
    event = "/id/event/prk-rus-ammunition-2024"
    with client_for(settings) as client:
        from_neo4j = client.get(event, headers={"Accept": "application/n-triples"})
    from_embedded = httpx.get(f"{server}{event}", headers={"Accept": "application/n-triples"}, timeout=60)
    assert from_neo4j.status_code == 200
    assert set(Graph().parse(data=from_neo4j.content, format="nt")) == set(
        Graph().parse(data=from_embedded.content, format="nt"))
