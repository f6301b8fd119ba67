"""The answers users rely on, from the query service over each store (embedded, and a real Neo4j)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import RDFS

from milcoop.graph.models import Event
from milcoop.graph.service import Cursor, InvalidParameter, NotFound, QueryService
from milcoop.loaders.curated import CompiledFacts
from milcoop.ontology import ontology_graph
from milcoop.ontology.kinds import FROM_TYPES, PATH_LABELS, PATH_TYPES, TO_TYPES
from milcoop.ontology.namespace import MC
from milcoop.ontology.vocabulary import vocabulary
from milcoop.settings import Settings
from tests.api.stores import embedded_settings, neo4j_with_bundled, service_for


@pytest.fixture(scope="module", params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts
) -> Iterator[QueryService]:
    if request.param == "embedded":
        settings = embedded_settings(tmp_path_factory.mktemp("queries"), bundled)
    else:
        settings = neo4j_with_bundled(request.getfixturevalue("neo4j_settings"), bundled)
    with service_for(settings) as svc:
        yield svc


def by_id(events: list[Event]) -> dict[str, Event]:
    return {e.id: e for e in events}


def quantities(event: Event) -> set[tuple[int, str, str, str]]:
    return {(q.value, q.unit, q.qualifier, q.source) for q in event.quantities}


# -- flows -------------------------------------------------------------------------------------------


def test_flows_dprk_to_russia_since_2023_carry_their_quantities_and_sources(service: QueryService) -> None:
    page = service.flows("DPRK", "Russia", since="2023-01-01")
    events = by_id(page.items)
    assert page.query.from_ is not None and page.query.from_.id == "PRK"
    assert page.query.to is not None and page.query.to.id == "RUS"

    containers = events["prk-rus-munitions-containers"]
    assert containers.kind == "materiel-transfer"
    assert (20000, "containers", "more-than", "source-notes") in quantities(containers)
    assert containers.period is not None
    assert (containers.period.start, containers.period.start_precision, containers.period.end) == (
        "2023-09",
        "month",
        None,
    )
    assert containers.transport == ["air", "rail", "sea"]

    ammunition = events["prk-rus-ammunition-2024"]
    # Two sources word the same figure differently; both accounts stay, each with its claim.
    assert quantities(ammunition) == {
        (9000000, "rounds", "as-many-as", "source-notes"),
        (9000000, "rounds", "nearly", "voice-news-article"),
    }
    notes = next(c for c in ammunition.claims if c.source.id == "source-notes")
    assert notes.grading == "B2"
    assert [c.id for c in notes.cites] == ["msmt-2025-1"]
    assert notes.source.name == "Source notes: DPRK–Russia military cooperation"
    assert notes.quote is not None and notes.quote.startswith("As many as 9 million rounds")
    # Every flow comes with at least one claim and its source.
    assert all(e.claims and all(c.source.id for c in e.claims) for e in page.items)


@pytest.mark.parametrize("ref", ["PRK", "prk", "DPRK", "North Korea", "north korea", "Q423",
                                 "https://w3id.org/milcoop/id/state/PRK"])
def test_an_actor_can_be_named_every_way_people_name_it(service: QueryService, ref: str) -> None:
    assert service.resolve("from", ref, None, "entity") == "https://w3id.org/milcoop/id/state/PRK"


def test_sought_satellite_help_is_a_support_request_never_a_transfer(service: QueryService) -> None:
    events = by_id(service.flows("PRK", "RUS").items)
    satellite = events["prk-seeks-satellite-help"]
    assert satellite.kind == "support-request"
    assert satellite.statuses == ["sought"]
    assert {c.status for c in satellite.claims} == {"sought"}
    transfers = service.flows("PRK", "RUS", kinds=["materiel-transfer,technology-transfer"]).items
    assert "prk-seeks-satellite-help" not in by_id(transfers)
    assert all(e.kind in ("materiel-transfer", "technology-transfer") for e in transfers)
    sought = service.flows("PRK", status="sought").items
    assert [e.id for e in sought] == ["prk-seeks-satellite-help"]


def ids(events: list[Event]) -> list[str]:
    return [e.id for e in events]


def test_windows_respect_the_precision_of_each_date(service: QueryService) -> None:
    # Petroleum: March to October 2024 (month precision), so it ends on 2024-10-31.
    # Pantsir: since November 2024, open-ended.
    petroleum, pantsir = "rus-prk-refined-petroleum-2024", "rus-prk-pantsir"
    assert {petroleum, pantsir} <= set(ids(service.flows("RUS", "PRK", since="2024-10-31").items))
    after = ids(service.flows("RUS", "PRK", since="2024-11-01").items)
    assert pantsir in after and petroleum not in after
    before = ids(service.flows("RUS", "PRK", until="2024-10-31").items)
    assert petroleum in before and pantsir not in before
    # A month or a year as a bound means its first day (since) or last day (until).
    assert ids(service.flows("RUS", "PRK", until="2024-10").items) == before
    assert pantsir in ids(service.flows("RUS", "PRK", since="2030").items)  # open-ended
    assert petroleum not in ids(service.flows("RUS", "PRK", since="2025").items)
    # The window is an overlap: an event spanning it is kept.
    assert petroleum in ids(service.flows("RUS", "PRK", since="2024-05-01", until="2024-05-31").items)


def test_undated_events_are_included_unless_excluded(service: QueryService) -> None:
    events = by_id(service.flows("PRK", "RUS", since="2024-01-01").items)
    assert events["prk-rus-ballistic-missiles"].period is None
    dated = service.flows("PRK", "RUS", since="2024-01-01", undated="exclude").items
    assert "prk-rus-ballistic-missiles" not in by_id(dated)
    assert all(e.period is not None for e in dated)
    # Undated events come after every dated one.
    everything = service.flows("PRK", "RUS").items
    periods = [e.period is None for e in everything]
    assert periods == sorted(periods)


def test_min_grade_keeps_only_claims_that_meet_it(service: QueryService) -> None:
    events = by_id(service.flows("PRK", "RUS", min_grade="B2").items)
    assert "prk-rus-kn-23-kn-24" not in events  # its only claim is C3
    ammunition = events["prk-rus-ammunition-2024"]
    assert {c.grading for c in ammunition.claims} == {"B2"}
    assert quantities(ammunition) == {(9000000, "rounds", "as-many-as", "source-notes")}
    assert all(c.grading in ("A1", "A2", "B1", "B2") for e in events.values() for c in e.claims)


def test_pages_follow_each_other_without_gaps_or_repeats(service: QueryService) -> None:
    whole = ids(service.flows("PRK").items)
    walked: list[str] = []
    cursor = None
    while True:
        page = service.flows("PRK", limit=2, cursor=cursor)
        walked += ids(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert walked == whole
    assert len(whole) > 4


def test_deployments_by_the_dprk(service: QueryService) -> None:
    events = service.deployments(by="PRK", to="RUS").items
    assert ids(events) == ["prk-rus-troops-2024", "prk-rus-troops-2025"]
    assert [p.place.id for p in events[0].places] == ["kursk-oblast"]
    assert ids(service.deployments(to="RUS", since="2025").items) == ["prk-rus-troops-2025"]


# -- relations, treaties, violations ------------------------------------------------------------------


def test_relations_are_one_timeline_of_treaties_events_and_statements(service: QueryService) -> None:
    page = service.relations("PRK", "Russia")
    entries = [(i.type, (i.event or i.treaty).id) for i in page.items]  # type: ignore[union-attr]
    assert entries[0] == ("treaty", "rus-prk-treaty-2000")
    assert ("treaty", "rus-prk-csp-2024") in entries
    assert ("event", "prk-acknowledges-deployment") in entries
    assert ("event", "putin-acknowledges-deployment") in entries
    assert ("event", "rus-prk-pantsir") in entries
    # By start, undated last (an event known by its end only has no start and sorts by its end).
    starts = [i.start or "~" for i in page.items if not (i.event and i.event.period and not i.event.period.start)]
    assert starts == sorted(starts)
    directions = {(i.event.id, i.direction) for i in page.items if i.event}
    assert ("rus-prk-pantsir", "b-to-a") in directions
    assert ("prk-rus-munitions-containers", "a-to-b") in directions
    treaty = next(i.treaty for i in page.items if i.treaty and i.treaty.id == "rus-prk-csp-2024")
    assert [p.article for p in treaty.provisions] == [4, 22]


def test_relations_include_weapons_used_by_one_against_the_other(service: QueryService) -> None:
    page = service.relations("RUS", "UKR")
    assert [(i.event.id, i.direction) for i in page.items if i.event] == [
        ("rus-strikes-kyiv-zaporizhzhia", "a-to-b")
    ]


def test_treaty_in_force_for_the_dprk_on_2025_01_01(service: QueryService) -> None:
    page = service.treaties("PRK", "2025-01-01")
    assert [t.id for t in page.items] == ["rus-prk-csp-2024"]
    [treaty] = page.items
    article_4 = next(p for p in treaty.provisions if p.article == 4)
    assert article_4.kind == "mutual-defence"
    assert [r.id for r in treaty.replaces] == ["rus-prk-treaty-2000"]
    # Signed but not yet in force (entry into force 2024-12-04); the 2000 treaty's entry into
    # force is unknown, so it is never listed as in force.
    assert service.treaties("PRK", "2024-12-03").items == []
    assert [t.id for t in service.treaties("PRK").items] == ["rus-prk-treaty-2000", "rus-prk-csp-2024"]
    assert [t.id for t in service.treaties().items] == ["rus-prk-treaty-2000", "rus-prk-csp-2024"]


def test_refined_petroleum_breaches_the_2397_cap(service: QueryService) -> None:
    page = service.violations(measure="dprk-refined-petroleum-cap")
    [violation] = page.items
    assert violation.event is not None and violation.event.id == "rus-prk-refined-petroleum-2024"
    assert violation.measure is not None
    assert 2397 in [r.number for r in violation.measure.resolutions]
    assert violation.measure.cap is not None and violation.measure.cap.value == 500000
    [claim] = violation.claims
    assert claim.source.id == "source-notes" and claim.quote is not None and "2397" in claim.quote
    by_russia = {v.id for v in service.violations(state="RUS").items}
    assert "breach-rus-prk-refined-petroleum-2024" in by_russia and len(by_russia) == 6
    supply = service.violations(state="Russia", measure="dprk-arms-supply-ban").items
    assert {v.event.id for v in supply if v.event} == {"rus-prk-pantsir", "rus-prk-air-defence"}


# -- paths ------------------------------------------------------------------------------------------------


def test_path_from_the_dprk_to_kyiv_runs_through_the_missiles_and_the_strike(service: QueryService) -> None:
    answer = service.paths("DPRK", "Kyiv")
    assert answer.length == 3 and answer.complete
    [path] = answer.paths
    assert [n.id for n in path.nodes] == ["PRK", "prk-rus-ballistic-missiles", "rus-strikes-kyiv-zaporizhzhia", "kyiv"]
    assert [s.type for s in path.steps] == ["SUPPLIER", "USES_MATERIEL_FROM", "TARGET_PLACE"]


def test_paths_walk_only_actors_events_places_and_treaties(service: QueryService) -> None:
    answer = service.paths("PRK", "RUS", max_hops=2, limit=100)
    assert answer.length == 2
    assert answer.total == len(answer.paths) > 10
    middle = {p.nodes[1].kind for p in answer.paths}
    assert middle <= {"materiel-transfer", "technology-transfer", "troop-deployment", "support-request", "treaty"}
    orders = [[n.iri for n in p.nodes] + [s.type for s in p.steps] for p in answer.paths]
    assert orders == sorted(orders)
    assert service.paths("PRK", "UKR", max_hops=1).paths == []
    with pytest.raises(InvalidParameter, match="source msmt-2025-1"):
        service.paths("msmt-2025-1", "PRK")  # a source is not walked


# -- sources and entities ---------------------------------------------------------------------------------


def test_a_cited_report_supports_the_facts_attributed_to_it(service: QueryService) -> None:
    detail = service.source("msmt-2025-1")
    assert detail.source.claims_read_here == 0 and detail.source.claims_citing > 0
    facts = {f.fact.id: f for f in detail.facts.items}
    ammunition = facts["prk-rus-ammunition-2024"]
    assert ammunition.via == ["cites"]
    assert {c.source.id for c in ammunition.claims} == {"source-notes", "voice-news-article"}
    assert "prk-rus-kn-23-kn-24" not in facts  # its claim cites nothing
    notes = service.source("source-notes")
    assert all(f.via == ["source"] for f in notes.facts.items)


def test_search_puts_exact_matches_first(service: QueryService) -> None:
    assert [e.id for e in service.search("korea").items] == ["KOR", "PRK"]
    assert service.search("DPRK").items[0].id == "PRK"


def test_the_search_ranking_is_exact_then_prefix_then_contains() -> None:
    from milcoop.graph.store import SEARCH_MATCHES, search_key, search_rank

    assert SEARCH_MATCHES == ("exact", "prefix", "contains")
    assert search_rank("korea", ["North Korea", "Korea"]) == 0
    assert search_rank("korea", ["North Korea", "Korean Peninsula"]) == 1
    assert search_rank("korea", ["North Korea"]) == 2
    assert search_rank("korea", ["PRK"]) is None
    assert search_rank("prk", ["PRK"]) == 0  # names in any case; the text comes lower-cased
    assert sorted([search_key(2, "a"), search_key(0, "b"), search_key(1, "a")]) == ["0 b", "1 a", "2 a"]


def test_entity_detail_shows_identifiers_and_links(service: QueryService) -> None:
    detail = service.entity("North Korea")
    assert detail.entity.id == "PRK" and {"DPRK", "North Korea"} <= set(detail.entity.aliases)
    assert detail.identifiers == {
        "iso_code": "PRK",
        "iso_alpha2": "KP",
        "iso_numeric": "408",
        "cow_code": "731",
        "cow_abbreviation": "PRK",
        "wikidata": "Q423",
    }
    counts = {c.type: c.count for c in detail.incoming}
    assert counts["SUPPLIER"] >= 9 and counts["PARTY"] == 2
    event = service.entity("prk-rus-ammunition-2024")
    assert event.event is not None and event.event.kind == "materiel-transfer"


def test_unknown_entities_are_named_with_close_matches(service: QueryService) -> None:
    with pytest.raises(NotFound) as caught:
        service.flows("Nroth Korea")
    assert caught.value.parameter == "from"
    assert "Nroth Korea" in caught.value.message
    assert "PRK" in [s.id for s in caught.value.suggestions]


def test_a_reference_to_the_wrong_kind_says_what_it_names(service: QueryService) -> None:
    with pytest.raises(InvalidParameter) as caught:
        service.flows("Kyiv")
    assert caught.value.parameter == "from"
    assert "place kyiv" in caught.value.message
    with pytest.raises(InvalidParameter, match="materiel-transfer prk-rus-koksan"):
        service.flows("prk-rus-koksan")


def test_a_claim_id_names_the_claim_not_its_quantity(service: QueryService) -> None:
    detail = service.entity("prk-rus-ammunition-2024--source-notes")
    assert detail.entity.kind == "claim"
    assert [link.target.kind for link in detail.outgoing if link.type == "CLAIMED_QUANTITY"] == ["quantity"]


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        ({"since": "2024-13"}, "since"),
        ({"since": "2025", "until": "2024"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"kinds": ["gift"]}, "kind"),
        ({"status": "rumoured"}, "status"),
        ({"min_grade": "Z9"}, "min_grade"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": Cursor("2024-01-01 x", "another-query").encode()}, "cursor"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_parameters_are_named(service: QueryService, call: dict[str, Any], parameter: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        service.flows("PRK", **call)
    assert caught.value.parameter == parameter


# -- the query text ---------------------------------------------------------------------------------------


def test_relationship_types_in_the_queries_come_from_the_ontology() -> None:
    onto = ontology_graph()
    vocab = vocabulary()

    def subproperties(parent: Any) -> set[str]:
        return {vocab.relationships[p].type for p in onto.subjects(RDFS.subPropertyOf, parent)}  # type: ignore[index]

    assert set(FROM_TYPES) == subproperties(MC.fromActor)
    assert set(TO_TYPES) == subproperties(MC.toActor)
    assert set(PATH_TYPES) <= vocab.relationship_types
    assert vocab.all_labels >= PATH_LABELS


@pytest.mark.neo4j
def test_the_flows_query_seeks_the_actor_and_never_scans_all_events(
    neo4j_settings: Settings, bundled: CompiledFacts
) -> None:
    from neo4j import GraphDatabase

    from milcoop.graph.neo4j.cypher import queries

    neo4j_with_bundled(neo4j_settings, bundled)
    parameters = {
        "labels": ["MaterielTransfer"], "source": "https://w3id.org/milcoop/id/state/PRK",
        "target": "https://w3id.org/milcoop/id/state/RUS", "toTypes": list(TO_TYPES), "since": None,
        "until": None, "includeUndated": True, "claimFilter": True, "status": "reported",
        "maxReliability": "B", "maxCredibility": 2, "after": None, "limit": 51,
    }
    with GraphDatabase.driver(neo4j_settings.neo4j_uri, auth=("neo4j", "test")) as driver, driver.session() as s:
        summary = s.run("PROFILE " + queries.EVENTS_FROM, parameters).consume()
    operators: list[str] = []

    def walk(plan: dict[str, Any]) -> None:
        operators.append(plan["operatorType"])
        for child in plan.get("children", []):
            walk(child)

    assert summary.profile is not None
    walk(summary.profile)
    names = [op.split("@")[0] for op in operators]
    assert not [n for n in names if n in ("AllNodesScan", "NodeByLabelScan")], names
    assert "NodeUniqueIndexSeek" in names, names


@pytest.mark.neo4j
@pytest.mark.parametrize(("source", "target"), [("PRK", "RUS"), ("RUS", "PRK"), ("RUS", "UKR")])
def test_both_anchors_of_the_neo4j_flows_query_select_the_same_events(
    neo4j_settings: Settings, bundled: CompiledFacts, source: str, target: str
) -> None:
    from milcoop.graph.neo4j.cypher import queries
    from milcoop.graph.neo4j.store import Neo4jGraphStore

    neo4j_with_bundled(neo4j_settings, bundled)
    store = Neo4jGraphStore.connect(neo4j_settings)
    try:
        base = "https://w3id.org/milcoop/id/state/"
        parameters: dict[str, Any] = {
            "labels": [], "source": base + source, "target": base + target,
            "toTypes": [*TO_TYPES, "TARGET_STATE"], "since": None, "until": None, "includeUndated": True,
            "claimFilter": False, "status": None, "maxReliability": None, "maxCredibility": None,
            "after": None, "limit": 100,
        }
        by_source = [(r["iri"], r["key"]) for r in store._read(queries.EVENTS_FROM, **parameters)]
        by_target = [(r["iri"], r["key"]) for r in store._read(queries.EVENTS_TO_FROM, **parameters)]
        assert by_source == by_target
        assert by_source
    finally:
        store.close()
