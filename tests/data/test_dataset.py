"""The bundled DPRK–Russia dataset says what the sources say: no more, no less."""

from __future__ import annotations

from rdflib import RDF, SKOS, Graph, URIRef

from milcoop.loaders.curated import CompiledFacts, entity_iri
from milcoop.ontology.namespace import MAT, MC


def _claims(graph: Graph, fact: URIRef) -> list[URIRef]:
    return [c for c in graph.subjects(MC.asserts, fact) if isinstance(c, URIRef)]


def _quantities(graph: Graph, fact: URIRef) -> set[tuple[int, str, str]]:
    out = set()
    for claim in _claims(graph, fact):
        quantity = graph.value(claim, MC.claimedQuantity)
        if quantity is not None:
            unit = str(graph.value(quantity, MC.unit)).rsplit("#", 1)[1]
            qualifier = str(graph.value(quantity, MC.qualifier)).rsplit("#", 1)[1]
            out.add((int(graph.value(quantity, MC.value)), unit, qualifier))  # type: ignore[arg-type]
    return out


def test_every_fact_has_a_graded_claim_with_a_source(bundled: CompiledFacts) -> None:
    g = bundled.graph
    facts = [
        s
        for cls in (
            MC.MaterielTransfer,
            MC.TechnologyTransfer,
            MC.TroopDeployment,
            MC.WeaponsUse,
            MC.SupportRequest,
            MC.OfficialStatement,
            MC.Treaty,
            MC.Resolution,
            MC.SanctionsMeasure,
            MC.Breach,
        )
        for s in g.subjects(RDF.type, cls)
    ]
    assert len(facts) > 30
    for fact in facts:
        claims = _claims(g, fact)
        assert claims, fact
        for claim in claims:
            assert (claim, MC.source, None) in g
            assert (claim, MC.sourceReliability, None) in g
            assert (claim, MC.informationCredibility, None) in g


def test_nine_million_rounds_keeps_both_qualifiers(bundled: CompiledFacts) -> None:
    quantities = _quantities(bundled.graph, entity_iri("event", "prk-rus-ammunition-2024"))
    assert quantities == {(9_000_000, "rounds", "asManyAs"), (9_000_000, "rounds", "nearly")}


def test_containers_are_more_than_twenty_thousand_since_september_2023(bundled: CompiledFacts) -> None:
    g = bundled.graph
    event = entity_iri("event", "prk-rus-munitions-containers")
    assert _quantities(g, event) == {(20_000, "containers", "moreThan")}
    assert str(g.value(event, MC.startDate)) == "2023-09"
    assert g.value(event, MC.endDate) is None  # open-ended
    assert set(g.objects(event, MC.transportMode)) == {MC.sea, MC.air, MC.rail}


def test_satellite_help_is_sought_not_delivered(bundled: CompiledFacts) -> None:
    g = bundled.graph
    request = entity_iri("event", "prk-seeks-satellite-help")
    assert (request, RDF.type, MC.SupportRequest) in g
    assert {g.value(c, MC.status) for c in _claims(g, request)} == {MC.sought}
    for transfer_class in (MC.MaterielTransfer, MC.TechnologyTransfer):
        for transfer in g.subjects(RDF.type, transfer_class):
            assert (transfer, MC.item, MAT["satellite-technology"]) not in g


def test_treaty_has_article_4_mutual_defence_and_its_dates(bundled: CompiledFacts) -> None:
    g = bundled.graph
    treaty = entity_iri("treaty", "rus-prk-csp-2024")
    article4 = entity_iri("provision", "rus-prk-csp-2024-art4")
    assert (treaty, MC.provision, article4) in g
    assert g.value(article4, MC.provisionKind) == MC.mutualDefence
    assert str(g.value(treaty, MC.signedOn)) == "2024-06-19"
    assert str(g.value(treaty, MC.entryIntoForce)) == "2024-12-04"
    assert g.value(treaty, MC.terminatedOn) is None
    assert set(g.objects(treaty, MC.party)) == {entity_iri("state", "RUS"), entity_iri("state", "PRK")}
    assert (treaty, MC.replaces, entity_iri("treaty", "rus-prk-treaty-2000")) in g
    ratification_dates = sorted(str(g.value(r, MC.ratifiedOn)) for r in g.objects(treaty, MC.ratification))
    assert ratification_dates == ["2024-10-24", "2024-11-06", "2024-11-09", "2024-11-11"]


