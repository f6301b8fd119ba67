"""``milcoop serve --workers N``: several processes answer on one port, the first-start load runs
once before them, each serves the same store and follows a load, and Ctrl-C stops them all.

Which process answered is read from the operating system (the worker holding the server's end of
the client's connection; tests/served.py), so the API need not say.
"""

from __future__ import annotations

import http.client
import os
import time
from pathlib import Path

import psutil
import pytest
from typer.testing import CliRunner

from milcoop.cli import app
from milcoop.loaders.curated import CompiledFacts, compile_facts
from milcoop.loaders.load import load_compiled
from milcoop.settings import MAX_DEFAULT_WORKERS, Settings, usable_cpus
from tests.conftest import DATA
from tests.served import request, served

FLOWS = "/v1/flows?from=DPRK&to=Russia&since=2023-01-01"

#: Most keep-alive connections opened to find each worker holding one (the kernel hands a new
#: connection to whichever worker accepts first, so a few may go to the same one).
MAX_CONNECTIONS = 40


def _by_worker(server_port: int, answering: object, seconds: float, want: int,
               paths: tuple[str, ...]) -> dict[int, dict[str, tuple[int, object]]]:
    """Open keep-alive connections until ``want`` distinct processes have answered ``paths`` on one
    each (bounded in count and time); per process, each path's status and JSON."""
    found: dict[int, dict[str, tuple[int, object]]] = {}
    connections: list[http.client.HTTPConnection] = []
    deadline = time.monotonic() + seconds
    try:
        while len(found) < want and len(connections) < MAX_CONNECTIONS and time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=20)
            connections.append(conn)
            answers = {}
            for path in paths:
                status, _, body = request(server_port, path, conn)
                answers[path] = (status, body)
            pid = answering(conn)  # type: ignore[operator]
            assert pid is not None, "no process holds the server's end of the connection"
            found.setdefault(pid, answers)
    finally:
        for conn in connections:
            conn.close()
    return found


def test_default_workers_follow_the_cpus_and_stay_single_with_a_rate_limit() -> None:
    plain = Settings.model_validate({"NEO4J_URI": ""})
    assert plain.worker_count == max(1, min(usable_cpus(), MAX_DEFAULT_WORKERS))
    # Rate-limit counters live in each process: several workers would multiply the limit.
    assert Settings.model_validate({"rate_limit": "10/second"}).worker_count == 1
    assert Settings.model_validate({"rate_limit": "10/second", "workers": 3}).worker_count == 3
    assert Settings.model_validate({"rate_limit": "off"}).worker_count == plain.worker_count


def test_zero_workers_is_refused_naming_the_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--workers", "0"], env={"MILCOOP_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert "--workers" in result.output
    assert not (tmp_path / "embedded").exists()  # refused before the first-start load


