"""Check a compiled graph against the shipped SHACL shapes.

Two engines read the same shapes file (``ontology/shapes.ttl``, the single source of truth):

* ``rust`` (the default): the `shacl <https://pypi.org/project/shacl/>`_ package, a SHACL Core
  validator written in Rust. It validates a 40,000-row register import in seconds where pyshacl
  takes minutes (bench/README.md, "SHACL engines").
* ``pyshacl``: the reference implementation in Python, and the one the tests compare the first
  against: ``tests/loaders/test_shacl_engines.py`` checks that both give the same results (focus
  node, path and constraint) on the bundled facts, the test fixtures and hundreds of deliberately
  broken graphs. ``MILCOOP_SHACL_ENGINE=pyshacl`` selects it.

Either way the results become the same :class:`Violation` records, and those the same located
:class:`~milcoop.loaders.problems.Problem` messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from milcoop.loaders.problems import Problem
from milcoop.ontology import materiel_graph, ontology_graph, shapes_graph

if TYPE_CHECKING:
    from milcoop.loaders.curated import CompiledFacts

Engine = Literal["rust", "pyshacl"]


@dataclass(frozen=True, order=True)
class Violation:
    """One validation result, as either engine reports it.

    ``focus`` is the focus node (an IRI, or a literal's lexical form); ``path`` the property
    path's IRI, ``^IRI`` for an inverse path, or None for a node shape's own constraint;
    ``component`` the constraint component's local name (``MinCountConstraintComponent``);
    ``message`` the shape's ``sh:message`` or the engine's own wording.
    """

    focus: str
    path: str | None
    component: str
    message: str

    @property
    def key(self) -> tuple[str, str | None, str]:
        """What the engines must agree on: the wording of a message without ``sh:message`` differs."""
        return (self.focus, self.path, self.component)


def shacl_report(data: Graph) -> tuple[bool, Graph]:
    """pyshacl's verdict and report graph for ``data``, with the ontology and taxonomy alongside.

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


def _path_text(path: Node | None, *graphs: Graph) -> str | None:
    if path is None:
        return None
    if isinstance(path, URIRef):
        return str(path)
    for graph in graphs:  # a blank node: the shapes use no complex path but sh:inversePath
        inverse = graph.value(path, SH.inversePath)
        if isinstance(inverse, URIRef):
            return f"^{inverse}"
    return str(path)


def pyshacl_violations(data: Graph) -> list[Violation]:
    """The top-level results of :func:`shacl_report` (not the nested ``sh:detail`` ones)."""
    conforms, report = shacl_report(data)
    if conforms:
        return []
    return sorted(
        Violation(
            focus=str(report.value(result, SH.focusNode)),
            path=_path_text(report.value(result, SH.resultPath), report, shapes_graph()),
            component=str(report.value(result, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
            message=str(report.value(result, SH.resultMessage) or ""),
        )
        for result in report.objects(None, SH.result)
    )


# -- the Rust engine ---------------------------------------------------------------------------


@cache
def _rust_shapes() -> Any:
    import shacl

    return shacl.Shapes.from_text(shapes_graph().serialize(format="ntriples"), "ntriples")


@cache
def _alongside_ntriples() -> str:
    """The ontology's and taxonomy's triples, which sh:class needs beside the data."""
    both = Graph()
    for source in (ontology_graph(), materiel_graph()):
        for triple in source:
            both.add(triple)
    return both.serialize(format="ntriples")


def _rust_term(text: str | None) -> str | None:
    """An N-Triples term as the other engine's records show it (IRI or lexical form)."""
    if text is None:
        return None
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    if text.startswith("^<") and text.endswith(">"):
        return f"^{text[2:-1]}"
    if text.startswith('"'):
        end = text.rfind('"')
        return text[1:end].encode("utf-8").decode("unicode_escape") if "\\" in text else text[1:end]
    return text


#: The constraint parameter a result's default message names, by component.
_PARAMETER = {
    "ClassConstraintComponent": SH["class"],
    "DatatypeConstraintComponent": SH.datatype,
    "PatternConstraintComponent": SH.pattern,
    "MinCountConstraintComponent": SH.minCount,
    "MaxCountConstraintComponent": SH.maxCount,
    "MinInclusiveConstraintComponent": SH.minInclusive,
    "MaxInclusiveConstraintComponent": SH.maxInclusive,
    "LessThanOrEqualsConstraintComponent": SH.lessThanOrEquals,
}

#: Default wording for a result whose shape gives no sh:message ({value}: the value found,
#: {expected}: the constraint's parameter, from the shapes).
_WORDING = {
    "ClassConstraintComponent": "value {value} is not a {expected}",
    "DatatypeConstraintComponent": "value {value} is not of datatype {expected}",
    "PatternConstraintComponent": "value {value} does not match the pattern {expected}",
    "MinCountConstraintComponent": "needs at least {expected} value(s)",
    "MaxCountConstraintComponent": "takes at most {expected} value(s)",
    "MinInclusiveConstraintComponent": "value {value} is below the minimum {expected}",
    "MaxInclusiveConstraintComponent": "value {value} is above the maximum {expected}",
    "LessThanOrEqualsConstraintComponent": "value {value} is later than its {expected}",
    "OrConstraintComponent": "value {value} has none of the allowed forms",
    "NodeConstraintComponent": "value {value} does not have the form its field needs",
    "NodeKindConstraintComponent": "value {value} is not of the kind its field needs",
}


def _local(term: Node | None) -> str:
    text = str(term)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1] if isinstance(term, URIRef) else text


@cache
def _parameters(path: str, component: str) -> str:
    """The parameter of ``component`` on the property shapes of ``path``, when they agree on one."""
    parameter = _PARAMETER.get(component)
    if parameter is None:
        return ""
    shapes = shapes_graph()
    inverse = path.startswith("^")
    paths = set(shapes.subjects(SH.inversePath, URIRef(path[1:]))) if inverse else {URIRef(path)}
    values = {
        _local(value)
        for shape_path in paths
        for shape in shapes.subjects(SH.path, shape_path)
        for value in shapes.objects(shape, parameter)
    }
    return values.pop() if len(values) == 1 else ""


def _default_message(component: str, path: str | None, value: str | None) -> str:
    wording = _WORDING.get(component)
    if wording is None:
        return component.removesuffix("ConstraintComponent")
    expected = _parameters(path, component) if path else ""
    text = wording.format(value=value if value is not None else "", expected=expected or "(see the shapes)")
    return text.replace("value  ", "a value ")


def rust_violations(data: Graph, ntriples: str | None = None) -> list[Violation]:
    """The Rust engine's results for ``data`` (or for the same triples already as ``ntriples``)."""
    text = ntriples if ntriples is not None else data.serialize(format="ntriples")
    report = _rust_shapes().validate_text(text + _alongside_ntriples(), "ntriples")
    if report.conforms:
        return []
    found = []
    for result in report.results:
        component = str(result.component).rsplit("#", 1)[-1]
        path = _rust_term(result.path)
        message = str(result.message or "") or _default_message(component, path, _rust_term(result.value))
        found.append(Violation(_rust_term(result.focus_node) or "", path, component, message))
    return sorted(found)


def violations(data: Graph, engine: Engine | None = None, *, ntriples: str | None = None) -> list[Violation]:
    """Every shape violation of ``data``, by ``engine`` (default: the ``MILCOOP_SHACL_ENGINE``
    setting). ``ntriples``, the same triples already written as N-Triples, spare the Rust engine
    rdflib's slower serialiser."""
    if engine is None:
        from milcoop.settings import get_settings

        engine = get_settings().shacl_engine
    if engine == "pyshacl":
        return pyshacl_violations(data)
    return rust_violations(data, ntriples)


def located(found: Iterable[Violation], compiled: CompiledFacts) -> list[Problem]:
    """The violations as problems at the curated fact each concerns."""
    fallback = str(compiled.files[0]) if compiled.files else "data"
    problems = []
    for violation in found:
        location = compiled.locations.get(URIRef(violation.focus))
        path = violation.path.lstrip("^") if violation.path else ""
        field = path.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        text = f"{field}: {violation.message}" if field else violation.message
        if location is None:
            problems.append(Problem(fallback, 0, violation.focus, f"shape violation: {text}"))
        else:
            problems.append(Problem(location.file, location.line, location.subject, f"shape violation: {text}"))
    return problems


def shacl_problems(compiled: CompiledFacts, engine: Engine | None = None) -> list[Problem]:
    """Every shape violation, located at the curated fact it concerns."""
    return located(violations(compiled.graph, engine, ntriples=compiled.ntriples()), compiled)


__all__ = [
    "Engine",
    "Violation",
    "located",
    "pyshacl_violations",
    "rust_violations",
    "shacl_problems",
    "shacl_report",
    "violations",
]
