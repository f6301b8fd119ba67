"""Loading Neo4j: exactly the dataset, idempotent, all or nothing, against a real server.

Most tests use the session's server (tests/neo4j_fixtures.py) and empty it first. The crash test
starts a server of its own, because it kills it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver, GraphDatabase
from rdflib import Graph
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from bench.synthetic import generate, ntriples_lines, triples
from milcoop.graph.errors import LoadFailed, StoreUnavailable
from milcoop.graph.mapping import NodeRecord, RelationshipRecord, to_property_graph, to_rdf
from milcoop.graph.neo4j.cypher import load as load_cypher
from milcoop.graph.neo4j.cypher.schema import SCHEMA, ensure_schema
from milcoop.graph.neo4j.writer import load_into_neo4j, write_records
from milcoop.graph.writer import LoadSummary
from milcoop.loaders.curated import CompiledFacts, compile_facts
from milcoop.loaders.load import load
from milcoop.loaders.problems import CurationError
from milcoop.loaders.shacl import shacl_report
from milcoop.settings import Settings, get_settings
from tests.conftest import BROKEN, DATA
from tools.neo4j.neo4j_dev import free_port

EVENT = "https://w3id.org/milcoop/id/event/"
CLAIM = "https://w3id.org/milcoop/id/claim/"
QUANTITY = "https://w3id.org/milcoop/id/quantity/"

NodeState = dict[str, tuple[tuple[str, ...], dict[str, Any]]]
RelState = list[tuple[str, str, str]]


class RecordingProgress:
    """A ProgressReporter that remembers what it was told."""

    def __init__(self) -> None:
        self.started: list[tuple[str, int]] = []
        self.advanced = 0
        self.finished = 0

    def start(self, description: str, total: int) -> None:
        self.started.append((description, total))

    def advance(self, amount: int) -> None:
        self.advanced += amount

    def finish(self) -> None:
        self.finished += 1


# -- reading the graph back --------------------------------------------------------------------------


def _native(value: Any) -> Any:
    if isinstance(value, list):
        return [_native(v) for v in value]
    to_native = getattr(value, "to_native", None)
    return to_native() if to_native is not None else value


def read_graph(driver: Driver, database: str = "neo4j") -> tuple[NodeState, RelState]:
    """Every :Resource node (sorted labels, native properties) and every relationship between them."""
    with driver.session(database=database) as session:
        nodes: NodeState = {
            record["iri"]: (tuple(sorted(record["labels"])), {k: _native(v) for k, v in record["props"].items()})
            for record in session.run("MATCH (n:Resource) RETURN n.iri AS iri, labels(n) AS labels, properties(n) AS props")
        }
        rels = sorted(
            (record[0], record[1], record[2])
            for record in session.run("MATCH (a:Resource)-[r]->(b:Resource) RETURN type(r), a.iri, b.iri")
        )
    return nodes, rels


def expected_state(nodes: list[NodeRecord], rels: list[RelationshipRecord]) -> tuple[NodeState, RelState]:
    return (
        {n.iri: (tuple(sorted({*n.labels, "Resource"})), n.properties) for n in nodes},
        sorted((r.type, r.start, r.end) for r in rels),
    )


def digest(state: tuple[NodeState, RelState]) -> str:
    nodes, rels = state
    text = json.dumps([sorted(nodes.items()), rels], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def records_from_graph(driver: Driver) -> tuple[list[NodeRecord], list[RelationshipRecord]]:
    nodes, rels = read_graph(driver)
    return (
        [NodeRecord(iri, labels, props) for iri, (labels, props) in nodes.items()],
        [RelationshipRecord(*rel) for rel in rels],
    )


def wipe(driver: Driver) -> None:
    driver.execute_query("MATCH (n) DETACH DELETE n")


# -- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled_records(bundled: CompiledFacts) -> tuple[list[NodeRecord], list[RelationshipRecord]]:
    return to_property_graph(bundled.graph)


@pytest.fixture
def empty_neo4j(neo4j_driver: Driver) -> Iterator[Driver]:
    """The session's server, emptied (other modules' tests load what they need themselves)."""
    wipe(neo4j_driver)
    yield neo4j_driver


@pytest.fixture(scope="module")
def edited_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of data/ with one event (prk-rus-koksan) removed and one quantity changed."""
    root = tmp_path_factory.mktemp("edited") / "data"
    shutil.copytree(DATA, root)
    path = root / "dprk-russia.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index("  - id: prk-rus-koksan\n")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("  - id: "))
    text = "".join(lines[:start] + lines[end:])
    old = "quantity: {value: 11000, unit: personnel, qualifier: more-than}"
    assert text.count(old) == 1
    path.write_text(text.replace(old, "quantity: {value: 12000, unit: personnel, qualifier: more-than}"), "utf-8")
    return root


