"""The W3C SPARQL 1.1 Protocol test cases, run against a live server (uvicorn on loopback).

The manifest and its data are the W3C's (tests/fixtures/w3c-sparql11-protocol/, with their
licence). Every test that applies to a read-only query service runs: the ``query_*`` and
``bad_*`` tests, the ``bad_update_*`` ones included (a read-only service refuses them with 4xx as
well). The seven ``update_*`` tests expect an update to succeed, which this service refuses by
design; they are listed as not applicable, never counted as passing.

The data files go into named graphs of a store of their own (their ``rdfs:label`` as graph
names), which the tests select with ``default-graph-uri`` and ``named-graph-uri``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection

from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.graph.embedded.sparql_endpoint import BOOLEAN_TYPES, GRAPH_TYPES, SOLUTION_TYPES
from milcoop.graph.writer import SilentProgress
from milcoop.settings import Settings
from tests.api.stores import serving

SUITE = Path(__file__).resolve().parent.parent / "fixtures" / "w3c-sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
#: Where the manifest's paths start, and where milcoop's endpoint is.
SUITE_PATH, ENDPOINT_PATH = "/sparql/", "/v1/sparql"


@dataclass(frozen=True)
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: frozenset[str]
    result_format: str | None
    boolean: bool | None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    requests: tuple[ProtocolRequest, ...]

    @property
    def applies(self) -> bool:
        """Whether the test applies to a read-only service: all but those expecting an update to succeed."""
        return not (self.name.startswith("update_"))


def _manifest() -> tuple[Graph, list[ProtocolTest]]:
    graph = Graph().parse(SUITE / "manifest.ttl", format="turtle", publicID=f"{SUITE.as_uri()}/manifest.ttl")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for test in Collection(graph, graph.value(manifest, MF.entries)):
        action = graph.value(test, MF.action)
        requests = []
        for request in Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            listed = graph.value(request, HT.headers)
            if listed is not None:
                for header in Collection(graph, listed):
                    headers[str(graph.value(header, HT.fieldName))] = str(graph.value(header, HT.fieldValue))
            body = None
            content = graph.value(request, HT.body)
            if content is not None:
                encoding = str(graph.value(content, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(content, CNT.chars)).encode(encoding)
            response = graph.value(request, HT.resp)
            expected_boolean = graph.value(response, MF.expectedBoolean)
            expected_format = graph.value(response, MF.expectedFormat)
            requests.append(ProtocolRequest(
                method=str(graph.value(request, HT.methodName)),
                path=str(graph.value(request, HT.absolutePath)),
                headers=headers,
                body=body,
                statuses=frozenset(str(s).removeprefix(str(HTS)) for s in graph.objects(response, MF.expectedStatus)),
                result_format=str(expected_format) if expected_format is not None else None,
                boolean=expected_boolean.toPython() if expected_boolean is not None else None,
            ))
        name = str(test).rsplit("#", 1)[-1]
        tests.append(ProtocolTest(name, str(graph.value(test, MF.name)), tuple(requests)))
    return graph, tests


GRAPH, TESTS = _manifest()
APPLICABLE = [t for t in TESTS if t.applies]


def _graph_data() -> list[ox.Quad]:
    """The data files of every test, each in the named graph its ``rdfs:label`` names."""
    quads = []
    seen = set()
    for entry in GRAPH.objects(None, UT.graphData):
        name, file = str(GRAPH.value(entry, RDFS.label)), GRAPH.value(entry, UT.graph)
        if name in seen:
            continue
        seen.add(name)
        path = Path(str(URIRef(file)).removeprefix("file://"))
        for triple in ox.parse(path.read_bytes(), format=ox.RdfFormat.N_TRIPLES):
            quads.append(ox.Quad(triple.subject, triple.predicate, triple.object, ox.NamedNode(name)))
    return quads


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("w3c-protocol")
    EmbeddedStore.replace_with_triples(data_dir, [], 0, "w3c-protocol", SilentProgress(), extra_quads=_graph_data())
    settings = Settings.model_validate({"data_dir": data_dir, "NEO4J_URI": "", "sparql_workers": 2})
    with serving(settings) as base:
        yield base


def _boolean(response: httpx.Response) -> bool:
    media_type = response.headers["content-type"].split(";")[0]
    if media_type in ("application/sparql-results+json", "application/json"):
        return bool(json.loads(response.content)["boolean"])
    root = ElementTree.fromstring(response.content)
    found = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert found is not None and found.text in ("true", "false"), response.text
    return found.text == "true"


def _check(request: ProtocolRequest, response: httpx.Response) -> None:
    status_class = f"StatusCode{response.status_code // 100}xx"
    assert status_class in request.statuses, f"{response.status_code} not in {sorted(request.statuses)}: {response.text}"
    if request.result_format is None:
        return
    media_type = response.headers["content-type"].split(";")[0]
    offered = {"boolean": BOOLEAN_TYPES, "tabular": SOLUTION_TYPES, "RDF": GRAPH_TYPES}[request.result_format]
    assert media_type in offered, media_type
    if request.result_format == "RDF":
        fmt = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml"}.get(
            media_type, "json-ld")
        Graph().parse(data=response.content, format=fmt)
    if request.boolean is not None:
        assert _boolean(response) is request.boolean


def test_the_manifest_is_read_whole() -> None:
    # 34 tests, 7 of which expect updates to succeed: 27 apply to a read-only service.
    assert len(TESTS) == 34 and len(APPLICABLE) == 27
    assert {t.name for t in TESTS if not t.applies} == {
        "update_dataset_default_graph", "update_dataset_default_graphs", "update_dataset_named_graphs",
        "update_dataset_full", "update_post_form", "update_post_direct", "update_base_uri",
    }


@pytest.mark.parametrize("test", APPLICABLE, ids=[t.name for t in APPLICABLE])
def test_w3c_protocol_case(server: str, test: ProtocolTest) -> None:
    with httpx.Client(base_url=server, timeout=30) as client:
        for request in test.requests:
            assert request.path.startswith(SUITE_PATH)
            path = ENDPOINT_PATH + request.path.removeprefix(SUITE_PATH.rstrip("/")).removeprefix("/")
            response = client.request(request.method, path, headers=request.headers, content=request.body)
            _check(request, response)
