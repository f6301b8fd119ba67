"""Fixtures shared by the API tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from milcoop.api.app import create_app
from milcoop.settings import Settings
from tools.neo4j.neo4j_dev import free_port


@pytest.fixture()
def live_server(settings: Settings) -> Iterator[str]:
    """The API over the requesting module's ``settings``, served by uvicorn on a free port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