# -- loading the bundled data ------------------------------------------------------------------------------


@pytest.mark.neo4j
def test_loading_bundled_data_writes_exactly_its_records(
    empty_neo4j: Driver, neo4j_settings: Settings, bundled: CompiledFacts, bundled_records: Any
) -> None:
    nodes, rels = bundled_records
    progress = RecordingProgress()

    summary = load_into_neo4j(bundled, neo4j_settings, progress)

    assert summary.backend == "neo4j"
    assert summary.data_version == bundled.version
    assert (summary.nodes_created, summary.nodes_updated, summary.nodes_deleted) == (len(nodes), 0, 0)
    assert (summary.relationships_created, summary.relationships_deleted) == (len(rels), 0)
    assert read_graph(empty_neo4j) == expected_state(nodes, rels)
    # Progress: one phase whose total is every row written, all of it advanced, then finished.
    assert progress.started == [("neo4j: loading", len(nodes) + len(rels))]
    assert progress.advanced == len(nodes) + len(rels)
    assert progress.finished == 1
    # The data version lives on a metadata node that is not a :Resource.
    records, _, _ = empty_neo4j.execute_query(load_cypher.READ_DATASET, name=load_cypher.DATASET_NAME)
    assert [r["version"] for r in records] == [bundled.version]
    assert empty_neo4j.execute_query("MATCH (d:MilcoopDataset:Resource) RETURN count(d)").records[0][0] == 0
    # Dates are Neo4j dates, with their precision beside them.
    row = empty_neo4j.execute_query(
        "MATCH (e:Resource {iri: $iri}) RETURN e.startDate AS start, e.startDatePrecision AS precision, "
        "e.spanStart AS spanStart, e.spanEnd AS spanEnd",
        iri=EVENT + "prk-rus-munitions-containers",
    ).records[0]
    assert type(row["start"]).__name__ == "Date"
    assert (str(row["start"]), row["precision"], str(row["spanStart"]), row["spanEnd"]) == (
        "2023-09-01",
        "month",
        "2023-09-01",
        None,
    )


@pytest.mark.neo4j
def test_schema_has_the_unique_iri_constraint_and_reader_indexes(empty_neo4j: Driver) -> None:
    ensure_schema(empty_neo4j, "neo4j")
    ensure_schema(empty_neo4j, "neo4j")  # idempotent
    constraints = {r["name"]: r for r in empty_neo4j.execute_query("SHOW CONSTRAINTS").records}
    assert constraints["milcoop_resource_iri"]["type"] == "UNIQUENESS"
    assert constraints["milcoop_resource_iri"]["labelsOrTypes"] == ["Resource"]
    assert constraints["milcoop_resource_iri"]["properties"] == ["iri"]
    indexes = {
        (tuple(r["labelsOrTypes"]), tuple(r["properties"])): r["state"]
        for r in empty_neo4j.execute_query("SHOW INDEXES YIELD labelsOrTypes, properties, state").records
        if r["labelsOrTypes"]
    }
    for key in [
        (("Resource",), ("iri",)),
        (("Resource",), ("id",)),
        (("CooperationEvent",), ("spanStart",)),
        (("CooperationEvent",), ("spanEnd",)),
        (("State",), ("isoCode",)),
        (("Claim",), ("status",)),
    ]:
        assert indexes.get(key) == "ONLINE", key
    assert all("IF NOT EXISTS" in statement for statement in SCHEMA)


@pytest.mark.neo4j
def test_loading_the_same_data_twice_changes_nothing(
    empty_neo4j: Driver, neo4j_settings: Settings, bundled: CompiledFacts
) -> None:
    load_into_neo4j(bundled, neo4j_settings, RecordingProgress())
    first = digest(read_graph(empty_neo4j))

    again = load_into_neo4j(bundled, neo4j_settings, RecordingProgress())

    assert digest(read_graph(empty_neo4j)) == first
    assert (again.nodes_created, again.nodes_updated, again.nodes_deleted) == (0, 0, 0)
    assert (again.relationships_created, again.relationships_deleted) == (0, 0)


