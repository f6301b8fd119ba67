"""The RDF export: lossless in every format from every store, filters, named graphs, description,
streaming and snapshots."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import RDF, BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, OWL, VOID, XSD

from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.graph.embedded.rdf_source import EmbeddedSource
from milcoop.graph.errors import StoreUnavailable
from milcoop.graph.export import (
    CHUNK_TRIPLES,
    CONTEXT_FILE,
    FORMATS,
    ExportFilter,
    ExportStats,
    build_context,
    export,
    format_for,
    negotiate,
)
from milcoop.graph.neo4j.rdf_source import Neo4jSource
from milcoop.graph.rdf_source import GraphSource, RdfSource, SubjectBlock
from milcoop.loaders.curated import CompiledFacts, entity_iri
from milcoop.loaders.shacl import shacl_report
from milcoop.ontology.namespace import DATASET_IRI, GRAPH, MC, ONTOLOGY_IRI, ONTOLOGY_VERSION_IRI
from milcoop.ontology.vocabulary import vocabulary
from milcoop.settings import Settings
from tests.api.stores import embedded_settings, neo4j_with_bundled
from tests.conftest import exported
from tests.graph.test_embedded import _variant

RDFLIB_FORMATS = {
    "turtle": "turtle",
    "ntriples": "nt",
    "nquads": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "rdfxml": "xml",
}
OX_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
DESCRIPTION_SUBJECTS = (DATASET_IRI, ONTOLOGY_IRI)


# -- helpers ---------------------------------------------------------------------------------------


def run(source: RdfSource, fmt: str, flt: ExportFilter | None = None, **options: Any) -> tuple[bytes, ExportStats]:
    stats = ExportStats()
    data = b"".join(export(source, FORMATS[fmt], flt, stats, **options))
    assert stats.done
    return data, stats


def parse_rdflib(data: bytes, fmt: str) -> Dataset:
    dataset = Dataset()
    dataset.parse(data=data, format=RDFLIB_FORMATS[fmt])
    return dataset


def parse_oxigraph(data: bytes, fmt: str) -> Graph:
    from milcoop.graph.terms import to_rdflib

    graph = Graph()
    for quad in ox.parse(data, format=OX_FORMATS[fmt]):
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph


def union(dataset: Dataset) -> Graph:
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def split_description(graph: Graph) -> tuple[Graph, Graph]:
    """(the data, the description): the description is about the dataset, the ontology and the
    filtered selection (a blank node)."""
    data, description = Graph(), Graph()
    for triple in graph:
        target = description if triple[0] in DESCRIPTION_SUBJECTS or isinstance(triple[0], BNode) else data
        target.add(triple)
    return data, description


def triples_of(graph: Graph, subject: URIRef) -> set[tuple[Any, Any]]:
    return set(graph.predicate_objects(subject))


# -- sources -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def embedded_dir(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Path:
    return embedded_settings(tmp_path_factory.mktemp("export-embedded"), bundled).data_dir


@pytest.fixture(scope="module")
def neo4j_loaded(neo4j_settings: Settings, bundled: CompiledFacts) -> Settings:
    # Other modules share the session's server: bring it to the bundled facts first.
    return neo4j_with_bundled(neo4j_settings, bundled)


@pytest.fixture(params=["compiled", "embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def source(request: pytest.FixtureRequest, bundled: CompiledFacts) -> Iterator[RdfSource]:
    if request.param == "compiled":
        yield GraphSource.from_compiled(bundled)
        return
    if request.param == "embedded":
        opened: RdfSource = EmbeddedSource.open(request.getfixturevalue("embedded_dir"))
    else:
        opened = Neo4jSource.from_settings(request.getfixturevalue("neo4j_loaded"))
    try:
        yield opened
    finally:
        opened.close()


# -- lossless, in every format, from every store -----------------------------------------------------


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_parses_back_to_the_compiled_facts_in_two_parsers(
    source: RdfSource, fmt: str, bundled: CompiledFacts
) -> None:
    data, stats = run(source, fmt, snapshots=False)
    by_rdflib, description = split_description(union(parse_rdflib(data, fmt)))
    by_oxigraph, description_ox = split_description(parse_oxigraph(data, fmt))
    assert isomorphic(by_rdflib, exported(bundled))
    assert isomorphic(by_oxigraph, exported(bundled))
    assert isomorphic(description, description_ox)
    assert stats.triples == len(exported(bundled))
    assert description.value(DATASET_IRI, VOID.triples) == Literal(len(exported(bundled)), datatype=XSD.integer)
    conforms, report = shacl_report(by_rdflib)
    assert conforms, report.serialize(format="turtle")


def test_typed_literals_keep_precision_quotes_qualifiers_and_gradings(bundled: CompiledFacts) -> None:
    graph = union(parse_rdflib(run(GraphSource.from_compiled(bundled), "jsonld")[0], "jsonld"))
    event = entity_iri("event", "prk-rus-ammunition-2024")
    assert graph.value(event, MC.startDate) == Literal("2024", datatype=XSD.gYear)
    assert graph.value(event, MC.spanEnd) == Literal("2024-12-31", datatype=XSD.date)
    claim = entity_iri("claim", "prk-rus-ammunition-2024--source-notes")
    assert graph.value(claim, MC.sourceReliability) == Literal("B")
    assert graph.value(claim, MC.informationCredibility) == Literal(2, datatype=XSD.integer)
    assert "As many as 9 million rounds" in str(graph.value(claim, MC.quote))
    quantity = graph.value(claim, MC.claimedQuantity)
    assert graph.value(quantity, MC.value) == Literal(9_000_000, datatype=XSD.integer)
    assert graph.value(quantity, MC.qualifier) == MC.asManyAs
    assert graph.value(claim, MC.source) == entity_iri("source", "source-notes")


def test_json_ld_uses_the_published_context_and_its_terms(bundled: CompiledFacts) -> None:
    document = json.loads(run(GraphSource.from_compiled(bundled), "jsonld")[0])
    assert document["@context"] == json.loads(CONTEXT_FILE.read_text())["@context"]
    nodes = {node["@id"]: node for node in document["@graph"]}
    event = nodes["milcoop:event/prk-rus-ammunition-2024"]
    assert event["@type"] == ["MaterielTransfer", "prov:Activity"]  # with its PROV-O class (graph/standard.py)
    # Properties the ontology does not declare functional are always arrays (the context says @set).
    assert event["supplier"] == ["milcoop:state/PRK"] and event["recipient"] == ["milcoop:state/RUS"]
    assert event["startDate"] == {"@value": "2024", "@type": "xsd:gYear"}
    assert sorted(event["item"]) == ["mat:artillery-ammunition", "mat:rocket-ammunition"]
    claim = nodes["milcoop:claim/prk-rus-ammunition-2024--source-notes"]
    assert claim["status"] == "mc:reported" and claim["informationCredibility"] == 2


def test_the_shipped_context_is_the_one_derived_from_the_ontology() -> None:
    assert json.loads(CONTEXT_FILE.read_text(encoding="utf-8")) == build_context(), (
        "ontology/context.jsonld is out of step with the ontology: run `python -m milcoop.graph.export --write-context`"
    )


# -- named graphs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["trig", "nquads"])
def test_claims_and_their_quantities_sit_in_the_graph_of_their_source_document(
    source: RdfSource, fmt: str, bundled: CompiledFacts
) -> None:
    dataset = parse_rdflib(run(source, fmt, snapshots=False)[0], fmt)
    compiled = exported(bundled)
    expected: dict[URIRef, set[tuple[Any, Any, Any]]] = {}
    for claim in compiled.subjects(RDF.type, MC.Claim):
        graph = GRAPH[str(compiled.value(claim, MC.source)).rsplit("/", 1)[-1]]
        owned = set(compiled.triples((claim, None, None)))
        for quantity in compiled.objects(claim, MC.claimedQuantity):
            owned |= set(compiled.triples((quantity, None, None)))
        expected.setdefault(graph, set()).update(owned)
    found: dict[URIRef, set[tuple[Any, Any, Any]]] = {}
    for s, p, o, g in dataset.quads((None, None, None, None)):
        name = getattr(g, "identifier", g)
        if name is not None and name != URIRef("urn:x-rdflib:default"):
            found.setdefault(name, set()).add((s, p, o))
    assert found == expected
    default = dataset.default_context
    assert (entity_iri("event", "prk-rus-ammunition-2024"), RDF.type, MC.MaterielTransfer) in default
    assert not set(default.subjects(RDF.type, MC.Claim))
    assert (DATASET_IRI, RDF.type, VOID.Dataset) in default


# -- the same export from either store --------------------------------------------------------------


@pytest.mark.neo4j
@pytest.mark.parametrize("fmt", ["nquads", "ntriples"])
def test_neo4j_and_the_embedded_store_export_the_same_lines(
    fmt: str, embedded_dir: Path, neo4j_loaded: Settings
) -> None:
    with EmbeddedSource.open(embedded_dir) as embedded, Neo4jSource.from_settings(neo4j_loaded) as neo4j:
        assert embedded.data_version == neo4j.data_version
        from_embedded = run(embedded, fmt, snapshots=False)[0].splitlines()
        from_neo4j = run(neo4j, fmt)[0].splitlines()
    issued = str(DCTERMS.issued).encode()
    # The only thing that may differ is the day each store was loaded (the same load, unless it
    # straddled midnight UTC).
    assert sorted(line for line in from_embedded if issued not in line) == sorted(
        line for line in from_neo4j if issued not in line
    )
    assert len(from_embedded) == len(from_neo4j)


@pytest.mark.neo4j
def test_a_filtered_export_is_the_same_from_neo4j(embedded_dir: Path, neo4j_loaded: Settings) -> None:
    flt = ExportFilter(actors=(str(entity_iri("state", "RUS")),), since=dt.date(2024, 1, 1), min_grading="C3")
    with EmbeddedSource.open(embedded_dir) as embedded, Neo4jSource.from_settings(neo4j_loaded) as neo4j:
        a, _ = split_description(union(parse_rdflib(run(embedded, "nquads", flt)[0], "nquads")))
        b, _ = split_description(union(parse_rdflib(run(neo4j, "nquads", flt)[0], "nquads")))
    assert len(a) > 100 and isomorphic(a, b)


# -- the description ----------------------------------------------------------------------------------


def test_the_description_names_title_version_licence_issue_day_count_and_ontology(embedded_dir: Path) -> None:
    with EmbeddedSource.open(embedded_dir) as source:
        data, stats = run(source, "turtle", snapshots=False)
        loaded = EmbeddedStore.open(embedded_dir).info
    graph = Graph().parse(data=data, format="turtle")
    d = DATASET_IRI
    assert {VOID.Dataset, DCAT.Dataset} <= set(graph.objects(d, RDF.type))
    assert "military cooperation" in str(graph.value(d, DCTERMS.title))
    assert graph.value(d, URIRef(f"{DCAT}version")) == Literal(loaded.data_version)
    assert graph.value(d, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert graph.value(d, DCTERMS.issued) == Literal(loaded.loaded_at[:10], datatype=XSD.date)
    assert graph.value(d, VOID.triples) == Literal(stats.triples, datatype=XSD.integer)
    assert graph.value(d, DCTERMS.conformsTo) == ONTOLOGY_IRI
    assert graph.value(ONTOLOGY_IRI, OWL.versionIRI) == ONTOLOGY_VERSION_IRI
    assert stats.description_triples == len(split_description(graph)[1])


# -- filters ---------------------------------------------------------------------------------------------

LINKS = {rel.iri for rel in vocabulary().relationships.values()} - {MC.asserts, MC.claimedQuantity}
STATUS_CODES = vocabulary().enum_properties[MC.status].codes


def _expected_events(compiled: Graph, flt: ExportFilter) -> set[URIRef]:
    """The events a filter keeps, worked out independently with SPARQL over the compiled facts."""
    kinds = {
        "materiel-transfer": MC.MaterielTransfer, "technology-transfer": MC.TechnologyTransfer,
        "troop-deployment": MC.TroopDeployment, "weapons-use": MC.WeaponsUse,
        "support-request": MC.SupportRequest, "official-statement": MC.OfficialStatement,
    }
    roles = [MC.supplier, MC.recipient, MC.sendingState, MC.hostState, MC.requester, MC.requestedFrom,
             MC.usedBy, MC.statedBy, MC.targetState]
    out = set()
    for cls in kinds.values():
        if flt.kinds and cls not in {kinds[k] for k in flt.kinds}:
            continue
        for event in compiled.subjects(RDF.type, cls):
            involved = {o for r in roles for o in compiled.objects(event, r)}
            if not all(URIRef(a) in involved for a in flt.actors):
                continue
            start, end = compiled.value(event, MC.spanStart), compiled.value(event, MC.spanEnd)
            if start is None and end is None:
                if not flt.include_undated:
                    continue
            else:
                # No start with an end: the start is unknown, so until cannot rule it out.
                if flt.until and start is not None and start.toPython() > flt.until:
                    continue
                if flt.since and end is not None and end.toPython() < flt.since:
                    continue
            if flt.filters_claims and not [c for c in compiled.subjects(MC.asserts, event) if _passes(compiled, c, flt)]:
                continue
            out.add(event)
    return out


def _passes(compiled: Graph, claim: Any, flt: ExportFilter) -> bool:
    if flt.statuses and not {STATUS_CODES[c] for c in flt.statuses} & set(compiled.objects(claim, MC.status)):
        return False
    if flt.min_grading:
        reliability = str(compiled.value(claim, MC.sourceReliability))
        credibility = int(compiled.value(claim, MC.informationCredibility))  # type: ignore[arg-type]
        if reliability > flt.min_grading[0] or credibility > int(flt.min_grading[1]):
            return False
    return True


FILTERS = {
    "dprk-russia-transfers-2024-b2": ExportFilter(
        actors=(str(entity_iri("state", "PRK")), str(entity_iri("state", "RUS"))),
        since=dt.date(2024, 1, 1), kinds=("materiel-transfer",), min_grading="B2",
    ),
    "russia-until-2024-06-dated": ExportFilter(
        actors=(str(entity_iri("state", "RUS")),), until=dt.date(2024, 6, 30), include_undated=False,
    ),
    "estimated-claims": ExportFilter(statuses=("estimated",)),
    "weapons-use": ExportFilter(kinds=("weapons-use",)),
    "dated-only": ExportFilter(include_undated=False),
    "nothing": ExportFilter(actors=(str(entity_iri("state", "GBR")),), kinds=("troop-deployment",)),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_a_filtered_export_holds_the_matching_events_whole_with_their_context(
    name: str, embedded_dir: Path, bundled: CompiledFacts
) -> None:
    flt = FILTERS[name]
    compiled = exported(bundled)
    with EmbeddedSource.open(embedded_dir) as source:
        data, stats = run(source, "trig", flt)
    graph, description = split_description(union(parse_rdflib(data, "trig")))
    events = {e for cls in (MC.MaterielTransfer, MC.TechnologyTransfer, MC.TroopDeployment, MC.WeaponsUse,
                            MC.SupportRequest, MC.OfficialStatement) for e in graph.subjects(RDF.type, cls)}
    expected = _expected_events(compiled, flt)
    assert expected <= events
    # Other events are there only because a selected resource points at them.
    for extra in events - expected:
        assert any(graph.subjects(None, extra)), extra
    # Lossless for what it holds: every subject with exactly its compiled triples, and each
    # selected event's claims are those that pass the claim filters.
    for subject in set(graph.subjects()):
        assert triples_of(graph, subject) == triples_of(compiled, subject), subject
    for event in expected:
        kept = set(graph.subjects(MC.asserts, event))
        assert kept == {c for c in compiled.subjects(MC.asserts, event) if _passes(compiled, c, flt)}
    # Every link points at something in the export (or at an enumeration in the ontology).
    for s, p, o in graph:
        if p in LINKS:
            assert (o, None, None) in graph, (s, p, o)
    # Breaches of selected events come along when a claim for them passes.
    for breach in compiled.subjects(RDF.type, MC.Breach):
        if compiled.value(breach, MC.breachingEvent) in expected and any(
            _passes(compiled, c, flt) for c in compiled.subjects(MC.asserts, breach)
        ):
            assert (breach, RDF.type, MC.Breach) in graph
    subset = description.value(DATASET_IRI, VOID.subset)
    assert description.value(subset, VOID.triples) == Literal(stats.triples, datatype=XSD.integer)
    if expected:
        conforms, report = shacl_report(graph)
        assert conforms, report.serialize(format="turtle")
    else:
        assert stats.triples == 0


def test_the_dprk_russia_filter_keeps_the_2024_ammunition_and_drops_c3_claims(
    embedded_dir: Path, bundled: CompiledFacts
) -> None:
    with EmbeddedSource.open(embedded_dir) as source:
        data, _ = run(source, "ntriples", FILTERS["dprk-russia-transfers-2024-b2"])
    graph = Graph().parse(data=data, format="nt")
    event = entity_iri("event", "prk-rus-ammunition-2024")
    assert set(graph.subjects(MC.asserts, event)) == {entity_iri("claim", "prk-rus-ammunition-2024--source-notes")}
    assert (entity_iri("claim", "prk-rus-ammunition-2024--voice-news-article"), None, None) not in graph
    assert (entity_iri("state", "PRK"), MC.isoCode, Literal("PRK")) in graph
    assert (entity_iri("source", "source-notes"), RDF.type, MC.SourceDocument) in graph
    # Russia to the DPRK is another direction but still involves both: kept when dated 2024+.
    assert (entity_iri("event", "rus-prk-air-defence"), RDF.type, MC.MaterielTransfer) in graph


def test_undated_events_follow_the_undated_choice(embedded_dir: Path, bundled: CompiledFacts) -> None:
    undated = entity_iri("event", "prk-rus-ballistic-missiles")
    assert bundled.graph.value(undated, MC.startDate) is None
    window = {"actors": (str(entity_iri("state", "PRK")),), "since": dt.date(2024, 1, 1)}
    with EmbeddedSource.open(embedded_dir) as source:
        kept = Graph().parse(data=run(source, "ntriples", ExportFilter(**window))[0], format="nt")  # type: ignore[arg-type]
        dropped = Graph().parse(
            data=run(source, "ntriples", ExportFilter(**window, include_undated=False))[0], format="nt"  # type: ignore[arg-type]
        )
    assert (undated, RDF.type, MC.MaterielTransfer) in kept
    assert (undated, RDF.type, MC.MaterielTransfer) not in dropped


# -- streaming ---------------------------------------------------------------------------------------------


class _CountingSource(GraphSource):
    """A large graph handed out lazily, counting how many subjects were taken."""

    def __init__(self, subjects: int) -> None:
        super().__init__([])
        self.total = subjects
        self.taken = 0

    def blocks(self) -> Iterator[SubjectBlock]:
        name = ox.NamedNode(str(MC.quote))
        for n in range(self.total):
            self.taken += 1
            subject = ox.NamedNode(f"https://w3id.org/milcoop/id/claim/c{n}")
            yield SubjectBlock(subject, [ox.Quad(subject, name, ox.Literal(f"quote {n}"), ox.DefaultGraph())])


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_the_first_bytes_leave_before_the_source_is_read_through(fmt: str) -> None:
    source = _CountingSource(3 * CHUNK_TRIPLES)
    chunks = export(source, FORMATS[fmt])
    received = [next(chunks)]
    while source.taken == 0:  # a header may come first, before any subject is read
        received.append(next(chunks))
    # Data is on its way after one chunk of subjects, never the whole graph (JSON-LD and RDF/XML
    # included: they too are written node by node).
    assert source.taken <= CHUNK_TRIPLES + 1 < source.total
    received += list(chunks)
    assert source.taken == source.total
    quads = ox.parse(b"".join(received), format=OX_FORMATS[fmt])
    assert sum(1 for q in quads if q.subject.value.startswith("https://w3id.org/milcoop/id/claim/")) == source.total


class _FailingSource(EmbeddedSource):
    """The embedded store, failing part-way through its blocks (so never dumped whole)."""

    def dump_writer(self, fmt: ox.RdfFormat, prefixes: object = None) -> None:
        return None

    def blocks(self) -> Iterator[SubjectBlock]:
        for n, block in enumerate(super().blocks()):
            if n == 30:
                raise StoreUnavailable("the store went away")
            yield block


@pytest.mark.parametrize("fmt", ["turtle", "jsonld"])
def test_an_export_stopped_or_failing_part_way_ends_its_writer_cleanly(
    fmt: str, embedded_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc
    import sys
    import threading

    from milcoop.graph.export import writers

    released_elsewhere: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: released_elsewhere.append(unraisable.exc_value))
    monkeypatch.setattr(writers, "CHUNK_TRIPLES", 100)  # several chunks from the bundled facts
    with EmbeddedSource.open(embedded_dir) as source:
        chunks = export(source, FORMATS[fmt], snapshots=False)
        next(chunks)
        chunks.close()  # the client went away
        with pytest.raises(StoreUnavailable, match="went away"):
            b"".join(export(_FailingSource(EmbeddedStore.open(embedded_dir)), FORMATS[fmt], snapshots=False))
    gc.collect()
    # pyoxigraph's store iterators are released by the writer's thread, which made them (another
    # thread may not drop them), and no writer thread is left behind.
    assert released_elsewhere == []
    assert not [t for t in threading.enumerate() if t.name == "milcoop-export-writer"]


@pytest.mark.parametrize("format_name", ["ntriples", "jsonld"])  # the store's dump; subject blocks
def test_the_chunks_may_be_pulled_from_one_thread_after_another(
    embedded_dir: Path, monkeypatch: pytest.MonkeyPatch, bundled: CompiledFacts, format_name: str
) -> None:
    # The API's streaming response takes each chunk in whichever worker thread its pool offers;
    # pyoxigraph's store iterators must stay in one thread (another's use aborts the process).
    import threading

    from milcoop.graph.export import writers

    monkeypatch.setattr(writers, "CHUNK_TRIPLES", 100)
    monkeypatch.setattr(writers, "CHUNK_BYTES", 10_000)
    received: list[bytes] = []
    with EmbeddedSource.open(embedded_dir) as source:
        chunks = export(source, FORMATS[format_name], snapshots=False)

        def take() -> None:
            received.extend(itertools.islice(chunks, 1))

        while True:
            before = len(received)
            taker = threading.Thread(target=take)
            taker.start()
            taker.join()
            if len(received) == before:
                break
    assert len(received) > 3
    parsed = Graph().parse(data=b"".join(received), format="nt" if format_name == "ntriples" else "json-ld")
    data, _ = split_description(parsed)
    assert isomorphic(data, exported(bundled))


# -- the whole N-Triples export from the embedded store's own dump ----------------------------------------------


class _BlocksOnly(EmbeddedSource):
    """The embedded store read subject by subject, as every export was before the dump."""

    def dump_writer(self, fmt: ox.RdfFormat, prefixes: object = None) -> None:
        return None


def _with_overlapping_standard_terms(facts: CompiledFacts) -> CompiledFacts:
    """``facts`` and fictional resources (ISO 3166 user-assigned codes) whose standard triples
    overlap: two classes that are both a ``prov:Agent``, a ``prov:Agent`` type and an
    ``rdfs:label`` already stated."""
    from rdflib.namespace import PROV, RDFS, SKOS

    graph = Graph()
    for triple in facts.graph:
        graph.add(triple)
    both = URIRef("https://w3id.org/milcoop/id/state/XAB")
    graph.add((both, RDF.type, MC.State))
    graph.add((both, RDF.type, MC.InternationalOrganisation))
    graph.add((both, SKOS.prefLabel, Literal("Fictional state and organisation", lang="en")))
    stated = URIRef("https://w3id.org/milcoop/id/state/XAC")
    graph.add((stated, RDF.type, MC.State))
    graph.add((stated, RDF.type, PROV.Agent))
    graph.add((stated, SKOS.prefLabel, Literal("Fictional state")))
    graph.add((stated, RDFS.label, Literal("Fictional state")))
    return CompiledFacts(graph, facts.locations, facts.files, f"{facts.version}-overlapping")


@pytest.mark.parametrize("overlapping", [False, True], ids=["bundled", "overlapping-standard-terms"])
def test_the_whole_ntriples_export_is_the_stores_dump_with_the_triples_read_block_by_block(
    tmp_path: Path, bundled: CompiledFacts, overlapping: bool
) -> None:
    """The unfiltered N-Triples export of the embedded store is pyoxigraph's dump of its default
    graph and of the standard triples the load kept beside it: exactly the lines, the count and
    the description an export read subject by subject writes, each triple once."""
    facts = _with_overlapping_standard_terms(bundled) if overlapping else bundled
    EmbeddedStore.replace_contents(tmp_path, facts)
    with EmbeddedSource.open(tmp_path) as source:
        dumped, by_dump = run(source, "ntriples", snapshots=False)
        turtle, turtle_dump = run(source, "turtle", snapshots=False)
    with _BlocksOnly.open(tmp_path) as source:
        read, by_blocks = run(source, "ntriples", snapshots=False)
    assert (by_dump.written_by, turtle_dump.written_by, by_blocks.written_by) == ("dump", "dump", "blocks")
    lines = dumped.decode().splitlines()
    assert len(lines) == len(set(lines)) == by_dump.triples + by_dump.description_triples
    assert sorted(lines) == sorted(read.decode().splitlines())
    assert (by_dump.triples, by_dump.description_triples) == (by_blocks.triples, by_blocks.description_triples)
    assert (turtle_dump.triples, turtle_dump.description_triples) == (by_blocks.triples, by_blocks.description_triples)
    # The Turtle dump (three documents one after the other) holds the same triples, in two parsers.
    assert set(parse_oxigraph(turtle, "turtle")) == set(parse_oxigraph(dumped, "ntriples"))
    assert isomorphic(Graph().parse(data=turtle, format="turtle"), Graph().parse(data=dumped, format="nt"))
    data, _ = split_description(Graph().parse(data=dumped, format="nt"))
    assert isomorphic(data, exported(facts))


def test_a_store_written_without_its_standard_triples_is_exported_block_by_block_then_rewritten(
    tmp_path: Path, bundled: CompiledFacts
) -> None:
    """A store an older milcoop wrote (no standard triples recorded) still exports whole and
    right, read subject by subject; the next load writes it whole, and its export is a dump."""
    EmbeddedStore.replace_contents(tmp_path, bundled)
    path = EmbeddedStore.current_path(tmp_path)
    assert path is not None
    meta = path.with_suffix(".json")
    described = json.loads(meta.read_text(encoding="utf-8"))
    meta.write_text(json.dumps({**described, "layout": 1, "standard": ""}), encoding="utf-8")
    with EmbeddedSource.open(tmp_path) as source:
        old, by_blocks = run(source, "ntriples", snapshots=False)
    assert by_blocks.written_by == "blocks"
    variant = _variant(bundled, 1)
    summary = EmbeddedStore.replace_contents(tmp_path, variant)
    assert summary.method == ""  # whole, not by digest: the old store has no standard triples
    with EmbeddedSource.open(tmp_path) as source:
        new, by_dump = run(source, "ntriples", snapshots=False)
    assert by_dump.written_by == "dump" and by_dump.triples == by_blocks.triples + 2  # the variant's label, twice
    for document, facts in ((old, bundled), (new, variant)):
        data, _ = split_description(Graph().parse(data=document, format="nt"))
        assert isomorphic(data, exported(facts))


# -- snapshots of whole exports ------------------------------------------------------------------------------


def test_a_whole_export_is_replayed_from_its_snapshot_until_the_next_load(
    tmp_path: Path, bundled: CompiledFacts
) -> None:
    settings = embedded_settings(tmp_path, bundled)
    with EmbeddedSource.open(settings.data_dir) as source:
        first, cold = run(source, "turtle")
        second, warm = run(source, "turtle")
        unfiltered_from_store, _ = run(source, "turtle", snapshots=False)
    assert (cold.origin, warm.origin) == ("store", "snapshot")
    assert first == second == unfiltered_from_store
    assert warm.triples == cold.triples == len(exported(bundled))
    embedded_settings(tmp_path, bundled)  # the same facts again: nothing written, the snapshot stays
    with EmbeddedSource.open(settings.data_dir) as source:
        _, again = run(source, "turtle")
    assert again.origin == "snapshot"
    embedded_settings(tmp_path, _variant(bundled, 1))  # other facts: a new store folder
    with EmbeddedSource.open(settings.data_dir) as source:
        _, after = run(source, "turtle")
    assert after.origin == "store"
    folders = list((EmbeddedStore.root(settings.data_dir) / "exports").iterdir())
    assert len(folders) == 1  # the previous load's snapshots are gone


def test_an_interrupted_export_leaves_no_snapshot(tmp_path: Path, bundled: CompiledFacts) -> None:
    settings = embedded_settings(tmp_path, bundled)
    with EmbeddedSource.open(settings.data_dir) as source:
        chunks = export(source, FORMATS["ntriples"], stats=ExportStats())
        next(chunks)
        chunks.close()  # the client went away
        _, stats = run(source, "ntriples")
    assert stats.origin == "store"


# -- content negotiation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/turtle"),
        ("", "text/turtle"),
        ("*/*", "text/turtle"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml;q=0.5, application/ld+json", "application/ld+json"),
        ("application/*;q=0.9, application/trig", "application/trig"),
        ("text/html, */*;q=0.1", "text/turtle"),
        ("text/turtle;q=0, application/n-quads;q=0.2", "application/n-quads"),
        ("text/html", None),
        ("application/ld+json;q=0", None),
        ("garbage", None),
    ],
)
def test_negotiate_follows_quality_and_specificity(accept: str | None, expected: str | None) -> None:
    offered = [f.media_type for f in FORMATS.values()]
    assert negotiate(accept, offered) == expected


def test_the_format_parameter_wins_over_accept() -> None:
    assert format_for("nt", "text/turtle").name == "ntriples"
    assert format_for(None, "application/json").name == "jsonld"


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_replayed_snapshot_is_byte_for_byte_the_export_from_the_store(
    fmt: str, tmp_path: Path, bundled: CompiledFacts
) -> None:
    settings = embedded_settings(tmp_path, bundled)
    with EmbeddedSource.open(settings.data_dir) as source:
        from_store, _ = run(source, fmt, snapshots=False)
        run(source, fmt)  # keeps the snapshot
        replayed, stats = run(source, fmt)
    assert stats.origin == "snapshot"
    assert replayed == from_store
    data, _ = split_description(union(parse_rdflib(replayed, fmt)))
    assert isomorphic(data, exported(bundled))


# -- the command line ----------------------------------------------------------------------------------------


def _milcoop(*args: str, data_dir: Path) -> subprocess.CompletedProcess[bytes]:
    import os
    import sys

    env = {**os.environ, "MILCOOP_DATA_DIR": str(data_dir), "NEO4J_URI": ""}
    return subprocess.run([str(Path(sys.executable).parent / "milcoop"), *args], env=env, capture_output=True,
                          timeout=120, check=False)


def test_milcoop_export_writes_a_filtered_file_and_names_bad_options(embedded_dir: Path, bundled: CompiledFacts,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "dprk-russia.trig"
    done = _milcoop("export", "--format", "trig", "--out", str(out), "--actor", "DPRK", "--actor", "Russia",
                    "--since", "2024", "--min-grade", "B2", data_dir=embedded_dir)
    assert done.returncode == 0, done.stderr.decode()
    data, _ = split_description(union(parse_rdflib(out.read_bytes(), "trig")))
    assert (entity_iri("event", "prk-rus-ammunition-2024"), RDF.type, MC.MaterielTransfer) in data
    assert f"{len(data)} triples" in done.stderr.decode()
    to_stdout = _milcoop("export", "-f", "nt", data_dir=embedded_dir)
    assert to_stdout.returncode == 0
    assert isomorphic(split_description(Graph().parse(data=to_stdout.stdout, format="nt"))[0], exported(bundled))
    for args, option in [(("-f", "excel"), "--format"), (("--actor", "Nroth Korea"), "--actor"),
                         (("--since", "2024-13"), "--since"), (("--min-grade", "Z9"), "--min-grade")]:
        bad = _milcoop("export", *args, "--out", str(tmp_path / "bad.ttl"), data_dir=embedded_dir)
        assert bad.returncode == 1 and option in bad.stderr.decode(), bad.stderr.decode()
        assert not (tmp_path / "bad.ttl").exists()
    empty = _milcoop("export", data_dir=tmp_path / "nothing-loaded")
    assert empty.returncode == 2 and "milcoop load" in empty.stderr.decode()
