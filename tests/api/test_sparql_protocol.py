"""``/v1/sparql`` as partners' tools use it: the Service Description, HEAD and OPTIONS, CORS,
ETag and If-None-Match, gzip; SPARQLWrapper and rdflib's SPARQLStore against a live server."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import httpx
import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import VOID
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.loaders.curated import CompiledFacts
from milcoop.settings import Settings
from tests.api.stores import embedded_settings, serving
from tests.api.test_sparql_graphs import CLAIMS_BY_GRAPH, SOURCE_NOTES, _claims_of

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
MC = "https://w3id.org/milcoop/ontology#"
PRK = "https://w3id.org/milcoop/id/state/PRK"
CAP = 200
#: The documented query's shape, smaller: the DPRK's transfers to Russia with their sources.
TRANSFERS = f"""PREFIX mc: <{MC}>
SELECT ?transfer ?source WHERE {{
  ?transfer a mc:MaterielTransfer ; mc:supplier [ mc:isoCode "PRK" ] ; mc:recipient [ mc:isoCode "RUS" ] .
  ?claim mc:asserts ?transfer ; mc:source ?source .
}} ORDER BY ?transfer ?source"""


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Settings:
    base = embedded_settings(tmp_path_factory.mktemp("sparql-protocol"), bundled)
    return base.model_copy(update={"sparql_max_results": CAP, "sparql_workers": 2, "cors_origins": ["*"]})


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    with serving(settings) as base:
        yield base


@pytest.fixture()
def http(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as client:
        yield client


def _expected_transfers(compiled: CompiledFacts) -> set[tuple[str, str]]:
    return {(str(r[0]), str(r[1])) for r in compiled.graph.query(TRANSFERS)}  # type: ignore[index]


# -- the Service Description -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type", "fmt"),
    [
        (None, "text/turtle", "turtle"),
        ("text/turtle", "text/turtle", "turtle"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/n-triples", "application/n-triples", "nt"),
    ],
)
def test_get_without_a_query_answers_the_service_description(
    http: httpx.Client, server: str, settings: Settings, accept: str | None, media_type: str, fmt: str
) -> None:
    response = http.get("/v1/sparql", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    g = Graph().parse(data=response.content, format=fmt)
    service = g.value(predicate=RDF.type, object=SD.Service)
    assert service is not None
    assert g.value(service, SD.endpoint) == URIRef(f"{server}/v1/sparql")
    assert set(g.objects(service, SD.supportedLanguage)) == {SD.SPARQL11Query}
    assert {FORMATS.SPARQL_Results_JSON, FORMATS.SPARQL_Results_XML, FORMATS.SPARQL_Results_CSV,
            FORMATS.SPARQL_Results_TSV, FORMATS.Turtle, FORMATS["JSON-LD"], FORMATS.RDF_XML} <= set(
        g.objects(service, SD.resultFormat))
    dataset = g.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in g
    info = EmbeddedStore.open(settings.data_dir).info
    default_graph = g.value(dataset, SD.defaultGraph)
    assert g.value(default_graph, VOID.triples) == Literal(info.triples)
    assert str(g.value(dataset, URIRef("http://www.w3.org/ns/dcat#version"))) == info.data_version
    assert g.value(dataset, VOID.sparqlEndpoint) == URIRef(f"{server}/v1/sparql")


def test_the_service_description_links_to_the_public_base_when_one_is_set(settings: Settings) -> None:
    with serving(settings.model_copy(update={"public_base_url": "https://milcoop.example.org"})) as base:
        g = Graph().parse(data=httpx.get(f"{base}/v1/sparql").content, format="turtle")
    assert URIRef("https://milcoop.example.org/v1/sparql") in set(g.objects(None, SD.endpoint))


def test_a_service_description_in_a_format_not_offered_is_a_406(http: httpx.Client) -> None:
    response = http.get("/v1/sparql", headers={"Accept": "text/csv"})
    assert response.status_code == 406 and response.json()["parameter"] == "Accept"


# -- HEAD, OPTIONS, CORS ------------------------------------------------------------------------------


def test_head_answers_the_headers_of_get_without_a_body(http: httpx.Client) -> None:
    got = http.get("/v1/sparql", params={"query": "ASK { ?s ?p ?o }"})
    head = http.head("/v1/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["etag"] == got.headers["etag"]
    assert http.head("/v1/sparql").headers["content-type"].startswith("text/turtle")


def test_options_lists_every_method_post_included(http: httpx.Client) -> None:
    response = http.options("/v1/sparql")
    assert response.status_code == 204
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"GET", "HEAD", "POST", "OPTIONS"}
    put = http.put("/v1/sparql", content=b"")
    assert put.status_code == 405 and "POST" in put.headers["allow"]


def test_cors_lets_any_origin_read_answers_and_their_headers_with_a_star(http: httpx.Client) -> None:
    response = http.get("/v1/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://partner.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "milcoop-result-count"} <= exposed
    preflight = http.options("/v1/sparql", headers={
        "Origin": "https://partner.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, if-none-match",
    })
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]


# -- ETag, gzip ----------------------------------------------------------------------------------------


def test_etag_per_data_version_and_if_none_match_answers_304(http: httpx.Client, settings: Settings) -> None:
    params = {"query": TRANSFERS}
    first = http.get("/v1/sparql", params=params)
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and EmbeddedStore.open(settings.data_dir).info.data_version in etag
    again = http.get("/v1/sparql", params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    # Another query, or the same in another format, is another representation.
    other = http.get("/v1/sparql", params=params, headers={"If-None-Match": etag, "Accept": "text/csv"})
    assert other.status_code == 200 and other.headers["etag"] != etag
    assert http.get("/v1/sparql", params={"query": "ASK {}"}, headers={"If-None-Match": etag}).status_code == 200
    description = http.get("/v1/sparql")
    assert http.get("/v1/sparql", headers={"If-None-Match": description.headers["etag"]}).status_code == 304


def test_answers_are_gzipped_for_clients_that_accept_it(http: httpx.Client, server: str) -> None:
    query = f"SELECT ?s WHERE {{ ?s a <{MC}State> }} ORDER BY ?s LIMIT 150"
    with httpx.stream("GET", f"{server}/v1/sparql", params={"query": query},
                      headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
        assert response.headers["content-encoding"] == "gzip"
    assert len(gzip.decompress(raw)) > len(raw)
    plain = http.get("/v1/sparql", params={"query": query}, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(raw) == plain.content


# -- partners' clients ----------------------------------------------------------------------------------


def test_sparqlwrapper_runs_the_documented_queries(server: str, bundled: CompiledFacts) -> None:
    client = SPARQLWrapper(f"{server}/v1/sparql")
    client.setQuery(TRANSFERS)
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index,call-overload]
    assert {(r["transfer"]["value"], r["source"]["value"]) for r in rows} == _expected_transfers(bundled)
    client.setMethod("POST")
    assert client.queryAndConvert()["results"]["bindings"] == rows  # type: ignore[index,call-overload]
    client.setQuery(f"CONSTRUCT {{ <{PRK}> ?p ?o }} WHERE {{ <{PRK}> ?p ?o }}")
    client.setReturnFormat(TURTLE)
    g = Graph().parse(data=client.queryAndConvert(), format="turtle")  # type: ignore[arg-type]
    assert (URIRef(PRK), URIRef(f"{MC}isoCode"), Literal("PRK")) in g
    # A result over the cap is an error SPARQLWrapper raises, with the way to page in its text.
    client.setQuery("SELECT * WHERE { ?s ?p ?o }")
    client.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed, match="OFFSET"):
        client.queryAndConvert()


def test_sparqlwrapper_runs_graph_queries_over_the_named_graphs(server: str, bundled: CompiledFacts) -> None:
    client = SPARQLWrapper(f"{server}/v1/sparql")
    client.setReturnFormat(JSON)
    client.setQuery(CLAIMS_BY_GRAPH)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index,call-overload]
    assert rows and all(r["claim"]["value"] in _claims_of(bundled, r["graph"]["value"]) for r in rows)
    # The protocol's dataset, as SPARQLWrapper sends it (addNamedGraph: named-graph-uri).
    client.setQuery("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    client.addNamedGraph(SOURCE_NOTES)
    assert [r["g"]["value"] for r in client.queryAndConvert()["results"]["bindings"]] == [  # type: ignore[index,call-overload]
        SOURCE_NOTES
    ]


def test_rdflib_sparqlstore_runs_the_documented_queries(server: str, bundled: CompiledFacts) -> None:
    for method in ("GET", "POST"):
        store = SPARQLStore(f"{server}/v1/sparql", method=method, returnFormat="json")
        g = Graph(store=store)
        rows = {(str(r[0]), str(r[1])) for r in g.query(TRANSFERS)}  # type: ignore[index]
        assert rows == _expected_transfers(bundled)
        assert bool(g.query(f'ASK {{ <{PRK}> <{MC}isoCode> "PRK" }}').askAnswer) is True
        # Triple patterns: rdflib turns them into SELECT queries of its own.
        assert (URIRef(PRK), URIRef(f"{MC}isoCode"), Literal("PRK")) in g
        # A GRAPH query over the named graphs, and a FROM NAMED.
        by_graph = list(g.query(CLAIMS_BY_GRAPH))
        assert by_graph and all(str(r[1]) in _claims_of(bundled, str(r[0])) for r in by_graph)  # type: ignore[index]
        named = g.query(f"SELECT DISTINCT ?g FROM NAMED <{SOURCE_NOTES}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
        assert [str(r[0]) for r in named] == [SOURCE_NOTES]  # type: ignore[index]
        store.close()
