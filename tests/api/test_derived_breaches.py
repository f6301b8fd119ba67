"""Derived breaches in /v1/violations, the same from both stores.

One store per backend holds the bundled facts and tests/fixtures/cases/derived-breaches.yaml,
made-up facts about fictional states (XEA, XEB, XEC: ISO 3166-1 user-assigned codes, no real
state): a transfer covered by no measure, one before its measure took effect, one inside, one
through a narrower concept, one through a system's category, one a source asserts, one only
ordered, one undated, one only denied, one while a measure was in force and one after it ended, and refined
petroleum over, under, across two years and about a yearly cap. The fixture's header lists what each
must give.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from milcoop.loaders.curated import CompiledFacts, compile_facts
from milcoop.settings import Settings
from tests.api.stores import client_for, embedded_settings, neo4j_with_bundled
from tests.conftest import DATA

CASE = Path(__file__).resolve().parent.parent / "fixtures" / "cases" / "derived-breaches.yaml"

Params = dict[str, Any]

#: What the rules derive from the fictional case: (event, measure, rule).
FICTIONAL_DERIVED = {
    ("xea-xeb-inside", "xeb-arms-supply-ban", "supply-to-target"),
    ("xea-xeb-narrower", "xeb-arms-supply-ban", "supply-to-target"),
    ("xea-xeb-system", "xeb-arms-supply-ban", "supply-to-target"),
    ("xec-xea-in-force", "xec-arms-procurement-ban", "procurement-from-target"),
    ("xea-xeb-petroleum-over", "xeb-petroleum-cap", "one-transfer-over-yearly-cap"),
}
#: Events of the case the rules must leave alone.
FICTIONAL_NOTHING = {
    "xea-xeb-outside",
    "xea-xeb-before",
    "xea-xeb-ordered",
    "xea-xeb-undated",
    "xea-xeb-denied",
    "xec-xea-after-end",
    "xea-xeb-petroleum-under",
    "xea-xeb-petroleum-years",
    "xea-xeb-petroleum-about",
}


@pytest.fixture(scope="module")
def facts() -> CompiledFacts:
    return compile_facts([DATA, CASE])


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory, facts: CompiledFacts) -> Settings:
    return embedded_settings(tmp_path_factory.mktemp("derived-breaches"), facts)


@pytest.fixture(scope="module")
def neo4j(request: pytest.FixtureRequest, facts: CompiledFacts) -> Settings:
    # The session's Neo4j is shared: other modules bring it back to the bundled facts.
    return neo4j_with_bundled(request.getfixturevalue("neo4j_settings"), facts)


@pytest.fixture(scope="module", params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    with client_for(request.getfixturevalue(request.param)) as test_client:
        yield test_client


def _get(client: TestClient, params: Params) -> Any:
    response = client.get("/v1/violations", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _walk(client: TestClient, params: Params) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        answer = _get(client, {**params, **({"cursor": cursor} if cursor else {})})
        items += answer["items"]
        cursor = answer["next_cursor"]
        if cursor is None:
            return items


def _by_id(client: TestClient, params: Params) -> dict[str, Any]:
    return {v["id"]: v for v in _walk(client, {"limit": 100, **params})}


def _derived(items: list[Any]) -> set[tuple[str, str, str]]:
    return {
        (v["rests_on"]["event"]["id"], v["rests_on"]["measure"]["id"], v["rule"]["id"])
        for v in items
        if v["basis"] == "derived"
    }


# -- the bundled facts ------------------------------------------------------------------------------------


def test_the_dprk_ammunition_is_found_by_the_procurement_rule_and_listed_once_as_asserted(client: TestClient) -> None:
    items = _by_id(client, {"measure": "dprk-arms-procurement-ban"})
    ammunition = items["breach-prk-rus-ammunition-2024"]
    assert ammunition["basis"] == "asserted"
    assert ammunition["claims"]
    assert [r["id"] for r in ammunition["also_derived_by"]] == ["procurement-from-target"]
    # listed once: no derived item repeats an event and measure a source asserts
    assert not any(v["basis"] == "derived" and v["event"]["id"] == "prk-rus-ammunition-2024" for v in items.values())


def test_the_dprk_ballistic_missiles_are_not_derived_as_the_sources_give_no_date(client: TestClient) -> None:
    missiles = _by_id(client, {"measure": "dprk-arms-procurement-ban"})["breach-prk-rus-ballistic-missiles"]
    assert missiles["basis"] == "asserted"
    assert missiles["event"]["period"] is None
    assert missiles["also_derived_by"] == []


def test_the_petroleum_over_the_2397_cap_is_found_by_the_cap_rule(client: TestClient) -> None:
    petroleum = _by_id(client, {"measure": "dprk-refined-petroleum-cap"})["breach-rus-prk-refined-petroleum-2024"]
    assert petroleum["basis"] == "asserted"
    assert [r["id"] for r in petroleum["also_derived_by"]] == ["one-transfer-over-yearly-cap"]


def test_no_bundled_transfer_is_derived_that_a_source_does_not_assert(client: TestClient) -> None:
    # Every dated DPRK-Russia transfer under a measure is asserted: the rules add no new item.
    assert _get(client, {"state": "PRK", "basis": "derived", "limit": 100})["items"] == []


# -- the fictional case ----------------------------------------------------------------------------------


def test_the_rules_derive_exactly_the_transfers_inside_a_measure(client: TestClient) -> None:
    items = list(_by_id(client, {"state": "XEA"}).values())
    assert _derived(items) == FICTIONAL_DERIVED
    listed = {v["event"]["id"] for v in items}
    assert not listed & FICTIONAL_NOTHING
    assert "xeb-asset-freeze" not in {v["measure"]["id"] for v in items}


def test_a_transfer_a_source_asserts_is_listed_once_as_asserted(client: TestClient) -> None:
    items = _by_id(client, {"state": "XEB"})
    asserted = items["breach-xea-xeb-asserted"]
    assert asserted["basis"] == "asserted"
    assert [r["id"] for r in asserted["also_derived_by"]] == ["supply-to-target"]
    assert [v for v in items.values() if v["event"]["id"] == "xea-xeb-asserted"] == [asserted]


def test_a_derived_breach_shows_its_rule_and_what_it_rests_on_and_no_claims(client: TestClient) -> None:
    items = _by_id(client, {"measure": "xeb-arms-supply-ban", "basis": "derived"})
    narrower = items["derived--supply-to-target--xea-xeb-narrower--xeb-arms-supply-ban"]
    assert narrower["iri"] is None
    assert narrower["claims"] == []
    assert narrower["rule"]["measure_kind"] == "supply-ban"
    rests_on = narrower["rests_on"]
    assert (rests_on["target"]["id"], rests_on["side"]) == ("XEB", "to")
    assert [(i["item"]["id"], i["covered"]["id"], i["category"]) for i in rests_on["items"]] == [
        ("ballistic-missile", "un-register-vii", None)
    ]
    assert rests_on["event_span"] == {"start": "2021-01-01", "end": "2021-12-31"}
    assert rests_on["in_force"] == {"start": "2020-06-01", "end": None}
    assert rests_on["in_force_from"] == "fictional-council-resolution-1"
    assert rests_on["within"] is True
    system = items["derived--supply-to-target--xea-xeb-system--xeb-arms-supply-ban"]["rests_on"]["items"]
    assert [(i["item"]["id"], i["covered"]["id"], i["category"]["id"]) for i in system] == [
        ("kn-23", "un-register-vii", "ballistic-missile")
    ]


def test_a_measure_counts_from_its_own_date_until_its_end(client: TestClient) -> None:
    [item] = _walk(client, {"measure": "xec-arms-procurement-ban"})
    assert item["rests_on"]["event"]["id"] == "xec-xea-in-force"
    assert item["rests_on"]["in_force"] == {"start": "2021-01-01", "end": "2021-12-31"}
    assert item["rests_on"]["in_force_from"] == "in-force-from"
    assert item["rests_on"]["side"] == "from"


def test_one_transfer_over_a_yearly_cap_within_one_calendar_year(client: TestClient) -> None:
    [item] = _walk(client, {"measure": "xeb-petroleum-cap"})
    cap = item["rests_on"]["cap"]
    assert item["rests_on"]["event"]["id"] == "xea-xeb-petroleum-over"
    assert (cap["quantity"]["value"], cap["quantity"]["unit"], cap["quantity"]["qualifier"]) == (
        1500,
        "barrels",
        "more-than",
    )
    assert (cap["cap"]["value"], cap["cap"]["unit"], cap["year"]) == (1000, "barrels-per-year", 2022)
    assert cap["claim"] == "xea-xeb-petroleum-over--fictional-monitor"


def test_the_basis_filter_keeps_one_kind(client: TestClient) -> None:
    everything = _walk(client, {"state": "XEB", "limit": 100})
    for basis in ("asserted", "derived"):
        kept = _walk(client, {"state": "XEB", "basis": basis, "limit": 100})
        assert kept == [v for v in everything if v["basis"] == basis]
        assert _get(client, {"state": "XEB", "basis": basis})["basis"] == basis
    assert client.get("/v1/violations", params={"basis": "inferred"}).status_code == 422


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_pages_of_derived_and_asserted_breaches_walk_the_whole_list(client: TestClient, limit: int) -> None:
    # Derived and asserted breaches share one key (the event's start, else its end; then the
    # breach's IRI or the derived breach's id): pages of any size walk the same list.
    whole = _walk(client, {"limit": 100})
    assert {"asserted", "derived"} == {v["basis"] for v in whole}
    assert _walk(client, {"limit": limit}) == whole
    derived_days = [v["rests_on"]["event_span"]["start"] for v in whole if v["basis"] == "derived"]
    assert derived_days == sorted(derived_days)


# -- both stores alike --------------------------------------------------------------------------------------

PARITY: list[Params] = [
    {},
    {"limit": 2},
    {"state": "XEB"},
    {"state": "PRK"},
    {"measure": "xeb-petroleum-cap"},
    {"measure": "dprk-refined-petroleum-cap"},
    {"basis": "derived"},
    {"basis": "asserted", "state": "RUS"},
]


@pytest.mark.neo4j
def test_both_stores_answer_alike(embedded: Settings, neo4j: Settings) -> None:
    with client_for(embedded) as left, client_for(neo4j) as right:
        for params in PARITY:
            answers = [_walk(c, params) for c in (left, right)]
            assert answers[0] == answers[1], params
            assert answers[0], params
