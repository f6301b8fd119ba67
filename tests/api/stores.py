"""Stores filled with the bundled facts, for the API and query tests (plain helpers, not fixtures)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi.testclient import TestClient

from milcoop.api.app import create_app
from milcoop.graph.service import QueryService
from milcoop.graph.store import open_store
from milcoop.loaders.curated import CompiledFacts
from milcoop.loaders.load import load_compiled
from milcoop.settings import Settings
from tools.neo4j.neo4j_dev import free_port


def embedded_settings(data_dir: Path, bundled: CompiledFacts) -> Settings:
    """Settings of an embedded store in ``data_dir`` holding the bundled facts."""
    settings = Settings.model_validate({"data_dir": data_dir, "NEO4J_URI": ""})
    load_compiled(bundled, "embedded", settings)
    return settings


def neo4j_with_bundled(neo4j_settings: Settings, bundled: CompiledFacts) -> Settings:
    """The session's Neo4j brought to exactly the bundled facts (other tests may load other data)."""
    load_compiled(bundled, "neo4j", neo4j_settings)
    return neo4j_settings


@contextmanager
def service_for(settings: Settings) -> Iterator[QueryService]:
    store = open_store(settings)
    try:
        yield QueryService(store)
    finally:
        store.close()


@contextmanager
def client_for(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@contextmanager
def serving(settings: Settings, startup_seconds: float = 20) -> Iterator[str]:
    """The API over ``settings``, served by uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_seconds
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
