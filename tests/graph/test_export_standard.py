"""Every export states provenance, classes and labels in PROV-O, SKOS and RDFS too, and conforms to
the published shapes with only the published ontology beside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import RDF, RDFS, Graph, Namespace
from rdflib.namespace import SKOS

from milcoop.graph.embedded.rdf_source import EmbeddedSource
from milcoop.graph.export import FORMATS, export
from milcoop.loaders.curated import CompiledFacts
from milcoop.ontology import ontology_graph, shapes_graph
from milcoop.ontology.namespace import MC
from tests.api.stores import embedded_settings

PROV = Namespace("http://www.w3.org/ns/prov#")


@pytest.fixture(scope="module")
def exported_graph(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Graph:
    """The bundled facts exported from the embedded store as N-Triples, parsed."""
    settings = embedded_settings(tmp_path_factory.mktemp("standard"), bundled)
    with EmbeddedSource.open(Path(settings.data_dir)) as source:
        data = b"".join(export(source, FORMATS["ntriples"], snapshots=False))
    return Graph().parse(data=data, format="nt")


def test_every_claim_has_its_provenance_in_prov_o(exported_graph: Graph, bundled: CompiledFacts) -> None:
    claims = set(bundled.graph.subjects(RDF.type, MC.Claim))
    assert len(claims) > 100
    for claim in claims:
        assert (claim, RDF.type, PROV.Entity) in exported_graph, claim
        source = bundled.graph.value(claim, MC.source)
        assert (claim, PROV.wasDerivedFrom, source) in exported_graph, claim
        for cited in bundled.graph.objects(claim, MC.cites):
            assert (claim, PROV.wasQuotedFrom, cited) in exported_graph


def test_events_agents_concepts_and_labels_in_standard_terms(exported_graph: Graph, bundled: CompiledFacts) -> None:
    for event in bundled.graph.subjects(RDF.type, MC.MaterielTransfer):
        assert (event, RDF.type, PROV.Activity) in exported_graph
    for state in bundled.graph.subjects(RDF.type, MC.State):
        assert (state, RDF.type, PROV.Agent) in exported_graph
    for concept in bundled.graph.subjects(RDF.type, MC.MaterielConcept):
        assert (concept, RDF.type, SKOS.Concept) in exported_graph
    for subject, label in bundled.graph.subject_objects(SKOS.prefLabel):
        assert (subject, RDFS.label, label) in exported_graph
    # Nothing else is added: every extra triple is in a standard term the ontology names.
    extra = {t for t in exported_graph if t not in bundled.graph and t[0] in set(bundled.graph.subjects())}
    assert extra and {p for _, p, _ in extra} <= {RDF.type, RDFS.label, PROV.wasDerivedFrom, PROV.wasQuotedFrom}


def test_the_export_conforms_to_the_shapes_with_only_the_published_ontology(exported_graph: Graph) -> None:
    data = Graph()
    for triple in exported_graph:
        data.add(triple)
    for triple in ontology_graph():  # the published ontology, and nothing else beside the export
        data.add(triple)
    shapes = Graph()
    for triple in shapes_graph():
        shapes.add(triple)
    conforms, _, text = validate(data, shacl_graph=shapes, inference="none", advanced=True)
    assert conforms, text
