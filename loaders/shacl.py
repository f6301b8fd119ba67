"""Check a compiled graph against the shipped SHACL shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyshacl import validate
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SH

from milcoop.loaders.problems import Problem
from milcoop.ontology import materiel_graph, ontology_graph, shapes_graph

if TYPE_CHECKING:
    from milcoop.loaders.curated import CompiledFacts


def shacl_report(data: Graph) -> tuple[bool, Graph]:
    """Validate ``data`` against the shapes, with the ontology and taxonomy alongside.

    sh:class needs the class hierarchy and the enumeration individuals' types, so the ontology's
    and taxonomy's triples are added to ``data`` for the validation (pyshacl's ont_graph mixing
    did not make the enumeration individuals' rdf:type visible to sh:class) and removed again
    afterwards: ``data`` is left as it was given. Validating in place, rather than on a union
    copy that pyshacl then clones again, keeps one copy of a large import in memory instead of
    three. In place is safe because the shapes hold no rules (nothing is inferred into ``data``).
    """
    added = [triple for source in (ontology_graph(), materiel_graph()) for triple in source if triple not in data]
    for triple in added:
        data.add(triple)
    # pyshacl adds a few triples to the shapes graph it is given; hand it a copy so the cached,
    # served shapes stay exactly the shipped file.
    shapes = Graph()
    for triple in shapes_graph():
        shapes.add(triple)
    try:
        conforms, report, _ = validate(data, shacl_graph=shapes, inference="none", advanced=True, inplace=True)
    finally:
        for triple in added:
            data.remove(triple)
    assert isinstance(report, Graph)
    return bool(conforms), report


def shacl_problems(compiled: CompiledFacts) -> list[Problem]:
    """Every shape violation, located at the curated fact it concerns."""
    conforms, report = shacl_report(compiled.graph)
    if conforms:
        return []
    fallback = str(compiled.files[0]) if compiled.files else "data"
    problems = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        location = compiled.locations.get(focus) if isinstance(focus, URIRef) else None
        field = str(path).rsplit("#", 1)[-1].rsplit("/", 1)[-1] if isinstance(path, URIRef) else ""
        text = f"{field}: {message}" if field else str(message)
        if location is None:
            problems.append(Problem(fallback, 0, str(focus), f"shape violation: {text}"))
        else:
            problems.append(Problem(location.file, location.line, location.subject, f"shape violation: {text}"))
    return problems
