"""Loading files the store already holds writes nothing; an edit, or --force, loads again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from neo4j import Driver
from typer.testing import CliRunner

from milcoop.cli import app
from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.graph.store import open_store
from milcoop.loaders.load import load
from milcoop.settings import Settings, get_settings
from tests.conftest import DATA


@pytest.fixture
def facts(tmp_path: Path) -> Path:
    """A copy of the bundled fact files, to edit."""
    copy = tmp_path / "facts"
    shutil.copytree(DATA, copy)
    return copy


def _edit_one_quote(facts: Path) -> None:
    path = facts / "dprk-russia.yaml"
    text = path.read_text(encoding="utf-8")
    old = "Arms shipments from North Korea to Russia (...) include ballistic missiles"
    assert old in text
    path.write_text(text.replace(old, old + " [quote shortened in a test]", 1), encoding="utf-8")


def _active_folder(data_dir: Path) -> str:
    return (EmbeddedStore.root(data_dir) / "CURRENT").read_text(encoding="utf-8")


def test_an_unchanged_reload_writes_nothing_and_an_edit_loads(tmp_path: Path, facts: Path) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path / "store", "NEO4J_URI": ""})
    (first,) = load([facts], "embedded", settings)
    assert not first.unchanged and first.triples > 0
    folder, versions = _active_folder(settings.data_dir), EmbeddedStore.open(settings.data_dir).data_versions()

    (again,) = load([facts], "embedded", settings)
    assert again.unchanged and again.data_version == first.data_version
    assert "unchanged" in again.describe() and "nothing written" in again.describe()
    assert _active_folder(settings.data_dir) == folder  # not even a new store folder
    assert EmbeddedStore.open(settings.data_dir).data_versions() == versions  # no new version recorded

    (forced,) = load([facts], "embedded", settings, force=True)
    assert not forced.unchanged and _active_folder(settings.data_dir) != folder

    _edit_one_quote(facts)
    (edited,) = load([facts], "embedded", settings)
    assert not edited.unchanged and edited.data_version != first.data_version
    changes = EmbeddedStore.open(settings.data_dir).changes_after(versions[-1].seq)
    assert [(c.kind, c.change) for c in changes] == [("claim", "changed")]  # exactly the edited claim


def test_the_cli_says_unchanged(tmp_path: Path, facts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MILCOOP_DATA_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("NEO4J_URI", "")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["load", str(facts)]).exit_code == 0
        again = runner.invoke(app, ["load", str(facts)])
        assert again.exit_code == 0 and "unchanged" in again.output, again.output
        forced = runner.invoke(app, ["load", "--force", str(facts)])
        assert forced.exit_code == 0 and "unchanged" not in forced.output, forced.output
    finally:
        get_settings.cache_clear()


@pytest.mark.neo4j
def test_neo4j_is_skipped_only_when_it_holds_the_same_version(
    tmp_path: Path, facts: Path, neo4j_settings: Settings, neo4j_driver: Driver
) -> None:
    settings = neo4j_settings.model_copy(update={"data_dir": tmp_path / "store"})
    first = load([facts], "neo4j", settings, force=True)
    assert [s.backend for s in first] == ["neo4j", "embedded"] and not any(s.unchanged for s in first)

    again = load([facts], "neo4j", settings)
    assert [s.unchanged for s in again] == [True, True]

    # Another load (another data dir) changed Neo4j meanwhile: this one must write it again.
    other = neo4j_settings.model_copy(update={"data_dir": tmp_path / "other"})
    _edit_one_quote(facts)
    load([facts], "neo4j", other)
    shutil.rmtree(facts)
    shutil.copytree(DATA, facts)
    restored = load([facts], "neo4j", settings)
    assert not restored[0].unchanged
    store = open_store(settings, "neo4j")
    try:
        assert store.data_version() == restored[0].data_version
    finally:
        store.close()


def test_a_load_writes_the_snapshots_asked_for_and_the_first_export_replays_them(tmp_path: Path, facts: Path) -> None:
    """MILCOOP_SNAPSHOT_FORMATS: the load exports the new store whole, so the first export (with
    the deployment's public links, as the API's would have) is a replay, byte for byte what
    reading the store gives."""
    from milcoop.graph.embedded.rdf_source import EmbeddedSource
    from milcoop.graph.export import DatasetLinks, export, format_named
    from milcoop.graph.export.writers import ExportStats

    settings = Settings.model_validate(
        {
            "data_dir": tmp_path / "store",
            "NEO4J_URI": "",
            "snapshot_formats": "nquads, Turtle",
            "public_base_url": "https://milcoop.example.org",
        }
    )
    (summary,) = load([facts], "embedded", settings)
    assert summary.phases["export snapshots"] > 0
    links = DatasetLinks("https://milcoop.example.org")
    with EmbeddedSource.open(settings.data_dir) as source:
        for name in ("nquads", "turtle"):
            fmt = format_named(name)
            first = ExportStats()
            replayed = b"".join(export(source, fmt, stats=first, links=links))
            assert first.origin == "snapshot", name
            read = ExportStats()
            assert b"".join(export(source, fmt, stats=read, links=links, snapshots=False)) == replayed
            assert read.origin == "store" and read.triples == first.triples
        other = ExportStats()
        b"".join(export(source, format_named("trig"), stats=other, links=links))
        assert other.origin == "store"  # not asked for: the first export reads the store

    # An unchanged reload keeps the store folder and its snapshots; nothing is exported again.
    (again,) = load([facts], "embedded", settings)
    assert again.unchanged and "export snapshots" not in again.phases


def test_an_unknown_snapshot_format_stops_the_load_before_it_writes(tmp_path: Path, facts: Path) -> None:
    from milcoop.settings import SettingsError

    settings = Settings.model_validate(
        {"data_dir": tmp_path / "store", "NEO4J_URI": "", "snapshot_formats": "nquads,bogus"}
    )
    with pytest.raises(SettingsError, match="MILCOOP_SNAPSHOT_FORMATS='nquads,bogus': unknown format 'bogus'"):
        load([facts], "embedded", settings)
    assert not EmbeddedStore.exists(settings.data_dir)
