"""The first load into an empty Neo4j through Neo4j's offline importer (graph/neo4j/offline.py).

These tests run their own Neo4j dev server (the import stops and starts it, which the session's
server must not be put through) on free loopback ports, with the bundled facts.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver, GraphDatabase

from milcoop.graph.errors import LoadFailed
from milcoop.graph.mapping import NodeRecord, to_property_graph
from milcoop.graph.neo4j import offline
from milcoop.graph.neo4j.writer import load_into_neo4j, plan_load
from milcoop.graph.writer import SilentProgress
from milcoop.loaders.curated import CompiledFacts, compile_facts
from milcoop.ontology.vocabulary import vocabulary
from milcoop.settings import Settings
from tests.neo4j_fixtures import IN_CI

ROOT = Path(__file__).resolve().parents[2]
DEV_TOOL = ROOT / "tools" / "neo4j" / "neo4j-dev"


@pytest.fixture(scope="module")
def importing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A dev server of this module's own, which the import commands stop and start."""
    if os.environ.get("NEO4J_URI", "").strip():
        pytest.skip("NEO4J_URI names a server; the offline import needs the dev server it can stop and start")
    if shutil.which("java") is None or shutil.which("mvn") is None:
        if IN_CI:
            pytest.fail("java and mvn are needed under CI=true", pytrace=False)
        pytest.skip("java and mvn are needed to run Neo4j from tools/neo4j")
    from tools.neo4j.neo4j_dev import DevNeo4j, free_port

    home = tmp_path_factory.mktemp("neo4j-offline")
    server = DevNeo4j(home=home, port=free_port(), http_port=free_port(), heap="1g", pagecache="256m")
    server.start()
    try:
        yield server
    finally:
        # The import restarted the server in another process; adopt that one to stop it.
        if server.is_running() or server.attach():
            server.stop()


@pytest.fixture
def driver(importing_server: Any) -> Iterator[Driver]:
    with GraphDatabase.driver(importing_server.uri, auth=None) as opened:
        yield opened


@pytest.fixture(scope="module")
def compiled() -> CompiledFacts:
    return compile_facts()


def _settings(server: Any, data_dir: Path, command: str | None = None) -> Settings:
    return Settings.model_validate(
        {
            "data_dir": data_dir,
            "NEO4J_URI": server.uri,
            "neo4j_import_command": command if command is not None else f"{DEV_TOOL} import --home {server.home}",
            "neo4j_import_min_nodes": 0,
            "neo4j_connect_timeout_seconds": 5.0,
        }
    )


def _empty(driver: Driver) -> None:
    driver.execute_query("MATCH (n) DETACH DELETE n")


def _count(driver: Driver, query: str) -> int:
    return int(driver.execute_query(query)[0][0]["n"])


def _reattach(server: Any) -> None:
    """The import command restarted the server in another process: let the fixture see it."""
    server.attach()


@contextlib.contextmanager
def _reading(server: Any) -> Iterator[list[int]]:
    """Count the ``:Resource`` nodes every 0.1 s while the block runs (-1: Neo4j did not answer)."""
    seen: list[int] = []
    stop = threading.Event()

    def read() -> None:
        with GraphDatabase.driver(server.uri, auth=None, connection_timeout=1.0) as reader:
            while not stop.is_set():
                try:
                    # An auto-commit query, tried once (execute_query would retry while Neo4j is down).
                    with reader.session() as session:
                        seen.append(int(session.run("MATCH (n:Resource) RETURN count(n) AS n").single(strict=True)["n"]))
                except Exception:  # Neo4j is down while the importer runs
                    seen.append(-1)
                time.sleep(0.1)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    try:
        yield seen
        time.sleep(0.5)
    finally:
        stop.set()
        thread.join(timeout=30)


