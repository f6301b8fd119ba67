"""An import replaces exactly its register's facts; a load exactly the curated facts; both stores.

The SIPRI rows are made up, between fictional states (see test_importers.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from neo4j import Driver
from rdflib import Graph

from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.graph.neo4j.rdf_source import Neo4jSource
from milcoop.graph.partitions import register_partition
from milcoop.graph.store import held_record
from milcoop.graph.terms import to_rdflib
from milcoop.loaders.curated import compile_facts
from milcoop.loaders.load import load
from milcoop.loaders.registers import import_register, input_digest, read_register
from milcoop.settings import Settings
from tests.loaders.registers.test_importers import FIXTURES, REFERENCE, SIPRI


def _embedded_triples(settings: Settings) -> set[tuple[object, object, object]]:
    return set(EmbeddedStore.open(settings.data_dir).triples())


def _neo4j_triples(settings: Settings) -> set[tuple[object, object, object]]:
    found: set[tuple[object, object, object]] = set()
    with Neo4jSource.from_settings(settings) as source:
        for block in source.blocks():
            for quad in block.quads:
                found.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return found


def _expected(*graphs: Graph) -> set[tuple[object, object, object]]:
    union: set[tuple[object, object, object]] = set()
    for graph in graphs:
        union |= set(graph)
    return union


def _sequence(settings: Settings, backend: str) -> None:
    """SIPRI 2025, then the curated facts, then SIPRI 2026: the curated facts and the 2026 release."""
    first = import_register("sipri", SIPRI / "trade-register-2025.csv", backend, settings, reference=REFERENCE)  # type: ignore[arg-type]
    assert first.summaries
    load(None, backend, settings)  # type: ignore[arg-type]
    import_register("sipri", SIPRI / "trade-register-2026.csv", backend, settings, reference=REFERENCE)  # type: ignore[arg-type]


def _wanted() -> set[tuple[object, object, object]]:
    _, second = read_register("sipri", SIPRI / "trade-register-2026.csv", reference=REFERENCE)
    return _expected(compile_facts().graph, second.graph)


def test_embedded_keeps_exactly_the_curated_facts_and_the_second_release(tmp_path: Path) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": ""})
    _sequence(settings, "embedded")
    held = _embedded_triples(settings)
    assert held == _wanted()
    # The first release's source and its dropped row are gone; the curated facts are there.
    subjects = {str(s) for s, _, _ in held}
    assert not any("sipri-arms-transfers-2025" in s for s in subjects)
    assert any(s.endswith("/source/sipri-arms-transfers-2026-03-12") for s in subjects)
    assert any(s.endswith("/event/prk-rus-ammunition-2023-2024") for s in subjects) or any(
        "/event/prk-rus" in s for s in subjects
    )


def test_reimporting_the_same_release_changes_nothing(tmp_path: Path) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": ""})
    import_register("sipri", SIPRI / "trade-register-2025.csv", "embedded", settings, reference=REFERENCE)
    store = EmbeddedStore.open(settings.data_dir)
    before, versions = set(store.triples()), store.data_versions()
    del store
    import_register("sipri", SIPRI / "trade-register-2025.csv", "embedded", settings, reference=REFERENCE)
    store = EmbeddedStore.open(settings.data_dir)
    assert set(store.triples()) == before
    assert store.data_versions() == versions  # an unchanged re-import records no new version


def test_a_curated_load_leaves_an_imported_register_in_place(tmp_path: Path) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": ""})
    load(None, "embedded", settings)
    import_register("atop", FIXTURES / "atop", "embedded", settings, reference=REFERENCE)
    import_register("cow", FIXTURES / "cow", "embedded", settings, reference=REFERENCE)
    load(None, "embedded", settings)
    store = EmbeddedStore.open(settings.data_dir)
    assert set(store.partition_records()) == {"curated", "register:atop", "register:cow"}
    treaties = {str(q.subject) for q in store.store.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    assert any("atop-alliance-9902-phase-2" in t for t in treaties)
    assert any("cow-alliance-9904" in t for t in treaties)


@pytest.mark.neo4j
def test_neo4j_keeps_exactly_the_curated_facts_and_the_second_release(
    neo4j_settings: Settings, neo4j_driver: Driver, tmp_path: Path
) -> None:
    # A data folder of its own: the session's embedded copy (and so Neo4j's partitions) is other tests'.
    settings = neo4j_settings.model_copy(update={"data_dir": tmp_path})
    neo4j_driver.execute_query("MATCH (n) DETACH DELETE n")
    try:
        _sequence(settings, "neo4j")
        wanted = _wanted()
        assert _embedded_triples(settings) == wanted
        assert _neo4j_triples(settings) == wanted
        # The alliance registers beside them, exact in both stores, and idempotent.
        for register, path in (("atop", FIXTURES / "atop"), ("cow", FIXTURES / "cow")):
            assert import_register(register, path, "neo4j", settings, reference=REFERENCE).summaries
            assert import_register(register, path, "neo4j", settings, reference=REFERENCE).unchanged
        _, atop = read_register("atop", FIXTURES / "atop", reference=REFERENCE)
        _, cow = read_register("cow", FIXTURES / "cow", reference=REFERENCE)
        everything = wanted | set(atop.graph) | set(cow.graph)
        assert _embedded_triples(settings) == everything
        assert _neo4j_triples(settings) == everything
    finally:
        neo4j_driver.execute_query("MATCH (n) DETACH DELETE n")


def test_a_reimport_of_the_same_release_is_recognised_and_other_options_are_not(tmp_path: Path) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": ""})
    register = SIPRI / "trade-register-2025.csv"
    assert not import_register("sipri", register, "embedded", settings, reference=REFERENCE).unchanged
    assert import_register("sipri", register, "embedded", settings, reference=REFERENCE).unchanged
    regraded = import_register("sipri", register, "embedded", settings, reference=REFERENCE, grading="C3")
    assert not regraded.unchanged and regraded.summaries
    triples = EmbeddedStore.open(settings.data_dir).triples()
    held = {str(o) for s, p, o in triples if str(p).endswith("#sourceReliability") and "/claim/sipri-" in str(s)}
    assert held == {"C"}  # every SIPRI claim regraded, none left at the default B


def test_an_unchanged_reimport_stops_before_reading_and_any_changed_byte_reads_again(tmp_path: Path) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path / "store", "NEO4J_URI": ""})
    register = tmp_path / "trade-register.csv"
    shutil.copy(SIPRI / "trade-register-2025.csv", register)
    first = import_register("sipri", register, "embedded", settings, reference=REFERENCE)
    assert not first.unchanged and first.rows > 0
    record = held_record(settings, "embedded", register_partition("sipri"))
    assert record is not None and record.inputs == input_digest("sipri", register, reference=REFERENCE)

    again = import_register("sipri", register, "embedded", settings, reference=REFERENCE)
    assert again.unchanged and again.rows == 0  # no row was read: the input digest matched
    assert again.release.title == first.release.title and again.release.source_id == first.release.source_id

    # One more space in a comment changes nothing a row means, but the file is not the same file.
    register.write_bytes(register.read_bytes().replace(b"Fictional row", b"Fictional  row", 1))
    edited = import_register("sipri", register, "embedded", settings, reference=REFERENCE)
    assert not edited.unchanged and edited.rows == first.rows


def test_loads_by_digest_hold_exactly_what_whole_writes_hold_across_partitions(tmp_path: Path) -> None:
    """SIPRI 2025, the curated facts, SIPRI 2026, SIPRI 2025 again: each load after the first
    edits a copy of the store by digest; it must hold exactly what writing the whole store holds,
    the partitions each resource belongs to included (a state both the register and the curated
    facts name changes partitions without changing a triple)."""
    from tests.graph.test_embedded import _contents

    _, sipri_2025 = read_register("sipri", SIPRI / "trade-register-2025.csv", reference=REFERENCE)
    _, sipri_2026 = read_register("sipri", SIPRI / "trade-register-2026.csv", reference=REFERENCE)
    curated = compile_facts()
    by_digest, whole = tmp_path / "by-digest", tmp_path / "whole"
    for number, facts in enumerate([sipri_2025, curated, sipri_2026, sipri_2025]):
        edited = EmbeddedStore.replace_contents(by_digest, facts)
        written = EmbeddedStore.replace_contents(whole, facts, verify=True)
        assert edited.method == ("by digest" if number else "") and written.method == ""
        assert edited.triples == written.triples
        assert _contents(by_digest) == _contents(whole), f"step {number}"
