"""Shared fixtures. Neo4j fixtures live in tests/neo4j_fixtures.py and are registered here."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from milcoop.loaders.curated import CompiledFacts, compile_facts

pytest_plugins = ["tests.neo4j_fixtures", "tests.loopback"]

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
BROKEN = Path(__file__).resolve().parent / "fixtures" / "broken"


@pytest.fixture(scope="session")
def bundled() -> CompiledFacts:
    """The bundled curated facts, compiled and validated once per test session."""
    return compile_facts([DATA])


_EXPORTED: dict[int, Graph] = {}


def exported(compiled: CompiledFacts) -> Graph:
    """What an export of ``compiled`` holds besides its description: the facts, and the PROV-O,
    SKOS and RDFS triples the ontology's declarations entail (graph/standard.py)."""
    graph = _EXPORTED.get(id(compiled))
    if graph is None:
        from milcoop.graph.export import standard_triples

        graph = Graph()
        for triple in compiled.graph:
            graph.add(triple)
        for triple in standard_triples(compiled.graph):
            graph.add(triple)
        _EXPORTED[id(compiled)] = graph
    return graph