def test_a_first_load_goes_through_the_import_and_equals_a_transactional_load(
    importing_server: Any, driver: Driver, compiled: CompiledFacts, tmp_path: Path
) -> None:
    _empty(driver)
    settings = _settings(importing_server, tmp_path)
    expected = folder_nodes(compiled)
    with _reading(importing_server) as seen:
        summary = load_into_neo4j(compiled, settings, SilentProgress())
        _reattach(importing_server)
    answered = [n for n in seen if n >= 0]
    assert set(answered) <= {0, expected}, f"a reader saw part of the import: {sorted(set(answered))}"
    assert answered[-1] == expected
    assert -1 in seen  # Neo4j was down while the importer ran
    assert summary.method == "offline import"
    assert set(summary.phases) == {"files", "import", "schema"}
    nodes, relationships = to_property_graph(compiled.graph)
    with GraphDatabase.driver(importing_server.uri, auth=None) as fresh:
        assert _count(fresh, "MATCH (n:Resource) RETURN count(n) AS n") == len(nodes)
        distinct = {(r.type, r.start, r.end) for r in relationships}
        assert _count(fresh, "MATCH ()-[r]->() RETURN count(r) AS n") == len(distinct)
        indexes = {r["name"]: r["state"] for r in fresh.execute_query("SHOW INDEXES YIELD name, state")[0]}
        assert indexes["milcoop_names"] == "ONLINE"
        assert "milcoop_resource_iri" in indexes
        # The transactional load of the same facts finds nothing to change: every node's labels
        # and properties and every relationship are exactly what it would have written, and the
        # history records no second version.
        again = load_into_neo4j(compiled, settings, SilentProgress(), verify=True)
        assert again.method == ""
        assert (again.nodes_created, again.nodes_updated, again.nodes_deleted) == (0, 0, 0)
        assert (again.relationships_created, again.relationships_deleted) == (0, 0)
        assert _count(fresh, "MATCH (v:DataVersion) RETURN count(v) AS n") == 1
        assert _count(fresh, "MATCH (d:ResourceDigest) RETURN count(d) AS n") == len(nodes)
        version = fresh.execute_query("MATCH (d:MilcoopDataset) RETURN d.version AS v")[0][0]["v"]
        assert version == compiled.version
    assert not (tmp_path / "neo4j-import").exists()


def test_a_database_that_holds_anything_is_never_replaced(
    importing_server: Any, driver: Driver, compiled: CompiledFacts, tmp_path: Path
) -> None:
    _empty(driver)
    driver.execute_query("CREATE (:SomebodyElses {note: 'not milcoop'})")
    summary = load_into_neo4j(compiled, _settings(importing_server, tmp_path), SilentProgress())
    assert summary.method == ""
    assert _count(driver, "MATCH (n:SomebodyElses) RETURN count(n) AS n") == 1
    assert summary.nodes_created == len(to_property_graph(compiled.graph)[0])


def test_a_failed_import_command_writes_nothing_and_the_next_load_is_clean(
    importing_server: Any, driver: Driver, compiled: CompiledFacts, tmp_path: Path
) -> None:
    _empty(driver)
    # What a load killed while writing the files leaves behind: the next load starts them again.
    (tmp_path / "neo4j-import").mkdir()
    (tmp_path / "neo4j-import" / "nodes-000.csv").write_text("half a file")
    with pytest.raises(LoadFailed, match="exit code 1"):
        load_into_neo4j(compiled, _settings(importing_server, tmp_path, command="false"), SilentProgress())
    assert _count(driver, "MATCH (n) RETURN count(n) AS n") == 0
    summary = load_into_neo4j(compiled, _settings(importing_server, tmp_path), SilentProgress())
    _reattach(importing_server)
    assert summary.method == "offline import"


def _import_folder(compiled: CompiledFacts, folder: Path, database: str = "neo4j") -> offline.ImportFolder:
    nodes, relationships = to_property_graph(compiled.graph)
    vocab = vocabulary()
    return offline.write_import_folder(
        plan_load(nodes, relationships, vocab),
        folder,
        database=database,
        data_version=compiled.version,
        history=None,
        vocab=vocab,
        progress=SilentProgress(),
    )


