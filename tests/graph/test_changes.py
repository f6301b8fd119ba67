"""Data versions and changes: each load records what it added, removed and changed, in the store,
and both stores answer /v1/changes, ``changed_since`` and ``milcoop diff`` alike.

The added facts are MADE UP: the states use ISO 3166 user-assigned codes (XFA, XFB), which no real
state holds, and their source and event are invented.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from milcoop.cli import app
from milcoop.graph.changes import digests
from milcoop.loaders.curated import CompiledFacts, compile_facts
from milcoop.loaders.load import load_compiled
from milcoop.settings import Backend, Settings
from tests.api.stores import client_for, embedded_settings, neo4j_with_bundled
from tests.conftest import DATA

ID = "https://w3id.org/milcoop/id/"
QUOTED_CLAIM = f"{ID}claim/prk-rus-munitions-containers--voice-news-article"
OLD_QUOTE = "North Korea has illegally shipped more than 20,000 container loads"
REMOVED_EVENT = "prk-rus-koksan"

#: A made-up file: two fictional states (user-assigned codes), a source and one event with a claim.
FICTIONAL = """\
# MADE UP for tests: XFA and XFB are ISO 3166 user-assigned codes, no real state's.
sources:
  - id: xf-statement
    name: Fictional statement
    publisher: Government of Fictional State XFA
    kind: government-statement
    issued: 2025-02-01
states:
  - id: XFA
    name: Fictional State XFA
  - id: XFB
    name: Fictional State XFB
events:
  - id: xfa-xfb-training
    kind: training
    name: Fictional training from XFA to XFB
    from: XFA
    to: XFB
    period: {start: 2025-01}
    claims:
      - source: xf-statement
        quote: "XFA trained XFB's officers."
        status: reported
        grading: B2
"""


def _copy(tmp_path: Path, name: str) -> Path:
    copy = tmp_path / name
    shutil.copytree(DATA, copy)
    return copy


def _quote_changed(tmp_path: Path) -> Path:
    """The bundled facts with one claim's quote reworded."""
    facts = _copy(tmp_path, "quote-changed")
    path = facts / "dprk-russia.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(OLD_QUOTE) == 1
    path.write_text(text.replace(OLD_QUOTE, "The DPRK shipped more than 20,000 container loads"), encoding="utf-8")
    return facts


def _event_swapped(tmp_path: Path) -> Path:
    """The bundled facts without one event (and its claim) and with a made-up one (fictional states)."""
    facts = _copy(tmp_path, "event-swapped")
    path = facts / "dprk-russia.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index(f"  - id: {REMOVED_EVENT}\n")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("  - id: "))
    path.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")
    (facts / "fictional-changes.yaml").write_text(FICTIONAL, encoding="utf-8")
    return facts


def _changes(client: TestClient, since: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of /v1/changes, page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"since": since, "limit": 3, **params, **({"cursor": cursor} if cursor else {})}
        answer = client.get("/v1/changes", params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def _triples(items: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(item["change"], item["kind"], item["iri"]) for item in items}


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path, bundled: CompiledFacts) -> Iterator[tuple[Backend, Settings]]:
    """Settings of a store holding the bundled facts: embedded (its own) or the session's Neo4j."""
    if request.param == "embedded":
        yield "embedded", embedded_settings(tmp_path / "store", bundled)
    else:
        neo4j_settings: Settings = request.getfixturevalue("neo4j_settings")
        yield "neo4j", neo4j_with_bundled(neo4j_settings, bundled)


def _load(facts: Path | CompiledFacts, backend: Backend, settings: Settings) -> None:
    compiled = facts if isinstance(facts, CompiledFacts) else compile_facts([facts])
    load_compiled(compiled, backend, settings, allow_removals=False)


def _api(backend: Backend, settings: Settings) -> Settings:
    """Settings whose app answers from ``backend``."""
    if backend == "embedded":
        return settings.model_copy(update={"neo4j_uri": ""})
    return settings


def test_changed_quote_is_exactly_one_changed_claim(
    store: tuple[Backend, Settings], bundled: CompiledFacts, tmp_path: Path
) -> None:
    backend, settings = store
    _load(_quote_changed(tmp_path), backend, settings)
    with client_for(_api(backend, settings)) as client:
        items = _changes(client, bundled.version)
        assert _triples(items) == {("changed", "claim", QUOTED_CLAIM)}
        (item,) = items
        assert item["id"] == "prk-rus-munitions-containers--voice-news-article"
        assert item["version"] != bundled.version
        assert item["version"] == client.get("/healthz").json()["data_version"]
        # changed_since keeps the event the claim asserts, and nothing else.
        flows = client.get("/v1/flows", params={"from": "PRK", "changed_since": bundled.version}).json()
        assert [e["id"] for e in flows["items"]] == ["prk-rus-munitions-containers"]
        assert client.get("/v1/flows", params={"from": "PRK"}).json()["items"] != flows["items"]
        # The breach of that event counts too; other breaches do not.
        violations = client.get("/v1/violations", params={"changed_since": bundled.version}).json()
        assert [v["id"] for v in violations["items"]] == ["breach-prk-rus-munitions-containers"]
        # Since the current version nothing changed.
        current = item["version"]
        assert _changes(client, current) == []
        assert client.get("/v1/flows", params={"from": "PRK", "changed_since": current}).json()["items"] == []
    # Going back nets out: from the first version to now, nothing differs.
    _load(bundled, backend, settings)
    with client_for(_api(backend, settings)) as client:
        assert _changes(client, bundled.version) == []
        assert _triples(_changes(client, current)) == {("changed", "claim", QUOTED_CLAIM)}


