"""Derived triples in the export (``derived=consolidated``): the consolidated quantities of the
API, with their derivation in PROV-O, opt-in, in the default graph, the same from both stores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import PROV, XSD

from milcoop.graph.embedded.rdf_source import EmbeddedSource
from milcoop.graph.export import FORMATS, ExportError, ExportFilter, ExportStats, export, parse_derived
from milcoop.graph.neo4j.rdf_source import Neo4jSource
from milcoop.graph.rdf_source import GraphSource, RdfSource
from milcoop.loaders.curated import CompiledFacts, entity_iri
from milcoop.ontology.namespace import DATASET_IRI, GRAPH, ID, MC, ONTOLOGY_IRI
from milcoop.settings import Settings
from tests.api.stores import client_for, embedded_settings, neo4j_with_bundled
from tests.conftest import exported
from tests.graph.test_export import _milcoop, parse_rdflib, split_description, union

AMMUNITION = URIRef(f"{ID}consolidated/prk-rus-ammunition-2024-rounds")
CONTAINERS = URIRef(f"{ID}consolidated/prk-rus-munitions-containers-containers")
ACTIVITY = URIRef(f"{ID}derivation/consolidation")


def run(source: RdfSource, fmt: str, flt: ExportFilter | None = None, **options: Any) -> bytes:
    stats = ExportStats()
    data = b"".join(export(source, FORMATS[fmt], flt, stats, **options))
    assert stats.done
    return data


def derived_graph(source: RdfSource, flt: ExportFilter | None = None, fmt: str = "nquads") -> Graph:
    return union(parse_rdflib(run(source, fmt, flt, derived=("consolidated",), snapshots=False), fmt))


def decimal(value: int) -> Literal:
    return Literal(Decimal(value), datatype=XSD.decimal)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Settings:
    return embedded_settings(tmp_path_factory.mktemp("export-derived"), bundled)


@pytest.fixture(scope="module")
def neo4j_loaded(request: pytest.FixtureRequest, bundled: CompiledFacts) -> Settings:
    return neo4j_with_bundled(request.getfixturevalue("neo4j_settings"), bundled)


@pytest.fixture
def embedded_source(embedded: Settings) -> Iterator[RdfSource]:
    with EmbeddedSource.open(embedded.data_dir) as source:
        yield source


def test_the_ammunition_has_the_apis_bounds_and_both_claims(embedded: Settings, embedded_source: RdfSource) -> None:
    graph = derived_graph(embedded_source)
    assert (AMMUNITION, RDF.type, MC.ConsolidatedQuantity) in graph
    assert graph.value(AMMUNITION, MC.consolidates) == entity_iri("event", "prk-rus-ammunition-2024")
    assert graph.value(AMMUNITION, MC.unit) == MC.rounds
    bounds = (
        graph.value(AMMUNITION, MC.lowerBound),
        graph.value(AMMUNITION, MC.lowerInclusive),
        graph.value(AMMUNITION, MC.upperBound),
        graph.value(AMMUNITION, MC.upperInclusive),
    )
    assert bounds == (decimal(8_100_000), Literal(True), decimal(9_000_000), Literal(False))
    assert set(graph.objects(AMMUNITION, PROV.wasDerivedFrom)) == {
        entity_iri("claim", "prk-rus-ammunition-2024--source-notes"),
        entity_iri("claim", "prk-rus-ammunition-2024--voice-news-article"),
    }
    assert graph.value(AMMUNITION, PROV.wasGeneratedBy) == ACTIVITY
    assert (ACTIVITY, RDF.type, PROV.Activity) in graph
    assert (ACTIVITY, PROV.used, MC.consolidationRule) in graph
    assert not list(graph.objects(AMMUNITION, MC.conflictingClaim))

    # The same numbers as the API's answer, which the same function computes.
    with client_for(embedded) as client:
        response = client.get("/v1/flows", params={"from": "PRK", "limit": 500})
    assert response.status_code == 200, response.text
    (event,) = [e for e in response.json()["items"] if e["id"] == "prk-rus-ammunition-2024"]
    (entry,) = [c for c in event["consolidated"] if c["unit"] == "rounds"]
    assert (entry["low"], entry["low_inclusive"], entry["high"], entry["high_inclusive"]) == (
        int(bounds[0].toPython()),  # type: ignore[union-attr]
        True,
        int(bounds[2].toPython()),  # type: ignore[union-attr]
        False,
    )


def test_the_containers_have_no_upper_bound(embedded_source: RdfSource) -> None:
    graph = derived_graph(embedded_source)
    assert graph.value(CONTAINERS, MC.lowerBound) == decimal(20_000)
    assert graph.value(CONTAINERS, MC.lowerInclusive) == Literal(False)
    assert graph.value(CONTAINERS, MC.upperBound) is None
    assert graph.value(CONTAINERS, MC.upperInclusive) is None
    assert len(set(graph.objects(CONTAINERS, PROV.wasDerivedFrom))) == 2


def test_conflicting_claims_get_no_bounds_and_are_named() -> None:
    import pyoxigraph as ox

    from milcoop.graph.export import Consolidation
    from milcoop.graph.export.writers import blocks_of
    from milcoop.graph.terms import to_oxigraph

    event, a, b = (URIRef(f"{ID}{x}") for x in ("event/x", "claim/x--a", "claim/x--b"))
    g = Graph()
    g.add((event, RDF.type, MC.MaterielTransfer))
    for claim, qualifier in ((a, MC.moreThan), (b, MC.asManyAs)):
        quantity = URIRef(str(claim).replace("/claim/", "/quantity/"))
        g.add((claim, RDF.type, MC.Claim))
        g.add((claim, MC.asserts, event))
        g.add((claim, MC.status, MC.reported))
        g.add((claim, MC.claimedQuantity, quantity))
        g.add((quantity, RDF.type, MC.Quantity))
        g.add((quantity, MC.value, Literal(1000)))
        g.add((quantity, MC.unit, MC.rounds))
        g.add((quantity, MC.qualifier, qualifier))
    consolidation = Consolidation()
    triples = [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in g]  # type: ignore[arg-type]
    for block in blocks_of(triples):
        consolidation.note(block)
    node = f"{ID}consolidated/x-rounds"
    found = {(t.predicate.value, t.object.value) for t in consolidation.triples() if t.subject.value == node}
    assert {(str(MC.conflictingClaim), str(a)), (str(MC.conflictingClaim), str(b))} <= found
    assert not any(p in (str(MC.lowerBound), str(MC.upperBound)) for p, _ in found)


def test_without_the_parameter_the_export_is_unchanged(embedded_source: RdfSource, bundled: CompiledFacts) -> None:
    data, _ = split_description(union(parse_rdflib(run(embedded_source, "nquads", snapshots=False), "nquads")))
    assert isomorphic(data, exported(bundled))
    with_derived, _ = split_description(derived_graph(embedded_source))
    assert len(with_derived) > len(data)
    # The facts are all there, and what is added is only about derived nodes.
    assert not set(data) - set(with_derived)
    added = {s for s, _, _ in set(with_derived) - set(data)}
    assert added and all(str(s).startswith((f"{ID}consolidated/", str(ACTIVITY))) for s in added)


@pytest.mark.parametrize("fmt", ["trig", "nquads"])
def test_derived_triples_are_in_the_default_graph_never_a_sources(embedded_source: RdfSource, fmt: str) -> None:
    dataset = parse_rdflib(run(embedded_source, fmt, derived=("consolidated",)), fmt)
    for s, _, _, g in dataset.quads((None, None, None, None)):
        if str(s).startswith(f"{ID}consolidated/") or s == ACTIVITY:
            assert not str(g).startswith(str(GRAPH)), (s, g)
    # Never stated as a claim: nothing asserts a derived node.
    assert not [s for s, p, o, _ in dataset.quads((None, MC.asserts, None, None)) if "consolidated/" in str(o)]


def test_derived_triples_come_after_the_facts_and_before_the_description(embedded_source: RdfSource) -> None:
    lines = run(embedded_source, "ntriples", derived=("consolidated",)).decode().splitlines()
    first_derived = next(i for i, line in enumerate(lines) if "/id/consolidated/" in line.split(" ")[0])
    first_description = next(
        i for i, line in enumerate(lines) if line.startswith((f"<{DATASET_IRI}>", f"<{ONTOLOGY_IRI}>"))
    )
    last_fact = max(
        i
        for i, line in enumerate(lines)
        if line.startswith(f"<{ID}")
        and "/id/consolidated/" not in line.split(" ")[0]
        and "/id/derivation/" not in line.split(" ")[0]
    )
    assert last_fact < first_derived < first_description


def test_a_filtered_export_consolidates_only_its_claims(embedded_source: RdfSource) -> None:
    # min_grade B2 leaves the ammunition to the source notes' claim: [0, 9,000,000].
    flt = ExportFilter(actors=(str(entity_iri("state", "PRK")),), min_grading="B2")
    graph = derived_graph(embedded_source, flt)
    assert graph.value(AMMUNITION, MC.lowerBound) == decimal(0)
    assert graph.value(AMMUNITION, MC.upperBound) == decimal(9_000_000)
    assert graph.value(AMMUNITION, MC.upperInclusive) == Literal(True)
    assert set(graph.objects(AMMUNITION, PROV.wasDerivedFrom)) == {
        entity_iri("claim", "prk-rus-ammunition-2024--source-notes")
    }


def test_the_compiled_facts_give_the_same_derived_triples(embedded_source: RdfSource, bundled: CompiledFacts) -> None:
    a, _ = split_description(derived_graph(embedded_source))
    b, _ = split_description(derived_graph(GraphSource.from_compiled(bundled)))
    assert isomorphic(a, b)


@pytest.mark.neo4j
def test_both_stores_give_isomorphic_derived_exports(embedded: Settings, neo4j_loaded: Settings) -> None:
    flt = ExportFilter(actors=(str(entity_iri("state", "RUS")),), since=dt.date(2024, 1, 1), min_grading="C3")
    with EmbeddedSource.open(embedded.data_dir) as e, Neo4jSource.from_settings(neo4j_loaded) as n:
        for chosen in (None, flt):
            a, _ = split_description(derived_graph(e, chosen))
            b, _ = split_description(derived_graph(n, chosen))
            assert (AMMUNITION, RDF.type, MC.ConsolidatedQuantity) in a
            assert isomorphic(a, b)


def test_parse_derived_names_the_parameter() -> None:
    assert parse_derived(["consolidated", "consolidated"]) == ("consolidated",)
    assert parse_derived(None) == ()
    with pytest.raises(ExportError) as raised:
        parse_derived(["consolidated,bogus"], "--derived")
    assert raised.value.parameter == "--derived"


def test_the_api_takes_derived_and_answers_422_naming_it(embedded: Settings) -> None:
    with client_for(embedded) as client:
        bad = client.get("/v1/export", params={"derived": "everything"})
        plain = client.get("/v1/export", params={"format": "ntriples"})
        good = client.get("/v1/export", params={"format": "ntriples", "derived": "consolidated"})
    assert bad.status_code == 422 and bad.json()["parameter"] == "derived", bad.text
    assert plain.status_code == 200 and good.status_code == 200
    assert f"<{AMMUNITION}>".encode() in good.content
    assert b"/id/consolidated/" not in plain.content


def test_milcoop_export_takes_derived(embedded: Settings, tmp_path: Path) -> None:
    out = tmp_path / "derived.nt"
    ok = _milcoop("export", "-f", "ntriples", "--derived", "consolidated", "-o", str(out), data_dir=embedded.data_dir)
    assert ok.returncode == 0, ok.stderr.decode()
    assert f"<{AMMUNITION}>" in out.read_text()
    bad = _milcoop("export", "--derived", "nope", data_dir=embedded.data_dir)
    assert bad.returncode == 1 and "--derived" in bad.stderr.decode(), bad.stderr.decode()
