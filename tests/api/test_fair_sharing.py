"""Fair sharing of the SPARQL workers, and request bodies refused before they are read whole.

Over HTTP against a real uvicorn on 127.0.0.1 (the ``live_server`` fixture), with the worker
sizing the settings derive from this machine. Every loop is bounded in count and time.
"""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from milcoop.api.access.errors import BodyTooLarge
from milcoop.api.access.keys import KeysFile
from milcoop.api.access.middleware import BodyLimitMiddleware
from milcoop.api.routers.sparql import endpoint_of
from milcoop.graph.embedded.sparql_endpoint import ClientShareExceeded, QueueFull, SparqlEndpoint
from milcoop.loaders.curated import CompiledFacts
from milcoop.settings import Settings
from tests.api.stores import embedded_settings

#: Every triple joined with every triple, three times over: billions of rows.
CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ASK = "ASK { ?s ?p ?o }"
TIMEOUT = 5.0
FLOOD = 20


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Settings:
    base = embedded_settings(tmp_path_factory.mktemp("fair"), bundled)
    return base.model_copy(update={"auth": "keys", "sparql_timeout_seconds": TIMEOUT})


@pytest.fixture(scope="module")
def keys(settings: Settings) -> dict[str, str]:
    made = {}
    for name in ("flooder", "neighbour"):
        made[name], _ = KeysFile(settings.keys_path).create(name, ["read", "sparql"])
    return made