def test_an_importer_that_fails_leaves_the_database_as_it_was(
    importing_server: Any, driver: Driver, compiled: CompiledFacts, tmp_path: Path
) -> None:
    from tools.neo4j.neo4j_dev import Neo4jDevError

    _empty(driver)
    driver.execute_query("CREATE (:Kept {n: 1})")
    folder = _import_folder(compiled, tmp_path / "import").folder
    # A relationship to a node the files do not have: the importer refuses (bad tolerance 0).
    (folder / "relationships-000.csv").write_text(":START_ID(resource),:END_ID(resource)\nnowhere,nothing\n")
    with pytest.raises(Neo4jDevError, match="the database is as it was"):
        importing_server.offline_import(folder)
    assert importing_server.bolt_answers()
    with GraphDatabase.driver(importing_server.uri, auth=None) as fresh:
        assert _count(fresh, "MATCH (n) RETURN count(n) AS n") == 1
        assert _count(fresh, "MATCH (n:Kept) RETURN count(n) AS n") == 1


def test_an_import_killed_midway_leaves_the_database_and_the_next_import_clean(
    importing_server: Any, driver: Driver, compiled: CompiledFacts, tmp_path: Path
) -> None:
    _empty(driver)
    driver.execute_query("CREATE (:Kept {n: 2})")
    folder = _import_folder(compiled, tmp_path / "import").folder
    command = [str(DEV_TOOL), "import", "--home", str(importing_server.home), str(folder)]
    # An earlier failed import leaves its log; wait for this one's.
    shutil.rmtree(importing_server.home / "import-staging", ignore_errors=True)
    running = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = importing_server.home / "import-staging" / "import.log"
    deadline = time.monotonic() + 120
    try:
        # Kill the command and its importer once the importer has started writing.
        while not (log.exists() and log.stat().st_size > 0) and running.poll() is None:
            assert time.monotonic() < deadline, "the importer did not start within 120 s"
            time.sleep(0.05)
        assert running.poll() is None, "the import ended before it could be killed"
    finally:
        os.killpg(running.pid, signal.SIGKILL)
        running.wait(timeout=30)
    importing_server._proc = None
    assert not importing_server.attach()  # the import had stopped the server; nothing runs now
    importing_server.start()
    with GraphDatabase.driver(importing_server.uri, auth=None) as fresh:
        assert _count(fresh, "MATCH (n:Kept) RETURN count(n) AS n") == 1
        assert _count(fresh, "MATCH (n:Resource) RETURN count(n) AS n") == 0
        fresh.execute_query("MATCH (n) DETACH DELETE n")
    importing_server.offline_import(folder)
    with GraphDatabase.driver(importing_server.uri, auth=None) as fresh:
        assert _count(fresh, "MATCH (n:Resource) RETURN count(n) AS n") == folder_nodes(compiled)


def folder_nodes(compiled: CompiledFacts) -> int:
    return len(to_property_graph(compiled.graph)[0])


def test_a_swap_cut_short_is_finished_by_the_next_start(
    importing_server: Any, driver: Driver, compiled: CompiledFacts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _empty(driver)
    folder = _import_folder(compiled, tmp_path / "import").folder
    real_rename = Path.rename
    calls: list[Path] = []

    def rename_then_die(self: Path, target: Any) -> Path:
        # The first move (the live store aside) happens; the second (the staged one in) does not,
        # as if the machine stopped between them.
        calls.append(self)
        if len(calls) == 2:
            raise OSError("power lost between the two moves")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename_then_die)
    with pytest.raises(OSError, match="power lost"):
        importing_server.offline_import(folder)
    monkeypatch.undo()
    assert (importing_server.home / "import-swap.json").exists()
    importing_server.start()
    assert not (importing_server.home / "import-swap.json").exists()
    with GraphDatabase.driver(importing_server.uri, auth=None) as fresh:
        assert _count(fresh, "MATCH (n:Resource) RETURN count(n) AS n") == folder_nodes(compiled)


