"""The embedded store: atomic replacement, parameterised queries, faithful contents."""

from __future__ import annotations

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
