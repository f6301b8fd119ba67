"""YAML reading that remembers where every key and list item stands.

Analysts need errors that point at a line, so mappings are read as :class:`LocatedDict` (with the
line of each key) and sequences as :class:`LocatedList` (with the line of each item). Duplicate
keys in one mapping are an error rather than PyYAML's silent last-one-wins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode

from milcoop.loaders.problems import Problem, display_path


class LocatedDict(dict[str, Any]):
    """A mapping with the 1-based line of the mapping and of each of its keys."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list[Any]):
    """A sequence with the 1-based line of the sequence and of each of its items."""

    line: int = 0
    item_lines: list[int]


class DuplicateKey(yaml.YAMLError):
    def __init__(self, key: object, line: int, first_line: int) -> None:
        super().__init__(f"duplicate key {key!r} (first given on line {first_line})")
        self.line = line


class _LocatingLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LocatingLoader, node: MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key_line = key_node.start_mark.line + 1
        if key in result.key_lines:
            raise DuplicateKey(key, key_line, result.key_lines[key])
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_line
    return result


def _construct_sequence(loader: _LocatingLoader, node: SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)  # type: ignore[arg-type]
_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)  # type: ignore[arg-type]


def read_yaml(path: Path) -> tuple[Any, Problem | None]:
    """Parse one YAML file; on failure return the problem (with its line) instead of raising."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, Problem(shown, 0, "", f"cannot be read: {exc}")
    try:
        return yaml.load(text, Loader=_LocatingLoader), None  # a SafeLoader subclass
    except DuplicateKey as exc:
        return None, Problem(shown, exc.line, "", f"malformed YAML: {exc}")
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        return None, Problem(shown, line, "", f"malformed YAML: {exc.problem or exc}")
    except yaml.YAMLError as exc:
        return None, Problem(shown, 0, "", f"malformed YAML: {exc}")