def test_values_without_an_exact_csv_form_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    # Made-up resources of fictional states (ISO 3166 user-assigned codes), for this test only.
    vocab = vocabulary()
    state = "https://w3id.org/milcoop/id/state/XAA"
    labels = vocab.labels_for_class(next(c for c, label in vocab.labels.items() if label == "State"))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": ""}, "empty string"),
        ({"name": "a\x1fb"}, "U+001F"),
        # In a list, the separator would split one alias into two.
        ({"aliases": ["a\x1fb"]}, "U+001F"),
        ({"aliases": ["a", ""]}, "empty string"),
        ({"aliases": []}, "empty list"),
    ]
    for bad, why in cases:
        node = NodeRecord(state, labels, {"iri": state, "id": "XAA", **bad})
        with pytest.raises(offline.ImportRefused, match=re.escape(why)):
            offline.write_import_folder(
                plan_load([node], [], vocab),
                tmp_path / "refused",
                database="neo4j",
                data_version="v",
                history=None,
                vocab=vocab,
                progress=SilentProgress(),
            )


def test_a_duplicate_id_within_a_label_is_refused_as_the_constraint_would() -> None:
    vocab = vocabulary()
    labels = vocab.labels_for_class(next(c for c, label in vocab.labels.items() if label == "State"))
    iris = [f"https://w3id.org/milcoop/id/state/{code}" for code in ("XAA", "XBB")]
    nodes = [NodeRecord(iri, labels, {"iri": iri, "id": "XAA"}) for iri in iris]
    with pytest.raises(LoadFailed, match="must be unique"):
        offline.check_offline_import(plan_load(nodes, [], vocab), vocab)


def test_the_files_carry_each_value_type_and_say_when_a_cell_breaks_a_line(tmp_path: Path) -> None:
    import csv
    import datetime as dt

    # Made-up resources of fictional states (ISO 3166 user-assigned codes), for this test only.
    vocab = vocabulary()
    labels = vocab.labels_for_class(next(c for c, label in vocab.labels.items() if label == "State"))
    first, second = (f"https://w3id.org/milcoop/id/state/{code}" for code in ("XAA", "XBB"))
    nodes = [
        NodeRecord(first, labels, {"iri": first, "id": "XAA", "name": 'Said "yes",\nthen no', "aliases": ["a;b", "c"]}),
        NodeRecord(second, labels, {"iri": second, "id": "XBB", "founded": dt.date(1990, 5, 1), "member": True}),
    ]
    written = offline.write_import_folder(
        plan_load(nodes, [], vocab), tmp_path / "f", database="neo4j", data_version="v", history=None,
        vocab=vocab, progress=SilentProgress(),
    )
    assert "--multiline-fields=true" in written.arguments
    assert written.arguments[-1] == "neo4j"
    (resources,) = [a for a in written.arguments if a.startswith("--nodes=Resource:State")]
    header_file, body_file = resources.split("=", 2)[2].split(",")
    header = next(csv.reader(Path(header_file).read_text(encoding="utf-8").splitlines()))
    assert header == ["iri:ID(resource)", "id:string", "name:string", "aliases:string[]", "founded:date", "member:boolean"]
    with Path(body_file).open(encoding="utf-8", newline="") as body:
        rows = list(csv.reader(body))
    assert rows[0] == [first, "XAA", 'Said "yes",\nthen no', "a;b\x1fc", "", ""]
    assert rows[1] == [second, "XBB", "", "", "1990-05-01", "true"]
    args = (tmp_path / "f" / offline.ADMIN_ARGUMENTS_FILE).read_text().splitlines()
    assert tuple(args) == written.arguments


def test_a_property_that_is_a_list_on_one_node_and_a_value_on_another_is_refused(tmp_path: Path) -> None:
    vocab = vocabulary()
    labels = vocab.labels_for_class(next(c for c, label in vocab.labels.items() if label == "State"))
    first, second = (f"https://w3id.org/milcoop/id/state/{code}" for code in ("XAA", "XBB"))
    nodes = [
        NodeRecord(first, labels, {"iri": first, "id": "XAA", "aliases": ["a"]}),
        NodeRecord(second, labels, {"iri": second, "id": "XBB", "aliases": "b"}),
    ]
    with pytest.raises(offline.ImportRefused, match="a list on some nodes"):
        offline.write_import_folder(
            plan_load(nodes, [], vocab), tmp_path / "f", database="neo4j", data_version="v", history=None,
            vocab=vocab, progress=SilentProgress(),
        )
