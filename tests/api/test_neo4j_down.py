"""Neo4j down, killed or hung: the API fails fast, keeps SPARQL and /healthz answering, never shows
Neo4j's address, and recovers by itself. ``serve`` starts while Neo4j is down.

The tests that kill a server start a private one (tools/neo4j) on a free port of their own,
never the session's. Everything stays on loopback, and every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from milcoop.cli import _first_start
from milcoop.loaders.curated import CompiledFacts
from milcoop.loaders.load import load_compiled
from milcoop.settings import Settings
from tests.api.stores import client_for, serving
from tools.neo4j.neo4j_dev import free_port

ASK = "ASK { ?s ?p ?o }"


def _down_settings(tmp_path: Path, bundled: CompiledFacts, uri: str) -> Settings:
    """Neo4j at ``uri`` as the store, and an embedded copy (for SPARQL) holding the bundled facts."""
    settings = Settings.model_validate({"data_dir": tmp_path / "data", "NEO4J_URI": uri, "NEO4J_PASSWORD": "x"})
    load_compiled(bundled, "embedded", settings)
    return settings


def _no_address(bodies: list[str], port: int) -> None:
    for body in bodies:
        assert "bolt://" not in body and f"127.0.0.1:{port}" not in body and f":{port}" not in body, body


def test_serve_starts_with_neo4j_down_and_answers_sparql_and_health(tmp_path: Path, bundled: CompiledFacts) -> None:
    port = free_port()  # nothing listens there
    settings = _down_settings(tmp_path, bundled, f"bolt://127.0.0.1:{port}")
    bodies: list[str] = []
    with client_for(settings) as api:  # create_app and its lifespan, with Neo4j down
        started = time.monotonic()
        first = api.get("/v1/treaties")
        first_seconds = time.monotonic() - started
        assert first.status_code == 503 and first.json()["message"] == "Neo4j is unavailable"
        assert first_seconds < 2.0, first_seconds
        for path in ("/v1/treaties", "/v1/flows?from=PRK&to=RUS", "/v1/entities?q=Korea", "/v1/sources"):
            started = time.monotonic()
            again = api.get(path)
            seconds = time.monotonic() - started
            bodies.append(again.text)
            assert again.status_code == 503 and again.json()["error"] == "unavailable"
            # The circuit is open, so the driver is not asked at all. Asking it would take at least
            # its first retry's wait (about 1 s, see the log above), so a shorter answer shows that
            # no connection was tried, without counting on how busy the machine is.
            assert seconds < 0.9, (path, seconds)
        health = api.get("/healthz")
        body = health.json()
        assert health.status_code == 200 and body["status"] == "degraded"
        assert body["detail"].startswith("Neo4j is unavailable") and "SPARQL answers" in body["detail"]
        assert body["sparql"] == {"status": "ok", "data_version": bundled.version, "detail": None}
        sparql = api.get("/v1/sparql", params={"query": ASK}, headers={"accept": "application/sparql-results+json"})
        assert sparql.status_code == 200 and sparql.json()["boolean"] is True
        cypher = api.post("/v1/cypher", json={"query": "RETURN 1"})
        assert cypher.status_code == 503
        bodies += [first.text, health.text, sparql.text, cypher.text]
    _no_address(bodies, port)


def test_health_is_unavailable_when_neither_neo4j_nor_sparql_answers(tmp_path: Path) -> None:
    port = free_port()
    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": f"bolt://127.0.0.1:{port}"})
    with client_for(settings) as api:
        health = api.get("/healthz")
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable" and health.json()["sparql"]["status"] == "unavailable"
    _no_address([health.text], port)


def test_first_start_with_neo4j_down_serves_at_once_and_waits_in_the_background(
    tmp_path: Path, bundled: CompiledFacts, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _down_settings(tmp_path, bundled, f"bolt://127.0.0.1:{free_port()}")
    stop = threading.Event()
    started = time.monotonic()
    waiting = _first_start(settings, 0, stop)
    try:
        assert time.monotonic() - started < 5.0
        assert waiting is not None and waiting.daemon and waiting.is_alive()
        assert "runs when Neo4j comes up" in capsys.readouterr().err
    finally:
        stop.set()
        if waiting is not None:
            waiting.join(15)
    assert waiting is not None and not waiting.is_alive()


# -- a private Neo4j, killed and hung ------------------------------------------------------------------


def _until_ok(http: httpx.Client, path: str, seconds: float) -> float:
    """Seconds until ``path`` answers 200 (polled every 0.1 s), failing after ``seconds``."""
    started = time.monotonic()
    while True:
        if http.get(path).status_code == 200:
            return time.monotonic() - started
        assert time.monotonic() - started < seconds, f"{path} did not answer 200 within {seconds} s"
        time.sleep(0.1)


@pytest.mark.neo4j
@pytest.mark.slow
def test_api_with_neo4j_down_killed_and_hung_fails_fast_and_recovers(tmp_path: Path, bundled: CompiledFacts) -> None:
    from tools.neo4j.neo4j_dev import DevNeo4j, Neo4jDevError

    if shutil.which("java") is None or shutil.which("mvn") is None:
        pytest.skip("java and mvn are needed to run a Neo4j of this test's own")
    server = DevNeo4j(home=tmp_path / "neo4j", port=free_port(), heap="1g", pagecache="128m")
    settings = _down_settings(tmp_path, bundled, server.uri)
    timings: dict[str, float] = {}
    bodies: list[str] = []
    stop = threading.Event()
    stopped_pid: int | None = None

    def timed(http: httpx.Client, name: str, path: str) -> httpx.Response:
        started = time.monotonic()
        response = http.get(path)
        timings[name] = round(time.monotonic() - started, 3)
        bodies.append(response.text)
        return response

    try:
        # -- serve while Neo4j has never started: the first-start check waits in the background
        waiting = _first_start(settings, 0, stop)
        assert waiting is not None
        with serving(settings, startup_seconds=30) as base, httpx.Client(base_url=base, timeout=30) as http:
            assert timed(http, "503, never started", "/v1/treaties").status_code == 503
            assert timed(http, "503 again, never started", "/v1/treaties").status_code == 503
            assert timed(http, "healthz, never started", "/healthz").json()["status"] == "degraded"
            assert timed(http, "sparql, never started", f"/v1/sparql?query={ASK}").status_code == 200

            # -- Neo4j comes up empty: the bundled facts are loaded, the API answers by itself
            try:
                server.start()
            except Neo4jDevError as exc:  # pragma: no cover - environment problem
                from tests.neo4j_fixtures import _unavailable

                _unavailable(str(exc))
            waiting.join(120)
            assert not waiting.is_alive(), "the first-start check did not run when Neo4j came up"
            timings["answers after the first-start load"] = round(_until_ok(http, "/v1/treaties", 30), 3)
            assert timed(http, "healthz, up", "/healthz").json()["status"] == "ok"

            # -- killed
            server.kill()
            killed = timed(http, "503 after kill", "/v1/treaties")
            assert killed.status_code == 503 and killed.json()["message"] == "Neo4j is unavailable"
            assert timed(http, "503 again after kill", "/v1/flows?from=PRK&to=RUS").status_code == 503
            health = timed(http, "healthz after kill", "/healthz")
            assert health.status_code == 200 and health.json()["status"] == "degraded"
            assert timed(http, "sparql after kill", f"/v1/sparql?query={ASK}").status_code == 200
            assert timings["503 after kill"] < 2.0 and timings["503 again after kill"] < 0.5
            assert timings["healthz after kill"] < 1.0

            # -- back: the circuit closes by itself
            server.start()
            timings["recovered after restart"] = round(_until_ok(http, "/v1/treaties", 10), 3)
            assert timed(http, "healthz, back", "/healthz").json()["status"] == "ok"

            # -- hung: the JVM stops answering but keeps its connections open
            assert server.pid is not None
            stopped_pid = server.pid
            os.killpg(stopped_pid, signal.SIGSTOP)
            results: list[tuple[int, float]] = []

            def request() -> None:
                started = time.monotonic()
                with httpx.Client(base_url=base, timeout=30) as own:
                    status = own.get("/v1/flows", params={"from": "PRK", "to": "RUS"}).status_code
                results.append((status, time.monotonic() - started))

            # More requests than FastAPI's shared pool has threads (40): all of them wait for Neo4j.
            crowd = [threading.Thread(target=request) for _ in range(48)]
            for thread in crowd:
                thread.start()
            time.sleep(0.3)
            sparql = timed(http, "sparql while 48 requests wait on a hung Neo4j", f"/v1/sparql?query={ASK}")
            assert sparql.status_code == 200
            for thread in crowd:
                thread.join(30)
            assert len(results) == 48 and {status for status, _ in results} == {503}
            timings["slowest of 48 requests on a hung Neo4j"] = round(max(seconds for _, seconds in results), 3)
            assert timings["sparql while 48 requests wait on a hung Neo4j"] < 1.5
            # Each waits at most its deadline (2 s) or until a probe (at most 2 s more) finds the
            # hang, plus its turn for a thread: never the server's two-minute read timeout.
            assert timings["slowest of 48 requests on a hung Neo4j"] < 10.0
            hung = timed(http, "503 once the hang is known", "/v1/treaties")
            assert hung.status_code == 503 and timings["503 once the hang is known"] < 0.5
            assert timed(http, "healthz, hung", "/healthz").json()["status"] == "degraded"
            assert timings["healthz, hung"] < 1.0

            os.killpg(stopped_pid, signal.SIGCONT)
            stopped_pid = None
            timings["recovered after the hang"] = round(_until_ok(http, "/v1/treaties", 10), 3)
    finally:
        stop.set()
        if stopped_pid is not None:
            os.killpg(stopped_pid, signal.SIGCONT)
        server.stop()
        print("neo4j-down timings (s):", timings)  # the measured figures, shown with -s
    _no_address(bodies, server.port)
