"""The export's named graphs in the SPARQL store, over HTTP (uvicorn on loopback).

The TriG and N-Quads exports put each claim, and the quantities it states, in the graph of its
source document; ``/v1/sparql`` offers the same graphs: ``GRAPH ?g``, ``FROM``, ``FROM NAMED``,
``default-graph-uri`` and ``named-graph-uri`` as SPARQL 1.1 says, the default graph still every
fact, and milcoop's own records (``urn:milcoop:graph:...``) never visible.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import RDF, Dataset, Graph, URIRef

from milcoop.graph.embedded.files import INTERNAL_GRAPHS, EmbeddedStore
from milcoop.loaders.curated import CompiledFacts
from milcoop.ontology.namespace import GRAPH, MC
from milcoop.settings import Settings
from tests.api.stores import embedded_settings, serving

SD = "http://www.w3.org/ns/sparql-service-description#"
SOURCE_NOTES = f"{GRAPH}source-notes"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "rdf.md"


def documented_graph_query() -> str:
    """The GRAPH query docs/rdf.md gives (the claims on the DPRK's transfers to Russia, by source graph)."""
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(curl .*?)\n```", text, re.DOTALL)
    query = next(
        (a.removeprefix("query=") for block in blocks for a in shlex.split(block)
         if a.startswith("query=") and "GRAPH ?graph" in a),
        None,
    )
    assert query is not None, "docs/rdf.md lost its GRAPH example"
    return query


CLAIMS_BY_GRAPH = documented_graph_query()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Settings:
    return embedded_settings(tmp_path_factory.mktemp("sparql-graphs"), bundled)


@pytest.fixture(scope="module")
def http(settings: Settings) -> Iterator[httpx.Client]:
    with serving(settings) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client


def _select(http: httpx.Client, query: str, **params: Any) -> list[dict[str, str]]:
    response = http.get(
        "/v1/sparql", params={"query": query, **params}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]


def _count(http: httpx.Client, query: str, **params: Any) -> int:
    return int(_select(http, query, **params)[0]["n"])


def _claims_of(bundled: CompiledFacts, source_graph: str) -> set[str]:
    """The claims whose source's graph is ``source_graph``, read from the compiled facts."""
    return {
        str(claim)
        for claim in bundled.graph.subjects(RDF.type, MC.Claim)
        for source in bundled.graph.objects(claim, MC.source)
        if f"{GRAPH}{str(source).rsplit('/', 1)[-1]}" == source_graph
    }


def test_graph_finds_exactly_the_named_graphs_of_the_trig_export(http: httpx.Client) -> None:
    export = http.get("/v1/export", params={"format": "trig"})
    assert export.status_code == 200, export.text
    dataset = Dataset()
    dataset.parse(data=export.content, format="trig")
    exported = {
        (str(g.identifier), str(s))
        for g in dataset.graphs()
        if g.identifier != dataset.default_graph.identifier and not str(g.identifier).startswith("urn:x-rdflib")
        for s in g.subjects(unique=True)
    }
    assert exported, "the TriG export has no named graphs"
    found = _select(http, "SELECT DISTINCT ?g ?s WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert {(r["g"], r["s"]) for r in found} == exported


def test_the_default_graph_still_holds_every_fact(http: httpx.Client, settings: Settings) -> None:
    triples = EmbeddedStore.open(settings.data_dir).info.triples
    assert _count(http, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == triples
    # The claims are found without naming a graph, as before.
    assert _count(http, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?c a <{MC.Claim}> }}") > 0


def test_the_documented_graph_query_names_each_claims_source_graph(http: httpx.Client, bundled: CompiledFacts) -> None:
    rows = _select(http, CLAIMS_BY_GRAPH)
    assert rows, "no claim on a DPRK->Russia transfer was found in a named graph"
    for row in rows:
        assert row["claim"] in _claims_of(bundled, row["graph"]), row
    # Every claim on those transfers in the compiled facts (which have no graphs) is found in one.
    in_facts = bundled.graph.query(f"""PREFIX mc: <{MC}>
SELECT ?claim ?transfer WHERE {{
  ?claim mc:asserts ?transfer .
  ?transfer a mc:MaterielTransfer ; mc:supplier [ mc:isoCode "PRK" ] ; mc:recipient [ mc:isoCode "RUS" ] .
}}""")
    expected = {(str(row[0]), str(row[1])) for row in in_facts}  # type: ignore[index]
    assert expected and {(r["claim"], r["transfer"]) for r in rows} == expected


def test_from_makes_one_source_graph_the_default_graph(http: httpx.Client, bundled: CompiledFacts) -> None:
    claims = _select(http, f"SELECT ?c FROM <{SOURCE_NOTES}> WHERE {{ ?c a <{MC.Claim}> }}")
    assert {r["c"] for r in claims} == _claims_of(bundled, SOURCE_NOTES) != set()
    # Events are in the default graph only: a source's graph holds what it says, not the events.
    assert _count(http, f"SELECT (COUNT(*) AS ?n) FROM <{SOURCE_NOTES}> WHERE {{ ?e a <{MC.MaterielTransfer}> }}") == 0


def test_from_named_offers_only_the_graphs_it_names_and_an_empty_default_graph(http: httpx.Client) -> None:
    graphs = _select(http, f"SELECT DISTINCT ?g FROM NAMED <{SOURCE_NOTES}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    assert [r["g"] for r in graphs] == [SOURCE_NOTES]
    assert _count(http, f"SELECT (COUNT(*) AS ?n) FROM NAMED <{SOURCE_NOTES}> WHERE {{ ?s ?p ?o }}") == 0


def test_the_protocols_dataset_selects_graphs_and_overrides_from(http: httpx.Client, bundled: CompiledFacts) -> None:
    claims = _claims_of(bundled, SOURCE_NOTES)
    query = f"SELECT ?c WHERE {{ ?c a <{MC.Claim}> }}"
    assert {r["c"] for r in _select(http, query, **{"default-graph-uri": SOURCE_NOTES})} == claims
    # The protocol's dataset wins over the query's FROM (SPARQL 1.1 Protocol, 2.1.4).
    other = f"{GRAPH}cow-state-list"
    overridden = f"SELECT ?c FROM <{other}> WHERE {{ ?c a <{MC.Claim}> }}"
    assert {r["c"] for r in _select(http, overridden, **{"default-graph-uri": SOURCE_NOTES})} == claims
    named = _select(
        http, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", **{"named-graph-uri": [SOURCE_NOTES, other]}
    )
    assert {r["g"] for r in named} == {SOURCE_NOTES, other}
    # POST, form-encoded, the same.
    response = http.post(
        "/v1/sparql",
        data={"query": query, "default-graph-uri": SOURCE_NOTES},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    assert {r["c"]["value"] for r in response.json()["results"]["bindings"]} == claims


@pytest.mark.parametrize("internal", sorted(INTERNAL_GRAPHS))
def test_milcoops_own_records_are_never_visible(http: httpx.Client, internal: str) -> None:
    graphs = {r["g"] for r in _select(http, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert graphs and not any(g.startswith("urn:milcoop:") for g in graphs)
    for query, params in (
        (f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{internal}> {{ ?s ?p ?o }} }}", {}),
        (f"SELECT (COUNT(*) AS ?n) FROM <{internal}> WHERE {{ ?s ?p ?o }}", {}),
        (f"SELECT (COUNT(*) AS ?n) FROM NAMED <{internal}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}),
        ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", {"default-graph-uri": internal}),
        ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", {"named-graph-uri": internal}),
    ):
        assert _count(http, query, **params) == 0, (query, params)


def test_the_service_description_lists_the_named_graphs(http: httpx.Client) -> None:
    response = http.get("/v1/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200, response.text
    g = Graph().parse(data=response.content, format="turtle")
    dataset = next(g.objects(None, URIRef(f"{SD}defaultDataset")))
    listed = {str(g.value(named, URIRef(f"{SD}name"))) for named in g.objects(dataset, URIRef(f"{SD}namedGraph"))}
    graphs = {r["g"] for r in _select(http, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert listed == graphs and SOURCE_NOTES in listed
    for named in g.objects(dataset, URIRef(f"{SD}namedGraph")):
        assert (named, RDF.type, URIRef(f"{SD}NamedGraph")) in g
