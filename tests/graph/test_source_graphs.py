"""The embedded store's source graphs (graph/embedded/source_graphs.py) are the export's named graphs,
also after register imports and loads have replaced partitions (made-up SIPRI rows between fictional
states, see tests/loaders/registers/test_importers.py)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from milcoop.graph.embedded.files import INTERNAL_GRAPHS, EmbeddedStore
from milcoop.graph.embedded.rdf_source import EmbeddedSource
from milcoop.graph.embedded.source_graphs import source_graph_document, source_graph_quads
from milcoop.graph.rdf_source import in_graph
from milcoop.graph.terms import lines_by_subject, ntriples_of
from milcoop.ontology.namespace import GRAPH
from milcoop.settings import Settings
from tests.loaders.registers.test_partitions import _sequence

Quad = tuple[str, object, object, object]


def _held(store: EmbeddedStore) -> set[Quad]:
    return {
        (q.graph_name.value, q.subject, q.predicate, q.object)
        for q in store.store.quads_for_pattern(None, None, None, None)
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value not in INTERNAL_GRAPHS
    }


def _exported(store: EmbeddedStore) -> set[Quad]:
    source = EmbeddedSource(store)
    return {
        (q.graph_name.value, q.subject, q.predicate, q.object)
        for block in source.blocks()
        for q in in_graph(block)
        if isinstance(q.graph_name, ox.NamedNode)
    }


def test_the_store_holds_the_exports_named_graphs_after_imports_and_loads(tmp_path: Path) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": ""})
    _sequence(settings, "embedded")  # SIPRI 2025, the curated facts, SIPRI 2026
    store = EmbeddedStore.open(settings.data_dir)
    held = _held(store)
    assert held == _exported(store)
    graphs = {g for g, _, _, _ in held}
    assert f"{GRAPH}source-notes" in graphs  # the curated facts' claims, kept through the import
    assert f"{GRAPH}sipri-arms-transfers-2026-03-12" in graphs
    assert not any("sipri-arms-transfers-2025" in g for g in graphs)  # the replaced release's graph is gone
    # The default graph holds every fact, claims included, and the count is the default graph's.
    default = sum(1 for _ in store.store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    assert store.info.triples == default
    assert {(s, p, o) for _, s, p, o in held} <= {
        (q.subject, q.predicate, q.object) for q in store.store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    }


def test_a_load_finds_the_source_graphs_in_memory_as_the_store_would(tmp_path: Path) -> None:
    """A load computes the graphs from the quads it just wrote (no claim is read back); the
    benchmarks' streamed writes read them from the store. Both must give the same quads."""
    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": ""})
    _sequence(settings, "embedded")
    store = EmbeddedStore.open(settings.data_dir).store
    default = list(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    from_store = source_graph_quads(store)
    assert from_store  # the claims of SIPRI 2026 and of the curated facts
    half = len(default) // 2  # as a load passes them: its new quads, then the kept ones
    new, kept = lines_by_subject(ntriples_of(default[:half])), lines_by_subject(ntriples_of(default[half:]))
    found = ox.parse(source_graph_document(store, new, kept), format=ox.RdfFormat.N_QUADS)
    assert set(found) == set(from_store)
