"""Scale-out: two API processes against one Neo4j, behind a plain round-robin on loopback.

The API keeps no state of its own against Neo4j (each process has its driver and its circuit
breaker; the data lives in Neo4j), so any number of processes behind a load balancer answer
alike. Checked here with two ``milcoop serve`` processes, each with its own data folder (as on two
machines), one through a ``bolt://`` URI and one through a ``neo4j://`` routing URI (how a cluster
or Aura is reached; a single server routes to itself), behind tests/roundrobin.py:

* both answer through the proxy, with identical answers;
* a load through one (``milcoop load`` with its settings) is served by the other at once;
* with one killed, the proxy skips it and every request is still answered by the other.

The facts the test loads are made up (fictional states XAA, XAB: tests/fixtures/cases/open-start.yaml).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from milcoop.loaders.curated import CompiledFacts, compile_facts
from milcoop.loaders.load import load_compiled
from milcoop.settings import Settings
from tests.api.stores import neo4j_with_bundled
from tests.roundrobin import RoundRobin
from tests.served import Served, request, served

pytestmark = pytest.mark.neo4j

CASE = Path(__file__).resolve().parent.parent / "fixtures" / "cases" / "open-start.yaml"
FLOWS = "/v1/flows?from=DPRK&to=Russia&since=2023-01-01"
FICTIONAL_FLOWS = "/v1/flows?from=XAA&to=XAB"
#: Requests sent through the proxy in each phase (each on a connection of its own).
ROUNDS = 12


def _env(settings: Settings, data_dir: Path, uri: str) -> dict[str, str]:
    return {
        "NEO4J_URI": uri,
        "NEO4J_USERNAME": settings.neo4j_username,
        "NEO4J_PASSWORD": settings.neo4j_password or os.environ.get("NEO4J_PASSWORD", "test"),
        "NEO4J_DATABASE": settings.neo4j_database,
        "MILCOOP_DATA_DIR": str(data_dir),
        "MILCOOP_RATE_LIMIT": "",
    }


def _routing(uri: str) -> str:
    """The same server through a routing URI (``neo4j://``), as a cluster or Aura is given."""
    scheme, _, rest = uri.partition("://")
    return f"neo4j://{rest}" if scheme in ("bolt", "neo4j") else uri


def _through(proxy: RoundRobin, path: str, rounds: int = ROUNDS) -> list[tuple[int, object]]:
    return [request(proxy.port, path)[::2] for _ in range(rounds)]  # type: ignore[misc]


def test_two_api_processes_behind_a_round_robin_against_one_neo4j(
    neo4j_settings: Settings, tmp_path: Path, bundled: CompiledFacts
) -> None:
    settings_a = neo4j_settings.model_copy(update={"data_dir": tmp_path / "a"})
    neo4j_with_bundled(settings_a, bundled)
    env_a = _env(settings_a, tmp_path / "a", settings_a.neo4j_uri)
    env_b = _env(settings_a, tmp_path / "b", _routing(settings_a.neo4j_uri))
    proxy: RoundRobin | None = None
    try:
        with served(env_a, "--workers", "1") as a, served(env_b, "--workers", "1") as b:
            proxy = RoundRobin([a.port, b.port])

            # Both answer through the proxy, and alike.
            answers = _through(proxy, FLOWS)
            assert proxy.connections == {a.port: ROUNDS // 2, b.port: ROUNDS // 2}
            assert {status for status, _ in answers} == {200}
            first = answers[0][1]
            assert all(body == first for _, body in answers)
            assert "prk-rus-ammunition-2024" in {e["id"] for e in first["items"]}  # type: ignore[index]
            health = _through(proxy, "/healthz", 2)
            assert [body["data_version"] for _, body in health] == [bundled.version] * 2  # type: ignore[index]

            # A page's cursor from one process gives the next page from the other: nothing is kept
            # between requests.
            _, _, first_page = request(a.port, FLOWS + "&limit=2")
            cursor = first_page["next_cursor"]
            assert cursor is not None
            next_a = request(a.port, f"{FLOWS}&limit=2&cursor={cursor}")[2]
            next_b = request(b.port, f"{FLOWS}&limit=2&cursor={cursor}")[2]
            assert next_b == next_a and next_b["items"] and next_b["items"] != first_page["items"]

            # A load through A (its settings, its data folder) is what B serves too.
            assert request(b.port, FICTIONAL_FLOWS)[0] == 404  # XAA is not in the bundled facts
            case = compile_facts([CASE])
            load_compiled(case, "neo4j", settings_a)
            for port in (a.port, b.port):
                status, body = _once_current(port, FICTIONAL_FLOWS)
                assert status == 200, body
                assert len(body["items"]) == 5  # every flow of the case, from either process
            answers = _through(proxy, FICTIONAL_FLOWS)
            assert {status for status, _ in answers} == {200}
            assert all(body == answers[0][1] for _, body in answers)
            # SPARQL answers from each process's embedded copy, which only the loading one refreshed:
            # /healthz says so (docs/scaling.md: where SPARQL is served from when scaling out).
            health_a, health_b = request(a.port, "/healthz")[2], request(b.port, "/healthz")[2]
            assert health_a["data_version"] == health_b["data_version"] == case.version
            assert health_a["sparql"]["data_version"] == case.version
            assert health_b["sparql"]["data_version"] == bundled.version

            # A dies: the proxy skips it, and B answers every request.
            served_before = proxy.connections[b.port]
            a.kill()
            answers = _through(proxy, FICTIONAL_FLOWS)
            assert {status for status, _ in answers} == {200}
            assert proxy.skipped[a.port] >= ROUNDS // 2
            assert proxy.connections[b.port] == served_before + ROUNDS
            assert b.process.poll() is None
            assert _stopped_cleanly(b)
    finally:
        if proxy is not None:
            proxy.close()
        neo4j_with_bundled(settings_a, bundled)  # the session's Neo4j back to the bundled facts


def _once_current(port: int, path: str, seconds: float = 10) -> tuple[int, Any]:
    """``path``'s answer once the process has read the new data version (it trusts the one it read
    for VERSION_TTL_SECONDS, 2 s), bounded in time."""
    deadline = time.monotonic() + seconds
    while True:
        status, _, body = request(port, path)
        if status == 200 or time.monotonic() > deadline:
            return status, body
        time.sleep(0.5)


def _stopped_cleanly(server: Served) -> bool:
    code = server.stop()
    return code == 0 and "Traceback" not in server.output
