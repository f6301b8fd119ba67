"""``/v1/sparql``: the SPARQL 1.1 Protocol, read-only, time-limited and capped."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.query import Result

from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.loaders.curated import CompiledFacts
from milcoop.settings import Settings
from tests.api.stores import client_for, embedded_settings, neo4j_with_bundled
from tests.conftest import ROOT
from tests.graph.test_sparql_guard import SERVICE_QUERIES
from tests.loopback import Listener

DOCS = ROOT / "docs" / "rdf.md"
MC = "https://w3id.org/milcoop/ontology#"
#: The case's states (the reference data holds every state in the world, more than the test's row cap).
STATES = (
    f"SELECT ?state ?name WHERE {{ ?state a <{MC}State> ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?name ; "
    f'<{MC}isoCode> ?code FILTER(?code IN ("PRK", "RUS", "UKR", "USA", "GBR", "FRA", "DEU", "JPN", "KOR")) }}'
)
#: Every triple joined with every triple, three times over: billions of rows.
CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TIMEOUT = 2.0
CAP = 50


def documented_curl() -> list[str]:
    """The curl command docs/rdf.md gives for the DPRK->Russia transfers, as arguments."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"```sh\n(curl -H 'Accept: application/sparql-results\+json' --data-urlencode 'query=.*?)\n```",
                      text, re.DOTALL)
    assert match, "docs/rdf.md lost its SPARQL example"
    return shlex.split(match.group(1))


def documented_query() -> str:
    argument = next(a for a in documented_curl() if a.startswith("query="))
    return argument.removeprefix("query=")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Settings:
    base = embedded_settings(tmp_path_factory.mktemp("sparql"), bundled)
    return base.model_copy(update={"sparql_timeout_seconds": TIMEOUT, "sparql_max_results": CAP})


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with client_for(settings) as client:
        yield client


def bindings(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]


def _expected_transfers(compiled: CompiledFacts) -> set[tuple[str, str]]:
    rows = compiled.graph.query(
        f"""SELECT ?t ?s WHERE {{ ?t a <{MC}MaterielTransfer> ; <{MC}supplier> ?a ; <{MC}recipient> ?b .
        ?a <{MC}isoCode> "PRK" . ?b <{MC}isoCode> "RUS" . ?c <{MC}asserts> ?t ; <{MC}source> ?s }}"""
    )
    return {(str(r[0]), str(r[1])) for r in rows}  # type: ignore[index]


# -- the acceptance example -------------------------------------------------------------------------


