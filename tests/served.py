"""``milcoop serve`` as its own process on a free loopback port, for the tests of worker processes
and of several API processes (tests/api/test_workers.py, tests/api/test_scale_out.py).

Every wait is bounded, and a server is always stopped (SIGINT, then SIGKILL after a grace period).
Which worker process answered a request is read from the operating system, not from the answer:
the worker holding the server's end of the client's TCP connection (psutil), so the API says
nothing about its processes.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psutil

from tools.neo4j.neo4j_dev import free_port

ROOT = Path(__file__).resolve().parent.parent
MILCOOP = str(Path(sys.executable).parent / "milcoop")


class Served:
    """One ``milcoop serve`` process (and its workers) on 127.0.0.1:``port``."""

    def __init__(self, env: Mapping[str, str], *args: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [MILCOOP, "serve", "--host", "127.0.0.1", "--port", str(self.port), *args],
            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.output = ""

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_until_healthy(self, seconds: float = 90) -> None:
        """Until /healthz answers 200 (the first start may load the bundled facts first)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                status, _, _ = request(self.port, "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise AssertionError(f"milcoop serve exited with {self.process.returncode}: {self.read_output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"milcoop serve did not answer /healthz within {seconds:g} s")
            time.sleep(0.3)

    def workers(self) -> set[int]:
        """The worker processes now alive (the parent's children that hold the listening port, or the
        parent itself when it serves alone)."""
        found = set()
        for process in [psutil.Process(self.pid), *psutil.Process(self.pid).children()]:
            try:
                if any(c.laddr and c.laddr.port == self.port and c.status == psutil.CONN_LISTEN
                       for c in process.net_connections(kind="tcp")):
                    found.add(process.pid)
            except psutil.NoSuchProcess:
                continue
        if len(found) > 1:
            found.discard(self.pid)  # the parent holds the socket its workers accept on
        return found

    def answering(self, conn: http.client.HTTPConnection) -> int | None:
        """The process that holds the server's end of ``conn`` (an open keep-alive connection)."""
        assert conn.sock is not None
        local = conn.sock.getsockname()[1]
        for pid in self.workers() | {self.pid}:
            try:
                for c in psutil.Process(pid).net_connections(kind="tcp"):
                    if c.laddr and c.laddr.port == self.port and c.raddr and c.raddr.port == local:
                        return pid
            except psutil.NoSuchProcess:
                continue
        return None

    def stop(self, seconds: float = 30) -> int:
        """SIGINT (Ctrl-C), then SIGKILL if it has not exited within ``seconds``; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.output, _ = self.process.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"milcoop serve did not stop within {seconds:g} s of SIGINT") from None
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL the server and every process it started."""
        try:
            children = psutil.Process(self.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        for process in [*children]:
            with suppress(psutil.NoSuchProcess):
                process.kill()
        self.process.kill()
        self.output, _ = self.process.communicate(timeout=10)

    def read_output(self) -> str:
        if self.process.poll() is None:
            return self.output
        rest = self.process.stdout.read() if self.process.stdout else ""
        self.output += rest
        return self.output


@contextmanager
def served(env: Mapping[str, str], *args: str, startup_seconds: float = 90) -> Iterator[Served]:
    """A ``milcoop serve`` answering /healthz; stopped (or killed) afterwards."""
    server = Served(env, *args)
    try:
        server.wait_until_healthy(startup_seconds)
        yield server
    finally:
        if server.process.poll() is None:
            with suppress(AssertionError):
                server.stop()


def request(
    port: int, path: str, conn: http.client.HTTPConnection | None = None, timeout: float = 20
) -> tuple[int, dict[str, str], Any]:
    """GET ``path`` on 127.0.0.1:``port`` (over ``conn`` when given, kept open), the answer's status,
    headers and JSON (or text)."""
    own = conn is None
    connection = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={} if not own else {"Connection": "close"})
        response = connection.getresponse()
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
    finally:
        if own:
            connection.close()
    text = body.decode("utf-8", errors="replace")
    try:
        return response.status, headers, json.loads(text)
    except ValueError:
        return response.status, headers, text
