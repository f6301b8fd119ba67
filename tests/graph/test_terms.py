"""graph/terms.py: rdflib triples reach pyoxigraph exactly, and N-Triples lines are cut by subject.

The IRIs and literals here are made up (example.org) to exercise escaping; they are no facts.
"""

from __future__ import annotations

import hashlib

import pyoxigraph as ox
import pytest
from rdflib import XSD, BNode, Graph, Literal, URIRef

from milcoop.graph.changes import digests_of_lines, digests_of_quads
from milcoop.graph.terms import lines_by_subject, ntriples_of, oxigraph_quads

S = URIRef("https://example.org/s")
P = URIRef("https://example.org/p")
_S, _P = ox.NamedNode(str(S)), ox.NamedNode(str(P))
_XSD = "http://www.w3.org/2001/XMLSchema#"

#: Each rdflib object and the pyoxigraph term it must become.
CASES: list[tuple[object, ox.NamedNode | ox.BlankNode | ox.Literal]] = [
    (Literal('a "quote", a \\ backslash,\na line\r feed, a\ttab, \x01, é, ☃, \u2028'),
     ox.Literal('a "quote", a \\ backslash,\na line\r feed, a\ttab, \x01, é, ☃, \u2028')),
    (Literal(""), ox.Literal("")),
    (Literal("x", lang="en-GB"), ox.Literal("x", language="en-GB")),
    (Literal("5", datatype=XSD.integer), ox.Literal("5", datatype=ox.NamedNode(_XSD + "integer"))),
    (Literal("s", datatype=XSD.string), ox.Literal("s")),
    (Literal("2024-06", datatype=XSD.gYearMonth), ox.Literal("2024-06", datatype=ox.NamedNode(_XSD + "gYearMonth"))),
    (URIRef("https://example.org/é?x=1#f"), ox.NamedNode("https://example.org/é?x=1#f")),
    (BNode("b1"), ox.BlankNode("b1")),
]


def test_every_kind_of_term_arrives_as_pyoxigraph_would_build_it() -> None:
    triples = [(S, P, rdflib_object) for rdflib_object, _ in CASES]
    quads = oxigraph_quads(triples)  # type: ignore[arg-type]
    assert quads == [ox.Quad(_S, _P, expected, ox.DefaultGraph()) for _, expected in CASES]


def test_triples_keep_their_order_and_repeated_terms() -> None:
    other = URIRef("https://example.org/o")
    triples = [(S, P, other), (other, P, S), (S, P, other)]
    assert [(q.subject.value, q.object.value) for q in oxigraph_quads(triples)] == [  # type: ignore[union-attr]
        (str(S), str(other)), (str(other), str(S)), (str(S), str(other))
    ]


def test_a_term_pyoxigraph_refuses_names_the_triple() -> None:
    graph = Graph()
    graph.add((URIRef("https://example.org/a b"), P, Literal("x")))
    with pytest.raises(ValueError, match=r"<https://example.org/a b> <https://example.org/p> \"x\" \."):
        oxigraph_quads(graph)


def test_lines_are_grouped_by_iri_subject_and_blank_subjects_left_out() -> None:
    quads = oxigraph_quads([(S, P, Literal("one")), (BNode("b"), P, S), (S, P, Literal('t"wo'))])
    assert lines_by_subject(ntriples_of(quads)) == {
        str(S): [f'<{P}> "one"', f'<{P}> "t\\"wo"'],
    }


def test_a_digest_ignores_the_order_of_triples_and_follows_every_value() -> None:
    first = oxigraph_quads([(S, P, Literal("one")), (S, P, Literal("two"))])
    reordered = oxigraph_quads([(S, P, Literal("two")), (S, P, Literal("one"))])
    changed = oxigraph_quads([(S, P, Literal("one")), (S, P, Literal("two", lang="en"))])
    assert digests_of_quads(first) == digests_of_quads(reordered)
    assert digests_of_quads(first)[str(S)].digest != digests_of_quads(changed)[str(S)].digest
    # The rule stores compare with across releases: the sorted "<predicate> object" lines, hashed.
    expected = hashlib.sha256(f'<{P}> "one"\n<{P}> "two"'.encode()).hexdigest()[:32]
    assert digests_of_lines(lines_by_subject(ntriples_of(first)))[str(S)].digest == expected
