"""A load that would remove more than a tenth of the store stops and says what it would remove.

An emptied or half-cut fact file compiles (it is valid YAML with fewer facts); without this guard
the next load would delete every fact it no longer holds without a word.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from milcoop.cli import app
from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.loaders.curated import CompiledFacts
from milcoop.loaders.load import RemovalsRefused, load, load_compiled
from milcoop.settings import Settings
from tests.conftest import DATA


@pytest.fixture
def facts(tmp_path: Path) -> Path:
    """A copy of the bundled fact files to cut."""
    copy = tmp_path / "facts"
    shutil.copytree(DATA, copy)
    return copy


@pytest.fixture
def settings(tmp_path: Path, bundled: CompiledFacts) -> Settings:
    settings = Settings.model_validate({"data_dir": tmp_path / "store", "NEO4J_URI": ""})
    load_compiled(bundled, "embedded", settings)
    return settings


def _half_cut(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    # Cut at a top-level item boundary so the rest is still valid YAML: the file loses facts.
    cut = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].startswith("  - id:"))
    path.write_text("".join(lines[:cut]), encoding="utf-8")


def test_an_emptied_file_is_refused_and_the_store_is_untouched(facts: Path, settings: Settings) -> None:
    before = EmbeddedStore.open(settings.data_dir).info
    (facts / "dprk-russia.yaml").write_text("", encoding="utf-8")
    with pytest.raises(RemovalsRefused) as refused:
        load([facts], "embedded", settings)
    assert refused.value.held > len(refused.value.removed) > 0
    assert any(iri.endswith("/event/prk-rus-ammunition-2024") for iri in refused.value.removed)
    assert EmbeddedStore.open(settings.data_dir).info == before


def test_a_half_cut_file_is_refused_with_the_share_in_the_message(facts: Path, settings: Settings) -> None:
    # Half of the case's biggest file is 8% of all it holds now that every state is reference
    # data, so the share here is 5%: the message must say which share refused the load.
    _half_cut(facts / "dprk-russia.yaml")
    strict = settings.model_copy(update={"max_removal_share": 0.05})
    with pytest.raises(RemovalsRefused, match=r"would remove \d+ of the \d+ resources .* more than the 5% allowed"):
        load([facts], "embedded", strict)


def test_allow_removals_loads_anyway(facts: Path, settings: Settings) -> None:
    (facts / "dprk-russia.yaml").write_text("", encoding="utf-8")
    summaries = load([facts], "embedded", settings, allow_removals=True)
    assert summaries and EmbeddedStore.open(settings.data_dir).info.data_version == summaries[-1].data_version


def test_the_share_is_a_setting(facts: Path, settings: Settings) -> None:
    (facts / "dprk-russia.yaml").write_text("", encoding="utf-8")
    lenient = settings.model_copy(update={"max_removal_share": 1.0})
    assert load([facts], "embedded", lenient)


def test_an_unchanged_reload_and_a_first_load_pass(tmp_path: Path, bundled: CompiledFacts) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path / "fresh", "NEO4J_URI": ""})
    assert load([DATA], "embedded", settings)  # empty store: nothing to remove
    assert load([DATA], "embedded", settings)  # the same facts: nothing removed


def test_the_command_lists_what_it_would_remove_and_exits_1(
    facts: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MILCOOP_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    from milcoop.settings import get_settings

    get_settings.cache_clear()
    try:
        (facts / "dprk-russia.yaml").write_text("", encoding="utf-8")
        runner = CliRunner()
        refused = runner.invoke(app, ["load", "--backend", "embedded", str(facts)])
        assert refused.exit_code == 1, refused.output
        assert "load refused" in refused.output and "would remove https://w3id.org/milcoop/id/" in refused.output
        assert "--allow-removals" in refused.output
        allowed = runner.invoke(app, ["load", "--backend", "embedded", "--allow-removals", str(facts)])
        assert allowed.exit_code == 0, allowed.output
    finally:
        get_settings.cache_clear()


@pytest.mark.neo4j
def test_neo4j_loads_are_guarded_too(facts: Path, neo4j_settings: Settings, bundled: CompiledFacts,
                                     tmp_path: Path) -> None:
    settings = neo4j_settings.model_copy(update={"data_dir": tmp_path / "copy"})
    load_compiled(bundled, "neo4j", settings)
    (facts / "dprk-russia.yaml").write_text("", encoding="utf-8")
    with pytest.raises(RemovalsRefused):
        load([facts], "neo4j", settings)