@pytest.mark.neo4j
def test_an_edited_dataset_replaces_the_loaded_one_exactly(
    empty_neo4j: Driver, neo4j_settings: Settings, bundled: CompiledFacts, bundled_records: Any, edited_data: Path
) -> None:
    load_into_neo4j(bundled, neo4j_settings, RecordingProgress())
    edited = compile_facts([edited_data])
    new_nodes, new_rels = to_property_graph(edited.graph)
    old_nodes, old_rels = bundled_records

    summary = load_into_neo4j(edited, neo4j_settings, RecordingProgress())

    # The first load recorded its digests, so this one wrote only the resources that changed.
    assert summary.method == "changed resources only, by digest"
    graph_nodes, graph_rels = read_graph(empty_neo4j)
    assert (graph_nodes, graph_rels) == expected_state(new_nodes, new_rels)
    # The event, its claims and their quantities are gone, with every relationship they had.
    gone = {iri for iri in graph_nodes if "prk-rus-koksan" in iri}
    assert gone == set()
    removed = {n.iri for n in old_nodes} - {n.iri for n in new_nodes}
    assert EVENT + "prk-rus-koksan" in removed
    assert CLAIM + "prk-rus-koksan--source-notes" in removed
    assert QUANTITY + "prk-rus-koksan--source-notes" in removed
    assert not any("prk-rus-koksan" in s or "prk-rus-koksan" in e for _, s, e in graph_rels)
    # The changed quantity holds its new value.
    assert graph_nodes[QUANTITY + "prk-rus-troops-2024--source-notes"][1]["value"] == 12000
    # The summary counts what changed, and only that.
    old_rel_set = {(r.type, r.start, r.end) for r in old_rels}
    new_rel_set = {(r.type, r.start, r.end) for r in new_rels}
    assert summary.nodes_deleted == len(removed)
    assert summary.nodes_created == 0
    assert summary.nodes_updated == 1
    assert summary.relationships_deleted == len(old_rel_set - new_rel_set) > 0
    assert summary.relationships_created == len(new_rel_set - old_rel_set) == 0
    assert summary.data_version == edited.version != bundled.version

    # And back: the bundled data is restored exactly.
    back = load_into_neo4j(bundled, neo4j_settings, RecordingProgress())
    assert read_graph(empty_neo4j) == expected_state(old_nodes, old_rels)
    assert (back.nodes_created, back.nodes_updated, back.nodes_deleted) == (len(removed), 1, 0)
    assert back.relationships_created == len(old_rel_set - new_rel_set)


@pytest.mark.neo4j
def test_a_load_by_digest_trusts_its_records_and_verify_compares_with_the_whole_graph(
    empty_neo4j: Driver, neo4j_settings: Settings, bundled: CompiledFacts, bundled_records: Any, edited_data: Path
) -> None:
    load_into_neo4j(bundled, neo4j_settings, RecordingProgress())
    # A change by hand, behind milcoop's back: the digests do not see it ...
    empty_neo4j.execute_query("MATCH (n:State {isoCode: 'PRK'}) SET n.name = 'edited by hand'")
    by_digest = load_into_neo4j(bundled, neo4j_settings, RecordingProgress())
    assert by_digest.method == "changed resources only, by digest"
    assert by_digest.nodes_updated == 0
    # ... the whole-graph comparison (milcoop load --force) does, and mends it.
    verified = load_into_neo4j(bundled, neo4j_settings, RecordingProgress(), verify=True)
    assert verified.method == ""
    assert verified.nodes_updated == 1
    assert read_graph(empty_neo4j) == expected_state(*bundled_records)


@pytest.mark.neo4j
def test_a_load_that_records_no_digests_makes_the_next_one_compare_the_whole_graph(
    empty_neo4j: Driver, neo4j_settings: Settings, bundled: CompiledFacts, bundled_records: Any, edited_data: Path
) -> None:
    load_into_neo4j(bundled, neo4j_settings, RecordingProgress())
    edited = compile_facts([edited_data])
    # Records written without their digests (as benchmarks and library callers may): the
    # recorded digests no longer describe the graph.
    write_records(empty_neo4j, "neo4j", *to_property_graph(edited.graph), data_version=edited.version)
    back = load_into_neo4j(bundled, neo4j_settings, RecordingProgress())
    assert back.method == ""
    assert read_graph(empty_neo4j) == expected_state(*bundled_records)
    again = load_into_neo4j(edited, neo4j_settings, RecordingProgress())
    assert again.method == "changed resources only, by digest"
    assert read_graph(empty_neo4j) == expected_state(*to_property_graph(edited.graph))


