"""Both stores give the same answer to every request: the bundled facts in the embedded store and in
a real Neo4j, each behind its own app, asked the same table of requests through HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from milcoop.loaders.curated import CompiledFacts
from tests.api.stores import client_for, embedded_settings, neo4j_with_bundled

pytestmark = pytest.mark.neo4j

Params = dict[str, Any]

#: (name, path, query parameters). Every endpoint, with filters, windows at the edges of
#: partial dates, pagination, paths, unknown entities (404) and malformed parameters (422).
SCENARIOS: list[tuple[str, str, Params]] = [
    ("flows-dprk-russia-since-2023", "/v1/flows", {"from": "DPRK", "to": "Russia", "since": "2023-01-01"}),
    ("flows-from-prk", "/v1/flows", {"from": "PRK"}),
    ("flows-names-and-qids", "/v1/flows", {"from": "North Korea", "to": "Q159"}),
    ("flows-rus-prk-since-month-end", "/v1/flows", {"from": "RUS", "to": "PRK", "since": "2024-10-31"}),
    ("flows-rus-prk-since-next-month", "/v1/flows", {"from": "RUS", "to": "PRK", "since": "2024-11-01"}),
    ("flows-rus-until-month", "/v1/flows", {"from": "RUS", "until": "2024-10"}),
    ("flows-window-inside-a-period", "/v1/flows", {"from": "RUS", "since": "2024-05-01", "until": "2024-05-31"}),
    ("flows-year-window", "/v1/flows", {"from": "PRK", "since": "2024", "until": "2024"}),
    ("flows-undated-excluded", "/v1/flows", {"from": "PRK", "undated": "exclude"}),
    ("flows-kind-support-request", "/v1/flows", {"from": "PRK", "kind": "support-request"}),
    ("flows-kinds-repeated", "/v1/flows", {"from": "PRK", "kind": ["troop-deployment", "materiel-transfer"]}),
    ("flows-kinds-comma", "/v1/flows", {"from": "RUS", "kind": "technology-transfer,weapons-use"}),
    ("flows-status-estimated", "/v1/flows", {"from": "PRK", "status": "estimated"}),
    ("flows-min-grade-b2", "/v1/flows", {"from": "PRK", "min_grade": "B2"}),
    ("flows-sought-c3", "/v1/flows", {"from": "PRK", "status": "sought", "min_grade": "c3"}),
    ("flows-statements-by-a-person", "/v1/flows", {"from": "putin", "kind": "official-statement"}),
    ("flows-page-1", "/v1/flows", {"from": "PRK", "limit": 3}),
    ("deployments-by-prk", "/v1/deployments", {"by": "PRK"}),
    ("deployments-to-rus-2025", "/v1/deployments", {"to": "RUS", "since": "2025"}),
    ("deployments-all", "/v1/deployments", {}),
    ("relations-prk-rus", "/v1/relations", {"a": "PRK", "b": "RUS"}),
    ("relations-rus-prk", "/v1/relations", {"a": "Russia", "b": "DPRK"}),
    ("relations-rus-ukr", "/v1/relations", {"a": "RUS", "b": "UKR"}),
    ("relations-page-1", "/v1/relations", {"a": "PRK", "b": "RUS", "limit": 4}),
    ("treaties-all", "/v1/treaties", {}),
    ("treaties-prk-in-force-2025", "/v1/treaties", {"party": "PRK", "in_force_on": "2025-01-01"}),
    ("treaties-rus-before-entry-into-force", "/v1/treaties", {"party": "RUS", "in_force_on": "2024-12-03"}),
    ("violations-all", "/v1/violations", {}),
    ("violations-petroleum-cap", "/v1/violations", {"measure": "dprk-refined-petroleum-cap"}),
    ("violations-prk", "/v1/violations", {"state": "PRK"}),
    ("violations-rus-supply-ban", "/v1/violations", {"state": "RUS", "measure": "dprk-arms-supply-ban"}),
    ("paths-dprk-kyiv", "/v1/paths", {"from": "DPRK", "to": "Kyiv"}),
    ("paths-prk-rus-two-hops", "/v1/paths", {"from": "PRK", "to": "RUS", "max_hops": 2, "limit": 7}),
    ("paths-putin-kursk", "/v1/paths", {"from": "putin", "to": "kursk-oblast"}),
    ("paths-event-to-place", "/v1/paths", {"from": "prk-rus-sea-route-rajin", "to": "Kyiv", "max_hops": 6}),
    ("paths-none-within-one-hop", "/v1/paths", {"from": "PRK", "to": "UKR", "max_hops": 1}),
    ("sources", "/v1/sources", {}),
    ("source-msmt", "/v1/sources/msmt-2025-1", {}),
    ("source-notes-page-1", "/v1/sources/source-notes", {"limit": 10}),
    ("search-korea", "/v1/entities", {"q": "korea"}),
    ("search-missile", "/v1/entities", {"q": "Missile"}),
    # Through the names full-text index on Neo4j (graph/neo4j/fulltext.py), and its syntax as text.
    ("search-two-words", "/v1/entities", {"q": "north kor"}),
    ("search-across-an-apostrophe", "/v1/entities", {"q": "people's rep"}),
    ("search-an-id-piece", "/v1/entities", {"q": "rus-amm"}),
    ("search-lucene-and-paren", "/v1/entities", {"q": "AND("}),
    ("search-lucene-wildcards", "/v1/entities", {"q": "k*r?a"}),
    ("search-lucene-field", "/v1/entities", {"q": "name:korea"}),
    ("search-punctuation-only", "/v1/entities", {"q": "("}),
    ("entity-north-korea", "/v1/entities/North Korea", {}),
    ("entity-qid", "/v1/entities/Q423", {}),
    ("entity-event", "/v1/entities/prk-rus-ammunition-2024", {}),
    ("entity-treaty", "/v1/entities/rus-prk-csp-2024", {}),
    ("entity-iri", "/v1/entities/https://w3id.org/milcoop/id/place/kyiv", {}),
    ("entity-materiel", "/v1/entities/ballistic-missile", {}),
    ("404-flows-typo", "/v1/flows", {"from": "Nroth Korea"}),
    ("404-entity", "/v1/entities/Atlantis", {}),
    ("404-source", "/v1/sources/unknown-report", {}),
    ("404-measure", "/v1/violations", {"measure": "petrol-cap"}),
    ("404-path-end", "/v1/paths", {"from": "PRK", "to": "Atlantis"}),
    ("422-bad-date", "/v1/flows", {"from": "PRK", "since": "2024-13"}),
    ("422-since-after-until", "/v1/flows", {"from": "PRK", "since": "2025", "until": "2024"}),
    ("422-kind", "/v1/flows", {"from": "PRK", "kind": "gift"}),
    ("422-status", "/v1/flows", {"from": "PRK", "status": "rumoured"}),
    ("422-grade", "/v1/flows", {"from": "PRK", "min_grade": "G7"}),
    ("422-cursor", "/v1/flows", {"from": "PRK", "cursor": "bm90IGEgY3Vyc29y"}),
    ("422-max-hops", "/v1/paths", {"from": "PRK", "to": "RUS", "max_hops": 7}),
    ("422-limit", "/v1/treaties", {"limit": 501}),
    ("422-missing-from", "/v1/flows", {}),
    ("422-in-force-not-a-day", "/v1/treaties", {"in_force_on": "2025"}),
    ("422-same-actor", "/v1/relations", {"a": "PRK", "b": "DPRK"}),
    ("422-wrong-kind", "/v1/flows", {"from": "Kyiv"}),
    ("422-event-as-actor", "/v1/relations", {"a": "prk-rus-koksan", "b": "RUS"}),
    ("entity-claim-id", "/v1/entities/prk-rus-ammunition-2024--source-notes", {}),
]

#: Walk every page of these and compare the concatenation too.
PAGED: list[tuple[str, str, Params]] = [
    ("flows-from-prk-by-2", "/v1/flows", {"from": "PRK", "limit": 2}),
    ("relations-prk-rus-by-3", "/v1/relations", {"a": "PRK", "b": "RUS", "limit": 3}),
    ("source-notes-by-7", "/v1/sources/source-notes", {"limit": 7}),
    ("search-by-1", "/v1/entities", {"q": "r", "limit": 5}),
]


@pytest.fixture(scope="module")
def clients(
    tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts, request: pytest.FixtureRequest
) -> Iterator[dict[str, TestClient]]:
    embedded = embedded_settings(tmp_path_factory.mktemp("parity"), bundled)
    neo4j = neo4j_with_bundled(request.getfixturevalue("neo4j_settings"), bundled)
    with client_for(embedded) as left, client_for(neo4j) as right:
        yield {"embedded": left, "neo4j": right}


def _answers(clients: dict[str, TestClient], path: str, params: Params) -> dict[str, tuple[int, Any]]:
    answers = {}
    for name, client in clients.items():
        response = client.get(path, params=params)
        answers[name] = (response.status_code, response.json())
    return answers


def _show(answer: Any) -> str:
    return json.dumps(answer, indent=1, sort_keys=True)


@pytest.mark.parametrize(("name", "path", "params"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_both_stores_answer_alike(clients: dict[str, TestClient], name: str, path: str, params: Params) -> None:
    answers = _answers(clients, path, params)
    status = answers["embedded"][0]
    expected = 404 if name.startswith("404") else 422 if name.startswith("422") else 200
    assert status == expected, _show(answers["embedded"][1])
    assert answers["neo4j"] == answers["embedded"], (
        f"{name}: the stores differ\nembedded:\n{_show(answers['embedded'])}\nneo4j:\n{_show(answers['neo4j'])}"
    )


@pytest.mark.parametrize(("name", "path", "params"), PAGED, ids=[s[0] for s in PAGED])
def test_both_stores_page_alike(clients: dict[str, TestClient], name: str, path: str, params: Params) -> None:
    walked: dict[str, list[Any]] = {}
    for store, client in clients.items():
        pages: list[Any] = []
        cursor = None
        while True:
            response = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
            assert response.status_code == 200, response.text
            body = response.json()
            items = body["facts"]["items"] if "facts" in body else body["items"]
            cursor = body["facts"]["next_cursor"] if "facts" in body else body["next_cursor"]
            pages.append(items)
            if cursor is None:
                break
            assert len(pages) < 100
        walked[store] = pages
    assert walked["neo4j"] == walked["embedded"]
    assert len(walked["embedded"]) > 1
    # The pages together are the whole list, each item once.
    whole = clients["embedded"].get(path, params={**params, "limit": 500}).json()
    whole_items = whole["facts"]["items"] if "facts" in whole else whole["items"]
    assert [i for page in walked["embedded"] for i in page] == whole_items


def test_health_differs_only_in_the_backend(clients: dict[str, TestClient]) -> None:
    answers = _answers(clients, "/healthz", {})
    assert answers["embedded"][0] == answers["neo4j"][0] == 200
    embedded, neo4j = answers["embedded"][1], answers["neo4j"][1]
    assert (embedded["backend"], neo4j["backend"]) == ("embedded", "neo4j")
    assert {**embedded, "backend": None} == {**neo4j, "backend": None}
    assert embedded["counts"]["CooperationEvent"] == 22


#: (text, names): each rank, a node matching several ways at once, case, accents, and no match.
RANK_CASES: list[tuple[str, list[str]]] = [
    ("korea", ["Korea"]),
    ("korea", ["North Korea", "korea", "Korean Peninsula"]),
    ("korea", ["Korean Peninsula", "South Korea"]),
    ("korea", ["North Korea"]),
    ("kor", ["KOR", "Republic of Korea"]),
    ("rus", ["Belarus", "Russia"]),
    ("rus", ["Belarus"]),
    ("dprk", ["PRK", "North Korea"]),
    ("q423", ["Q4231"]),
    ("türk", ["Türkiye", "TUR"]),
    ("côte d'ivoire", ["CÔTE D'IVOIRE"]),
    ("ukr", []),
]


def test_the_cypher_search_ranks_as_the_python_rule(neo4j_driver: Driver) -> None:
    """graph/store.py defines the search ranking once (SEARCH_MATCHES); the Neo4j store's Cypher
    is written from it. Both must rank every case alike."""
    from milcoop.graph.neo4j.cypher.queries import SEARCH, SEARCH_RANK
    from milcoop.graph.store import SEARCH_MATCHES, search_rank

    assert SEARCH_RANK in SEARCH
    query = "WITH [x IN $names | toLower(x)] AS names RETURN " + SEARCH_RANK + " AS rank"
    ranks = {}
    with neo4j_driver.session() as session:
        for text, names in RANK_CASES:
            cypher = session.run(query, text=text, names=names).single()["rank"]
            ranks[(text, tuple(names))] = (cypher, search_rank(text, names))
    assert all(cypher == python for cypher, python in ranks.values()), ranks
    # Every rank occurs, so each WHEN of the Cypher is exercised.
    assert {python for _, python in ranks.values()} == {*range(len(SEARCH_MATCHES)), None}
