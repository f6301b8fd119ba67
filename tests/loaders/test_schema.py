"""The curated-facts JSON Schema: generated from loaders/format.py, committed, and true to the data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from milcoop.cli import app
from milcoop.loaders.format import RECORDS, SOURCE, Field
from milcoop.loaders.schema import SCHEMA_ID, json_schema, schema_text
from milcoop.ontology.kinds import EVENT_KINDS, SECTIONS
from milcoop.ontology.namespace import MC
from milcoop.ontology.vocabulary import vocabulary
from tests.conftest import DATA, ROOT

COMMITTED = ROOT / "docs" / "curated-facts.schema.json"
REGENERATE = "run `milcoop schema --output docs/curated-facts.schema.json`"
BUNDLED = sorted(DATA.rglob("*.yaml"))

runner = CliRunner()


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _iso_dates(value: Any) -> Any:
    """YAML reads 2024-06-12 as a date; JSON (and editors reading YAML 1.2) see the text written."""
    if isinstance(value, dict):
        return {key: _iso_dates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_iso_dates(item) for item in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _errors(validator: Draft202012Validator, document: Any) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


def _source(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "a-source",
        "name": "A source",
        "publisher": "Someone",
        "kind": sorted(vocabulary().enum_properties[MC.sourceKind].codes)[0],
        "issued": "2024-06",
    }
    record.update(changes)
    return {key: value for key, value in record.items() if value is not None}


def _transfer(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "a-transfer",
        "kind": "materiel-transfer",
        "name": "A transfer",
        "from": "PRK",
        "to": "RUS",
        "items": ["artillery-ammunition"],
        "period": {"start": 2023},
        "claims": [{"source": "a-source", "status": "reported", "grading": "B2"}],
    }
    record.update(changes)
    return {key: value for key, value in record.items() if value is not None}


def test_committed_schema_is_current() -> None:
    assert COMMITTED.is_file(), f"docs/curated-facts.schema.json is missing: {REGENERATE}"
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == json_schema(), f"docs/curated-facts.schema.json is not what format.py gives: {REGENERATE}"
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), f"formatted differently: {REGENERATE}"


def test_schema_is_draft_2020_12(validator: Draft202012Validator) -> None:
    schema = validator.schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID
    assert schema["title"] and schema["description"]
    assert schema["additionalProperties"] is False
    assert list(schema["properties"]) == list(SECTIONS)


def test_bundled_data_exists() -> None:
    assert len(BUNDLED) >= 5, BUNDLED


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(DATA)))
def test_bundled_file_validates(validator: Draft202012Validator, path: Path) -> None:
    document = _iso_dates(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert _errors(validator, document) == []


def test_valid_records_pass(validator: Draft202012Validator) -> None:
    assert _errors(validator, {"sources": [_source()], "events": [_transfer()]}) == []
    assert _errors(validator, {"sources": None}) == []


@pytest.mark.parametrize(
    ("document", "mentions"),
    [
        ({"sources": [_source(colour="red")]}, "colour"),
        ({"sources": [_source(kind="not-a-kind")]}, "not-a-kind"),
        ({"sources": [_source(publisher=None)]}, "publisher"),
        ({"sources": [_source(issued="12 June 2024")]}, "12 June 2024"),
        ({"sources": [_source(id="-bad id")]}, "-bad id"),
        ({"source": [_source()]}, "source"),
        ({"events": [_transfer(colour="red")]}, ""),
        ({"events": [_transfer(kind="not-a-kind")]}, ""),
        ({"events": [_transfer(to=None)]}, ""),
        ({"events": [_transfer(claims=[{"source": "a-source", "status": "rumoured", "grading": "B2"}])]}, ""),
        ({"events": [_transfer(kind="exercise", participants=["PRK", "RUS"], to=None)]}, ""),
    ],
    ids=[
        "unknown-field",
        "unknown-code",
        "missing-required",
        "bad-date",
        "bad-id",
        "unknown-section",
        "event-unknown-field",
        "event-unknown-kind",
        "event-missing-required",
        "nested-unknown-code",
        "exercise-has-no-from",
    ],
)
def test_wrong_records_are_rejected(validator: Draft202012Validator, document: Any, mentions: str) -> None:
    errors = _errors(validator, document)
    assert errors, f"accepted: {document}"
    assert any(mentions in error for error in errors), errors


def test_every_field_is_in_the_schema(validator: Draft202012Validator) -> None:
    defs = validator.schema["$defs"]
    assert set(defs) == set(RECORDS)
    for name, record in RECORDS.items():
        schema = defs[name]
        assert schema["additionalProperties"] is False, name
        assert list(schema["properties"]) == list(record), name
        assert schema.get("required", []) == [key for key, field in record.items() if field.required], name
        for key, field in record.items():
            description = schema["properties"][key]["description"]
            assert description.startswith(field.doc), (name, key)
            if field.required_when:
                assert field.required_when in description, (name, key)
    assert validator.schema["properties"]["events"]["items"]["oneOf"] == [
        {"$ref": f"#/$defs/event:{kind}"} for kind in EVENT_KINDS
    ]
    for kind in EVENT_KINDS:
        assert defs[f"event:{kind}"]["properties"]["kind"]["const"] == kind


def test_enum_codes_come_from_the_ontology() -> None:
    codes = json_schema()["$defs"]["claim"]["properties"]["status"]["enum"]
    assert codes == sorted(vocabulary().enum_properties[MC.status].codes)
    assert json_schema()["$defs"]["events"]["properties"]["kind"]["enum"] == sorted(EVENT_KINDS)


def test_a_field_added_to_the_table_shows_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        RECORDS, "sources", {**SOURCE, "pages": Field("integer", "How many pages.", required=True, minimum=1)}
    )
    schema = json_schema()
    assert schema["$defs"]["sources"]["properties"]["pages"] == {
        "description": "How many pages.",
        "type": "integer",
        "minimum": 1,
    }
    assert "pages" in schema["$defs"]["sources"]["required"]
    assert _errors(Draft202012Validator(schema), {"sources": [_source()]}), "the new required field is not required"


def test_cli_prints_and_writes_the_schema(tmp_path: Path) -> None:
    printed = runner.invoke(app, ["schema"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == json_schema()
    target = tmp_path / "schema.json"
    written = runner.invoke(app, ["schema", "--output", str(target)])
    assert written.exit_code == 0, written.output
    assert target.read_text(encoding="utf-8") == schema_text()