@pytest.mark.neo4j
def test_labels_and_removed_properties_are_brought_to_the_records(
    empty_neo4j: Driver, bundled_records: Any
) -> None:
    nodes, rels = bundled_records
    ensure_schema(empty_neo4j, "neo4j")
    write_records(empty_neo4j, "neo4j", nodes, rels, data_version="v1")
    changed = copy.deepcopy(nodes)
    event = next(n for n in changed if n.iri == EVENT + "rus-prk-battlefield-data")
    assert event.labels == ("TechnologyTransfer", "CooperationEvent")
    event.labels = ("MaterielTransfer", "CooperationEvent")
    claim = next(n for n in changed if n.iri == CLAIM + "prk-rus-koksan--source-notes")
    del claim.properties["analystNote"]

    summary = write_records(empty_neo4j, "neo4j", changed, rels, data_version="v2")

    assert summary.nodes_updated == 2
    assert (summary.nodes_created, summary.nodes_deleted, summary.relationships_created) == (0, 0, 0)
    assert read_graph(empty_neo4j) == expected_state(changed, rels)


@pytest.mark.neo4j
def test_nothing_outside_the_resource_graph_is_touched(empty_neo4j: Driver, bundled_records: Any) -> None:
    nodes, rels = bundled_records
    ensure_schema(empty_neo4j, "neo4j")
    write_records(empty_neo4j, "neo4j", nodes, rels, data_version="v1")
    prk, rus = "https://w3id.org/milcoop/id/state/PRK", "https://w3id.org/milcoop/id/state/RUS"
    empty_neo4j.execute_query(
        "CREATE (:AnalystNote {text: 'not milcoop data'})-[:ABOUT]->(:AnalystNote {text: 'neither'}) "
        "WITH 1 AS one MATCH (a:Resource {iri: $prk}), (b:Resource {iri: $rus}) "
        "CREATE (a)-[:BORDERS_ON {since: 1860}]->(b) SET a:Watched",
        prk=prk,
        rus=rus,
    )
    # A duplicate of a milcoop relationship is milcoop's to fix: the extra one goes.
    empty_neo4j.execute_query(
        "MATCH (e:Resource {iri: $e}), (s:Resource {iri: $s}) CREATE (e)-[:SUPPLIER]->(s)",
        e=EVENT + "prk-rus-koksan",
        s=prk,
    )

    summary = write_records(empty_neo4j, "neo4j", nodes, rels, data_version="v1")

    assert (summary.nodes_created, summary.nodes_updated, summary.nodes_deleted) == (0, 0, 0)
    assert (summary.relationships_created, summary.relationships_deleted) == (0, 1)
    graph_nodes, graph_rels = read_graph(empty_neo4j)
    assert graph_rels.count(("SUPPLIER", EVENT + "prk-rus-koksan", prk)) == 1
    assert ("BORDERS_ON", prk, rus) in graph_rels
    assert "Watched" in graph_nodes[prk][0]
    notes = empty_neo4j.execute_query("MATCH (n:AnalystNote)-[:ABOUT]->(m) RETURN n.text, m.text").records
    assert [tuple(r) for r in notes] == [("not milcoop data", "neither")]


@pytest.mark.neo4j
def test_records_outside_the_allow_list_are_refused_before_writing(empty_neo4j: Driver, bundled_records: Any) -> None:
    nodes, rels = bundled_records
    bad = copy.deepcopy(nodes)
    bad[0].labels = ("Claim", "Evil`) DETACH DELETE n //")
    with pytest.raises(ValueError, match="allow-list"):
        write_records(empty_neo4j, "neo4j", bad, rels, data_version="bad")
    with pytest.raises(ValueError, match="allow-list"):
        write_records(empty_neo4j, "neo4j", nodes, [RelationshipRecord("KNOWS", nodes[0].iri, nodes[1].iri)], data_version="bad")
    assert read_graph(empty_neo4j) == ({}, [])


# -- round trip --------------------------------------------------------------------------------------------


