"""The milcoop ontology (OWL in Turtle), its SHACL shapes, the materiel taxonomy and the namespaces.

The Turtle files live beside this module so that they ship with the package and are found
without any path configuration.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rdflib import Graph

ONTOLOGY_DIR = Path(__file__).resolve().parent
ONTOLOGY_FILE = ONTOLOGY_DIR / "milcoop.ttl"
MATERIEL_FILE = ONTOLOGY_DIR / "materiel.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"


@cache
def ontology_graph() -> Graph:
    """The ontology as an rdflib graph (parsed once per process; do not mutate)."""
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


@cache
def materiel_graph() -> Graph:
    """The materiel taxonomy (SKOS) as an rdflib graph (parsed once; do not mutate)."""
    return Graph().parse(MATERIEL_FILE, format="turtle")


@cache
def shapes_graph() -> Graph:
    """The SHACL shapes as an rdflib graph (parsed once; do not mutate)."""
    return Graph().parse(SHAPES_FILE, format="turtle")
