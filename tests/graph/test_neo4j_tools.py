"""Neo4j as its users know it: APOC core and Neo4j Browser on the dev server, the names full-text
index behind ``/v1/entities?q=``, uniqueness of the keys users look up, and the documented
who-supplies-whom projection, all on the bundled facts in a real Neo4j."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import neo4j.exceptions
import pytest
from neo4j import Driver

from milcoop.graph.mapping import to_property_graph
from milcoop.graph.neo4j.cypher import queries as cq
from milcoop.graph.neo4j.cypher.schema import NAMES_FULLTEXT_INDEX_NAME
from milcoop.graph.neo4j.fulltext import fulltext_query, lucene_escape
from milcoop.graph.neo4j.store import Neo4jGraphStore
from milcoop.loaders.curated import CompiledFacts
from milcoop.ontology.vocabulary import vocabulary
from milcoop.settings import Settings
from tests.api.stores import client_for, neo4j_with_bundled
from tests.conftest import ROOT
from tools.neo4j.neo4j_dev import DevNeo4j

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def loaded(neo4j_settings: Settings, bundled: CompiledFacts) -> Settings:
    """The session's Neo4j holding exactly the bundled facts."""
    return neo4j_with_bundled(neo4j_settings, bundled)


@pytest.fixture(scope="module")
def store(loaded: Settings) -> Iterator[Neo4jGraphStore]:
    opened = Neo4jGraphStore.connect(loaded)
    try:
        yield opened
    finally:
        opened.close()


def _quiet(driver: Driver, query: str, **parameters: Any) -> list[dict[str, Any]]:
    records = driver.execute_query(query, parameters).records
    return [record.data() for record in records]


# -- APOC core and Neo4j Browser -----------------------------------------------------------------


def test_apoc_meta_data_describes_the_graph_over_bolt(loaded: Settings, neo4j_driver: Driver) -> None:
    """neo4j-graphrag's schema reader calls apoc.meta.data; it must work, not 'no procedure'."""
    rows = _quiet(neo4j_driver, "CALL apoc.meta.data() YIELD label, property, type, elementType RETURN *")
    state = {(r["property"], r["type"]) for r in rows if r["label"] == "State" and r["elementType"] == "node"}
    assert {("isoCode", "STRING"), ("name", "STRING"), ("aliases", "LIST")} <= state
    supplier = [r for r in rows if r["label"] == "SUPPLIER" and r["elementType"] == "relationship"]
    assert supplier, "apoc.meta.data lists the SUPPLIER relationships"


def test_apoc_offers_only_the_allowed_procedures(neo4j_dev_server: DevNeo4j | None, neo4j_driver: Driver) -> None:
    if neo4j_dev_server is None:
        pytest.skip("NEO4J_URI names a server this suite did not configure")
    names = {r["name"] for r in _quiet(neo4j_driver, "SHOW PROCEDURES YIELD name WHERE name STARTS WITH 'apoc.'")}
    assert "apoc.meta.data" in names
    assert not {n for n in names if n.startswith(("apoc.load", "apoc.export", "apoc.cypher", "apoc.periodic"))}


def test_apoc_lists_indexes_for_schema_readers_but_v1_cypher_still_refuses_it(
    loaded: Settings, neo4j_driver: Driver
) -> None:
    """neo4j-graphrag also asks apoc.schema.nodes for the indexes: the server has it for such
    tools, while /v1/cypher keeps to its own list (apoc.meta.data yes, apoc.schema.nodes no)."""
    rows = _quiet(neo4j_driver, "CALL apoc.schema.nodes() YIELD label, properties, type RETURN *")
    assert {"label": "Claim", "properties": ["status"], "type": "RANGE"} in rows
    with client_for(loaded) as client:
        allowed = client.post("/v1/cypher", json={"query": "CALL apoc.meta.data() YIELD label RETURN label LIMIT 1"})
        refused = client.post("/v1/cypher", json={"query": "CALL apoc.schema.nodes() YIELD label RETURN label"})
    assert allowed.status_code == 200, allowed.text
    assert refused.status_code == 403, refused.text
    assert "procedure not allowed" in refused.json()["message"]


def _get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers.get_content_type(), response.read().decode("utf-8", "replace")


