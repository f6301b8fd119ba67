"""The curated-facts format as a JSON Schema (draft 2020-12), for editors.

Generated from :data:`milcoop.loaders.format.RECORDS`, the table the validator reads every field
through, so a field declared there shows up here without changing this module. The schema gives
an editor (VS Code's YAML extension and others that speak ``yaml-language-server``) completion,
hover text and early warnings: unknown fields, unknown codes, missing required fields, ill-formed
dates. It checks shape only; references, conditional requirements (``required_when``), SHACL
shapes and everything else stay with ``milcoop validate``, which remains the authority.

``milcoop schema --output docs/curated-facts.schema.json`` writes the committed copy; see
docs/curated-facts-schema.md.
"""

from __future__ import annotations

import json
from typing import Any

from milcoop.loaders.format import RECORDS, Field, Record
from milcoop.ontology.kinds import EVENT_KINDS, SECTIONS
from milcoop.ontology.vocabulary import vocabulary

#: Where the schema is published; also its ``$id``.
SCHEMA_ID = "https://w3id.org/milcoop/schema/curated-facts.json"
#: The JSON Schema dialect the schema is written in.
DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: An ``id`` field: the same characters the validator allows.
ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]*$"
#: A date as text: a year, a year and month, or a full date.
DATE_PATTERN = "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"

_EVENT_PREFIX = "event:"


def _ref(record: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{record}"}


def _one_or_many(single: dict[str, Any]) -> dict[str, Any]:
    """A value given once, or as a list of such values."""
    return {"anyOf": [single, {"type": "array", "items": single}]}


def _date() -> dict[str, Any]:
    """A year written as a number (YAML reads ``2024`` so), or a date written as text."""
    return {
        "anyOf": [
            {"type": "integer", "minimum": 1000, "maximum": 9999},
            {"type": "string", "pattern": DATE_PATTERN},
        ]
    }


def _codes(name: str, field: Field, record: str) -> list[str]:
    """The codes an ``enum``/``enums`` field takes, sorted."""
    if field.enum is not None:
        return sorted(vocabulary().enum_properties[field.enum].codes)
    if record == "events" and name == "kind":
        return sorted(EVENT_KINDS)
    raise ValueError(f"{record}.{name} is an enumeration but names no ontology property in loaders/format.py")


def _integer(field: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer"}
    if field.minimum is not None:
        schema["minimum"] = field.minimum
    return schema


def _value_schema(name: str, field: Field, record: str) -> dict[str, Any]:
    """The JSON Schema of one field's value, without its description."""
    match field.type:
        case "id":
            return {"type": "string", "pattern": ID_PATTERN}
        case "text":
            # YAML reads `number: 2025` as a number; the validator takes it as the text written.
            return {"type": ["string", "number"]}
        case "texts":
            return _one_or_many({"type": "string"})
        case "integer":
            return _integer(field)
        case "integers":
            return _one_or_many(_integer(field))
        case "number":
            return {"type": "number", "minimum": 0}
        case "boolean":
            return {"type": "boolean"}
        case "date":
            return _date()
        case "date-or-unknown":
            return {"anyOf": [*_date()["anyOf"], {"const": "unknown"}]}
        case "enum":
            return {"type": "string", "enum": _codes(name, field, record)}
        case "enums":
            return _one_or_many({"type": "string", "enum": _codes(name, field, record)})
        case "ref":
            return {"type": "string"}
        case "refs":
            return _one_or_many({"type": "string"})
        case "record" | "records":
            if field.record is None or field.record not in RECORDS:
                raise ValueError(f"{record}.{name} names no record format of loaders/format.py: {field.record!r}")
            if field.type == "record":
                return _ref(field.record)
            return {"type": "array", "items": _ref(field.record)}
    raise ValueError(f"{record}.{name} has a type the schema does not know: {field.type!r}")


def _description(field: Field) -> str:
    """The field's documentation, with when it is required and what it may name."""
    parts = [field.doc]
    if field.required_when:
        parts.append(f"Required {field.required_when}.")
    if field.refs:
        parts.append(f"Names: {', '.join(field.refs)}.")
    return " ".join(parts)


def _record_description(name: str) -> str:
    if name in SECTIONS:
        return f"An item of the '{name}' section."
    if name.startswith(_EVENT_PREFIX):
        return f"An event of kind '{name.removeprefix(_EVENT_PREFIX)}'."
    return f"A '{name}' record, nested in another record."


def record_schema(name: str, record: Record) -> dict[str, Any]:
    """The JSON Schema of one record format: its fields, which are required, nothing else."""
    properties: dict[str, Any] = {}
    for field_name, field in record.items():
        if name.startswith(_EVENT_PREFIX) and field_name == "kind":
            value: dict[str, Any] = {"const": name.removeprefix(_EVENT_PREFIX)}
        else:
            value = _value_schema(field_name, field, name)
        properties[field_name] = {"description": _description(field), **value}
    schema: dict[str, Any] = {
        "description": _record_description(name),
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    required = [field_name for field_name, field in record.items() if field.required]
    if required:
        schema["required"] = required
    return schema


def _section_items(section: str) -> dict[str, Any]:
    if section == "events":
        # Which fields an event has depends on its kind; each kind's record fixes `kind` to it.
        return {"oneOf": [_ref(f"{_EVENT_PREFIX}{kind}") for kind in EVENT_KINDS]}
    return _ref(section)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a curated-facts file, one ``$defs`` entry per record format.

    A file is a mapping of section name to a list of records (an empty section may be left
    null); the ``events`` section's items are one of the ``event:<kind>`` records.
    """
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": "milcoop curated facts",
        "description": (
            "A curated-facts file of milcoop, the knowledge graph of state military cooperation: a mapping of "
            "sections to lists of records. This schema checks the shape of the records only; `milcoop validate` "
            "also checks references, conditional requirements and the ontology's shapes. Generated by "
            "`milcoop schema` from milcoop/loaders/format.py."
        ),
        "type": "object",
        "properties": {
            section: {
                "description": f"The {word} records of this file.",
                "type": ["array", "null"],
                "items": _section_items(section),
            }
            for section, (_, word) in SECTIONS.items()
        },
        "additionalProperties": False,
        "$defs": {name: record_schema(name, record) for name, record in RECORDS.items()},
    }


def schema_text() -> str:
    """:func:`json_schema` as the committed file holds it: JSON indented by 2, ending in a newline."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
