"""The Neo4j store's caches (graph/neo4j/store.py): actors' event selections, the nodes a
description brings along, and path search's relationships.

The cache class itself (bounds, a new data version, one read for concurrent requests) is tested
in tests/graph/test_cache.py. Against a real Neo4j: the cached pages are the pages the Cypher
queries (EVENTS_FROM, EVENTS_TO, EVENTS_TO_FROM, which selected every page before the cache) give,
for every filter a flows or relations request can carry; a load of other data replaces what the cache answers; describe,
incoming and neighbours answer as the plain DESCRIBE, INCOMING and NEIGHBOURS queries. The data
are the bundled facts and bench/synthetic.py's fictional states (XAA, XAB, ...: ISO 3166
user-assigned codes), all of those made up.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from neo4j import Driver

from bench.synthetic import SyntheticDataset, generate
from milcoop.graph.neo4j.cypher import queries as cq
from milcoop.graph.neo4j.store import VERSION_TTL_SECONDS, Neo4jGraphStore
from milcoop.graph.neo4j.writer import write_records
from milcoop.graph.store import Edge, EventFilter, Keyed
from milcoop.loaders.curated import CompiledFacts
from milcoop.ontology.kinds import PATH_LABELS, TARGET_TYPES, TO_TYPES
from milcoop.settings import Settings
from tests.api.stores import neo4j_with_bundled

STATE = "https://w3id.org/milcoop/id/state/"

# -- against Neo4j ------------------------------------------------------------------------------------


def _cypher(store: Neo4jGraphStore, query: Any, flt: EventFilter, after: str | None, limit: int) -> list[Keyed]:
    """The page the Cypher queries select for ``flt`` (the store's way before the cache)."""
    parameters: dict[str, Any] = {
        "labels": sorted(flt.labels), "source": flt.source, "target": flt.target, "toTypes": list(flt.to_types),
        "since": flt.since, "until": flt.until, "includeUndated": flt.include_undated,
        "claimFilter": flt.filters_claims, "status": flt.status, "maxReliability": flt.max_reliability,
        "maxCredibility": flt.max_credibility, "after": after, "limit": limit,
    }  # fmt: skip
    return [(str(r["iri"]), str(r["key"])) for r in store._read(query, **parameters)]


def _reference(store: Neo4jGraphStore, flt: EventFilter, after: str | None, limit: int) -> list[Keyed]:
    if flt.source and flt.target:
        by_source = _cypher(store, cq.EVENTS_FROM, flt, after, limit)
        assert _cypher(store, cq.EVENTS_TO_FROM, flt, after, limit) == by_source
        return by_source
    return _cypher(store, cq.EVENTS_FROM if flt.source else cq.EVENTS_TO, flt, after, limit)


def _all_pages(store: Neo4jGraphStore, flt: EventFilter, limit: int) -> list[Keyed]:
    found: list[Keyed] = []
    after: str | None = None
    while True:
        page = store.select_events(flt, after, limit)
        assert page == _reference(store, flt, after, limit), (flt, after)
        found.extend(page)
        if len(page) < limit:
            return found
        after = page[-1][1]


def _load(driver: Driver, settings: Settings, dataset: SyntheticDataset) -> None:
    write_records(driver, settings.neo4j_database, dataset.nodes, dataset.relationships,
                  data_version=dataset.version)  # fmt: skip


@pytest.fixture
def store(neo4j_settings: Settings, bundled: CompiledFacts) -> Iterator[Neo4jGraphStore]:
    neo4j_with_bundled(neo4j_settings, bundled)  # the schema, and the bundled facts for the first tests
    opened = Neo4jGraphStore.connect(neo4j_settings)
    try:
        yield opened
    finally:
        opened.close()


def _filters(a: str, b: str) -> list[EventFilter]:
    sides = (*TO_TYPES, *TARGET_TYPES)
    return [
        EventFilter(source=a),
        EventFilter(target=a),
        EventFilter(source=a, target=b),
        EventFilter(source=b, target=a, to_types=sides),
        EventFilter(source=a, labels=frozenset({"MaterielTransfer", "TroopDeployment"})),
        EventFilter(source=a, since=dt.date(2024, 5, 1), until=dt.date(2024, 5, 31)),
        EventFilter(source=a, until=dt.date(2010, 12, 31)),
        EventFilter(source=a, since=dt.date(2015, 1, 1), include_undated=False),
        EventFilter(target=a, status="reported"),
        EventFilter(source=a, max_reliability="B", max_credibility=2),
        EventFilter(source=a, target=b, status="estimated", max_reliability="C", max_credibility=3),
    ]


@pytest.mark.neo4j
@pytest.mark.parametrize(("a", "b"), [("PRK", "RUS"), ("RUS", "PRK"), ("RUS", "UKR")])
def test_cached_pages_of_the_bundled_facts_are_the_cypher_pages(store: Neo4jGraphStore, a: str, b: str) -> None:
    for flt in _filters(STATE + a, STATE + b):
        _all_pages(store, flt, 2)
    assert store.select_events(EventFilter(source=STATE + a), None, 100)


@pytest.mark.neo4j
def test_an_actor_too_busy_to_cache_is_paged_by_cypher_alike(store: Neo4jGraphStore, neo4j_settings: Settings) -> None:
    uncached = Neo4jGraphStore(store.driver, store.database, store.uri, selection_max_events=0)
    try:
        for flt in _filters(STATE + "RUS", STATE + "PRK"):
            after: str | None = None
            while True:
                page = uncached.select_events(flt, after, 3)
                assert page == store.select_events(flt, after, 3), (flt, after)
                if len(page) < 3:
                    break
                after = page[-1][1]
        assert len(uncached._selections) == 0  # nothing was cached
        assert len(store._selections) > 0
    finally:
        uncached.circuit.close()  # the driver is the other store's


@pytest.mark.neo4j
def test_a_load_of_other_data_replaces_the_cached_selections(
    store: Neo4jGraphStore, neo4j_settings: Settings, neo4j_driver: Driver
) -> None:
    first, second = generate(300, seed=1), generate(300, seed=2)
    busy, other = STATE + "XAA", STATE + "XAB"
    asked = [EventFilter(source=busy), EventFilter(target=busy), EventFilter(source=busy, target=other)]
    _load(neo4j_driver, neo4j_settings, first)
    time.sleep(VERSION_TTL_SECONDS)  # the store reads the data version again after this long
    before = [_all_pages(store, flt, 7) for flt in asked]
    assert all(before)

    _load(neo4j_driver, neo4j_settings, second)
    time.sleep(VERSION_TTL_SECONDS)
    after = [_all_pages(store, flt, 7) for flt in asked]  # each page checked against Cypher

    assert store.data_version() == second.version
    assert all(after) and after != before


# -- describing a page of events in one query ----------------------------------------------------------


@pytest.mark.neo4j
def test_describing_events_brings_their_claims_and_targets_as_the_plain_queries_give_them(
    store: Neo4jGraphStore,
) -> None:
    from milcoop.graph.neo4j.store import _view

    def plain(iris: list[str]) -> dict[str, Any]:
        rows = store._read(cq.DESCRIBE, iris=iris)
        return {r["iri"]: _view(r["iri"], r["labels"], r["properties"], r["out"]) for r in rows}

    events = [iri for iri, _ in store.select_events(EventFilter(source=STATE + "RUS"), None, 50)]
    asked = [*events, STATE + "PRK", "https://w3id.org/milcoop/id/nowhere/atlantis"]
    assert store.describe(asked) == plain(asked)  # the unknown IRI is left out by both
    assert len(store._prefetched) > 0  # the claims and targets came along

    rows = store._read(cq.INCOMING, iris=events, types=["ASSERTS"])
    claims = sorted({str(r["start"]) for r in rows})
    assert claims
    def edges(iris: list[str]) -> list[Edge]:
        rows = store._read(cq.INCOMING, iris=iris, types=["ASSERTS"])
        return sorted({Edge(r["type"], r["start"], r["end"]) for r in rows}, key=lambda e: (e.end, e.type, e.start))

    assert store.incoming(events, ["ASSERTS"]) == edges(events)
    treaty = "https://w3id.org/milcoop/id/treaty/rus-prk-csp-2024"  # not an event: asked of Neo4j
    assert store.incoming([*events, treaty], ["ASSERTS"]) == edges([*events, treaty])
    targets = sorted({t for view in store.describe(claims + events).values() for _, t in view.out})
    assert store.describe(claims) == plain(claims)
    assert store.describe(targets) == plain(targets)


@pytest.mark.neo4j
def test_kept_neighbours_are_the_relationships_neo4j_gives(store: Neo4jGraphStore) -> None:
    def plain(iris: list[str]) -> list[Edge]:
        rows = store._read(cq.NEIGHBOURS, iris=iris, labels=sorted(PATH_LABELS))
        return sorted({Edge(r["type"], r["start"], r["end"]) for r in rows}, key=lambda e: (e.start, e.type, e.end))

    first = [STATE + "PRK", STATE + "RUS"]
    assert store.neighbours(first) == plain(first)
    events = sorted({e.start for e in store.neighbours(first)} - set(first))
    assert events
    # The states' relationships are kept now; the events' are asked, and then kept too.
    mixed = [*first, *events, "https://w3id.org/milcoop/id/nowhere/atlantis"]
    assert store.neighbours(mixed) == plain(mixed)
    assert store.neighbours(mixed) == plain(mixed)
    assert store.neighbours(events[:1]) == plain(events[:1])
