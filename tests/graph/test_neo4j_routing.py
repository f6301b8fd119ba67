"""Neo4j through a routing URI (``neo4j://``, how a cluster or Aura is reached) and read routing.

A single server routes to itself, so what can be checked here is that everything the API and the
export read works the same through ``neo4j://`` as through ``bolt://``, and that every such read
runs in a read transaction: Neo4j refuses a write in one (``Neo.ClientError.Statement.AccessMode``),
and with a cluster the driver sends read transactions to its readers (read replicas, secondaries)
instead of the leader (docs/scaling.md).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from neo4j import Driver

from milcoop.graph.errors import StoreError
from milcoop.graph.neo4j.rdf_source import Neo4jSource
from milcoop.graph.neo4j.store import Neo4jGraphStore
from milcoop.loaders.curated import CompiledFacts
from milcoop.settings import Settings
from tests.api.stores import client_for, neo4j_with_bundled

pytestmark = pytest.mark.neo4j

#: A write, which a read transaction must refuse. Its label is the test's own, so a write that got
#: through would be found (and removed) afterwards.
WRITE = "CREATE (n:RoutingProbe {iri: 'urn:test:routing-probe'}) RETURN n.iri AS iri"


def _routing(uri: str) -> str:
    scheme, _, rest = uri.partition("://")
    return f"neo4j://{rest}" if scheme in ("bolt", "neo4j") else uri


@pytest.fixture(scope="module")
def settings(neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Settings:
    return neo4j_with_bundled(
        neo4j_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("routing")}), bundled
    )


@pytest.fixture()
def no_probe(neo4j_driver: Driver, settings: Settings) -> Iterator[None]:
    yield
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (n:RoutingProbe) WITH n, count(*) AS c DETACH DELETE n RETURN sum(c) AS written",
        database_=settings.neo4j_database,
    )
    assert records[0]["written"] in (None, 0), "a read transaction wrote"


@pytest.mark.parametrize(
    "path",
    [
        "/healthz",
        "/v1/flows?from=DPRK&to=Russia&since=2023-01-01",
        "/v1/entities?q=korea",
        "/v1/treaties",
        "/v1/export?format=nquads",
    ],
)
def test_the_api_answers_through_a_routing_uri_as_through_bolt(settings: Settings, path: str) -> None:
    routed = settings.model_copy(update={"neo4j_uri": _routing(settings.neo4j_uri)})
    assert routed.neo4j_uri.startswith("neo4j://")
    with client_for(settings) as direct, client_for(routed) as via_routing:
        expected = direct.get(path)
        answer = via_routing.get(path)
    assert expected.status_code == 200, expected.text
    assert answer.status_code == 200, answer.text
    if path.startswith("/v1/export"):
        # The description carries the time of the export; the facts must be the same lines.
        assert {line for line in answer.text.splitlines() if "w3id.org/milcoop/id/" in line} == {
            line for line in expected.text.splitlines() if "w3id.org/milcoop/id/" in line
        }
    else:
        assert answer.json() == expected.json()


def test_the_stores_reads_are_read_transactions(settings: Settings, no_probe: None) -> None:
    routed = settings.model_copy(update={"neo4j_uri": _routing(settings.neo4j_uri)})
    store = Neo4jGraphStore.connect(routed)
    try:
        for retry in (True, False):  # execute_query(routing_=READ), and the one-attempt session
            with pytest.raises(StoreError, match="AccessMode"):
                store._read_now(WRITE, retry, {}, 5.0)
    finally:
        store.close()


def test_the_exports_reads_are_read_transactions(settings: Settings, no_probe: None) -> None:
    routed = settings.model_copy(update={"neo4j_uri": _routing(settings.neo4j_uri)})
    source = Neo4jSource.from_settings(routed)
    try:
        with pytest.raises(StoreError, match="AccessMode"):
            source._read_one(WRITE)
        with pytest.raises(StoreError, match="AccessMode"):
            source._lookup(WRITE)
        with pytest.raises(StoreError, match="AccessMode"):
            list(source._stream(WRITE))
    finally:
        source.close()