@pytest.mark.neo4j
def test_the_graph_read_back_maps_to_rdf_isomorphic_to_the_compiled_facts(
    empty_neo4j: Driver, neo4j_settings: Settings, bundled: CompiledFacts
) -> None:
    load_into_neo4j(bundled, neo4j_settings, RecordingProgress())
    nodes, rels = records_from_graph(empty_neo4j)
    assert isomorphic(to_rdf(nodes, rels), bundled.graph)


# -- bad input and unreachable servers ------------------------------------------------------------------


@pytest.mark.neo4j
@pytest.mark.parametrize("fixture", sorted(p.name for p in BROKEN.glob("*.yaml")))
def test_broken_input_leaves_the_graph_unchanged(
    fixture: str, empty_neo4j: Driver, neo4j_settings: Settings, bundled: CompiledFacts
) -> None:
    load_into_neo4j(bundled, neo4j_settings, RecordingProgress())
    before = digest(read_graph(empty_neo4j))
    with pytest.raises(CurationError):
        load([BROKEN / fixture], "neo4j", neo4j_settings)
    assert digest(read_graph(empty_neo4j)) == before


def _cli_env(settings: Settings, data_dir: Path, uri: str | None = None) -> dict[str, str]:
    return {
        "NEO4J_URI": uri or settings.neo4j_uri,
        "NEO4J_USERNAME": settings.neo4j_username,
        "NEO4J_PASSWORD": settings.neo4j_password,
        "NEO4J_DATABASE": settings.neo4j_database,
        "MILCOOP_DATA_DIR": str(data_dir),
    }


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """The CLI reads settings once per process; read them again from each test's environment."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.neo4j
def test_cli_load_with_neo4j_loads_and_prints_the_summary(
    empty_neo4j: Driver,
    neo4j_settings: Settings,
    bundled_records: Any,
    tmp_path: Path,
    fresh_settings: None,
) -> None:
    from milcoop.cli import app

    result = CliRunner().invoke(app, ["load", "--backend", "neo4j"], env=_cli_env(neo4j_settings, tmp_path))

    assert result.exit_code == 0, result.output
    nodes, rels = bundled_records
    assert (
        f"neo4j: nodes {len(nodes)} created, 0 updated, 0 deleted; relationships {len(rels)} created, 0 deleted"
        in result.output
    )
    assert read_graph(empty_neo4j) == expected_state(nodes, rels)

    again = CliRunner().invoke(app, ["load"], env=_cli_env(neo4j_settings, tmp_path))
    assert again.exit_code == 0, again.output
    assert "neo4j: unchanged" in again.output and "embedded: unchanged" in again.output  # nothing to do
    forced = CliRunner().invoke(app, ["load", "--force"], env=_cli_env(neo4j_settings, tmp_path))
    assert forced.exit_code == 0, forced.output
    assert "neo4j: nodes 0 created, 0 updated, 0 deleted; relationships 0 created, 0 deleted" in forced.output


def test_cli_load_with_unreachable_neo4j_fails_clearly_with_exit_code_2(tmp_path: Path, fresh_settings: None) -> None:
    from milcoop.cli import app

    closed = free_port()  # nothing listens there
    env = _cli_env(Settings.model_validate({"NEO4J_USERNAME": "neo4j", "NEO4J_PASSWORD": "x"}), tmp_path, f"bolt://127.0.0.1:{closed}")

    started = time.monotonic()
    result = CliRunner().invoke(app, ["load", "--backend", "neo4j"], env=env)

    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a traceback
    assert "Traceback" not in result.output
    assert f"cannot reach Neo4j at bolt://127.0.0.1:{closed}" in result.output
    assert "left as it was" in result.output
    assert time.monotonic() - started < 30


def test_unreachable_neo4j_raises_store_unavailable(bundled: CompiledFacts) -> None:
    settings = Settings.model_validate({"NEO4J_URI": f"bolt://127.0.0.1:{free_port()}", "NEO4J_PASSWORD": "x"})
    with pytest.raises(StoreUnavailable, match="cannot reach Neo4j"):
        load_into_neo4j(bundled, settings, RecordingProgress())
    with pytest.raises(StoreUnavailable, match="not a valid Neo4j URI"):
        load_into_neo4j(bundled, Settings.model_validate({"NEO4J_URI": "http//nonsense", "NEO4J_PASSWORD": "x"}), RecordingProgress())


# -- the synthetic data the crash test and the benchmark load --------------------------------------------


def test_synthetic_data_is_deterministic_and_true_to_the_model() -> None:
    first, second = generate(150, seed=11), generate(150, seed=11)
    assert [(n.iri, n.labels, n.properties) for n in first.nodes] == [
        (n.iri, n.labels, n.properties) for n in second.nodes
    ]
    assert first.relationships == second.relationships
    assert generate(150, seed=12).nodes != first.nodes

    graph = to_rdf(first.nodes, first.relationships)
    conforms, report = shacl_report(graph)
    assert conforms, report.serialize(format="turtle")
    # The records are exactly what the mapping gives for their RDF, so they load like compiled facts.
    nodes, rels = to_property_graph(graph)
    assert expected_state(nodes, rels) == expected_state(first.nodes, first.relationships)
    # Both RDF streams carry the same graph.
    assert isomorphic(Graph().parse(data="".join(ntriples_lines(first.nodes, first.relationships)), format="nt"), graph)
    assert len(set(triples(first.nodes, first.relationships))) == len(graph)
    shape = first.shape()
    assert shape["events"] == 150 and shape["undated_events"] > 0 and shape["open_ended_events"] > 0
    for node_start, node_end, _, _ in first.bundles:
        bundle = first.nodes[node_start:node_end]
        assert "CooperationEvent" in bundle[0].labels
        assert 2 <= sum(1 for n in bundle if n.labels == ("Claim",)) <= 4


# -- a crash half way ----------------------------------------------------------------------------------------


class _KillAfter(RecordingProgress):
    """Sets ``ready`` once ``rows`` rows were written (acknowledged by the server) in the load."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows
        self.ready = threading.Event()

    def advance(self, amount: int) -> None:
        super().advance(amount)
        if self.advanced >= self.rows:
            self.ready.set()


