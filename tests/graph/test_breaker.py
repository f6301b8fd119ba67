"""The Neo4j circuit breaker on its own (graph/neo4j/breaker.py), with stand-ins for Neo4j.

Each test is bounded to a few seconds and stops its circuit, so no prober outlives it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from milcoop.graph.errors import StoreError
from milcoop.graph.neo4j import breaker
from milcoop.graph.neo4j.breaker import Circuit
from milcoop.graph.neo4j.driver import PUBLIC_UNAVAILABLE, Neo4jUnavailable, QueryRefused, QueryTimedOut


class FakeNeo4j:
    """A server that is up, down or hung, as a probe sees it."""

    def __init__(self) -> None:
        self.up = True
        self.hanging = False
        self.released = threading.Event()
        self.probes = 0

    def probe(self) -> None:
        self.probes += 1
        if self.hanging:
            self.released.wait(30)  # like a read on a stopped server, until the test releases it
        if not self.up:
            raise Neo4jUnavailable("cannot reach Neo4j at bolt://10.0.0.7:7687 (probe): refused")


@pytest.fixture()
def fake() -> FakeNeo4j:
    return FakeNeo4j()


@pytest.fixture()
def circuit(fake: FakeNeo4j, monkeypatch: pytest.MonkeyPatch) -> Iterator[Circuit]:
    monkeypatch.setattr(breaker, "PROBE_FIRST_SECONDS", 0.05)
    monkeypatch.setattr(breaker, "PROBE_MAX_SECONDS", 0.2)
    made = Circuit(fake.probe, probe_timeout=0.3, workers=4)
    try:
        yield made
    finally:
        fake.released.set()
        made.close()


def _timed_out() -> StoreError:
    return QueryTimedOut(1.0, "test")


def _down() -> int:
    raise Neo4jUnavailable("cannot reach Neo4j at bolt://10.0.0.7:7687 (answer): connection refused")


def _wait_for(condition: object, seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def test_breaker_passes_answers_and_server_refusals_through(circuit: Circuit) -> None:
    assert circuit.call(lambda: 42, 1.0, _timed_out) == 42

    def refused() -> int:
        raise QueryRefused("Neo4j refused to answer (Neo.ClientError.Statement.SyntaxError): bad", "x", "bad")

    with pytest.raises(QueryRefused):
        circuit.call(refused, 1.0, _timed_out)
    with pytest.raises(QueryTimedOut):  # the server stopped a query at its limit: it is up
        circuit.call(lambda: (_ for _ in ()).throw(QueryTimedOut(1.0)), 1.0, _timed_out)
    assert circuit.state == "closed"


def test_breaker_opens_on_an_unreachable_neo4j_and_then_fails_at_once(circuit: Circuit, fake: FakeNeo4j) -> None:
    fake.up = False
    with pytest.raises(Neo4jUnavailable) as first:
        circuit.call(_down, 1.0, _timed_out)
    assert circuit.state == "open"
    assert first.value.public == PUBLIC_UNAVAILABLE and first.value.logged
    assert "10.0.0.7" in (circuit.reason or "")  # the detail is kept for the log

    calls = []
    for _ in range(100):
        with pytest.raises(Neo4jUnavailable) as fast:
            circuit.call(lambda: calls.append(1), 1.0, _timed_out)
        assert fast.value.public == PUBLIC_UNAVAILABLE
    assert calls == []  # nothing was sent while open


def test_breaker_closes_by_itself_when_a_probe_answers(circuit: Circuit, fake: FakeNeo4j) -> None:
    fake.up = False
    with pytest.raises(Neo4jUnavailable):
        circuit.call(_down, 1.0, _timed_out)
    _wait_for(lambda: fake.probes >= 3)  # it keeps probing while Neo4j stays down
    assert circuit.state == "open"
    fake.up = True
    back = time.monotonic()
    _wait_for(lambda: circuit.state == "closed")
    # Within the longest interval and a probe (0.5 s), with room for a busy machine: what this
    # guards against is the circuit staying open until a request happens to come.
    assert time.monotonic() - back < 2.0
    assert circuit.call(lambda: "again", 1.0, _timed_out) == "again"


def test_breaker_releases_callers_already_waiting_when_it_opens(circuit: Circuit, fake: FakeNeo4j) -> None:
    fake.up = False
    release = threading.Event()
    outcome: list[float] = []

    def slow() -> int:
        release.wait(5)
        return 1

    def waiter() -> None:
        started = time.monotonic()
        with pytest.raises(Neo4jUnavailable):
            circuit.call(slow, 5.0, _timed_out)
        outcome.append(time.monotonic() - started)

    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.1)
    with pytest.raises(Neo4jUnavailable):
        circuit.call(_down, 1.0, _timed_out)
    thread.join(3)
    release.set()
    assert outcome and outcome[0] < 1.0  # not the five seconds of its own deadline


def test_breaker_deadline_on_a_hung_neo4j_opens_the_circuit(circuit: Circuit, fake: FakeNeo4j) -> None:
    fake.hanging = True  # neither the query nor a probe gets an answer
    stuck = threading.Event()

    started = time.monotonic()
    with pytest.raises(QueryTimedOut):
        circuit.call(lambda: stuck.wait(10), 0.3, _timed_out)
    assert time.monotonic() - started < 2.0  # the 0.3 s deadline, not the work's 10 s
    _wait_for(lambda: circuit.state == "open", 2.0)  # the probe did not answer within its 0.3 s
    with pytest.raises(Neo4jUnavailable):
        circuit.call(lambda: 1, 1.0, _timed_out)
    fake.hanging = False
    fake.released.set()
    stuck.set()
    _wait_for(lambda: circuit.state == "closed", 3.0)


def test_breaker_deadline_on_a_slow_query_keeps_the_circuit_closed(circuit: Circuit, fake: FakeNeo4j) -> None:
    release = threading.Event()
    with pytest.raises(QueryTimedOut):
        circuit.call(lambda: release.wait(5), 0.2, _timed_out)
    _wait_for(lambda: fake.probes >= 1)
    time.sleep(0.1)
    assert circuit.state == "closed"  # the probe answered: only that query was slow
    release.set()


def test_breaker_threads_are_daemons_and_close_stops_probing(fake: FakeNeo4j) -> None:
    made = Circuit(fake.probe, probe_timeout=0.3, workers=2)
    fake.up = False
    with pytest.raises(Neo4jUnavailable):
        made.call(_down, 1.0, _timed_out)
    ours = [t for t in threading.enumerate() if t.name.startswith("milcoop-neo4j")]
    assert ours and all(t.daemon for t in ours)
    made.close()
    _wait_for(lambda: not any(t.name == "milcoop-neo4j-prober" and t.is_alive() for t in threading.enumerate()))
    with pytest.raises(Neo4jUnavailable):
        made.call(lambda: 1, 1.0, _timed_out)


def test_breaker_probes_early_for_a_call_with_a_long_deadline(circuit: Circuit, fake: FakeNeo4j) -> None:
    fake.hanging = True
    stuck = threading.Event()
    started = time.monotonic()
    with pytest.raises(Neo4jUnavailable):  # released when the probe fails, long before 10 s
        circuit.call(lambda: stuck.wait(10), 10.0, _timed_out, suspect_after=0.2)
    assert time.monotonic() - started < 3.0  # suspected after 0.2 s and probed, not 10 s
    fake.hanging = False
    fake.released.set()
    stuck.set()
    _wait_for(lambda: circuit.state == "closed", 3.0)
    assert circuit.generation == 1  # closed again once: a new server may have to plan afresh