def test_the_documented_query_returns_the_dprk_russia_transfers_with_their_sources(
    client: TestClient, bundled: CompiledFacts
) -> None:
    response = client.post(
        "/v1/sparql", data={"query": documented_query()}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    rows = bindings(response)
    assert {(r["transfer"], r["source"]) for r in rows} == _expected_transfers(bundled)
    ammunition = [r for r in rows if r["transfer"].endswith("/prk-rus-ammunition-2024")]
    assert {r["sourceName"] for r in ammunition} == {
        "Source notes: DPRK–Russia military cooperation", "The Voice News article on the MSMT's first report"
    }
    assert {r["grading"] for r in ammunition} == {"B2", "C3"}
    assert all(r["start"] == "2024" for r in ammunition)
    assert response.headers["milcoop-result-count"] == str(len(rows))


def test_the_documented_curl_command_works_against_a_live_server(live_server: str, bundled: CompiledFacts) -> None:
    command = [a.replace("http://127.0.0.1:8000", live_server) for a in documented_curl()]
    done = subprocess.run([*command, "--silent", "--show-error", "--fail"], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    rows = [{k: v["value"] for k, v in b.items()} for b in json.loads(done.stdout)["results"]["bindings"]]
    assert {(r["transfer"], r["source"]) for r in rows} == _expected_transfers(bundled)


# -- the protocol -------------------------------------------------------------------------------------


def test_get_post_form_and_post_query_body_give_the_same_answer(client: TestClient) -> None:
    by_get = bindings(client.get("/v1/sparql", params={"query": STATES}))
    by_form = bindings(client.post("/v1/sparql", data={"query": STATES}))
    by_body = bindings(
        client.post("/v1/sparql", content=STATES, headers={"Content-Type": "application/sparql-query; charset=utf-8"})
    )
    assert by_get == by_form == by_body
    assert {"state": "https://w3id.org/milcoop/id/state/PRK", "name": "Democratic People's Republic of Korea"} in by_get


@pytest.mark.parametrize(
    ("accept", "media_type", "results_format"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", "json"),
        ("application/sparql-results+xml", "application/sparql-results+xml", "xml"),
        ("text/csv", "text/csv", "csv"),
        ("text/tab-separated-values", "text/tab-separated-values", "tsv"),
        ("application/json", "application/json", "json"),
        ("*/*", "application/sparql-results+json", "json"),
        ("text/html;q=0.9, text/csv;q=0.5", "text/csv", "csv"),
    ],
)
def test_select_results_in_every_results_format(
    client: TestClient, accept: str, media_type: str, results_format: str
) -> None:
    query = STATES + " ORDER BY ?state"
    response = client.get("/v1/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    expected = bindings(client.get("/v1/sparql", params={"query": query}))
    if results_format == "csv":  # lossy by design: pyoxigraph will not parse it, Python's csv module does
        rows = list(csv.DictReader(io.StringIO(response.text)))
    else:
        found = ox.parse_query_results(response.content, format=getattr(ox.QueryResultsFormat, results_format.upper()))
        assert isinstance(found, ox.QuerySolutions)
        rows = [{v.value: s[v].value for v in found.variables if s[v] is not None} for s in found]
    assert rows == expected
    by_rdflib = Result.parse(io.BytesIO(response.content), format=results_format)
    assert [{str(k): str(v) for k, v in row.asdict().items()} for row in by_rdflib] == expected  # type: ignore[union-attr]


def test_csv_quotes_values_with_commas_and_quotes(client: TestClient) -> None:
    query = f'SELECT ?quote WHERE {{ ?c <{MC}quote> ?quote FILTER(CONTAINS(?quote, ",") && CONTAINS(?quote, "\\"")) }}'
    response = client.get("/v1/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["quote"] and len(rows) > 1
    assert all('"' in row[0] and "," in row[0] for row in rows[1:])


def test_ask_and_construct(client: TestClient) -> None:
    ask = client.get("/v1/sparql", params={"query": f"ASK {{ ?s <{MC}isoCode> \"PRK\" }}"})
    assert ask.status_code == 200 and ask.json() == {"head": {}, "boolean": True}
    query = (f"CONSTRUCT {{ ?s <{MC}isoCode> ?code }} WHERE {{ ?s <{MC}isoCode> ?code "
             'FILTER(?code IN ("PRK", "RUS", "UKR", "USA", "GBR", "FRA", "DEU", "JPN", "KOR")) }')
    turtle = client.get("/v1/sparql", params={"query": query})
    assert turtle.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=turtle.content, format="turtle")
    assert len(graph) == int(turtle.headers["milcoop-result-count"]) > 5
    for accept, fmt in [("application/n-triples", "nt"), ("application/ld+json", "json-ld"),
                        ("application/rdf+xml", "xml")]:
        other = client.get("/v1/sparql", params={"query": query}, headers={"Accept": accept})
        assert other.headers["content-type"].split(";")[0] == accept
        assert len(Graph().parse(data=other.content, format=fmt)) == len(graph)


def test_a_result_kind_the_accept_header_cannot_take_is_a_406(client: TestClient) -> None:
    response = client.get("/v1/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "text/csv"})
    assert response.status_code == 406 and response.json()["parameter"] == "Accept"
    response = client.get("/v1/sparql", params={"query": STATES}, headers={"Accept": "text/turtle"})
    assert response.status_code == 406


def test_a_result_over_the_cap_is_refused_with_how_to_page_never_cut_short(client: TestClient) -> None:
    for query, accept, kind in [
        ("SELECT * WHERE { ?s ?p ?o }", "application/sparql-results+json", "rows"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples", "triples"),
    ]:
        response = client.get("/v1/sparql", params={"query": query}, headers={"Accept": accept})
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["error"] == "result_too_large" and body["parameter"] == "query"
        assert f"more than {CAP} {kind}" in body["message"]
        assert f"LIMIT {CAP} OFFSET {CAP}" in body["message"] and "ORDER BY" in body["message"]
    # Paging as the message says gives every row, each once (the states: a few pages of CAP).
    states = f"SELECT ?s WHERE {{ ?s a <{MC}State> }}"
    assert client.get("/v1/sparql", params={"query": states}).status_code == 400
    total = int(bindings(client.get("/v1/sparql", params={
        "query": f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s a <{MC}State> }}"}))[0]["n"])
    assert CAP < total < 20 * CAP
    seen: list[str] = []
    for offset in range(0, total + CAP, CAP):
        page = client.get("/v1/sparql", params={"query": f"{states} ORDER BY ?s LIMIT {CAP} OFFSET {offset}"})
        rows = bindings(page)
        assert page.headers["milcoop-result-count"] == str(len(rows)) and page.headers["milcoop-result-limit"] == str(CAP)
        seen += [r["s"] for r in rows]
        if len(rows) < CAP:
            break
    assert len(seen) == len(set(seen)) == total
    exactly = client.get("/v1/sparql", params={"query": f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {CAP}"})
    assert len(bindings(exactly)) == CAP


# -- read-only, bad input -------------------------------------------------------------------------------


def _triples(settings: Settings) -> int:
    return len(EmbeddedStore.open(settings.data_dir).store)


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("get", {"params": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}),
        ("get", {"params": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}),
        ("get", {"params": {"query": "PREFIX x: <urn:x#> # comment\n DELETE WHERE { ?s ?p ?o }"}}),
        ("get", {"params": {"query": "CLEAR ALL"}}),
        ("get", {"params": {"query": "LOAD <http://example.org/data.ttl>"}}),
        ("post", {"data": {"update": "DROP ALL"}}),
        ("post", {"data": {"query": "DELETE WHERE { ?s ?p ?o }"}}),
        ("post", {"content": "DELETE WHERE { ?s ?p ?o }", "headers": {"Content-Type": "application/sparql-update"}}),
        ("post", {"content": "SELECT * WHERE { ?s ?p ?o }; DROP ALL",
                  "headers": {"Content-Type": "application/sparql-query"}}),
    ],
)
def test_updates_are_refused_and_change_nothing(
    client: TestClient, settings: Settings, method: str, kwargs: dict[str, Any]
) -> None:
    before = _triples(settings)
    response = getattr(client, method)("/v1/sparql", **kwargs)
    assert response.status_code == 400, response.text
    assert _triples(settings) == before


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("SELEC * WHERE { ?s ?p ?o }", "does not parse"),
        ("SELECT * WHERE { ?s ?p ?o", "does not parse"),
        ("SELECT * WHERE { ?s <not an iri> ?o }", "does not parse"),
        ("", "empty"),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * WHERE { service silent <http://example.org/> { ?s ?p ?o } }", "SERVICE"),
        ("x" * 200_000, "longer than"),
    ],
)
def test_bad_queries_are_a_400_with_the_reason(client: TestClient, query: str, fragment: str) -> None:
    response = client.get("/v1/sparql", params={"query": query}) if len(query) < 5000 else client.post(
        "/v1/sparql", data={"query": query}
    )
    assert response.status_code == 400
    assert fragment in response.json()["message"] and response.json()["parameter"] == "query"


def test_service_in_a_string_or_name_is_not_refused(client: TestClient) -> None:
    query = 'SELECT ?x WHERE { BIND("SERVICE" AS ?x) ?s <https://example.org/service> ?o }'
    assert client.get("/v1/sparql", params={"query": query}).status_code == 200


def test_no_form_of_service_reaches_a_listener_on_loopback(client: TestClient, listener: Listener) -> None:
    for template in SERVICE_QUERIES:
        query = template.replace("{url}", listener.url).replace("{port}", str(listener.port))
        for response in (
            client.get("/v1/sparql", params={"query": query}),
            client.post("/v1/sparql", content=query, headers={"Content-Type": "application/sparql-query"}),
        ):
            assert response.status_code == 400, (query, response.text)
            assert response.json()["parameter"] == "query"
            assert "secret" not in response.text
    assert listener.connections == 0


def test_workers_run_without_network_where_the_platform_allows(settings: Settings) -> None:
    from milcoop.graph.embedded.sparql_endpoint import SparqlEndpoint

    endpoint = SparqlEndpoint(settings.data_dir, timeout=30, max_results=10, workers=1, sandbox="required")
    try:
        assert endpoint.run("ASK { ?s ?p ?o }").body == b'{"head": {}, "boolean": true}'
        (worker,) = endpoint._all
        assert worker.unsandboxed is None
    except Exception as exc:  # a platform without namespaces: the required sandbox refuses clearly
        if os.environ.get("CI") == "true":
            raise
        assert "cannot be cut off from the network" in str(exc)
    finally:
        endpoint.close()


@pytest.fixture(scope="module")
def patient_client(settings: Settings) -> Iterator[TestClient]:
    """A client whose SPARQL time limit leaves room for the checker on a busy machine."""
    with client_for(settings.model_copy(update={"sparql_timeout_seconds": 60.0})) as client:
        yield client


@pytest.mark.parametrize("depth", [600, 20_000])
def test_deeply_nested_queries_are_a_400_with_the_reason(patient_client: TestClient, depth: int) -> None:
    client = patient_client
    query = "SELECT * WHERE " + "{" * depth + "?s ?p ?o" + "}" * depth
    response = client.post("/v1/sparql", data={"query": query})
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["message"]
    assert client.get("/v1/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"content": "SELECT * WHERE {?s ?p ?o}", "headers": {"Content-Type": "text/plain"}}, 415),
        ({"content": b"\xff\xfe", "headers": {"Content-Type": "application/sparql-query"}}, 400),
        ({"content": "", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 400),
        ({"data": {"query": ["ASK {}", "ASK {}"]}}, 400),
    ],
)
def test_malformed_requests_are_refused_clearly(client: TestClient, kwargs: dict[str, Any], status: int) -> None:
    response = client.post("/v1/sparql", **kwargs)
    assert response.status_code == status
    assert response.json()["message"]


def test_a_bad_dataset_iri_names_the_parameter(client: TestClient) -> None:
    response = client.get("/v1/sparql", params={"query": "ASK {?s ?p ?o}", "default-graph-uri": "not an iri"})
    assert response.status_code == 400 and response.json()["parameter"] == "default-graph-uri"
    named = client.get(
        "/v1/sparql", params={"query": "ASK { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": "https://example.org/g"}
    )
    assert named.status_code == 200 and named.json()["boolean"] is False


@pytest.mark.parametrize("value", ["'; DROP", "<script>", "\u0000", "{{{{", "?s ?p ?o", "\\u0053ERVICE <x:y> {}"])
def test_hostile_queries_never_cause_a_server_error(client: TestClient, value: str) -> None:
    for query in (value, f"SELECT * WHERE {{ {value} }}"):
        response = client.get("/v1/sparql", params={"query": query})
        assert response.status_code in (200, 400), (query, response.text)


# -- the time limit ----------------------------------------------------------------------------------------


def test_a_runaway_query_is_stopped_at_the_limit_and_the_api_keeps_answering(client: TestClient) -> None:
    outcome: dict[str, Any] = {}

    def runaway() -> None:
        started = time.monotonic()
        outcome["response"] = client.get("/v1/sparql", params={"query": CROSS_JOIN})
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    # While one worker grinds through the cross join, the API and the other worker answer.
    assert client.get("/v1/context.jsonld").status_code == 200
    assert client.get("/v1/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
    assert thread.is_alive(), "the cross join should still be running"
    thread.join(TIMEOUT * 10)
    response = outcome["response"]
    assert response.status_code == 503
    assert "longer than 2 s" in response.json()["message"] and "stopped" in response.json()["message"]
    # Stopped at the limit (plus the kill and the answer, on a machine that may be busy).
    assert TIMEOUT <= outcome["seconds"] < TIMEOUT + 10
    # The killed worker is replaced: queries keep working.
    assert len(bindings(client.get("/v1/sparql", params={"query": STATES}))) > 5


# -- Neo4j as the primary store ------------------------------------------------------------------------------


@pytest.mark.neo4j
def test_sparql_answers_from_the_embedded_copy_when_neo4j_is_primary(
    neo4j_settings: Settings, bundled: CompiledFacts, tmp_path: Path
) -> None:
    settings = neo4j_with_bundled(neo4j_settings.model_copy(update={"data_dir": tmp_path}), bundled)
    assert settings.backend == "neo4j"
    with client_for(settings) as client:
        response = client.post("/v1/sparql", data={"query": documented_query()})
        assert {(r["transfer"], r["source"]) for r in bindings(response)} == _expected_transfers(bundled)


def test_a_query_needing_too_much_memory_kills_only_its_worker(settings: Settings) -> None:
    from milcoop.graph.embedded.sparql_endpoint import QueryTooCostly, SparqlEndpoint

    endpoint = SparqlEndpoint(settings.data_dir, timeout=60, max_results=10, workers=1, memory_bytes=256 << 20)
    try:
        started = time.monotonic()
        with pytest.raises(QueryTooCostly, match="memory"):
            # Sorting a three-way cross join materialises billions of rows.
            endpoint.run("SELECT ?a ?d ?g WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g LIMIT 1")
        assert time.monotonic() - started < 60
        assert endpoint.run("ASK { ?s ?p ?o }").body == b'{"head": {}, "boolean": true}'
    finally:
        endpoint.close()
