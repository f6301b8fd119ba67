"""The field's model end to end: a case that uses every term validates, loads into both stores,
answers over HTTP and comes back out of each store's export as the same RDF.

tests/fixtures/cases/fictional-field.yaml is made up throughout (states XCA, XCB, XCC, XCF from
ISO 3166's user-assigned range). The checks name the terms they exercise, so a term that stops
working end to end fails here by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from milcoop.graph.mapping import to_property_graph, to_rdf
from milcoop.loaders.curated import CompiledFacts, CurationError, compile_facts, entity_iri
from milcoop.ontology.namespace import MAT, MC
from milcoop.settings import Settings
from tests.api.stores import client_for, embedded_settings, neo4j_with_bundled
from tests.conftest import exported
from tests.graph.test_export import split_description

CASE = Path(__file__).resolve().parent / "fixtures" / "cases" / "fictional-field.yaml"


def _event(ident: str) -> URIRef:
    return entity_iri("event", ident)


@pytest.fixture(scope="module")
def case() -> CompiledFacts:
    return compile_facts([CASE])  # SHACL-checked as every load is


def test_every_new_term_compiles_to_the_ontology(case: CompiledFacts) -> None:
    g = case.graph
    order, delivery = _event("xc-drone-order"), _event("xc-drone-delivery")
    # orders and deliveries, kept apart from the claims' statuses
    assert g.value(order, MC.transferStatus) == MC.ordered
    assert g.value(delivery, MC.transferStatus) == MC.delivered
    assert (g.value(order, MC.transferTerms), g.value(order, MC.materielCondition)) == (MC.sale, MC.new)
    assert g.value(order, MC.productionArrangement) == MC.licensedProduction
    assert g.value(order, MC.orderDate) == Literal("2002", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear"))
    assert g.value(order, MC.orderDateUncertain) == Literal(True)
    assert sorted(int(y) for y in g.objects(delivery, MC.deliveryYear)) == [2003, 2004]
    claim = entity_iri("claim", "xc-drone-order--xc-register")
    ordered = g.value(claim, MC.orderedQuantity)
    assert g.value(ordered, MC.qualifier) == MC.estimate and g.value(ordered, MC.uncertain) == Literal(True)
    assert g.value(g.value(claim, MC.dealValue), MC.unit) == MC.usd
    assert float(g.value(claim, MC.tivPerUnit)) == 0.25  # type: ignore[arg-type]
    # an unknown start: dated by its end only
    assert g.value(delivery, MC.spanStart) is None and g.value(delivery, MC.spanEnd) is not None
    # the new kinds
    assert len(set(g.objects(_event("xc-exercise"), MC.participant))) == 3
    assert g.value(_event("xc-training"), MC.trainee) == entity_iri("state", "XCB")
    assert len(set(g.objects(_event("xc-basing"), MC.accessKind))) == 4
    assert MC.plantConstruction in set(g.objects(_event("xc-plant-cooperation"), MC.industrialForm))
    assert g.value(_event("xc-loan"), MC.financingForm) == MC.loan
    assert g.value(_event("xc-denial"), MC.onBehalfOf) == entity_iri("state", "XCA")
    # places in places: the enclosing place, and the state derived from the outermost one
    plant = entity_iri("place", "xc-plant")
    assert g.value(plant, MC.withinPlace) == entity_iri("place", "xc-zone")
    assert g.value(plant, MC.locatedIn) == entity_iri("state", "XCB")
    # offices, treaties, measures, former states
    office = g.value(entity_iri("person", "xc-minister"), MC.holdsOffice)
    assert g.value(office, MC.officeKind) == MC.foreignMinister
    treaty = entity_iri("treaty", "xc-treaty")
    assert g.value(treaty, MC.entryIntoForceUnknown) == Literal(True) and g.value(treaty, MC.entryIntoForce) is None
    assert int(g.value(treaty, MC.termYears)) == 20  # type: ignore[arg-type]
    measure = entity_iri("measure", "xc-missile-approval")
    assert g.value(measure, MC.measureKind) == MC.priorApproval and g.value(measure, MC.measureEnd) == MC.lapsed
    assert g.value(entity_iri("state", "XCF"), MC.successor) == entity_iri("state", "XCA")
    # the taxonomy: a one-way attack drone is a loitering munition, which is a UAV
    assert (MAT["one-way-attack-drone"], URIRef("http://www.w3.org/2004/02/skos/core#broader"),
            MAT["loitering-munition"]) in g


def test_the_property_graph_mapping_is_lossless(case: CompiledFacts) -> None:
    nodes, relationships = to_property_graph(case.graph)
    assert isomorphic(to_rdf(nodes, relationships), case.graph)


def _refused(tmp_path: Path, old: str, new: str) -> list[str]:
    text = CASE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "case.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CurationError) as caught:
        compile_facts([path])
    return [str(p) for p in caught.value.problems]


def test_a_breach_of_a_measure_not_in_force_is_refused(tmp_path: Path) -> None:
    problems = _refused(tmp_path, "period: {end: 2004-12}", "period: {start: 2011, end: 2012}")
    assert any("was no longer in force on the event's dates" in p for p in problems), problems


def test_a_statement_on_behalf_of_a_state_needs_an_office(tmp_path: Path) -> None:
    problems = _refused(tmp_path, "on_behalf_of: XCA", "on_behalf_of: XCC")
    assert any("holds no office for it" in p for p in problems), problems


def test_deliveries_before_the_order_or_for_an_unfilled_order_are_refused(tmp_path: Path) -> None:
    problems = _refused(tmp_path, "    ordered_uncertain: true\n", "    ordered_uncertain: true\n    delivery_years: [2001]\n")
    assert any("before the order" in p for p in problems), problems
    assert any("transfer_status 'ordered' but delivery_years are given" in p for p in problems), problems


def test_places_inside_each_other_in_a_circle_are_refused(tmp_path: Path) -> None:
    problems = _refused(tmp_path, "    in: XCB\n  - id: xc-zone", "    in: xc-plant\n  - id: xc-zone")
    assert any("in a circle" in p for p in problems), problems


# -- both stores ----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def client(
    request: pytest.FixtureRequest, case: CompiledFacts, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    if request.param == "embedded":
        settings: Settings = embedded_settings(tmp_path_factory.mktemp("field"), case)
    else:
        settings = neo4j_with_bundled(request.getfixturevalue("neo4j_settings"), case)
    with client_for(settings) as client:
        yield client


def test_flows_answer_the_new_kinds(client: TestClient) -> None:
    response = client.get("/v1/flows", params={"from": "XCA", "to": "Fictional State B", "limit": 50})
    assert response.status_code == 200, response.text
    ids = {event["id"] for event in response.json()["items"]}
    assert {"xc-drone-order", "xc-drone-delivery", "xc-tech", "xc-training", "xc-basing", "xc-plant-cooperation"} <= ids
    loan = client.get("/v1/flows", params={"from": "XCC", "to": "XCB", "kind": "financing"})
    assert loan.status_code == 200, loan.text
    assert [event["id"] for event in loan.json()["items"]] == ["xc-loan"]


def test_the_entities_resolve_by_alpha2_and_alias(client: TestClient) -> None:
    for ref in ("XC", "Fictionland A", "XCA"):
        response = client.get(f"/v1/entities/{ref}")
        assert response.status_code == 200, (ref, response.text)
        assert response.json()["entity"]["id"] == "XCA"


def test_the_export_gives_back_the_compiled_facts(client: TestClient, case: CompiledFacts) -> None:
    response = client.get("/v1/export", params={"format": "ntriples"})
    assert response.status_code == 200, response.text
    data, _ = split_description(Graph().parse(data=response.content, format="nt"))
    assert isomorphic(data, exported(case))


def test_every_quantity_of_a_claim_goes_to_its_source_graph(client: TestClient) -> None:
    """An order's number and a deal's value belong to the claim's source document, as the number
    delivered does (docs/rdf.md: one named graph per source)."""
    from rdflib import Dataset

    response = client.get("/v1/export", params={"format": "nquads"})
    assert response.status_code == 200, response.text
    dataset = Dataset()
    dataset.parse(data=response.content, format="nquads")
    register = URIRef("https://w3id.org/milcoop/graph/xc-register")
    graph = dataset.graph(register)
    for suffix in ("-ordered", "-value"):  # this claim gives no number delivered
        quantity = entity_iri("quantity", f"xc-drone-order--xc-register{suffix}")
        assert (quantity, MC.value, None) in graph, suffix
