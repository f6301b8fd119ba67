"""`milcoop validate`: every problem at once, located by file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from milcoop.cli import app
from milcoop.loaders.curated import compile_facts
from milcoop.loaders.problems import CurationError
from milcoop.ontology.dates import PartialDate
from tests.conftest import BROKEN, DATA

runner = CliRunner()


def test_bundled_data_validates() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "unknown-state.yaml",
            [
                "unknown-state.yaml:7 materiel-transfer 'broken-unknown-state': recipient 'RUSS' is not a known state, organisation or person (did you mean RUS?)"
            ],
        ),
        (
            "missing-source.yaml",
            [
                "missing-source.yaml:10 materiel-transfer 'broken-unknown-source' claim 1: source 'msmt-2026-9' is not a known source (did you mean msmt-2025-1?)",
                "missing-source.yaml:13 troop-deployment 'broken-no-claims': claims is required",
            ],
        ),
        (
            "end-before-start.yaml",
            [
                "end-before-start.yaml:10 materiel-transfer 'broken-end-before-start': end 2024-01 is before start 2024-05"
            ],
        ),
        (
            "unknown-materiel.yaml",
            [
                "unknown-materiel.yaml:7 materiel-transfer 'broken-unknown-materiel': items 'hypersonic-glider' is not a known materiel concept or system",
                "items 'ballistic-misile' is not a known materiel concept or system (did you mean ballistic-missile?)",
            ],
        ),
        (
            "bad-grading.yaml",
            [
                "bad-grading.yaml:11 materiel-transfer 'broken-bad-grading' claim 1: grading 'G7' is not on the Admiralty scale",
                "bad-grading.yaml:10 materiel-transfer 'broken-bad-grading' claim 1: status 'rumoured' is not one of",
            ],
        ),
        (
            "duplicate-id.yaml",
            [
                "duplicate-id.yaml:2 materiel-transfer 'prk-rus-ammunition-2024': duplicate id: already used by materiel-transfer 'prk-rus-ammunition-2024' at data/dprk-russia.yaml:"
            ],
        ),
        ("malformed.yaml", ["malformed.yaml:5 malformed YAML"]),
    ],
)
def test_broken_fact_files_fail_with_located_messages(fixture: str, expected: list[str]) -> None:
    result = runner.invoke(app, ["validate", str(DATA), str(BROKEN / fixture)])
    assert result.exit_code == 1
    output = result.output
    for message in expected:
        assert message in output, output
    assert "nothing was loaded" in output


def test_all_broken_files_together_report_every_problem() -> None:
    with pytest.raises(CurationError) as caught:
        compile_facts([DATA, *sorted(BROKEN.glob("*.yaml"))])
    files = {Path(p.file).name for p in caught.value.problems}
    assert files == {p.name for p in BROKEN.glob("*.yaml")}


def test_missing_path_is_reported() -> None:
    result = runner.invoke(app, ["validate", "no/such/dir"])
    assert result.exit_code == 1
    assert "no/such/dir no such file or folder" in result.output


def test_unknown_field_and_section_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "typos.yaml"
    bad.write_text(
        "event:\n  - id: x\n"
        "events:\n  - id: typo-event\n    kind: materiel-transfer\n    name: n\n    from: PRK\n    to: RUS\n"
        "    items: [ammunition]\n    recipeint: RUS\n"
        "    claims:\n      - {source: source-notes, status: reported, grading: B2}\n"
    )
    with pytest.raises(CurationError) as caught:
        compile_facts([DATA, bad])
    text = str(caught.value)
    assert "typos.yaml:1 unknown section 'event' (did you mean events?)" in text
    assert "typos.yaml:10 materiel-transfer 'typo-event': unknown field 'recipeint'" in text


def test_states_resolve_by_code_qid_and_alias(tmp_path: Path) -> None:
    facts = tmp_path / "aliases.yaml"
    facts.write_text(
        "events:\n"
        "  - id: by-alias\n    kind: troop-deployment\n    name: n\n    from: north korea\n    to: Q159\n"
        "    claims:\n      - {source: source-notes, status: reported, grading: B2}\n"
    )
    compiled = compile_facts([DATA, facts], shacl=False)
    from milcoop.ontology.namespace import MC

    event = next(s for s in compiled.graph.subjects() if str(s).endswith("/event/by-alias"))
    assert str(compiled.graph.value(event, MC.sendingState)).endswith("/state/PRK")
    assert str(compiled.graph.value(event, MC.hostState)).endswith("/state/RUS")


@pytest.mark.parametrize(
    ("text", "precision", "first", "last"),
    [
        (2024, "year", "2024-01-01", "2024-12-31"),
        ("2024-02", "month", "2024-02-01", "2024-02-29"),
        ("2024-06-19", "day", "2024-06-19", "2024-06-19"),
    ],
)
def test_partial_dates_keep_their_precision(text: object, precision: str, first: str, last: str) -> None:
    date = PartialDate.parse(text)
    assert date.precision == precision
    assert str(date.first_day) == first
    assert str(date.last_day) == last
    assert PartialDate.from_literal(date.to_literal()) == date


@pytest.mark.parametrize("text", ["2024-13", "24", "2024-02-30", "June 2024", True])
def test_bad_dates_are_rejected(text: object) -> None:
    with pytest.raises(ValueError):
        PartialDate.parse(text)
