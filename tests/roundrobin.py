"""A plain round-robin TCP proxy on loopback, standing in for the load balancer in front of several
API processes (tests/api/test_scale_out.py).

Each client connection goes to the next backend in turn; a backend that refuses the connection is
skipped for that one and the next is tried, as a load balancer's passive health check does. Bytes
are copied both ways unchanged (asyncio streams); nothing is parsed. It runs on its own thread and
event loop, listens on 127.0.0.1 only, and stops when closed or after ``seconds``, whichever
comes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections import Counter

#: Longest wait for a backend to accept a connection before the next one is tried.
CONNECT_SECONDS = 2.0


class RoundRobin:
    """Round robin over ``127.0.0.1:<port>`` for each of ``backends``."""

    def __init__(self, backends: list[int], seconds: float = 180.0) -> None:
        self.backends = list(backends)
        #: Connections handed to each backend's port.
        self.connections: Counter[int] = Counter()
        #: Connections a backend refused (it was skipped for them).
        self.skipped: Counter[int] = Counter()
        self._next = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._seconds = seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="round-robin", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the round-robin proxy did not start")

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, sock=self._sock)
        self._ready.set()
        async with server:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._seconds)

    def _pick(self) -> list[int]:
        """The backends in the order this connection tries them: the next in turn first."""
        start = self._next
        self._next = (self._next + 1) % len(self.backends)
        return self.backends[start:] + self.backends[:start]

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        for port in self._pick():
            try:
                upstream = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), CONNECT_SECONDS)
            except (OSError, TimeoutError):
                self.skipped[port] += 1
                continue
            self.connections[port] += 1
            break
        if upstream is None:  # every backend is down: hang up, as a load balancer with none left does
            client_writer.close()
            return
        up_reader, up_writer = upstream
        try:
            await asyncio.gather(_pipe(client_reader, up_writer), _pipe(up_reader, client_writer))
        finally:
            for writer in (up_writer, client_writer):
                writer.close()

    def close(self) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            # RuntimeError: the loop has just stopped by itself.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy ``reader`` to ``writer`` until end of file, then pass the end on (half-close)."""
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()