def test_two_workers_answer_from_both_follow_a_load_and_stop_cleanly(tmp_path: Path, bundled: CompiledFacts) -> None:
    data = tmp_path / "data"
    env = {"MILCOOP_DATA_DIR": str(data), "NEO4J_URI": "", "MILCOOP_RATE_LIMIT": ""}
    with served(env, "--workers", "2") as server:
        workers = server.workers()
        assert len(workers) == 2 and server.pid not in workers
        answers = _by_worker(server.port, server.answering, 60, 2, ("/healthz", FLOWS))
        assert set(answers) == workers, "both workers answer"
        bodies = list(answers.values())
        for each in bodies:
            assert each["/healthz"][0] == 200 and each[FLOWS][0] == 200
        # The same store in both: the data version the first start loaded, and the same flows.
        assert bodies[0]["/healthz"][1]["data_version"] == bodies[1]["/healthz"][1]["data_version"]  # type: ignore[index]
        assert bodies[0][FLOWS][1] == bodies[1][FLOWS][1]
        flows = bodies[0][FLOWS][1]
        assert "prk-rus-ammunition-2024" in {e["id"] for e in flows["items"]}  # type: ignore[index]

        # Answers on a keep-alive connection do not wait for the client's delayed ACK (at least
        # 40 ms on Linux; uvicorn's own shared socket left Nagle's algorithm on: milcoop/cli.py).
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
        try:
            times = []
            for _ in range(15):
                started = time.perf_counter()
                assert request(server.port, "/healthz", conn)[0] == 200
                times.append(time.perf_counter() - started)
        finally:
            conn.close()
        assert sorted(times)[len(times) // 2] < 0.025, f"median {sorted(times)[len(times) // 2] * 1000:.0f} ms"

        # The first-start load ran once, in the parent, before the workers started.
        server.stop()
        output = server.output
        assert output.count("loading the bundled facts first") == 1
        assert output.index("loading the bundled facts first") < output.index("Started server process")
        assert server.process.returncode == 0
        assert "Traceback" not in output
        for pid in workers:
            assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_every_worker_serves_a_new_load(tmp_path: Path, bundled: CompiledFacts) -> None:
    data = tmp_path / "data"
    settings = Settings.model_validate({"data_dir": data, "NEO4J_URI": ""})
    load_compiled(bundled, "embedded", settings)
    env = {"MILCOOP_DATA_DIR": str(data), "NEO4J_URI": "", "MILCOOP_RATE_LIMIT": ""}
    with served(env, "--workers", "2") as server:
        workers = server.workers()
        before = _by_worker(server.port, server.answering, 60, 2, ("/healthz",))
        assert set(before) == workers
        assert {a["/healthz"][1]["data_version"] for a in before.values()} == {bundled.version}  # type: ignore[index]
        # A load switches the store folder; each worker sees it on its next check (about a second).
        smaller = compile_facts([DATA / "sources.yaml", DATA / "reference"], shacl=False)
        load_compiled(smaller, "embedded", settings)
        deadline = time.monotonic() + 30
        seen: dict[int, str] = {}
        while time.monotonic() < deadline:
            after = _by_worker(server.port, server.answering, 10, 2, ("/healthz",))
            seen.update({pid: a["/healthz"][1]["data_version"] for pid, a in after.items()})  # type: ignore[index]
            if set(seen) == workers and set(seen.values()) == {smaller.version}:
                break
            seen = {pid: v for pid, v in seen.items() if v == smaller.version}
            time.sleep(0.5)
        assert set(seen) == workers and set(seen.values()) == {smaller.version}
        # And the flows of the new data (no events), from every worker.
        flows = _by_worker(server.port, server.answering, 30, 2, ("/v1/flows?from=DPRK",))
        assert {status for answers in flows.values() for status, _ in answers.values()} == {200}
        assert all(body["items"] == [] for a in flows.values() for _, body in a.values())  # type: ignore[index]


def test_workers_opening_one_store_at_once_build_its_event_index_once(tmp_path: Path, bundled: CompiledFacts) -> None:
    """Each worker opens the store itself; the first to need the event index builds it (holding a
    lock beside its file) and the others read what it wrote, instead of each scanning the store."""
    import threading

    from milcoop.graph.embedded.files import EmbeddedStore
    from milcoop.graph.embedded.index import EventIndex
    from milcoop.graph.embedded.store import EmbeddedGraphStore

    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": ""})
    load_compiled(bundled, "embedded", settings)
    openers = 4
    stores = [EmbeddedGraphStore(EmbeddedStore.open(tmp_path)) for _ in range(openers)]
    assert not stores[0].event_index_file.exists()
    start = threading.Barrier(openers)
    indexes: list[EventIndex] = []

    def open_index(store: EmbeddedGraphStore) -> None:
        start.wait(10)  # all at once, as workers starting together
        indexes.append(store.event_index())

    threads = [threading.Thread(target=open_index, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(indexes) == openers
    assert sum(index.built for index in indexes) == 1
    assert {len(index.events) for index in indexes} == {22}  # the bundled facts' events, in every copy
    assert stores[0].event_index_file.is_file()


@pytest.mark.neo4j
def test_two_workers_over_neo4j_each_with_its_own_driver_answer_alike(
    neo4j_settings: Settings, tmp_path: Path, bundled: CompiledFacts
) -> None:
    from tests.api.stores import neo4j_with_bundled

    settings = neo4j_with_bundled(neo4j_settings.model_copy(update={"data_dir": tmp_path / "data"}), bundled)
    env = {
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_USERNAME": settings.neo4j_username,
        "NEO4J_PASSWORD": settings.neo4j_password or os.environ.get("NEO4J_PASSWORD", "test"),
        "NEO4J_DATABASE": settings.neo4j_database,
        "MILCOOP_DATA_DIR": str(tmp_path / "data"),
        "MILCOOP_RATE_LIMIT": "",
    }
    with served(env, "--workers", "2") as server:
        workers = server.workers()
        answers = _by_worker(server.port, server.answering, 60, 2, ("/healthz", FLOWS))
        assert set(answers) == workers and len(workers) == 2
        bodies = list(answers.values())
        for each in bodies:
            assert each["/healthz"][0] == 200 and each[FLOWS][0] == 200
            assert each["/healthz"][1]["backend"] == "neo4j"  # type: ignore[index]
            assert each["/healthz"][1]["data_version"] == bundled.version  # type: ignore[index]
        assert bodies[0][FLOWS][1] == bodies[1][FLOWS][1]
        # Each worker holds its own connections to Neo4j (its own driver).
        bolt_port = int(settings.neo4j_uri.rsplit(":", 1)[1])
        for pid in workers:
            held = [c for c in psutil.Process(pid).net_connections(kind="tcp") if c.raddr and c.raddr.port == bolt_port]
            assert held, f"worker {pid} holds no connection to Neo4j"
        assert server.stop() == 0


def test_a_killed_worker_is_replaced_and_the_other_answers_meanwhile(tmp_path: Path) -> None:
    import signal

    env = {"MILCOOP_DATA_DIR": str(tmp_path / "data"), "NEO4J_URI": "", "MILCOOP_RATE_LIMIT": ""}
    with served(env, "--workers", "2") as server:
        workers = server.workers()
        assert len(workers) == 2
        killed = min(workers)
        os.kill(killed, signal.SIGKILL)
        # The survivor answers at once; the supervisor starts a replacement within a few seconds.
        deadline = time.monotonic() + 60
        answered = 0
        while time.monotonic() < deadline:
            status, _, _ = request(server.port, FLOWS)
            assert status == 200
            answered += 1
            now = server.workers()
            if len(now) == 2 and killed not in now:
                break
            time.sleep(0.5)
        now = server.workers()
        assert len(now) == 2 and killed not in now and (workers - {killed}) < now
        assert answered >= 1
        assert server.stop() == 0


@pytest.mark.parametrize("workers", ["1"])
def test_one_worker_serves_in_the_process_itself(tmp_path: Path, workers: str) -> None:
    env = {"MILCOOP_DATA_DIR": str(tmp_path / "data"), "NEO4J_URI": ""}
    with served(env, "--workers", workers) as server:
        assert server.workers() == {server.pid}
        status, _, _ = request(server.port, FLOWS)
        assert status == 200
