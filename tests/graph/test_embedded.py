"""The embedded store: atomic replacement, parameterised queries, faithful contents."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.compare import isomorphic

from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.graph.errors import StoreUnavailable
from milcoop.loaders.curated import CompiledFacts
from milcoop.loaders.load import load
from milcoop.loaders.problems import CurationError
from milcoop.settings import Settings
from tests.conftest import BROKEN, DATA

ISO_QUERY = (
    "SELECT ?name ?iso WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?name ; "
    "<https://w3id.org/milcoop/ontology#isoCode> ?iso }"
)


def test_load_then_read_back_is_the_compiled_graph(tmp_path: Path, bundled: CompiledFacts) -> None:
    [summary] = load([DATA], "embedded", Settings(data_dir=tmp_path))
    assert summary.triples == len(bundled.graph)
    store = EmbeddedStore.open(tmp_path)
    assert store.info.data_version == bundled.version
    read_back = Graph()
    for triple in store.triples():
        read_back.add(triple)
    assert isomorphic(read_back, bundled.graph)


def test_values_are_bound_not_spliced(tmp_path: Path) -> None:
    load([DATA], "embedded", Settings(data_dir=tmp_path))
    store = EmbeddedStore.open(tmp_path)
    assert store.select(ISO_QUERY, {"iso": Literal("PRK")}) == [
        {"name": Literal("Democratic People's Republic of Korea"), "iso": Literal("PRK")}
    ]
    assert store.select(ISO_QUERY, {"iso": Literal('PRK" } UNION { ?s ?p ?o')}) == []


def test_opening_an_empty_data_dir_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="milcoop load"):
        EmbeddedStore.open(tmp_path)


def test_invalid_facts_leave_the_previous_store_in_place(tmp_path: Path) -> None:
    load([DATA], "embedded", Settings(data_dir=tmp_path))
    before = EmbeddedStore.current_path(tmp_path)
    with pytest.raises(CurationError):
        load([DATA, BROKEN / "unknown-state.yaml"], "embedded", Settings(data_dir=tmp_path))
    assert EmbeddedStore.current_path(tmp_path) == before


def test_a_failing_write_leaves_the_previous_store_in_place(tmp_path: Path, bundled: CompiledFacts) -> None:
    load([DATA], "embedded", Settings(data_dir=tmp_path))
    before = EmbeddedStore.current_path(tmp_path)

    def failing_triples():  # type: ignore[no-untyped-def]
        yield from list(bundled.graph)[:10]
        raise OSError("disk full")

    from milcoop.graph.errors import LoadFailed
    from milcoop.graph.writer import SilentProgress

    with pytest.raises(LoadFailed, match="previous store is untouched"):
        EmbeddedStore.replace_with_triples(tmp_path, failing_triples(), 10, "broken", SilentProgress())
    assert EmbeddedStore.current_path(tmp_path) == before
    assert len(EmbeddedStore.open(tmp_path)) == len(bundled.graph)
    leftovers = [p for p in EmbeddedStore.root(tmp_path).iterdir() if "broken" in p.name]
    assert leftovers == []


def test_the_store_just_replaced_stays_readable_until_the_next_load(tmp_path: Path, bundled: CompiledFacts) -> None:
    """A reader in another process (an API worker, a SPARQL worker) may hold the previous store
    open for up to a second after a load switches; its folder must still be there."""
    import pyoxigraph as ox

    root = EmbeddedStore.root(tmp_path)

    def folders() -> list[str]:
        return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.startswith("store-"))

    def current() -> str:
        return (root / "CURRENT").read_text(encoding="utf-8")

    EmbeddedStore.replace_contents(tmp_path, bundled)
    first = current()
    reader = ox.Store.read_only(str(root / first))  # as another process would hold it
    EmbeddedStore.replace_contents(tmp_path, _variant(bundled, 1))
    second = current()
    assert second != first and folders() == sorted([first, second])
    assert len(reader) > 0  # still readable after the switch
    del reader
    EmbeddedStore.replace_contents(tmp_path, _variant(bundled, 2))
    assert folders() == sorted([second, current()])  # two loads on, the first is gone


def _variant(facts: CompiledFacts, number: int) -> CompiledFacts:
    """``facts`` and one more resource: a fictional state (ISO 3166 user-assigned code XAA), so
    that each load holds other facts."""
    from rdflib import URIRef
    from rdflib.namespace import SKOS

    graph = Graph()
    for triple in facts.graph:
        graph.add(triple)
    graph.add((URIRef("https://w3id.org/milcoop/id/state/XAA"), SKOS.prefLabel, Literal(f"Fictional state {number}")))
    return CompiledFacts(graph, facts.locations, facts.files, f"{facts.version}-variant-{number}")


def test_reloading_the_same_facts_writes_nothing(tmp_path: Path, bundled: CompiledFacts) -> None:
    """The digests show nothing changed: the store folder (and the export snapshots kept beside
    it) stays, and no data version is recorded."""
    EmbeddedStore.replace_contents(tmp_path, bundled)
    before = EmbeddedStore.current_path(tmp_path)
    folders = sorted(EmbeddedStore.root(tmp_path).iterdir())
    summary = EmbeddedStore.replace_contents(tmp_path, bundled)
    assert summary.unchanged and summary.triples == len(bundled.graph)
    assert "unchanged" in summary.describe()
    assert EmbeddedStore.current_path(tmp_path) == before
    assert sorted(EmbeddedStore.root(tmp_path).iterdir()) == folders
    assert len(EmbeddedStore.open(tmp_path).data_versions()) == 1
    changed = EmbeddedStore.replace_contents(tmp_path, _variant(bundled, 1))
    assert not changed.unchanged and EmbeddedStore.current_path(tmp_path) != before


def test_verify_writes_a_whole_new_store(tmp_path: Path, bundled: CompiledFacts) -> None:
    """A store whose facts no longer match its recorded digests (here: one fact deleted behind
    milcoop's back) is trusted by a plain reload and rebuilt by one that verifies (--force)."""
    import pyoxigraph as ox

    EmbeddedStore.replace_contents(tmp_path, bundled)
    path = EmbeddedStore.current_path(tmp_path)
    assert path is not None
    damaged = ox.Store(str(path))
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    # Not a type: the resource keeps it, so the load sees it changed (not added).
    removed = next(q for q in damaged.quads_for_pattern(None, None, None, ox.DefaultGraph()) if q.predicate != rdf_type)
    damaged.remove(removed)
    damaged.flush()
    del damaged
    assert EmbeddedStore.replace_contents(tmp_path, bundled).unchanged
    summary = EmbeddedStore.replace_contents(tmp_path, bundled, verify=True)
    assert not summary.unchanged and summary.triples == len(bundled.graph)
    repaired = EmbeddedStore.open(tmp_path)
    assert removed in repaired.store and repaired.path != path


@functools.cache
def _synthetic_graph(events: int, seed: int) -> Graph:
    """bench/synthetic.py's dataset: fictional states (ISO 3166 user-assigned codes), made-up facts.
    Built once per size and seed; callers copy it before they change it."""
    from bench.synthetic import generate, triples

    dataset = generate(events, seed)
    graph = Graph()
    for triple in triples(dataset.nodes, dataset.relationships):
        graph.add(triple)
    return graph


def _edited(graph: Graph) -> Graph:
    """``graph`` with what a curator's edit does: literals changed, a claim given another source (so
    its quantity moves to another named graph), resources removed and added."""
    from rdflib import RDF, URIRef

    from milcoop.ontology.namespace import MC

    edited = Graph()
    for triple in graph:
        edited.add(triple)
    claims = sorted(s for s in graph.subjects(RDF.type, MC.Claim) if (s, MC.claimedQuantity, None) in graph)
    sources = sorted(set(graph.subjects(RDF.type, MC.SourceDocument)))
    moved = claims[0]
    old_source = graph.value(moved, MC.source)
    edited.set((moved, MC.source, next(s for s in sources if s != old_source)))
    for claim in claims[1:4]:  # three claims go, with every triple they have
        edited.remove((claim, None, None))
    for event in sorted(set(graph.subjects(MC.startDate, None)))[:10]:
        edited.set((event, MC.startDate, Literal("1999", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear"))))
    fictional = URIRef("https://w3id.org/milcoop/id/state/XZZ")
    edited.add((fictional, RDF.type, MC.State))
    edited.add((fictional, MC.isoCode, Literal("XZZ")))
    return edited


def _contents(data_dir: Path, history: bool = True) -> set[tuple[str, str, str, str]]:
    """Every quad the active store holds, records included (the history unless not ``history``);
    the times of records left out."""
    import json

    import pyoxigraph as ox

    from milcoop.graph.embedded.files import HISTORY, PARTITIONS

    found = set()
    for quad in EmbeddedStore.open(data_dir).store.quads_for_pattern(None, None, None, None):
        if quad.graph_name == HISTORY and not history:
            continue
        value = str(quad.object)
        if quad.graph_name in (HISTORY, PARTITIONS) and isinstance(quad.object, ox.Literal) and "{" in quad.object.value:
            record = json.loads(quad.object.value)
            record.pop("at", None)
            value = json.dumps(record, sort_keys=True)
        found.add((str(quad.graph_name), str(quad.subject), str(quad.predicate), value))
    return found


def test_a_load_by_digest_holds_exactly_what_a_whole_write_holds(tmp_path: Path) -> None:
    """Each load after the first copies the store and writes only what changed (method "by
    digest"); step by step it must hold exactly what writing the whole store holds (--force):
    facts, the claims' named graphs, digests, partitions and history."""
    first = _synthetic_graph(120, 5)
    steps = [first, _edited(first), _edited(first), first]
    by_digest, whole = tmp_path / "by-digest", tmp_path / "whole"
    for number, graph in enumerate(steps):
        facts = CompiledFacts(graph, {}, [], f"synthetic-step-{number}")
        edited = EmbeddedStore.replace_contents(by_digest, facts)
        written = EmbeddedStore.replace_contents(whole, CompiledFacts(graph, {}, [], facts.version), verify=True)
        assert edited.method == ("by digest" if number else "") and written.method == ""
        assert edited.describe().endswith(", by digest" if number else " s")
        assert edited.triples == written.triples == len(graph)
        assert _contents(by_digest) == _contents(whole), f"step {number}"
    assert [v.changed for v in EmbeddedStore.open(by_digest).data_versions()][1:] == [11, 0, 11]


_KILLED_LOAD = """
import sys
from pathlib import Path
from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.loaders.curated import CompiledFacts
from tests.graph.test_embedded import _edited, _synthetic_graph

facts = CompiledFacts(_edited(_synthetic_graph(600, 5)), {}, [], "edited")
facts.quads()
print("go", flush=True)
EmbeddedStore.replace_contents(Path(sys.argv[1]), facts)
print("done", flush=True)
"""


# The load by digest takes about half a second on the development machine once its facts are read.
@pytest.mark.parametrize("delay", [0.05, 0.2, 0.4])
def test_a_load_killed_at_any_point_leaves_the_previous_store_and_the_next_load_clean(
    tmp_path: Path, delay: float
) -> None:
    """A load by digest killed (SIGKILL) somewhere in its work: the active store is the previous
    one, whole, readable by a reader that had it open; the next load completes and holds exactly
    its facts."""
    import signal
    import subprocess
    import sys
    import time

    import pyoxigraph as ox

    from tests.conftest import ROOT

    first = _synthetic_graph(600, 5)
    EmbeddedStore.replace_contents(tmp_path, CompiledFacts(first, {}, [], "first"))
    before = EmbeddedStore.current_path(tmp_path)
    assert before is not None
    reader = ox.Store.read_only(str(before))
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_LOAD, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "go"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    active = EmbeddedStore.open(tmp_path)
    if active.path == before:  # killed before the switch: the previous store, whole
        assert active.info.data_version == "first" and len(active) == len(first)
        assert sum(1 for _ in reader.quads_for_pattern(None, None, None, ox.DefaultGraph())) == len(first)
    else:  # it had switched: the edited facts, whole
        assert active.info.data_version == "edited"
    del reader
    edited = _edited(first)
    summary = EmbeddedStore.replace_contents(tmp_path, CompiledFacts(edited, {}, [], "again"))
    assert summary.triples == len(edited)
    folders = [p for p in EmbeddedStore.root(tmp_path).iterdir() if p.is_dir() and p.name.startswith("store-")]
    assert len(folders) == 2  # what the killed load left half written is gone: the active one and the last
    assert _contents(tmp_path, history=False) == _contents_of_whole(tmp_path / "whole", edited, "again", first)


def _contents_of_whole(data_dir: Path, graph: Graph, version: str, first: Graph) -> set[tuple[str, str, str, str]]:
    """What writing the whole store holds after loading ``first`` then ``graph``, history aside."""
    EmbeddedStore.replace_contents(data_dir, CompiledFacts(first, {}, [], "first"))
    EmbeddedStore.replace_contents(data_dir, CompiledFacts(graph, {}, [], version), verify=True)
    return _contents(data_dir, history=False)
