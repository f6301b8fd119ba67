"""``/v1/export``, ``/v1/context.jsonld``, ``/v1/ontology`` and ``/v1/shapes`` over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

import milcoop.api.routers.export as export_router
from milcoop.graph.export import CONTEXT_FILE, FORMATS
from milcoop.loaders.curated import CompiledFacts, entity_iri
from milcoop.ontology import MATERIEL_FILE, ONTOLOGY_FILE, SHAPES_FILE
from milcoop.ontology.namespace import DATASET_IRI, MC, ONTOLOGY_IRI
from milcoop.settings import Settings
from tests.api.stores import client_for, embedded_settings, neo4j_with_bundled
from tests.conftest import exported

RDFLIB = {"turtle": "turtle", "ntriples": "nt", "nquads": "nquads", "trig": "trig", "jsonld": "json-ld", "rdfxml": "xml"}


def parsed(response: httpx.Response, fmt: str) -> Graph:
    """The data triples of an export: the description (of the dataset, the ontology and, for a
    filtered export, the selection, a blank node) left out."""
    dataset = Dataset()
    dataset.parse(data=response.content, format=RDFLIB[fmt])
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        if isinstance(s, URIRef) and s not in (DATASET_IRI, ONTOLOGY_IRI):
            graph.add((s, p, o))
    return graph


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Settings:
    return embedded_settings(tmp_path_factory.mktemp("export-api"), bundled)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with client_for(settings) as client:
        yield client


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_by_parameter_with_its_media_type(client: TestClient, fmt: str, bundled: CompiledFacts) -> None:
    response = client.get("/v1/export", params={"format": fmt})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == FORMATS[fmt].media_type
    assert isomorphic(parsed(response, fmt), exported(bundled))


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("application/n-triples", "ntriples"),
        ("application/trig", "trig"),
        ("application/ld+json", "jsonld"),
        ("application/rdf+xml", "rdfxml"),
        ("application/n-quads", "nquads"),
        ("text/turtle", "turtle"),
        ("*/*", "turtle"),
        ("text/html;q=0.9, application/rdf+xml;q=0.5", "rdfxml"),
    ],
)
def test_the_accept_header_chooses_the_format(client: TestClient, accept: str, fmt: str) -> None:
    response = client.get("/v1/export", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == FORMATS[fmt].media_type
    assert "Accept" in response.headers["vary"]
    assert len(parsed(response, fmt)) > 1000


def test_the_format_parameter_wins_over_accept(client: TestClient) -> None:
    response = client.get("/v1/export", params={"format": "ntriples"}, headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/n-triples"


def test_an_unacceptable_accept_is_a_406_naming_accept(client: TestClient) -> None:
    response = client.get("/v1/export", headers={"Accept": "text/html"})
    assert response.status_code == 406
    body = response.json()
    assert body["parameter"] == "Accept" and "format" in body["message"]


@pytest.mark.parametrize(
    ("params", "parameter", "status"),
    [
        ({"format": "excel"}, "format", 422),
        ({"actor": "Nroth Korea"}, "actor", 404),
        ({"since": "2024-13"}, "since", 422),
        ({"since": "2025", "until": "2024"}, "since", 422),
        ({"kind": "gift"}, "kind", 422),
        ({"status": "rumoured"}, "status", 422),
        ({"min_grade": "G7"}, "min_grade", 422),
        ({"undated": "maybe"}, "undated", 422),
    ],
)
def test_bad_parameters_are_named_and_never_a_server_error(
    client: TestClient, params: dict[str, str], parameter: str, status: int
) -> None:
    response = client.get("/v1/export", params=params)
    assert response.status_code == status
    assert response.json()["parameter"] == parameter


@pytest.mark.parametrize("value", ["'; DROP", "<script>", "\u0000", "x" * 5000, "MATCH (n) DETACH DELETE n", "2024-02-30"])
def test_hostile_values_never_cause_a_server_error(client: TestClient, value: str) -> None:
    for name in ("format", "actor", "since", "until", "kind", "status", "min_grade", "undated"):
        response = client.get("/v1/export", params={name: value})
        assert response.status_code in (404, 406, 422), (name, value, response.text)


def test_filters_over_http(client: TestClient, bundled: CompiledFacts) -> None:
    response = client.get(
        "/v1/export",
        params={"format": "ntriples", "actor": ["DPRK", "Russia"], "kind": "materiel-transfer", "since": "2024",
                "min_grade": "B2"},
    )
    assert response.status_code == 200
    graph = parsed(response, "ntriples")
    events = set(graph.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), MC.MaterielTransfer))
    assert entity_iri("event", "prk-rus-ammunition-2024") in events
    assert entity_iri("event", "prk-rus-ballistic-missiles") in events  # undated: included by default
    assert (entity_iri("event", "prk-rus-troops-2024"), None, None) not in graph  # another kind
    for subject in set(graph.subjects()):
        assert set(graph.predicate_objects(subject)) == set(exported(bundled).predicate_objects(subject))
    excluded = client.get(
        "/v1/export",
        params={"format": "ntriples", "actor": ["DPRK", "Russia"], "kind": "materiel-transfer", "since": "2024",
                "min_grade": "B2", "undated": "exclude"},
    )
    assert entity_iri("event", "prk-rus-ballistic-missiles") not in set(parsed(excluded, "ntriples").subjects())


def test_the_context_is_served_as_published(client: TestClient) -> None:
    response = client.get("/v1/context.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    assert response.json() == json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("path", "file"), [("/v1/ontology", ONTOLOGY_FILE), ("/v1/ontology/materiel", MATERIEL_FILE), ("/v1/shapes", SHAPES_FILE)]
)
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_ontology_and_shapes_in_every_format(client: TestClient, path: str, file: Path, fmt: str) -> None:
    # Parsed afresh: pyshacl adds triples to the cached shapes graph it validates with.
    expected = Graph().parse(file, format="turtle")
    response = client.get(path, headers={"Accept": FORMATS[fmt].media_type})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == FORMATS[fmt].media_type
    dataset = Dataset()
    dataset.parse(data=response.content, format=RDFLIB[fmt])
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    assert isomorphic(graph, expected)
    media_type = FORMATS[fmt].media_type
    assert len(list(ox.parse(response.content, format=ox.RdfFormat.from_media_type(media_type)))) == len(expected)


def test_shapes_default_to_the_shipped_turtle(client: TestClient) -> None:
    response = client.get("/v1/shapes")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    assert response.content == SHAPES_FILE.read_bytes()
    assert client.get("/v1/ontology", headers={"Accept": "image/png"}).status_code == 406


# -- streaming over a real HTTP connection -----------------------------------------------------------


def test_a_client_gets_the_first_bytes_before_the_export_is_complete(
    live_server: str, monkeypatch: pytest.MonkeyPatch, bundled: CompiledFacts
) -> None:
    release = threading.Event()
    finished = threading.Event()
    real_export = export_router.export

    def held_back(*args: Any, **kwargs: Any) -> Iterator[bytes]:
        chunks = real_export(*args, **kwargs)
        yield next(chunks)  # the prefixes and the first subjects (a chunk of them, here all)
        assert release.wait(20), "the client never saw the first bytes"
        yield from chunks
        finished.set()

    monkeypatch.setattr(export_router, "export", held_back)
    with httpx.stream("GET", f"{live_server}/v1/export", params={"format": "turtle"}, timeout=30) as response:
        assert response.status_code == 200
        stream = response.iter_bytes()  # decoded: the server may gzip it, chunk by chunk
        received = [next(stream)]
        while b"a mc:" not in b"".join(received):
            received.append(next(stream))
        assert not finished.is_set()  # the server is still producing the export
        release.set()
        received += list(stream)
    assert finished.is_set()
    graph = Graph().parse(data=b"".join(received), format="turtle")
    assert len(graph) > len(bundled.graph)


# -- Neo4j as the primary store ------------------------------------------------------------------------


@pytest.mark.neo4j
def test_the_export_from_a_neo4j_backed_api_is_the_embedded_one(
    neo4j_settings: Settings, bundled: CompiledFacts, tmp_path: Path, client: TestClient
) -> None:
    settings = neo4j_with_bundled(neo4j_settings, bundled)
    with client_for(settings) as neo4j_client:
        for params in ({"format": "nquads"}, {"format": "nquads", "actor": "RUS", "since": "2024", "min_grade": "C3"}):
            from_neo4j = neo4j_client.get("/v1/export", params=params)
            from_embedded = client.get("/v1/export", params=params)
            assert from_neo4j.status_code == from_embedded.status_code == 200
            assert isomorphic(parsed(from_neo4j, "nquads"), parsed(from_embedded, "nquads"))