@pytest.mark.neo4j
@pytest.mark.slow
def test_a_server_killed_mid_load_comes_back_with_the_previous_graph(
    tmp_path: Path, bundled: CompiledFacts, bundled_records: Any
) -> None:
    from tools.neo4j.neo4j_dev import DevNeo4j, Neo4jDevError

    if shutil.which("java") is None or shutil.which("mvn") is None:
        pytest.skip("java and mvn are needed to run a Neo4j of this test's own")
    server = DevNeo4j(home=tmp_path / "neo4j", port=free_port(), heap="2g", pagecache="256m")
    try:
        server.start()
    except Neo4jDevError as exc:  # pragma: no cover - environment problem
        from tests.neo4j_fixtures import _unavailable

        _unavailable(str(exc))
    try:
        settings = Settings.model_validate({"data_dir": tmp_path / "embedded", "NEO4J_URI": server.uri, "NEO4J_PASSWORD": "x"})
        load_into_neo4j(bundled, settings, RecordingProgress())
        with GraphDatabase.driver(server.uri, auth=("neo4j", "x")) as driver:
            before = read_graph(driver)
        assert before == expected_state(*bundled_records)

        big = generate(12_000, seed=3)  # about 57,000 nodes and 134,000 relationships: many seconds
        batch = 2_000
        progress = _KillAfter(rows=3 * batch)
        outcome: dict[str, BaseException | LoadSummary] = {}

        def run() -> None:
            try:
                with GraphDatabase.driver(server.uri, auth=("neo4j", "x")) as driver:
                    outcome["result"] = write_records(
                        driver,
                        "neo4j",
                        big.nodes,
                        big.relationships,
                        data_version=big.version,
                        batch_size=batch,
                        progress=progress,
                    )
            except BaseException as exc:
                outcome["result"] = exc

        loader = threading.Thread(target=run, daemon=True)
        loader.start()
        assert progress.ready.wait(120), "the load never got going"
        written = progress.advanced
        server.kill()
        loader.join(60)
        assert not loader.is_alive(), "the loader hung after the server died"
        assert written < len(big.nodes) + len(big.relationships), "the load finished before the kill"
        assert isinstance(outcome["result"], (LoadFailed, StoreUnavailable)), outcome

        server.start()  # recovery replays committed transactions only
        with GraphDatabase.driver(server.uri, auth=("neo4j", "x")) as driver:
            after = read_graph(driver)
            version = driver.execute_query(load_cypher.READ_DATASET, name=load_cypher.DATASET_NAME).records
        assert digest(after) == digest(before)
        assert after == before
        assert [r["version"] for r in version] == [bundled.version]
    finally:
        server.stop()
