"""``POST /v1/cypher``: read-only, decided from Neo4j's plan, time-limited, capped; 501 on the
embedded store. Against the session's Neo4j holding the bundled facts (loopback only)."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from milcoop.api.routers import cypher as cypher_router
from milcoop.graph.neo4j.procedures import CYPHER_PROCEDURES
from milcoop.loaders.curated import CompiledFacts
from milcoop.settings import Settings
from tests.api.stores import client_for, neo4j_with_bundled
from tests.loopback import Listener

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def settings(
    neo4j_settings: Settings, bundled: CompiledFacts, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    loaded = neo4j_with_bundled(neo4j_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("cy")}), bundled)
    # A short time limit and a small cap keep the runaway and cap tests quick.
    return loaded.model_copy(update={"cypher_timeout_seconds": 1.0, "cypher_max_rows": 5})


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with client_for(settings) as test_client:
        yield test_client


_BOLT = {"address": ""}


@pytest.fixture(scope="module", autouse=True)
def _bolt_address(settings: Settings) -> None:
    _BOLT["address"] = settings.neo4j_uri.removeprefix("bolt://")


def _post(client: TestClient, query: str, parameters: dict[str, object] | None = None, **headers: str) -> httpx.Response:
    response = client.post("/v1/cypher", json={"query": query, "parameters": parameters or {}}, headers=headers)
    # No answer shows where Neo4j is.
    assert "bolt://" not in response.text and _BOLT["address"] not in response.text
    return response


def _count(driver: Driver, database: str) -> int:
    return int(driver.execute_query("MATCH (n) RETURN count(n) AS c", database_=database).records[0]["c"])


def test_cypher_answers_a_read_query_with_parameters_as_json(client: TestClient) -> None:
    response = _post(client, "MATCH (s:State {isoCode: $iso}) RETURN s.isoCode AS iso, s.id AS id", {"iso": "PRK"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["columns"] == ["iso", "id"]
    assert body["rows"] == [["PRK", "PRK"]]
    assert body["count"] == 1 and body["truncated"] is False and body["limit"] == 5
    assert response.headers["Milcoop-Results-Truncated"] == "false"


def test_cypher_answers_as_csv_when_asked(client: TestClient) -> None:
    response = _post(
        client, "MATCH (s:State) WHERE s.isoCode IN $codes RETURN s.isoCode AS iso, [1, 2] AS l ORDER BY iso",
        {"codes": ["PRK", "RUS"]}, accept="text/csv",
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(response.text))) == [["iso", "l"], ["PRK", "[1,2]"], ["RUS", "[1,2]"]]
    assert response.headers["Milcoop-Result-Count"] == "2"


def test_cypher_values_are_parameters_and_come_back_as_json(client: TestClient) -> None:
    hostile = "'}) DETACH DELETE n //"
    response = _post(
        client,
        "MATCH (n:Resource {id: 'PRK'}) RETURN n, $v AS v, date('2024-01-02') AS d, 0.0 / 0.0 AS nan, {a: [1, null]} AS m",
        {"v": hostile},
    )
    assert response.status_code == 200, response.text
    node, value, day, nan, mapping = response.json()["rows"][0]
    assert "State" in node["labels"] and node["properties"]["iri"].endswith("/PRK") and node["elementId"]
    assert (value, day, nan, mapping) == (hostile, "2024-01-02", "nan", {"a": [1, None]})


def test_cypher_runs_the_allow_listed_procedures(client: TestClient) -> None:
    response = _post(client, "CALL db.labels() YIELD label RETURN label ORDER BY label LIMIT 100")
    assert response.status_code == 200, response.text
    assert ["State"] in response.json()["rows"] or response.json()["truncated"]
    assert _post(client, "CALL db.relationshipTypes()").status_code == 200
    assert "db.labels" in CYPHER_PROCEDURES


@pytest.mark.parametrize(
    "query",
    [
        "CREATE (n:CypherProbe)",
        "MERGE (n:CypherProbe {x: 1})",
        "MATCH (n:State) SET n.cypherProbe = 1",
        "MATCH (n:State) REMOVE n.isoCode",
        "CALL { CREATE (n:CypherProbe) } RETURN 1",
        "CALL () { CREATE (n:CypherProbe) } RETURN 1",
        "FOREACH (x IN [1] | CREATE (:CypherProbe))",
        "MATCH (n:State) DETACH DELETE n",
        "CREATE INDEX cypher_probe FOR (n:CypherProbe) ON (n.x)",
        "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
        "SHOW TRANSACTIONS",
        "SHOW SETTINGS",
        "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
        "SHOW USERS",
        "CALL { MATCH (n) RETURN n } IN TRANSACTIONS RETURN 1",
    ],
)
def test_cypher_refuses_what_is_not_a_plain_read_before_running_it(
    client: TestClient, neo4j_driver: Driver, settings: Settings, query: str
) -> None:
    before = _count(neo4j_driver, settings.neo4j_database)
    response = _post(client, query)
    assert response.status_code in (400, 403), response.text
    assert response.json()["error"] == "invalid_parameter"
    if response.status_code == 400:  # Neo4j itself refused to plan it
        assert "Neo4j refused the query" in response.json()["message"]
    assert _count(neo4j_driver, settings.neo4j_database) == before
    marks = neo4j_driver.execute_query("MATCH (n) WHERE n:CypherProbe OR n.cypherProbe IS NOT NULL RETURN count(n) AS c")
    assert marks.records[0]["c"] == 0


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("CREATE (n:CypherProbe)", "read-only"),
        ("MATCH (n:State) SET n.cypherProbe = 1", "read-only"),
        ("LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line", "LOAD CSV"),
        ("SHOW TRANSACTIONS", "SHOW"),
        ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TERMINATE"),
    ],
)
def test_cypher_refusals_say_why_with_403(client: TestClient, query: str, reason: str) -> None:
    response = _post(client, query)
    assert response.status_code == 403, response.text
    assert reason in response.json()["message"]


@pytest.mark.parametrize(
    "query",
    [
        "CALL apoc.load.json('http://127.0.0.1:1/')",
        "CALL apoc.load.json($url) YIELD value RETURN value",
        "CALL dbms.listConfig()",
        "CALL dbms.components()",
        "CALL dbms.listConnections()",
        "CALL db.stats.retrieve('GRAPH COUNTS')",
        "CALL db.info()",
        "CALL db.labels() YIELD label CALL db.ping() YIELD success RETURN label",
        "MATCH (n:State) CALL (n) { CALL db.ping() YIELD success RETURN success } RETURN success LIMIT 1",
    ],
)
def test_cypher_refuses_procedures_outside_the_allow_list_before_running_them(
    client: TestClient, listener: Listener, query: str
) -> None:
    response = _post(client, query, {"url": listener.url})
    assert response.status_code == 403, response.text
    assert "procedure not allowed" in response.json()["message"]
    assert listener.connections == 0  # decided before execution: nothing reached out


def test_cypher_stops_a_runaway_query_at_its_time_limit(client: TestClient) -> None:
    for query in (
        "UNWIND range(1, 100000000) AS x WITH x WHERE x < 0 RETURN count(*)",
        "MATCH (a), (b), (c), (d) WHERE a.id <> d.id RETURN count(*)",  # a cartesian product, no count store
    ):
        started = time.monotonic()
        response = _post(client, query)
        elapsed = time.monotonic() - started
        assert response.status_code == 503, response.text
        assert response.json()["message"] == "the query ran past its time limit of 1 s"
        assert elapsed < 1.0 + 1.0 + 1.5, elapsed  # the limit, the connect timeout, the planning
    # The server answered (it stopped the query): the store's circuit stays closed.
    assert _post(client, "RETURN 1 AS one").json()["rows"] == [[1]]


def test_cypher_caps_the_rows_and_says_so(client: TestClient) -> None:
    started = time.monotonic()
    response = _post(client, "UNWIND range(1, 100000000) AS x RETURN x")
    assert time.monotonic() - started < 3.0  # the rows past the cap are never pulled
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rows"] == [[1], [2], [3], [4], [5]]
    assert body["truncated"] is True and body["count"] == 5 and "cut at 5 rows" in body["notice"]
    assert response.headers["Milcoop-Results-Truncated"] == "true"
    as_csv = _post(client, "UNWIND range(1, 10) AS x RETURN x", accept="text/csv")
    assert as_csv.text.split() == ["x", "1", "2", "3", "4", "5"]
    assert as_csv.headers["Milcoop-Results-Truncated"] == "true"
    exact = _post(client, "UNWIND range(1, 5) AS x RETURN x").json()
    assert exact["count"] == 5 and exact["truncated"] is False and exact["notice"] is None


def test_cypher_errors_of_the_query_and_of_the_request(client: TestClient) -> None:
    syntax = _post(client, "MATCH (n RETURN n")
    assert syntax.status_code == 400 and "SyntaxError" in syntax.json()["message"]
    assert _post(client, "RETURN 1", accept="application/xml").status_code == 406
    assert client.post("/v1/cypher", json={"parameters": {}}).status_code == 422
    assert client.post("/v1/cypher", json={"query": ""}).status_code == 422
    assert _post(client, "RETURN $missing AS m").status_code == 400
    too_big = _post(client, "RETURN $n AS n", {"n": [1, {"deep": 2**64}]})
    assert too_big.status_code == 422 and "64 bits" in too_big.json()["message"]
    assert _post(client, "RETURN $n AS n", {"n": 2**63 - 1}).json()["rows"] == [[2**63 - 1]]


def test_cypher_is_documented_with_its_scope(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/v1/cypher"]["post"]
    assert {"200", "400", "403", "501", "503"} <= set(operation["responses"])
    assert cypher_router.REQUIRED_SCOPE == "cypher"




def test_cypher_answers_the_example_of_docs_api(client: TestClient) -> None:
    response = _post(
        client,
        "MATCH (e:MaterielTransfer)-[:RECIPIENT]->(:State {isoCode: $iso}) RETURN e.id AS event ORDER BY event",
        {"iso": "RUS"},
    )
    assert response.status_code == 200, response.text
    assert ["prk-rus-ammunition-2024"] in response.json()["rows"]
