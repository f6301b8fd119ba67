"""Events whose period has an end but no known start, in both stores and the export.

tests/fixtures/cases/open-start.yaml holds made-up facts (states XAA, XAB): a dated event, an
open-ended one (start only), one known only by its end, a later dated one and an undated one.
An event is undated only when it has neither ``spanStart`` nor ``spanEnd``; an unknown start
could be any time before the end, so ``until`` never drops an end-only event and ``since``
drops it only when it ended before. Events sort by ``spanStart``, else ``spanEnd``, else last.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from milcoop.graph.embedded.rdf_source import EmbeddedSource
from milcoop.graph.event_filter import EventFacts, matches
from milcoop.graph.export import ExportFilter
from milcoop.graph.export.selection import select_blocks
from milcoop.graph.models import Event
from milcoop.graph.neo4j.rdf_source import Neo4jSource
from milcoop.graph.rdf_source import GraphSource, RdfSource
from milcoop.graph.service import QueryService
from milcoop.graph.store import EventFilter
from milcoop.loaders.curated import CompiledFacts, compile_facts, entity_iri
from milcoop.ontology.kinds import time_key
from milcoop.ontology.namespace import MC
from milcoop.settings import Settings
from tests.api.stores import client_for, embedded_settings, neo4j_with_bundled, service_for

CASE = Path(__file__).resolve().parent.parent / "fixtures" / "cases" / "open-start.yaml"

DATED, OPEN, END_ONLY, LATER, UNDATED = (
    "xaa-xab-dated",
    "xaa-xab-open-ended",
    "xaa-xab-end-only",
    "xaa-xab-later",
    "xaa-xab-undated",
)
#: Every flow from XAA to XAB, in the order both stores give them.
ORDER = [DATED, OPEN, END_ONLY, LATER, UNDATED]

#: (since, until) -> the flows a window keeps (undated included), in order.
WINDOWS: dict[tuple[str | None, str | None], list[str]] = {
    (None, None): ORDER,
    # The end-only event ended on 2024-09-10: kept from that day, dropped from the next.
    ("2024-09-10", None): [OPEN, END_ONLY, LATER, UNDATED],
    ("2024-09-11", None): [OPEN, LATER, UNDATED],
    # Its start is unknown, so no until drops it, even one before every known start (and after
    # the open-ended event, whose start lies beyond until, the walk must still find it).
    (None, "2024-02"): [DATED, END_ONLY, UNDATED],
    (None, "2023"): [END_ONLY, UNDATED],
    ("2024-07", "2024-08"): [OPEN, END_ONLY, UNDATED],
    ("2024-09-11", "2024-12"): [OPEN, UNDATED],
}


@pytest.fixture(scope="module")
def case() -> CompiledFacts:
    return compile_facts([CASE])


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory, case: CompiledFacts) -> Settings:
    return embedded_settings(tmp_path_factory.mktemp("open-start"), case)


@pytest.fixture(scope="module")
def neo4j(request: pytest.FixtureRequest, case: CompiledFacts) -> Settings:
    # The session's Neo4j is shared: other modules bring it back to the bundled facts.
    return neo4j_with_bundled(request.getfixturevalue("neo4j_settings"), case)


@pytest.fixture(scope="module", params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def service(request: pytest.FixtureRequest) -> Iterator[QueryService]:
    with service_for(request.getfixturevalue(request.param)) as svc:
        yield svc


def ids(events: list[Event]) -> list[str]:
    return [e.id for e in events]


# -- the rule and the key, without a store ------------------------------------------------------------


def facts(start: dt.date | None, end: dt.date | None) -> EventFacts:
    iri = "https://w3id.org/milcoop/id/event/e"
    return EventFacts(iri, time_key(start, iri, end), "MaterielTransfer", start, end, (), (), ())


def test_an_event_with_an_end_is_dated_by_it() -> None:
    end_only = facts(None, dt.date(2024, 9, 10))
    assert end_only.key == "2024-09-10 https://w3id.org/milcoop/id/event/e"
    assert matches(end_only, EventFilter(include_undated=False))
    assert matches(end_only, EventFilter(until=dt.date(2000, 1, 1), include_undated=False))
    assert matches(end_only, EventFilter(since=dt.date(2024, 9, 10), include_undated=False))
    assert not matches(end_only, EventFilter(since=dt.date(2024, 9, 11)))
    undated = facts(None, None)
    assert undated.key == "~ https://w3id.org/milcoop/id/event/e"
    assert matches(undated, EventFilter(since=dt.date(2024, 9, 11), until=dt.date(2024, 9, 12)))
    assert not matches(undated, EventFilter(include_undated=False))
    # A known start still sorts by the start.
    assert facts(dt.date(2024, 3, 1), dt.date(2024, 9, 10)).key.startswith("2024-03-01 ")


# -- flows and timelines, from each store ---------------------------------------------------------------


def test_the_end_only_event_has_a_period_with_no_start(service: QueryService) -> None:
    events = {e.id: e for e in service.flows("XAA", "XAB").items}
    period = events[END_ONLY].period
    assert period is not None
    assert (period.start, period.start_precision, period.end, period.end_precision) == (
        None,
        None,
        "2024-09-10",
        "day",
    )
    assert events[UNDATED].period is None
    open_ended = events[OPEN].period
    assert open_ended is not None and (open_ended.start, open_ended.end) == ("2024-03", None)


@pytest.mark.parametrize(("window", "expected"), WINDOWS.items(), ids=[f"{s}..{u}" for s, u in WINDOWS])
def test_windows_keep_the_end_only_event_while_it_may_overlap(
    service: QueryService, window: tuple[str | None, str | None], expected: list[str]
) -> None:
    since, until = window
    assert ids(service.flows("XAA", "XAB", since=since, until=until).items) == expected
    # undated=exclude drops the undated event and nothing else.
    dated = [e for e in expected if e != UNDATED]
    assert ids(service.flows("XAA", "XAB", since=since, until=until, undated="exclude").items) == dated
    # The same through the other anchors (source only, target only, no actor).
    assert ids(service.flows("XAA", since=since, until=until, undated="exclude").items) == dated


def test_pages_walk_the_same_order(service: QueryService) -> None:
    for params in ({}, {"until": "2024-02"}, {"since": "2024-09-10"}):
        whole = ids(service.flows("XAA", "XAB", **params).items)  # type: ignore[arg-type]
        walked: list[str] = []
        cursor = None
        while True:
            page = service.flows("XAA", "XAB", limit=1, cursor=cursor, **params)  # type: ignore[arg-type]
            walked += ids(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert walked == whole, params


def test_the_timeline_places_the_end_only_event_and_statement_by_their_end(service: QueryService) -> None:
    page = service.relations("XAA", "XAB")
    entries = [(i.event.id if i.event else None, i.start) for i in page.items]
    assert entries == [
        (DATED, "2024-01-01"),
        (OPEN, "2024-03-01"),
        (END_ONLY, None),  # its start is not known
        ("xab-acknowledges-end", None),
        (LATER, "2025-02-14"),
        (UNDATED, None),
    ]


def test_breaches_sort_by_their_events_end_when_the_start_is_unknown(service: QueryService) -> None:
    page = service.violations(measure="fictional-supply-ban", basis="asserted")
    assert [v.id for v in page.items] == ["breach-xaa-xab-end-only", "breach-xaa-xab-later"]


def test_derived_breaches_interleave_with_asserted_ones_by_the_same_key(service: QueryService) -> None:
    # The supply ban's rule also finds the dated and the open-ended transfer (no source calls
    # them breaches); the end-only one is asserted, so it is listed once, as asserted.
    page = service.violations(measure="fictional-supply-ban")
    assert [(v.id, v.basis) for v in page.items] == [
        ("derived--supply-to-target--xaa-xab-dated--fictional-supply-ban", "derived"),
        ("derived--supply-to-target--xaa-xab-open-ended--fictional-supply-ban", "derived"),
        ("breach-xaa-xab-end-only", "asserted"),
        ("breach-xaa-xab-later", "asserted"),
    ]


# -- both stores alike, through HTTP --------------------------------------------------------------------

Params = dict[str, Any]

PARITY: list[tuple[str, Params]] = [
    *(
        ("/v1/flows", {"from": "XAA", "to": "XAB", **({"since": s} if s else {}), **({"until": u} if u else {})})
        for s, u in WINDOWS
    ),
    ("/v1/flows", {"from": "XAA", "until": "2024-02", "undated": "exclude"}),
    ("/v1/relations", {"a": "XAA", "b": "XAB"}),
    ("/v1/violations", {}),
]


@pytest.fixture(scope="module")
def clients(embedded: Settings, neo4j: Settings) -> Iterator[dict[str, TestClient]]:
    with client_for(embedded) as left, client_for(neo4j) as right:
        yield {"embedded": left, "neo4j": right}


def _walk(client: TestClient, path: str, params: Params) -> list[Any]:
    pages: list[Any] = []
    cursor = None
    while True:
        response = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20


@pytest.mark.neo4j
@pytest.mark.parametrize(("path", "params"), PARITY, ids=[f"{p}?{json.dumps(q)}" for p, q in PARITY])
def test_both_stores_answer_and_page_alike(clients: dict[str, TestClient], path: str, params: Params) -> None:
    whole = {name: client.get(path, params=params) for name, client in clients.items()}
    assert whole["embedded"].status_code == 200, whole["embedded"].text
    assert whole["neo4j"].json() == whole["embedded"].json()
    for limit in (1, 2):
        walked = {name: _walk(client, path, {**params, "limit": limit}) for name, client in clients.items()}
        assert walked["neo4j"] == walked["embedded"]
        assert [i for p in walked["embedded"] for i in p] == whole["embedded"].json()["items"]


# -- the export selection -----------------------------------------------------------------------------------


def _exported_flows(source: RdfSource, flt: ExportFilter) -> set[str]:
    """The materiel transfers an export holds (statements and breaches are left out by kind, so
    no context pulls another transfer in)."""
    return {
        b.subject.value.rsplit("/", 1)[1]
        for b in select_blocks(source, flt)
        if any(t.value == str(MC.MaterielTransfer) for t in b.types)
    }


@pytest.fixture(params=["compiled", "embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def export_source(request: pytest.FixtureRequest, case: CompiledFacts) -> Iterator[RdfSource]:
    if request.param == "compiled":
        yield GraphSource.from_compiled(case)
        return
    if request.param == "embedded":
        opened: RdfSource = EmbeddedSource.open(request.getfixturevalue("embedded").data_dir)
    else:
        opened = Neo4jSource.from_settings(request.getfixturevalue("neo4j"))
    try:
        yield opened
    finally:
        opened.close()


@pytest.mark.parametrize(("window", "expected"), WINDOWS.items(), ids=[f"{s}..{u}" for s, u in WINDOWS])
@pytest.mark.parametrize("include_undated", [True, False])
def test_the_export_keeps_the_events_the_api_keeps(
    export_source: RdfSource,
    window: tuple[str | None, str | None],
    expected: list[str],
    include_undated: bool,
) -> None:
    from milcoop.graph.service import parse_window

    since, until = parse_window(*window)
    flt = ExportFilter(
        actors=(str(entity_iri("state", "XAA")),),
        since=since,
        until=until,
        include_undated=include_undated,
        kinds=("materiel-transfer",),
    )
    assert _exported_flows(export_source, flt) == {e for e in expected if include_undated or e != UNDATED}