def test_troops_keep_conflicting_qualifiers_and_kursk(bundled: CompiledFacts) -> None:
    g = bundled.graph
    troops_2024 = entity_iri("event", "prk-rus-troops-2024")
    assert _quantities(g, troops_2024) == {(11_000, "personnel", "moreThan"), (11_000, "personnel", "about")}
    assert (troops_2024, MC.location, entity_iri("place", "kursk-oblast")) in g
    assert (3_000, "personnel", "about") in _quantities(g, entity_iri("event", "prk-rus-troops-2025"))


def test_msmt_has_eleven_members_and_not_the_eu(bundled: CompiledFacts) -> None:
    g = bundled.graph
    members = {str(m).rsplit("/", 1)[1] for m in g.objects(entity_iri("organisation", "msmt"), MC.memberState)}
    assert members == {"AUS", "CAN", "FRA", "DEU", "ITA", "JPN", "NLD", "NZL", "KOR", "GBR", "USA"}


def test_petroleum_breaches_the_2397_cap(bundled: CompiledFacts) -> None:
    g = bundled.graph
    breach = entity_iri("breach", "breach-rus-prk-refined-petroleum-2024")
    measure = g.value(breach, MC.breachedMeasure)
    assert measure == entity_iri("measure", "dprk-refined-petroleum-cap")
    assert entity_iri("resolution", "unsc-2397") in set(g.objects(measure, MC.imposedBy))
    cap = g.value(measure, MC.cap)
    assert int(g.value(cap, MC.value)) == 500_000  # type: ignore[arg-type]
    event = entity_iri("event", "rus-prk-refined-petroleum-2024")
    assert _quantities(g, event) == {(1_000_000, "barrels", "moreThan")}
    assert (str(g.value(event, MC.startDate)), str(g.value(event, MC.endDate))) == ("2024-03", "2024-10")


def test_strikes_use_the_supplied_missiles_on_kyiv_and_zaporizhzhia(bundled: CompiledFacts) -> None:
    g = bundled.graph
    strike = entity_iri("event", "rus-strikes-kyiv-zaporizhzhia")
    assert (strike, MC.usesMaterielFrom, entity_iri("event", "prk-rus-ballistic-missiles")) in g
    assert set(g.objects(strike, MC.targetPlace)) == {entity_iri("place", "kyiv"), entity_iri("place", "zaporizhzhia")}
    assert (100, "missiles", "atLeast") in _quantities(g, entity_iri("event", "prk-rus-ballistic-missiles"))


def test_acknowledgement_on_28_april_2025(bundled: CompiledFacts) -> None:
    g = bundled.graph
    statement = entity_iri("event", "prk-acknowledges-deployment")
    assert g.value(statement, MC.stance) == MC.acknowledgement
    assert str(g.value(statement, MC.startDate)) == "2025-04-28"


def test_no_unverified_wikidata_ids(bundled: CompiledFacts) -> None:
    """Only the QIDs the source notes verify are recorded; nothing is guessed."""
    qids = {str(o) for o in bundled.graph.objects(None, MC.wikidataId)}
    assert qids == {"Q423", "Q159", "Q212", "Q1899"}


def test_pantsir_is_an_instance_of_air_defence(bundled: CompiledFacts) -> None:
    g = bundled.graph
    pantsir = entity_iri("system", "pantsir")
    category = g.value(pantsir, MC.category)
    assert category == MAT["air-defence-system"]
    assert (category, SKOS.broader, MAT["air-defence"]) in g