def test_the_http_connector_answers_on_loopback_and_serves_neo4j_browser(
    neo4j_dev_server: DevNeo4j | None, neo4j_driver: Driver
) -> None:
    if neo4j_dev_server is None:
        pytest.skip("NEO4J_URI names a server this suite did not configure")
    config = {
        r["name"]: r["value"]
        for r in _quiet(neo4j_driver, "CALL dbms.listConfig('server.http') YIELD name, value RETURN name, value")
    }
    assert config["server.http.enabled"] == "true"
    assert config["server.http.listen_address"] == f"127.0.0.1:{neo4j_dev_server.http_port}"

    status, kind, body = _get(neo4j_dev_server.http_uri + "/")
    assert (status, kind) == (200, "application/json")
    discovery = json.loads(body)
    # The Browser connects back over Bolt to the address the server advertises: ours.
    assert discovery["bolt_direct"] == neo4j_dev_server.uri
    assert discovery["neo4j_edition"] == "community"

    status, kind, page = _get(neo4j_dev_server.http_uri + "/browser/")
    assert (status, kind) == (200, "text/html")
    assert "<title>Neo4j Browser</title>" in page
    script = re.search(r'src="([^"]+\.js)"', page)
    assert script is not None, "the Browser page loads its scripts"
    status, kind, _ = _get(f"{neo4j_dev_server.http_uri}/browser/{script.group(1).lstrip('./')}")
    assert status == 200 and "javascript" in kind


# -- The names full-text index ---------------------------------------------------------------------


def test_the_names_fulltext_index_covers_names_aliases_and_ids(loaded: Settings, neo4j_driver: Driver) -> None:
    rows = _quiet(
        neo4j_driver,
        "SHOW FULLTEXT INDEXES YIELD name, state, labelsOrTypes, properties WHERE name = $name RETURN *",
        name=NAMES_FULLTEXT_INDEX_NAME,
    )
    assert [(r["state"], r["labelsOrTypes"], r["properties"]) for r in rows] == [
        ("ONLINE", ["Resource"], ["name", "aliases", "id"])
    ]
    hits = _quiet(
        neo4j_driver,
        "CALL db.index.fulltext.queryNodes($index, 'north') YIELD node RETURN node.id AS id",
        index=NAMES_FULLTEXT_INDEX_NAME,
    )
    # In an alias only (skos:altLabel "North Korea"); the name is "Democratic People's Republic of Korea".
    assert "PRK" in {h["id"] for h in hits}


def _texts(bundled: CompiledFacts) -> list[str]:
    """Pieces of every name, alias and id people might type: whole values, words, 3-letter runs,
    two-word runs with their separator, and runs cut across a word boundary."""
    nodes, _ = to_property_graph(bundled.graph)
    values: list[str] = []
    for node in nodes:
        props = node.properties
        if "name" in props:
            values += [str(props["name"]), str(props["id"]), *map(str, props.get("aliases") or [])]
    texts: set[str] = set()
    for value in values:
        low = value.lower()
        texts.add(low)
        words = re.split(r"(\W+)", low)
        texts.update(w for w in words if w)
        texts.update("".join(words[i : i + 3]) for i in range(0, len(words) - 2, 2))
        texts.update(low[i : i + 3] for i in range(0, len(low) - 2, 7))
        texts.update(low[i : i + 6] for i in range(1, len(low) - 5, 5))
    return sorted(texts)


def test_the_fulltext_search_finds_exactly_what_the_scan_finds(
    bundled: CompiledFacts, loaded: Settings, neo4j_driver: Driver
) -> None:
    """The index only narrows the candidates; the answer must be the scan's for every text.
    (Through the driver without the store's time limit: hundreds of queries on a busy machine.)"""
    texts = _texts(bundled)
    assert len(texts) > 300
    used = 0
    for text in texts:
        lucene = fulltext_query(text)
        if lucene is None:
            continue
        used += 1
        scanned = _quiet(neo4j_driver, cq.SEARCH, text=text, after=None, limit=1000)
        indexed = _quiet(neo4j_driver, cq.SEARCH_NAMES, lucene=lucene, text=text, after=None, limit=1000)
        assert indexed == scanned, (text, lucene)
    # Nearly every text goes through the index; the scan is for punctuation-only and the like.
    assert used > 0.9 * len(texts)


@pytest.mark.parametrize(
    "text",
    ["AND(", "a*b?", '"', "~", "title:x", "[1 TO 2]", "-", "(", "\\", "||", "north korea", "o'", "rus-amm"],
)
def test_lucene_syntax_in_the_search_is_text_not_an_error(store: Neo4jGraphStore, text: str) -> None:
    lowered = text.lower()
    found = store.search(lowered, None, 1000)
    scanned = [(str(r["iri"]), str(r["key"])) for r in store._read(cq.SEARCH, text=lowered, after=None, limit=1000)]
    assert found == scanned


