"""The HTTP API: documentation, error answers, hostile input, store outages and first start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from milcoop.api import deps
from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.loaders.curated import CompiledFacts, compile_facts
from milcoop.loaders.load import load_compiled
from milcoop.settings import Settings
from tests.api.stores import client_for, embedded_settings
from tests.conftest import DATA, ROOT
from tools.neo4j.neo4j_dev import free_port


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Iterator[TestClient]:
    with client_for(embedded_settings(tmp_path_factory.mktemp("api"), bundled)) as test_client:
        yield test_client


# -- documentation ----------------------------------------------------------------------------------


def test_openapi_documents_every_endpoint_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {
        "/v1/flows", "/v1/relations", "/v1/treaties", "/v1/deployments", "/v1/violations", "/v1/paths",
        "/v1/sources", "/v1/sources/{id}", "/v1/entities", "/v1/entities/{ref}", "/healthz",
    } <= set(spec["paths"])
    flows = spec["paths"]["/v1/flows"]["get"]
    parameters = {p["name"]: p for p in flows["parameters"]}
    assert parameters["from"]["required"] is True
    assert parameters["from"]["schema"]["examples"] == ["DPRK"]
    assert spec["components"]["schemas"]["Quantity"]["properties"]["qualifier"]["examples"] == ["as-many-as"]
    assert {"404", "422"} <= set(flows["responses"])
    assert "from" in spec["components"]["schemas"]["Event"]["properties"]
    assert client.get("/docs").status_code == 200


# -- errors ------------------------------------------------------------------------------------------


def test_an_unknown_entity_is_a_404_with_close_matches(client: TestClient) -> None:
    response = client.get("/v1/flows", params={"from": "Rusia", "to": "PRK"})
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "not_found" and body["parameter"] == "from"
    assert "'Rusia'" in body["message"]
    assert body["suggestions"][0]["id"] == "RUS"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"from": "PRK", "limit": "many"}, "limit"),
        ({"from": "PRK", "limit": 0}, "limit"),
        ({"from": "PRK", "undated": "maybe"}, "undated"),
        ({"from": "PRK", "since": "2024-02-30"}, "since"),
        ({}, "from"),
    ],
)
def test_malformed_parameters_are_a_422_naming_the_parameter(
    client: TestClient, params: dict[str, Any], parameter: str
) -> None:
    response = client.get("/v1/flows", params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_parameter" and body["parameter"] == parameter
    assert parameter in body["message"]


NASTY = [
    "",
    " ",
    "'",
    '"',
    "\\",
    "\x00",
    "\n",
    "a" * 5000,
    "' OR 1=1 --",
    "PRK'}) MATCH (n) DETACH DELETE n //",
    '" } UNION { ?s ?p ?o } #',
    "<https://w3id.org/milcoop/id/state/PRK>",
    "../../etc/passwd",
    "-1",
    "9" * 40,
    "1e309",
    "2024-02-30",
    "0000-01-01",
    "🙂",
    "\u202eKRP",
    "%",
    "*",
    "null",
]

#: endpoint -> (the parameters it needs, the parameters to abuse)
ENDPOINTS: dict[str, tuple[dict[str, str], list[str]]] = {
    "/v1/flows": (
        {"from": "PRK"},
        ["from", "to", "kind", "since", "until", "undated", "status", "min_grade", "limit", "cursor"],
    ),
    "/v1/deployments": ({}, ["by", "to", "since", "until", "cursor"]),
    "/v1/relations": ({"a": "PRK", "b": "RUS"}, ["a", "b", "limit", "cursor"]),
    "/v1/treaties": ({}, ["party", "in_force_on", "cursor"]),
    "/v1/violations": ({}, ["state", "measure", "cursor"]),
    "/v1/paths": ({"from": "PRK", "to": "Kyiv"}, ["from", "to", "max_hops", "limit"]),
    "/v1/sources": ({}, ["limit", "cursor"]),
    "/v1/entities": ({"q": "korea"}, ["q", "cursor"]),
}


def _check_answer(response: httpx.Response) -> None:
    assert response.status_code in (200, 404, 422), response.text
    body = response.json()
    if response.status_code != 200:
        assert body["error"] in ("not_found", "invalid_parameter", "ambiguous")
        assert body["message"]


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_hostile_values_never_cause_a_server_error(client: TestClient, endpoint: str) -> None:
    required, abused = ENDPOINTS[endpoint]
    for parameter in abused:
        for value in NASTY:
            _check_answer(client.get(endpoint, params={**required, parameter: value}))


@pytest.mark.parametrize("prefix", ["/v1/entities/", "/v1/sources/"])
def test_hostile_path_values_never_cause_a_server_error(client: TestClient, prefix: str) -> None:
    for value in NASTY:
        if not value.strip("/."):
            continue
        response = client.get(prefix + quote(value, safe=""))
        assert response.status_code in (200, 404, 422), (value, response.text)


def test_values_reach_the_stores_as_parameters_not_query_text(client: TestClient) -> None:
    # Strings that would change a query built by splicing are just names that match nothing.
    for value in ("PRK' OR '1'='1", 'PRK" } UNION { ?s ?p ?o', "PRK}) RETURN 1 //"):
        response = client.get("/v1/flows", params={"from": value})
        assert response.status_code == 404
    assert client.get("/v1/flows", params={"from": "PRK"}).json()["items"]


# -- the store being unavailable ---------------------------------------------------------------------


def test_an_empty_embedded_store_answers_503_until_loaded(tmp_path: Path, bundled: CompiledFacts,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deps, "RECHECK_SECONDS", 0.0)
    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": ""})
    with client_for(settings) as empty:
        health = empty.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable" and "milcoop load" in health.json()["detail"]
        flows = empty.get("/v1/flows", params={"from": "PRK"})
        assert flows.status_code == 503 and flows.json()["error"] == "unavailable"
        load_compiled(bundled, "embedded", settings)
        assert empty.get("/healthz").json()["data_version"] == bundled.version
        assert empty.get("/v1/flows", params={"from": "PRK"}).status_code == 200


def test_a_running_server_serves_a_new_load(tmp_path: Path, bundled: CompiledFacts,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deps, "RECHECK_SECONDS", 0.0)
    settings = embedded_settings(tmp_path, bundled)
    with client_for(settings) as running:
        assert running.get("/healthz").json()["data_version"] == bundled.version
        smaller = compile_facts([DATA / "sources.yaml", DATA / "reference"], shacl=False)
        load_compiled(smaller, "embedded", settings)
        health = running.get("/healthz").json()
        assert health["data_version"] == smaller.version
        assert health["counts"]["CooperationEvent"] == 0


def test_neo4j_down_answers_503_quickly(tmp_path: Path) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": f"bolt://127.0.0.1:{free_port()}"})
    started = time.monotonic()
    with client_for(settings) as down:
        health = down.get("/healthz")
        assert health.status_code == 503
        assert health.json()["backend"] == "neo4j" and "Neo4j" in health.json()["detail"]
        assert down.get("/v1/treaties").status_code == 503
    assert time.monotonic() - started < 30


# -- first start --------------------------------------------------------------------------------------


def test_serve_loads_the_bundled_facts_into_an_empty_embedded_store(tmp_path: Path) -> None:
    from milcoop.cli import _load_bundled_if_empty

    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": ""})
    _load_bundled_if_empty(settings, 0)
    path = EmbeddedStore.current_path(tmp_path)
    assert path is not None
    _load_bundled_if_empty(settings, 0)  # not empty any more: left alone
    assert EmbeddedStore.current_path(tmp_path) == path


@pytest.mark.neo4j
def test_serve_loads_the_bundled_facts_into_an_empty_neo4j(neo4j_settings: Settings, tmp_path: Path) -> None:
    from neo4j import GraphDatabase

    from milcoop.cli import _load_bundled_if_empty, _neo4j_data_version

    settings = neo4j_settings.model_copy(update={"data_dir": tmp_path})
    with GraphDatabase.driver(settings.neo4j_uri, auth=("neo4j", "test")) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n", database_=settings.neo4j_database)
    assert _neo4j_data_version(settings, 0) is None
    _load_bundled_if_empty(settings, 0)
    assert _neo4j_data_version(settings, 0) == compile_facts(None).version
    assert EmbeddedStore.exists(tmp_path)  # the copy that answers SPARQL


def test_milcoop_serve_answers_the_dprk_russia_flows(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "MILCOOP_DATA_DIR": str(tmp_path / "data"), "NEO4J_URI": ""}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "milcoop"), "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.3)
        response = httpx.get(f"{base}/v1/flows", params={"from": "DPRK", "to": "Russia", "since": "2023-01-01"})
        assert response.status_code == 200
        events = {e["id"]: e for e in response.json()["items"]}
        assert "prk-rus-munitions-containers" in events and "prk-rus-ammunition-2024" in events
        assert {c["source"]["id"] for c in events["prk-rus-ammunition-2024"]["claims"]} == {
            "source-notes", "voice-news-article"
        }
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert "loading the bundled facts" in output
