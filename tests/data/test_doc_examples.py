"""Every YAML example in data/README.md is true to the files it comes from, or valid beside them.

TRUTH FIRST: the examples may not invent facts about real states. They quote the made-up test case
tests/fixtures/cases/fictional-field.yaml (states XCA, XCB, XCC, XCF from ISO 3166's
user-assigned range), the reference data (data/reference/) or the bundled data (data/*.yaml).

For each ```yaml block (a mapping of sections): a record whose id is already in one of those
files is a quotation and must agree with that record for every field it shows (it may leave
fields, and items of lists of mappings, out); the other records are compiled together with the
fixture, so an unknown field, code or reference fails either way. A block preceded by
``<!-- fragment -->`` is not a whole file (a lone list, a line) and is skipped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from milcoop.loaders.curated import CurationError, compile_facts
from milcoop.loaders.yamlio import read_yaml
from milcoop.ontology.kinds import SECTIONS
from tests.conftest import DATA, ROOT

README = DATA / "README.md"
FIXTURE = ROOT / "tests" / "fixtures" / "cases" / "fictional-field.yaml"
BLOCK = re.compile(r"(?P<marker><!--\s*fragment\s*-->[ \t]*\n)?```yaml[ \t]*\n(?P<body>.*?)^```", re.DOTALL | re.M)


def _blocks() -> list[tuple[int, str, bool]]:
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start("body")) + 1, m.group("body"), m.group("marker") is not None)
        for m in BLOCK.finditer(text)
    ]


BLOCKS = _blocks()


def _read(path: Path) -> Any:
    data, problem = read_yaml(path)
    assert problem is None, f"{path}: {problem}"
    return data


def _known_records() -> dict[tuple[str, str], tuple[Path, dict[str, Any]]]:
    """Every record of the fixture, the reference data and the bundled data, by section and id."""
    files = [FIXTURE, *sorted(DATA.glob("*.yaml")), *sorted((DATA / "reference").glob("*.yaml"))]
    known: dict[tuple[str, str], tuple[Path, dict[str, Any]]] = {}
    for path in files:
        for section, items in (_read(path) or {}).items():
            for item in items or []:
                if isinstance(item, dict) and "id" in item:
                    known[(section, str(item["id"]))] = (path, item)
    return known


KNOWN = _known_records()


def _plain(value: Any) -> Any:
    """``value`` with the loader's located mappings and lists as plain ones, for ``yaml.safe_dump``."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _differences(shown: Any, actual: Any, where: str) -> list[str]:
    """How ``shown`` fails to be a part of ``actual`` (empty when it is one)."""
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{where}: shown as a mapping, is {actual!r}"]
        out = []
        for key, value in shown.items():
            if key not in actual:
                out.append(f"{where}.{key}: not in the record")
            else:
                out += _differences(value, actual[key], f"{where}.{key}")
        return out
    if isinstance(shown, list) and shown and all(isinstance(item, dict) for item in shown):
        if not isinstance(actual, list):
            return [f"{where}: shown as a list, is {actual!r}"]
        unused = list(range(len(actual)))
        out = []
        for n, item in enumerate(shown):
            match = next((i for i in unused if not _differences(item, actual[i], "")), None)
            if match is None:
                out.append(f"{where}[{n}]: {item!r} matches no item of {actual!r}")
            else:
                unused.remove(match)
        return out
    if type(shown) is not type(actual) or shown != actual:
        return [f"{where}: shown {shown!r}, is {actual!r}"]
    return []


def test_the_readme_has_examples() -> None:
    assert len([b for b in BLOCKS if not b[2]]) >= 10


@pytest.mark.parametrize(("line", "body", "fragment"), BLOCKS, ids=[f"line-{b[0]}" for b in BLOCKS])
def test_example(line: int, body: str, fragment: bool, tmp_path: Path) -> None:
    if fragment:
        pytest.skip("marked <!-- fragment -->")
    block_file = tmp_path / f"readme-line-{line}.yaml"
    block_file.write_text(body, encoding="utf-8")
    data = _read(block_file)
    assert isinstance(data, dict) and data, f"data/README.md line {line}: not a mapping of sections"
    unknown = [s for s in data if s not in SECTIONS]
    assert not unknown, f"data/README.md line {line}: unknown sections {unknown}"
    problems: list[str] = []
    rest: dict[str, list[Any]] = {}
    for section, items in data.items():
        assert isinstance(items, list), f"data/README.md line {line}: {section} is not a list"
        for item in items:
            ident = item.get("id") if isinstance(item, dict) else None
            if ident is not None and (section, str(ident)) in KNOWN:
                path, record = KNOWN[(section, str(ident))]
                where = f"data/README.md line {line}, {section} {ident} (quoting {path.relative_to(ROOT)})"
                problems += _differences(item, record, where)
            else:
                rest.setdefault(section, []).append(item)
    assert not problems, "\n".join(problems)
    if rest:
        new_file = tmp_path / f"readme-line-{line}-new.yaml"
        new_file.write_text(yaml.safe_dump(_plain(rest), sort_keys=False, allow_unicode=True), encoding="utf-8")
        try:
            compile_facts([new_file, FIXTURE], shacl=False)
        except CurationError as exc:
            pytest.fail(f"data/README.md line {line}: the new records do not validate with the fixture:\n{exc}")


def test_a_wrong_field_or_code_fails() -> None:
    """The check itself: a quotation with an invented field or code does not pass."""
    _, record = KNOWN[("events", "xc-exercise")]
    assert _differences({"id": "xc-exercise", "kind": "exercise"}, record, "x") == []
    assert _differences({"id": "xc-exercise", "kind": "drill"}, record, "x")
    assert _differences({"id": "xc-exercise", "venue": "xc-range"}, record, "x")
    assert _differences({"claims": [{"source": "xc-briefing", "grading": "A1"}]}, record, "x")
