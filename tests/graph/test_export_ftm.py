"""The FollowTheMoney export (graph/export/ftm.py, docs/ftm.md), read back with FtM's own model.

Every line must be an FtM entity that ``followthemoney`` parses and its schema validates, every
entity it references must be in the export, and the entities an investigator looks for must be
there with the right properties: the DPRK and Russia, the DPRK's leader, the UN sanctions on the
DPRK, the DPRK's transfers to Russia with their sources.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from followthemoney import model
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SKOS

from milcoop.graph.export.ftm import FTM_MEDIA_TYPE, entity_id, export_ftm
from milcoop.graph.rdf_source import GraphSource
from milcoop.loaders.curated import CompiledFacts
from milcoop.ontology.namespace import ID, MC
from tests.api.stores import client_for, embedded_settings

PRK, RUS = "milcoop-state-PRK", "milcoop-state-RUS"


@pytest.fixture(scope="module")
def entities(bundled: CompiledFacts) -> dict[str, dict[str, Any]]:
    lines = b"".join(export_ftm(GraphSource.from_compiled(bundled))).decode().splitlines()
    found = {}
    for line in lines:
        data = json.loads(line)
        assert data["id"] not in found, f"{data['id']} is written twice"
        found[data["id"]] = data
    return found


@pytest.fixture(scope="module")
def embedded_dir(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Path:
    return embedded_settings(tmp_path_factory.mktemp("export-ftm"), bundled).data_dir


def _props(entity: dict[str, Any]) -> dict[str, list[str]]:
    return entity["properties"]  # type: ignore[no-any-return]


def _label(graph: Graph, iri: str) -> str:
    return str(graph.value(URIRef(iri), SKOS.prefLabel))


def test_every_line_is_a_valid_ftm_entity_and_every_reference_is_in_the_export(
    entities: dict[str, dict[str, Any]],
) -> None:
    assert len(entities) > 300
    for entity_id_, data in entities.items():
        proxy = model.get_proxy(data)
        assert proxy.id == entity_id_ and proxy.schema.name == data["schema"]
        assert proxy.schema.validate(data) is None, (entity_id_, proxy.schema.validate(data))
        # Parsing cleaned nothing away: what was written is what FtM reads.
        assert {k: sorted(v) for k, v in proxy.to_dict()["properties"].items()} == {
            k: sorted(v) for k, v in _props(data).items()
        }
        for prop in proxy.iterprops():
            if prop.type.name == "entity":
                for value in proxy.get(prop):
                    assert value in entities, f"{entity_id_}.{prop.name} names {value}, not in the export"


def test_the_states_are_public_bodies_with_their_country(entities: dict[str, dict[str, Any]], bundled: CompiledFacts) -> None:
    states = sorted(bundled.graph.subjects(RDF.type, MC.State))
    assert {entity_id(str(s)) for s in states} <= {i for i, e in entities.items() if e["schema"] == "PublicBody"}
    dprk = _props(entities[PRK])
    assert dprk["name"] == ["Democratic People's Republic of Korea"]
    assert dprk["country"] == ["kp"] and dprk["wikidataId"] == ["Q423"]
    assert "North Korea" in dprk["alias"] and "DPRK" in dprk["alias"]
    assert _props(entities[RUS])["country"] == ["ru"]


def test_a_leader_is_a_person_of_the_state_they_lead(entities: dict[str, dict[str, Any]]) -> None:
    kim = _props(entities["milcoop-person-kim-jong-un"])
    assert entities["milcoop-person-kim-jong-un"]["schema"] == "Person"
    assert kim["name"] == ["Kim Jong Un"] and kim["country"] == ["kp"] and "Kim Jong-un" in kim["alias"]


def test_the_un_measures_on_the_dprk_are_sanctions_on_the_dprk(
    entities: dict[str, dict[str, Any]], bundled: CompiledFacts
) -> None:
    g = bundled.graph
    measures = sorted(str(m) for m in g.subjects(RDF.type, MC.SanctionsMeasure))
    assert measures
    for measure in measures:
        for state in g.objects(URIRef(measure), MC.targetState):
            sanction = entities[f"{entity_id(measure)}--{entity_id(str(state))}"]
            props = _props(sanction)
            assert sanction["schema"] == "Sanction" and props["entity"] == [entity_id(str(state))]
            assert props["provisions"] == [_label(g, measure)]
            resolutions = [str(r) for r in g.objects(URIRef(measure), MC.imposedBy)]
            assert sorted(props["program"]) == sorted(_label(g, r) for r in resolutions)
    procurement = _props(entities[f"{entity_id(str(ID['measure/dprk-arms-procurement-ban']))}--{PRK}"])
    assert procurement["authority"] == ["United Nations Security Council"]
    assert "UN Security Council resolution 1718 (2006)" in procurement["program"]


def test_a_transfer_is_an_event_with_its_parties_breaches_and_sources(
    entities: dict[str, dict[str, Any]], bundled: CompiledFacts
) -> None:
    g = bundled.graph
    event = URIRef(str(ID["event/prk-rus-ammunition-2024"]))
    found = entities[entity_id(str(event))]
    props = _props(found)
    assert found["schema"] == "Event"
    assert props["name"] == [_label(g, str(event))]
    assert set(props["involved"]) == {PRK, RUS} and set(props["country"]) == {"kp", "ru"}
    assert props["startDate"] == ["2024"] and props["endDate"] == ["2024"]
    breaches = {_label(g, str(b)) for b in g.subjects(MC.breachingEvent, event)}
    assert breaches and set(props["notes"]) == breaches
    publishers = {
        str(p) for c in g.subjects(MC.asserts, event) for s in g.objects(c, MC.source)
        for p in g.objects(s, URIRef("http://purl.org/dc/terms/publisher"))
    }
    assert publishers and set(props["publisher"]) == publishers
    # A source with a url gives the entities it speaks of their sourceUrl.
    with_url = {
        (str(a), str(u)) for c in g.subjects(RDF.type, MC.Claim) for a in g.objects(c, MC.asserts)
        for s in g.objects(c, MC.source) for u in g.objects(s, MC.url) if str(a).startswith(str(ID))
    }
    assert with_url
    for asserted, url in with_url:
        if entity_id(asserted) in entities:
            assert url in _props(entities[entity_id(asserted)]).get("sourceUrl", []), (asserted, url)


def test_every_event_and_organisation_is_exported(entities: dict[str, dict[str, Any]], bundled: CompiledFacts) -> None:
    g = bundled.graph
    organisations = {entity_id(str(s)) for s in g.subjects(RDF.type, MC.InternationalOrganisation)}
    assert organisations and all(entities[o]["schema"] == "Organization" for o in organisations)
    memberships = [e for e in entities.values() if e["schema"] == "Membership"]
    assert {(m["properties"]["organization"][0], m["properties"]["member"][0]) for m in memberships} == {
        (entity_id(str(o)), entity_id(str(s))) for o, s in g.subject_objects(MC.memberState)
    }
    events = [e for e in entities.values() if e["schema"] == "Event"]
    assert len(events) >= 20


def _milcoop(*args: str, data_dir: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "MILCOOP_DATA_DIR": str(data_dir), "NEO4J_URI": ""}
    return subprocess.run([str(Path(sys.executable).parent / "milcoop"), *args], env=env, capture_output=True,
                          timeout=120, check=False)


def _lines(data: bytes) -> Iterator[dict[str, Any]]:
    for line in data.decode().splitlines():
        yield json.loads(line)


def test_milcoop_export_format_ftm_and_the_api_give_the_same_entities(
    embedded_dir: Path, entities: dict[str, dict[str, Any]], tmp_path: Path, bundled: CompiledFacts
) -> None:
    out = tmp_path / "milcoop.ftm.json"
    done = _milcoop("export", "--format", "ftm", "--out", str(out), data_dir=embedded_dir)
    assert done.returncode == 0, done.stderr.decode()
    assert f"{len(entities)} FollowTheMoney entities" in done.stderr.decode()
    assert {e["id"]: e for e in _lines(out.read_bytes())} == entities
    # Filtered: the DPRK's events with Russia, and what they reference.
    filtered = _milcoop("export", "-f", "ftm", "--actor", "DPRK", "--actor", "Russia", data_dir=embedded_dir)
    assert filtered.returncode == 0, filtered.stderr.decode()
    kept = {e["id"]: e for e in _lines(filtered.stdout)}
    assert PRK in kept and entity_id(str(ID["event/prk-rus-ammunition-2024"])) in kept
    assert all(e["schema"] != "Event" or {PRK, RUS} <= set(e["properties"]["involved"]) for e in kept.values())
    bad = _milcoop("export", "-f", "excel", data_dir=embedded_dir)
    assert bad.returncode == 1 and "ftm" in bad.stderr.decode()
    settings = embedded_settings(embedded_dir, bundled)
    with client_for(settings) as client:
        response = client.get("/v1/export", params={"format": "ftm"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == FTM_MEDIA_TYPE
        assert {e["id"]: e for e in _lines(response.content)} == entities