def test_removed_and_added_event(store: tuple[Backend, Settings], bundled: CompiledFacts, tmp_path: Path) -> None:
    backend, settings = store
    facts = _event_swapped(tmp_path)
    _load(facts, backend, settings)
    before, after = digests(bundled.graph), digests(compile_facts([facts]).graph)
    removed = {iri for iri in before if REMOVED_EVENT in iri}
    assert f"{ID}event/{REMOVED_EVENT}" in removed and any("/claim/" in iri for iri in removed)
    added = {f"{ID}state/XFA", f"{ID}state/XFB", f"{ID}source/xf-statement", f"{ID}event/xfa-xfb-training"}
    added |= {iri for iri in after if "/claim/xfa-xfb-training" in iri}
    with client_for(_api(backend, settings)) as client:
        items = _changes(client, bundled.version)
        assert {(i["change"], i["iri"]) for i in items} == {("removed", iri) for iri in removed} | {
            ("added", iri) for iri in added
        }
        kinds = {i["iri"]: i["kind"] for i in items}
        assert kinds[f"{ID}event/{REMOVED_EVENT}"] == "materiel-transfer"
        assert kinds[f"{ID}event/xfa-xfb-training"] == "training"
        flows = client.get("/v1/flows", params={"from": "XFA", "changed_since": bundled.version}).json()
        assert [e["id"] for e in flows["items"]] == ["xfa-xfb-training"]
        # A date before the first load lists every resource as added.
        everything = _changes(client, "2000-01-01")
        assert {i["iri"] for i in everything} == set(after) and {i["change"] for i in everything} == {"added"}
    _load(bundled, backend, settings)  # leave the shared Neo4j as other tests expect it


def test_unchanged_reload_records_nothing(store: tuple[Backend, Settings], bundled: CompiledFacts) -> None:
    backend, settings = store
    with client_for(_api(backend, settings)) as client:
        before = client.get("/v1/changes", params={"since": "2000-01-01"}).json()["current"]
    _load(bundled, backend, settings)
    with client_for(_api(backend, settings)) as client:
        answer = client.get("/v1/changes", params={"since": bundled.version}).json()
        assert answer["items"] == []
        assert answer["current"] == before
        assert answer["current"]["version"] == bundled.version
        assert "dprk-russia.yaml" in answer["current"]["files"]


def test_history_stays_out_of_counts_and_exports(store: tuple[Backend, Settings], tmp_path: Path) -> None:
    backend, settings = store
    _load(_quote_changed(tmp_path), backend, settings)
    with client_for(_api(backend, settings)) as client:
        nodes = client.get("/healthz").json()["counts"]["nodes"]
        assert nodes == len(digests(compile_facts([tmp_path / "quote-changed"]).graph))
        export = client.get("/v1/export", params={"format": "nquads"})
        assert export.status_code == 200, export.text
        assert "urn:milcoop:" not in export.text
        assert "DataVersion" not in export.text and "ResourceChange" not in export.text
        if backend == "embedded":
            # SPARQL reads the facts only: the named graphs of the records are not visible (the
            # claims' source graphs are, tests/api/test_sparql_graphs.py).
            for query in (
                "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <urn:milcoop:change> ?o } }",
                "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'urn:')) }",
                "SELECT (COUNT(*) AS ?n) FROM <urn:milcoop:graph:history> WHERE { ?s <urn:milcoop:change> ?o }",
            ):
                answer = client.get(
                    "/v1/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
                )
                assert answer.status_code == 200, answer.text
                assert answer.json()["results"]["bindings"][0]["n"]["value"] == "0"


@pytest.mark.parametrize(
    "since", ["0123456789abcdef", "2024-13-01", "2024-02-30T00:00:00", "abc"], ids=["version", "month", "day", "short"]
)
def test_unknown_version_or_bad_date_is_422(tmp_path: Path, bundled: CompiledFacts, since: str) -> None:
    with client_for(embedded_settings(tmp_path, bundled)) as client:
        for path, params in (("/v1/changes", {"since": since}), ("/v1/flows", {"from": "PRK", "changed_since": since})):
            answer = client.get(path, params=params)
            assert answer.status_code == 422, answer.text
            body = answer.json()
            assert body["error"] == "invalid_parameter"
            assert body["parameter"] in ("since", "changed_since")


def test_diff_between_two_folders(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["diff", str(DATA), str(_quote_changed(tmp_path))])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"changed claim prk-rus-munitions-containers--voice-news-article {QUOTED_CLAIM}",
        "0 added, 0 removed, 1 changed",
    ]


def test_diff_between_a_version_and_a_folder(
    tmp_path: Path, bundled: CompiledFacts, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = embedded_settings(tmp_path / "store", bundled)
    _load(_quote_changed(tmp_path), "embedded", settings)
    monkeypatch.setenv("MILCOOP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("NEO4J_URI", "")
    monkeypatch.setattr("milcoop.cli.get_settings", lambda: Settings())
    runner = CliRunner()
    same = runner.invoke(app, ["diff", bundled.version, str(DATA)])
    assert same.exit_code == 0, same.output
    assert same.output.splitlines() == ["0 added, 0 removed, 0 changed"]
    changed = runner.invoke(app, ["diff", bundled.version, str(tmp_path / "quote-changed")])
    assert changed.output.splitlines()[0].startswith("changed claim prk-rus-munitions-containers--voice-news-article")
    unknown = runner.invoke(app, ["diff", "0123456789abcdef", str(DATA)])
    assert unknown.exit_code == 2