def _ask(client: httpx.Client, key: str) -> float:
    started = time.perf_counter()
    response = client.get("/v1/sparql", params={"query": ASK}, headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    assert response.json()["boolean"] is True
    return time.perf_counter() - started


def _flows(client: httpx.Client, key: str) -> float:
    started = time.perf_counter()
    response = client.get("/v1/flows", params={"from": "PRK"}, headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    return time.perf_counter() - started


def test_one_key_flooding_sparql_leaves_a_worker_for_another_key(
    settings: Settings, keys: dict[str, str], live_server: str
) -> None:
    flooder, neighbour = keys["flooder"], keys["neighbour"]
    workers, share = settings.sparql_worker_count, settings.sparql_client_share
    assert share < workers, "the default share must leave a worker to the other clients"
    # The server runs in this process, so the clients are made before anything is timed (each new
    # httpx client builds a TLS context, tens of milliseconds of CPU under the server's GIL).
    flood_client = httpx.Client(base_url=live_server, timeout=60, limits=httpx.Limits(max_connections=FLOOD))
    client = httpx.Client(base_url=live_server, timeout=60)
    # The server's endpoint says whether the flood holds its share while the neighbour is timed.
    endpoint = endpoint_of(settings)
    try:
        # Start every worker first (they start on first use, which is not what is measured):
        # as many concurrent queries as workers, each key within its share.
        callers = [flooder] * share + [neighbour] * (workers - share)
        with ThreadPoolExecutor(len(callers)) as pool:
            list(pool.map(lambda key: _ask(flood_client, key), callers))
        assert endpoint.load()["idle"] == workers
        baseline = statistics.median(_ask(client, neighbour) for _ in range(7))
        flows_baseline = statistics.median(_flows(client, neighbour) for _ in range(5))

        statuses: Counter[int] = Counter()
        messages: dict[int, str] = {}

        def heavy(_: int) -> None:
            response = flood_client.get("/v1/sparql", params={"query": CROSS_JOIN}, headers={"X-API-Key": flooder})
            statuses[response.status_code] += 1
            messages.setdefault(response.status_code, response.json()["message"])

        loaded: list[float] = []
        loaded_flows: list[float] = []
        samples: list[dict[str, int]] = []
        flood_started = time.monotonic()
        with ThreadPoolExecutor(FLOOD) as pool:
            futures = [pool.submit(heavy, i) for i in range(FLOOD)]
            # Timed only while the flooder holds its whole share of the workers (its first
            # queries run until the time limit kills them).
            deadline = time.monotonic() + TIMEOUT
            while (len(loaded) < 5 or len(loaded_flows) < 3) and time.monotonic() < deadline:
                samples.append(endpoint.load())
                if samples[-1]["running"] < share:
                    time.sleep(0.02)
                elif len(loaded) <= len(loaded_flows) or len(loaded_flows) >= 3:
                    loaded.append(_ask(client, neighbour))
                else:
                    loaded_flows.append(_flows(client, neighbour))
            for future in futures:
                future.result(timeout=TIMEOUT * 10)
        flood_seconds = time.monotonic() - flood_started
    finally:
        flood_client.close()
        client.close()

    assert len(loaded) == 5 and len(loaded_flows) == 3, (loaded, loaded_flows, samples[::10])
    print(
        f"\nworkers={workers} share={share} queue={settings.sparql_queue_size}; "
        f"ASK baseline median {baseline * 1000:.1f} ms, under the flood median {statistics.median(loaded) * 1000:.1f} "
        f"ms, max {max(loaded) * 1000:.1f} ms; /v1/flows baseline {flows_baseline * 1000:.1f} ms, under the flood "
        f"median {statistics.median(loaded_flows) * 1000:.1f} ms, max {max(loaded_flows) * 1000:.1f} ms; "
        f"flood answers {dict(statuses)} in {flood_seconds:.1f} s"
    )
    # The neighbour was answered in its normal time (a generous multiple: the machine is shared),
    # far from the time limit it would have waited for if the flood held every worker.
    assert statistics.median(loaded) < max(20 * baseline, 1.0), (loaded, baseline)
    assert max(loaded) < TIMEOUT, loaded
    assert statistics.median(loaded_flows) < max(20 * flows_baseline, 1.0), (loaded_flows, flows_baseline)
    # The flooder got its share and no more: everything past share running + share waiting was
    # refused at once with 429 and a message saying why; none of its cross joins finished.
    assert sum(statuses.values()) == FLOOD and 200 not in statuses
    assert statuses[429] >= FLOOD - 2 * share
    assert "share" in messages[429] and "MILCOOP_SPARQL_PER_CLIENT" in messages[429]
    assert set(statuses) <= {429, 503}


def test_a_refusal_for_the_share_or_a_full_queue_comes_at_once_with_retry_after(
    settings: Settings, keys: dict[str, str], live_server: str
) -> None:
    share = settings.sparql_client_share
    started = time.monotonic()

    def heavy(_: int) -> httpx.Response:
        return httpx.get(
            f"{live_server}/v1/sparql", params={"query": CROSS_JOIN}, headers={"X-API-Key": keys["flooder"]}, timeout=60
        )

    with ThreadPoolExecutor(2 * share + 1) as pool:
        futures = [pool.submit(heavy, i) for i in range(2 * share + 1)]
        first = next(iter(_as_completed(futures, TIMEOUT * 10)))
        refused_after = time.monotonic() - started
    refused = first.result()
    assert refused.status_code == 429, refused.text
    assert refused.headers["retry-after"].isdigit()
    assert refused.json()["error"] == "too_many_requests"
    # The refusal came at once, long before any of the heavy queries could have finished.
    assert refused_after < TIMEOUT, refused_after


def _as_completed(futures: list[Any], timeout: float) -> Iterator[Any]:
    from concurrent.futures import as_completed

    yield from as_completed(futures, timeout=timeout)


# -- the pool's rules, without workers ---------------------------------------------------------------


def test_the_pool_refuses_past_the_share_and_the_queue_and_serves_newcomers_first(tmp_path: Path) -> None:
    endpoint = SparqlEndpoint(tmp_path, timeout=5, max_results=10, workers=2, per_client=1, queue_size=2)
    try:
        a1 = endpoint.admit("a")  # granted a worker
        a2 = endpoint.admit("a")  # waits: a has its share running
        with pytest.raises(ClientShareExceeded, match="share"):
            endpoint.admit("a")
        b1 = endpoint.admit("b")  # the second worker
        assert (a1.state, a2.state, b1.state) == ("granted", "waiting", "granted")
        c1 = endpoint.admit("c")  # waits: both workers busy; the queue holds a2 and c1
        with pytest.raises(QueueFull, match="MILCOOP_SPARQL_QUEUE"):
            endpoint.admit("d")
        # When b's worker frees, c (nothing running) goes before a's second query (a has one
        # running), although a's came first.
        endpoint.withdraw(b1)
        assert (c1.state, a2.state) == ("granted", "waiting")
        endpoint.withdraw(a1)
        assert a2.state == "granted"
        for ticket in (a2, c1):
            endpoint.withdraw(ticket)
        assert endpoint.load() == {"running": 0, "waiting": 0, "idle": 2}
    finally:
        endpoint.close()


# -- request bodies -----------------------------------------------------------------------------------

BIG = 50_000_000
CHUNK = b"x" * 65_536


def _rss() -> int:
    try:
        import psutil
    except ImportError:  # Linux without psutil
        with open(f"/proc/{os.getpid()}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return int(psutil.Process().memory_info().rss)


class _PeakRss:
    """The highest resident size of this process (the live server runs in it) while in use."""

    def __init__(self) -> None:
        self.before = _rss()
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def _post_raw(base: str, path: str, headers: dict[str, str], body_chunks: Iterator[bytes], seconds: float = 30) -> tuple[
    int, bytes, int
]:
    """POST over a plain socket, sending the body until the server answers; the answer's status,
    its bytes, and how many body bytes were sent before it came."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=seconds)
    answer = bytearray()
    answered = threading.Event()

    def read() -> None:
        try:
            while True:
                data = sock.recv(65_536)
                if not data:
                    break
                answer.extend(data)
                if b"\r\n\r\n" in answer:
                    answered.set()
        except OSError:
            pass
        answered.set()

    reader = threading.Thread(target=read, daemon=True)
    sent = 0
    deadline = time.monotonic() + seconds
    try:
        head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall((head + "\r\n").encode())
        reader.start()
        for chunk in body_chunks:
            if answered.is_set() or time.monotonic() > deadline:
                break
            try:
                sock.sendall(chunk)
            except OSError:  # the server answered and closed: the rest was never read
                break
            sent += len(chunk)
        answered.wait(max(0.0, deadline - time.monotonic()))
        time.sleep(0.1)  # the rest of the answer's body
    finally:
        sock.close()
        reader.join(5)
    status_line = bytes(answer).split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 "), bytes(answer[:200])
    return int(status_line.split()[1]), bytes(answer), sent


def _declared(total: int) -> Iterator[bytes]:
    for _ in range(total // len(CHUNK)):
        yield CHUNK


def _chunked(total: int) -> Iterator[bytes]:
    frame = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n"
    for _ in range(total // len(CHUNK)):
        yield frame
    yield b"0\r\n\r\n"


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
@pytest.mark.parametrize("content_type", ["application/sparql-query", "application/x-www-form-urlencoded"])
def test_a_50_mb_post_is_refused_with_413_and_never_read_whole(
    settings: Settings, keys: dict[str, str], live_server: str, framing: str, content_type: str
) -> None:
    headers = {"X-API-Key": keys["neighbour"], "Content-Type": content_type, "Connection": "close"}
    if framing == "content-length":
        headers["Content-Length"] = str(BIG)
        chunks = _declared(BIG)
    else:
        headers["Transfer-Encoding"] = "chunked"
        chunks = _chunked(BIG)
    with _PeakRss() as rss:
        status, answer, sent = _post_raw(live_server, "/v1/sparql", headers, chunks)
    growth = rss.peak - rss.before
    print(f"\n{framing} {content_type}: {status} after {sent} bytes sent; RSS {rss.before >> 20} MiB before, "
          f"peak {rss.peak >> 20} MiB (+{growth / (1 << 20):.1f} MiB)")
    assert status == 413
    assert b"payload_too_large" in answer and b"400000 bytes" in answer
    # Nowhere near the 50 MB it would take to hold the body.
    assert growth < 20 << 20
    assert sent < BIG


def test_the_body_limit_hands_the_app_no_more_than_the_limit() -> None:
    """The middleware alone, over an app that reads every byte it is given."""
    import asyncio

    limit = 100_000
    seen = {"bytes": 0}

    async def greedy(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            seen["bytes"] += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read it all"})

    async def call() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        remaining = 500  # 500 chunks of 64 KiB: 32 MB offered

        async def receive() -> dict[str, Any]:
            nonlocal remaining
            remaining -= 1
            return {"type": "http.request", "body": CHUNK, "more_body": remaining > 0}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/x", "headers": [], "query_string": b""}
        await BodyLimitMiddleware(greedy, limit)(scope, receive, send)
        return sent

    sent = asyncio.run(call())
    assert sent[0]["status"] == 413
    assert seen["bytes"] <= limit
    assert str(limit).encode() in sent[1]["body"]
    assert issubclass(BodyTooLarge, Exception)
