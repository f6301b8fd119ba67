"""RDF terms in the two libraries, and RDF literals as property values: one mapping for both.

rdflib builds and validates the compiled facts; pyoxigraph stores, queries and serializes them.
Terms cross between the two here, and a literal becomes a property value (a date, an integer, a
boolean, a partial date or a string, as the ontology's property says) through
:func:`property_value`, whichever library the literal came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from rdflib import XSD, BNode, Literal, URIRef
from rdflib.term import Node

from milcoop.ontology.dates import PartialDate
from milcoop.ontology.vocabulary import NodeProperty

_XSD_STRING = str(XSD.string)


class MappingError(ValueError):
    """The RDF uses a term the ontology does not declare, or a value its property cannot hold."""


def property_value(prop: NodeProperty, lexical: str) -> Any:
    """The property-graph value of a literal of ``prop`` with this lexical form."""
    try:
        if prop.partial_date:
            return PartialDate.parse(lexical)
        if prop.datatype == XSD.date:
            return dt.date.fromisoformat(lexical)
        if prop.datatype == XSD.integer:
            return int(lexical)
        if prop.datatype == XSD.decimal:
            return float(lexical)
        if prop.datatype == XSD.boolean:
            return lexical.strip() in ("true", "1")
    except ValueError as exc:
        raise MappingError(f"{prop.key}: {lexical!r} is not a valid {prop.datatype}: {exc}") from exc
    return lexical


def decimal_literal(value: float) -> Literal:
    """An xsd:decimal literal in one lexical form (``0.25``, ``25``), whichever way the number
    came: from YAML, or back from Neo4j, which stores it as a float. It is the form pyoxigraph
    writes (XSD 1.1's canonical one: no ``.0``), so every store's export equals the compiled facts."""
    number = float(value)
    lexical = str(int(number)) if number.is_integer() else repr(number)
    return Literal(lexical, datatype=XSD.decimal)


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot store {term!r}")


def oxigraph_quads(triples: Iterable[tuple[Node, Node, Node]]) -> list[ox.Quad]:
    """rdflib triples as pyoxigraph quads in the default graph.

    Each distinct term is converted once: a graph names the same predicates, classes and states
    over and over, and building the pyoxigraph term is most of a conversion's cost.
    """
    converted: dict[Node, Any] = {}
    default = ox.DefaultGraph()
    quads = []
    for s, p, o in triples:
        subject = converted.get(s)
        if subject is None:
            subject = converted[s] = to_oxigraph(s)
        predicate = converted.get(p)
        if predicate is None:
            predicate = converted[p] = to_oxigraph(p)
        obj = converted.get(o)
        if obj is None:
            obj = converted[o] = to_oxigraph(o)
        quads.append(ox.Quad(subject, predicate, obj, default))  # type: ignore[arg-type]
    return quads


def ntriples_of(quads: Iterable[ox.Quad]) -> str:
    """Default-graph quads as an N-Triples document (written by pyoxigraph, in Rust)."""
    written = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert written is not None  # serialize returns the document when given no output
    return written.decode("utf-8")


def to_rdflib(term: Any) -> Node:
    """A pyoxigraph term as an rdflib term (simple literals stay simple, as parsers produce them)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unexpected term {term!r}")
