"""The ontology: complete term documentation, closed namespaces, shapes that catch bad facts."""

from __future__ import annotations

import re

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, URIRef

from milcoop.loaders.curated import CompiledFacts
from milcoop.loaders.shacl import shacl_report
from milcoop.ontology import materiel_graph, ontology_graph
from milcoop.ontology.namespace import MAT, MC, ONTOLOGY_IRI, ONTOLOGY_VERSION_IRI
from milcoop.ontology.vocabulary import vocabulary


def _declared_terms(graph: Graph, namespace: str) -> set[URIRef]:
    return {s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(namespace)}


def test_ontology_has_version_iri_label_and_definition() -> None:
    onto = ontology_graph()
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in onto
    assert (ONTOLOGY_IRI, OWL.versionIRI, ONTOLOGY_VERSION_IRI) in onto
    assert onto.value(ONTOLOGY_IRI, RDFS.label) is not None


def test_every_term_has_a_label_and_a_definition() -> None:
    onto = ontology_graph()
    missing = [
        str(term)
        for term in _declared_terms(onto, str(MC._NS))
        if onto.value(term, RDFS.label) is None
        or (onto.value(term, SKOS.definition) is None and onto.value(term, RDFS.comment) is None)
    ]
    assert missing == []


def test_every_materiel_concept_has_a_label_and_a_definition() -> None:
    taxonomy = materiel_graph()
    concepts = list(taxonomy.subjects(RDF.type, MC.MaterielConcept))
    assert len(concepts) > 20
    for concept in concepts:
        assert taxonomy.value(concept, SKOS.prefLabel) is not None, concept
        assert taxonomy.value(concept, SKOS.definition) is not None, concept


def test_namespace_module_declares_exactly_the_ontology_terms() -> None:
    onto = ontology_graph()
    in_turtle = {str(t).split("#", 1)[1] for t in _declared_terms(onto, str(MC._NS))}
    in_turtle.add("MaterielScheme")  # declared in materiel.ttl
    in_module = set(MC.__annotations__)
    assert in_module == in_turtle
    in_taxonomy = {str(t).rsplit("/", 1)[1] for t in _declared_terms(materiel_graph(), str(MAT._NS))}
    assert set(MAT._extras) == in_taxonomy


def test_closed_namespace_rejects_a_typo() -> None:
    with pytest.raises(AttributeError):
        MC.supplyer  # noqa: B018


def test_un_register_categories_are_numbered_one_to_seven() -> None:
    notations = {str(n) for n in materiel_graph().objects(None, SKOS.notation)}
    assert {"I", "II", "III", "IV", "V", "VI", "VII"} <= notations


def test_compiled_graph_uses_only_declared_terms(bundled: CompiledFacts) -> None:
    onto = ontology_graph()
    vocab = vocabulary()
    allowed_predicates = set(vocab.node_properties) | set(vocab.enum_properties) | set(vocab.relationships) | {RDF.type}
    for _s, p, o in bundled.graph:
        assert p in allowed_predicates, p
        if str(p).startswith(str(MC._NS)):
            assert (p, RDF.type, None) in onto, p
        if p == RDF.type:
            assert o in vocab.labels, o
        if isinstance(o, URIRef) and str(o).startswith(str(MC._NS)):
            assert (o, None, None) in onto or (o, None, None) in materiel_graph(), o


def test_compiled_graph_conforms_to_the_shapes(bundled: CompiledFacts) -> None:
    conforms, report = shacl_report(bundled.graph)
    assert conforms, report.serialize(format="turtle")


def _first_event(graph: Graph) -> URIRef:
    event = next(graph.subjects(RDF.type, MC.MaterielTransfer))
    assert isinstance(event, URIRef)
    return event


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        ("drop-claims", "at least one claim"),
        ("bad-grading", "Admiralty"),
        ("end-before-start", "end is before the start"),
        ("drop-supplier", "exactly one supplier"),
    ],
)
def test_shapes_reject_invalid_facts(bundled: CompiledFacts, mutation: str, message: str) -> None:
    graph = Graph()
    for triple in bundled.graph:
        graph.add(triple)
    event = _first_event(graph)
    claims = list(graph.subjects(MC.asserts, event))
    if mutation == "drop-claims":
        for claim in claims:
            graph.remove((claim, MC.asserts, event))
    elif mutation == "bad-grading":
        graph.set((claims[0], MC.informationCredibility, Literal(9)))
    elif mutation == "end-before-start":
        graph.set(
            (event, MC.spanStart, Literal("2024-05-01", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date")))
        )
        graph.set((event, MC.spanEnd, Literal("2024-01-31", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date"))))
    elif mutation == "drop-supplier":
        graph.remove((event, MC.supplier, None))
    conforms, report = shacl_report(graph)
    assert not conforms
    messages = " ".join(str(m) for m in report.objects(None, URIRef("http://www.w3.org/ns/shacl#resultMessage")))
    assert re.search(message, messages), messages
