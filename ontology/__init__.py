"""The milcoop ontology (OWL in Turtle), its SHACL shapes, the materiel taxonomy and the namespaces.

The Turtle files and the JSON-LD context are package data of ``milcoop.ontology``, read through
:mod:`importlib.resources`, so they are found the same way in a checkout, an installed wheel or
a container, without any path configuration.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from rdflib import Graph

ONTOLOGY_DIR: Traversable = resources.files(__name__)
ONTOLOGY_FILE: Traversable = ONTOLOGY_DIR / "milcoop.ttl"
MATERIEL_FILE: Traversable = ONTOLOGY_DIR / "materiel.ttl"
SHAPES_FILE: Traversable = ONTOLOGY_DIR / "shapes.ttl"


def _parse(file: Traversable) -> Graph:
    return Graph().parse(data=file.read_text(encoding="utf-8"), format="turtle")


@cache
def ontology_graph() -> Graph:
    """The ontology as an rdflib graph (parsed once per process; do not mutate)."""
    return _parse(ONTOLOGY_FILE)


@cache
def materiel_graph() -> Graph:
    """The materiel taxonomy (SKOS) as an rdflib graph (parsed once; do not mutate)."""
    return _parse(MATERIEL_FILE)


@cache
def shapes_graph() -> Graph:
    """The SHACL shapes as an rdflib graph (parsed once; do not mutate)."""
    return _parse(SHAPES_FILE)
