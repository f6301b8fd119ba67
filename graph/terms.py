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


def _ntriples_term(term: Node) -> str:
    """``term`` in N-Triples, for :func:`oxigraph_quads` (pyoxigraph parses and checks it)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal) and not term.language:
        # N-Triples needs only these four escaped inside a literal.
        text = str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        if term.datatype is None or str(term.datatype) == _XSD_STRING:
            return f'"{text}"'
        return f'"{text}"^^<{term.datatype}>'
    return str(to_oxigraph(term))  # a language tag or a blank node: pyoxigraph writes them


def oxigraph_quads(triples: Iterable[tuple[Node, Node, Node]]) -> list[ox.Quad]:
    """rdflib triples as pyoxigraph quads in the default graph, in the same order.

    The triples are written as N-Triples text, each distinct term once, and parsed by pyoxigraph:
    a graph names the same predicates, classes and states over and over, and formatting text
    in Python then parsing it in Rust takes about two thirds of the time of building each
    pyoxigraph term from Python (bench/README.md, "The embedded load"). Raises ValueError naming the triple when
    pyoxigraph refuses a term (an IRI with a space, say).
    """
    written: dict[Node, str] = {}

    def text(term: Node) -> str:
        found = written.get(term)
        if found is None:
            found = written[term] = _ntriples_term(term)
        return found

    lines = [f"{text(s)} {text(p)} {text(o)} ." for s, p, o in triples]
    try:
        return list(ox.parse("\n".join(lines), format=ox.RdfFormat.N_TRIPLES))
    except SyntaxError as exc:
        number = getattr(exc, "lineno", None)
        shown = lines[number - 1] if isinstance(number, int) and 0 < number <= len(lines) else ""
        raise ValueError(f"cannot store the triple {shown}: {exc.msg}") from exc


def ntriples_of(quads: Iterable[ox.Quad]) -> str:
    """Default-graph quads as an N-Triples document (written by pyoxigraph, in Rust)."""
    written = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert written is not None  # serialize returns the document when given no output
    return written.decode("utf-8")


def lines_by_subject(document: str) -> dict[str, list[str]]:
    """Each IRI subject's triples in an N-Triples ``document`` (as :func:`ntriples_of` writes it),
    each as the text ``<predicate> object`` that follows the subject, in document order.

    Digests and the claims' named graphs are computed from this text rather than from pyoxigraph
    terms: slicing a line is several times cheaper than formatting three terms, and the text is
    written once anyway (the Rust SHACL engine reads it). Blank-node subjects are left out, as
    digests leave them out. A line is ``<s> <p> o .``: an IRI holds no ``>`` and no space, so the
    subject ends at the first ``> ``.
    """
    found: dict[str, list[str]] = {}
    for line in document.split("\n"):
        if not line.startswith("<"):
            continue  # the empty last line, or a blank-node subject
        end = line.index("> ")
        iri = line[1:end]
        own = found.get(iri)
        if own is None:
            own = found[iri] = []
        own.append(line[end + 2 : -2])
    return found


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
