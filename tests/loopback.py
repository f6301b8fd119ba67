"""A loopback listener that counts connections: proof that nothing reached out."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest


class Listener:
    """A TCP listener on 127.0.0.1 that counts connections, for at most ``seconds``."""

    def __init__(self, seconds: float = 120.0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._deadline = seconds
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        waited = 0.0
        while not self._stop.is_set() and waited < self._deadline:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                waited += 0.2
                continue
            except OSError:
                return
            self.connections += 1
            # Answer like a closed SPARQL service would, then hang up.
            try:
                conn.sendall(b"HTTP/1.1 500 Internal\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecret")
            finally:
                conn.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A counting listener on 127.0.0.1, closed after the test."""
    server = Listener()
    try:
        yield server
    finally:
        server.close()