def test_lucene_escape_escapes_every_special_character() -> None:
    assert lucene_escape('a+b-c&&d||e!f(g)h{i}j[k]l^m"n~o*p?q:r\\s/t') == (
        'a\\+b\\-c\\&\\&d\\|\\|e\\!f\\(g\\)h\\{i\\}j\\[k\\]l\\^m\\"n\\~o\\*p\\?q\\:r\\\\s\\/t'
    )
    assert fulltext_query("and(") == "+*and*"
    assert fulltext_query("(") is None
    assert fulltext_query("中国") is None


# -- Uniqueness ------------------------------------------------------------------------------------


def test_the_keys_users_look_up_are_unique_constraints(loaded: Settings, neo4j_driver: Driver) -> None:
    rows = _quiet(
        neo4j_driver,
        "SHOW CONSTRAINTS YIELD type, labelsOrTypes, properties WHERE type = 'UNIQUENESS' RETURN *",
    )
    unique = {(r["labelsOrTypes"][0], tuple(r["properties"])) for r in rows}
    assert ("State", ("isoCode",)) in unique
    assert ("Resource", ("iri",)) in unique
    missing = {label for label in vocabulary().labels.values() if (label, ("id",)) not in unique}
    assert not missing, f"labels without a unique id: {sorted(missing)}"
    # The plain index the constraint replaced is gone (two indexes on one key would clash).
    names = {r["name"] for r in _quiet(neo4j_driver, "SHOW INDEXES YIELD name")}
    assert "milcoop_state_iso_code" not in names


def test_no_two_nodes_share_an_id_within_a_label(loaded: Settings, neo4j_driver: Driver) -> None:
    shared = _quiet(
        neo4j_driver,
        "MATCH (n:Resource) UNWIND [l IN labels(n) WHERE l <> 'Resource'] AS label "
        "WITH label, n.id AS id, count(*) AS nodes WHERE nodes > 1 RETURN label, id, nodes",
    )
    assert shared == []
    # Every node has an id, so the constraints cover them all.
    assert _quiet(neo4j_driver, "MATCH (n:Resource) WHERE n.id IS NULL RETURN count(n) AS n") == [{"n": 0}]


def test_a_second_state_with_a_taken_code_or_id_is_refused(loaded: Settings, neo4j_driver: Driver) -> None:
    """Inside a transaction that is rolled back: nothing is written either way."""
    for props in ({"iri": "urn:test:dup-1", "id": "PRK"}, {"iri": "urn:test:dup-2", "id": "x-dup", "isoCode": "PRK"}):
        with neo4j_driver.session() as session, session.begin_transaction() as tx:
            with pytest.raises(neo4j.exceptions.ConstraintError):
                tx.run("CREATE (n:Resource:Actor:State) SET n = $props", props=props).consume()
            tx.rollback()


# -- Who supplies whom ---------------------------------------------------------------------------------


def _documented(heading: str) -> str:
    docs = (ROOT / "docs" / "cypher.md").read_text(encoding="utf-8")
    section = docs.split(f"### {heading}\n", 1)[1]
    match = re.search(r"```cypher\n(.*?)```", section, re.S)
    assert match is not None, heading
    return match.group(1)


def test_the_documented_supply_projection_weighs_dprk_to_russia_by_its_events(
    loaded: Settings, bundled: CompiledFacts, neo4j_driver: Driver
) -> None:
    query = _documented("Who supplies whom: a projection for graph algorithms (GDS) and Bloom")
    rows = _quiet(neo4j_driver, query)
    assert all(set(r) == {"source", "target", "weight"} for r in rows)
    pairs = {(r["source"], r["target"]): r["weight"] for r in rows}

    # The events counted independently, from the compiled facts' relationships.
    _, rels = to_property_graph(bundled.graph)
    gives = {"SUPPLIER", "SENDING_STATE", "TRAINER", "ACCESS_PROVIDER", "CONTRIBUTING_PARTNER", "FUNDER"}
    takes = {"RECIPIENT", "HOST_STATE", "TRAINEE", "ACCESS_USER", "PRODUCING_PARTNER", "FUNDING_RECIPIENT"}
    prk, rus = "https://w3id.org/milcoop/id/state/PRK", "https://w3id.org/milcoop/id/state/RUS"
    from_prk = {r.start for r in rels if r.type in gives and r.end == prk}
    to_rus = {r.start for r in rels if r.type in takes and r.end == rus}
    expected = len(from_prk & to_rus)
    assert expected >= 10
    assert pairs[("PRK", "RUS")] == expected
    assert pairs[("RUS", "PRK")] > 0
    # Heaviest first, so a reader sees the main flow on top.
    assert rows[0] == {"source": "PRK", "target": "RUS", "weight": expected}
