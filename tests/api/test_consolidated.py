"""Consolidated quantities of the bundled facts (data/dprk-russia.yaml) over HTTP, the same from
both stores: the containers, the ammunition, the troops, and how ``min_grade`` changes which
claims take part."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from milcoop.loaders.curated import CompiledFacts
from milcoop.settings import Settings
from tests.api.stores import client_for, embedded_settings, neo4j_with_bundled


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Settings:
    return embedded_settings(tmp_path_factory.mktemp("consolidated"), bundled)


@pytest.fixture(scope="module")
def neo4j(request: pytest.FixtureRequest, bundled: CompiledFacts) -> Settings:
    return neo4j_with_bundled(request.getfixturevalue("neo4j_settings"), bundled)


@pytest.fixture(scope="module", params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    with client_for(request.getfixturevalue(request.param)) as test_client:
        yield test_client


def _events(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/flows", params={"from": "PRK", "limit": 500, **params})
    assert response.status_code == 200, response.text
    return {event["id"]: event for event in response.json()["items"]}


def _bounds(entry: dict[str, Any]) -> tuple[Any, bool, Any, bool]:
    return entry["low"], entry["low_inclusive"], entry["high"], entry["high_inclusive"]


def _one(event: dict[str, Any], unit: str) -> dict[str, Any]:
    (entry,) = [c for c in event["consolidated"] if c["unit"] == unit]
    return entry


def test_the_containers_are_more_than_20000_with_no_upper_bound(client: TestClient) -> None:
    entry = _one(_events(client)["prk-rus-munitions-containers"], "containers")
    assert _bounds(entry) == (20000, False, None, False)
    assert entry["claims"] == [
        "prk-rus-munitions-containers--source-notes",
        "prk-rus-munitions-containers--voice-news-article",
    ]
    assert entry["conflicting"] == []


def test_the_ammunition_is_at_most_9_million_from_the_nearly_claims_lower_edge(client: TestClient) -> None:
    entry = _one(_events(client)["prk-rus-ammunition-2024"], "rounds")
    # "as many as 9 million" [0, 9M] and "nearly nine million" [8.1M, 9M): 10% below, by convention.
    assert _bounds(entry) == (8100000, True, 9000000, False)
    assert {i["claim"]: _bounds(i) for i in entry["intervals"]} == {
        "prk-rus-ammunition-2024--source-notes": (0, True, 9000000, True),
        "prk-rus-ammunition-2024--voice-news-article": (8100000, True, 9000000, False),
    }
    assert entry["conflicting"] == []


def test_the_troops_of_2024_lie_above_11000_and_within_about_11000(client: TestClient) -> None:
    entry = _one(_events(client)["prk-rus-troops-2024"], "personnel")
    # "more than 11,000" (11000, no top) and "around 11,000" [9900, 12100].
    assert _bounds(entry) == (11000, False, 12100, True)
    assert entry["claims"] == ["prk-rus-troops-2024--source-notes", "prk-rus-troops-2024--voice-news-article"]
    assert entry["conflicting"] == []


def test_the_troops_of_2025_are_the_article_s_exact_3000(client: TestClient) -> None:
    entry = _one(_events(client)["prk-rus-troops-2025"], "personnel")
    assert _bounds(entry) == (3000, True, 3000, True)


def test_min_grade_leaves_the_weaker_claims_out_of_the_consolidation(client: TestClient) -> None:
    events = _events(client, min_grade="B2")
    ammunition = _one(events["prk-rus-ammunition-2024"], "rounds")
    assert ammunition["claims"] == ["prk-rus-ammunition-2024--source-notes"]
    assert _bounds(ammunition) == (0, True, 9000000, True)
    troops = _one(events["prk-rus-troops-2024"], "personnel")
    assert _bounds(troops) == (11000, False, None, False)


def test_a_sought_claim_gives_no_consolidated_quantity(client: TestClient) -> None:
    for event in _events(client).values():
        for entry in event["consolidated"]:
            statuses = {c["id"]: c["status"] for c in event["claims"]}
            assert all(statuses[c] not in ("denied", "sought") for c in entry["claims"]), event["id"]
