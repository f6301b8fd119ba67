"""A real Neo4j for the test session.

When ``NEO4J_URI`` is set, tests use that server. Otherwise one is started from tools/neo4j for
the session and stopped at the end. If it cannot start, the Neo4j tests are skipped on a
developer's machine (with the reason) but fail the run under ``CI=true``: CI must never pass
without having talked to Neo4j.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from neo4j import Driver, GraphDatabase

from milcoop.settings import Settings

if TYPE_CHECKING:
    from tools.neo4j.neo4j_dev import DevNeo4j

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"Neo4j is required under CI=true and could not be started: {reason}", pytrace=False)
    pytest.skip(f"Neo4j not available: {reason}")


@pytest.fixture(scope="session")
def neo4j_dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevNeo4j | None]:
    """The dev server started for the session from tools/neo4j; None when NEO4J_URI names one."""
    if os.environ.get("NEO4J_URI", "").strip():
        yield None
        return
    if shutil.which("java") is None or shutil.which("mvn") is None:
        _unavailable("java and mvn are needed to run Neo4j from tools/neo4j")
    from tools.neo4j.neo4j_dev import DevNeo4j, Neo4jDevError, free_port

    home: Path = tmp_path_factory.mktemp("neo4j-session")
    # Both ports free ones, like the Bolt port, so parallel sessions never clash.
    server = DevNeo4j(port=free_port(), http_port=free_port(), home=home, heap="2g", pagecache="512m")
    try:
        server.start()
    except Neo4jDevError as exc:
        _unavailable(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def neo4j_uri(neo4j_dev_server: DevNeo4j | None) -> str:
    """The Bolt URI of a running Neo4j (started here unless NEO4J_URI is set)."""
    if neo4j_dev_server is None:
        return os.environ["NEO4J_URI"].strip()
    return neo4j_dev_server.uri


@pytest.fixture(scope="session")
def neo4j_settings(neo4j_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at the session's Neo4j, with a private embedded data dir."""
    return Settings.model_validate(
        {
            "data_dir": tmp_path_factory.mktemp("embedded-with-neo4j"),
            "NEO4J_URI": neo4j_uri,
            "NEO4J_USERNAME": os.environ.get("NEO4J_USERNAME", "neo4j"),
            "NEO4J_PASSWORD": os.environ.get("NEO4J_PASSWORD", "test"),
            "NEO4J_DATABASE": os.environ.get("NEO4J_DATABASE", "neo4j"),
        }
    )


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_settings: Settings) -> Iterator[Driver]:
    """One driver for the session's Neo4j."""
    driver = GraphDatabase.driver(
        neo4j_settings.neo4j_uri, auth=(neo4j_settings.neo4j_username, neo4j_settings.neo4j_password)
    )
    try:
        yield driver
    finally:
        driver.close()
