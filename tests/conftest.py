"""Shared fixtures. Neo4j fixtures live in tests/neo4j_fixtures.py and are registered here."""

from __future__ import annotations

from pathlib import Path

import pytest

from milcoop.loaders.curated import CompiledFacts, compile_facts

pytest_plugins = ["tests.neo4j_fixtures", "tests.loopback"]

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
BROKEN = Path(__file__).resolve().parent / "fixtures" / "broken"


@pytest.fixture(scope="session")
def bundled() -> CompiledFacts:
    """The bundled curated facts, compiled and validated once per test session."""
    return compile_facts([DATA])
