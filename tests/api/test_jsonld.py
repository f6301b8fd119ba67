"""JSON-LD that reads well: the context's entity prefix, reverse terms, and the framed event."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from rdflib import Graph, URIRef

from milcoop.graph.export.framed import FRAMED_PROFILE
from milcoop.loaders.curated import CompiledFacts
from milcoop.ontology.namespace import MC
from milcoop.settings import Settings
from tests.api.stores import embedded_settings, serving

EVENT = "https://w3id.org/milcoop/id/event/prk-rus-ammunition-2024"
FRAMED = f'application/ld+json; profile="{FRAMED_PROFILE}"'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Iterator[str]:
    settings: Settings = embedded_settings(tmp_path_factory.mktemp("jsonld"), bundled)
    with serving(settings) as base:
        yield base


def test_the_context_has_no_id_prefix_and_reverse_terms(server: str) -> None:
    context = httpx.get(f"{server}/v1/context.jsonld", timeout=30).json()["@context"]
    assert "id" not in context and context["milcoop"] == "https://w3id.org/milcoop/id/"
    assert context["claims"] == {"@reverse": "mc:asserts", "@type": "@id", "@container": "@set"}
    assert context["breaches"]["@reverse"] == "mc:breachingEvent"
    # Functional properties take one value; a user's "id": "@id" alias no longer clashes.
    document = {"@context": [context, {"id": "@id"}], "id": "milcoop:state/PRK", "name": "x"}
    g = Graph().parse(data=json.dumps(document), format="json-ld")
    assert (URIRef("https://w3id.org/milcoop/id/state/PRK"), None, None) in g


def test_the_framed_event_embeds_its_claims_and_reads_back_to_the_description(
    server: str, bundled: CompiledFacts
) -> None:
    flat = httpx.get(f"{server}/id/event/prk-rus-ammunition-2024", headers={"Accept": "text/turtle"}, timeout=30)
    framed = httpx.get(f"{server}/id/event/prk-rus-ammunition-2024", headers={"Accept": FRAMED}, timeout=30)
    assert framed.status_code == 200 and framed.headers["content-type"].startswith("application/ld+json")
    assert "/v1/frame.jsonld" in framed.headers["link"]
    document = framed.json()
    assert document["@id"] == "milcoop:event/prk-rus-ammunition-2024"
    claims = {c["@id"] for c in document["claims"]}
    expected = {str(c).replace("https://w3id.org/milcoop/id/", "milcoop:")
                for c in bundled.graph.subjects(MC.asserts, URIRef(EVENT))}
    assert claims == expected
    assert all(isinstance(c.get("claimedQuantity"), dict) for c in document["claims"] if "claimedQuantity" in c)
    # Reverse terms and embedding lose nothing: the same triples as the flat description.
    as_triples = Graph().parse(data=framed.content, format="json-ld")
    assert set(as_triples) == set(Graph().parse(data=flat.content, format="turtle"))
    frame = httpx.get(f"{server}/v1/frame.jsonld", timeout=30).json()
    assert "MaterielTransfer" in frame["@type"] and frame["claims"]["@embed"] == "@always"
    # Not an event: the plain JSON-LD description.
    state = httpx.get(f"{server}/id/state/PRK", headers={"Accept": FRAMED}, timeout=30)
    assert state.status_code == 200 and "@graph" in state.json()
