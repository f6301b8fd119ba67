"""YAML reading that remembers where every key and list item stands, within stated limits.

Analysts need errors that point at a line, so mappings are read as :class:`LocatedDict` (with the
line of each key) and sequences as :class:`LocatedList` (with the line of each item). Duplicate
keys in one mapping are an error rather than PyYAML's silent last-one-wins.

Fact files come from anyone who can open a pull request, so reading one must neither crash nor
take the machine with it. :func:`read_yaml` turns everything wrong with a file into one located
:class:`~milcoop.loaders.problems.Problem` and bounds what a file may cost:

* at most :data:`MAX_FILE_BYTES` bytes, read as strict UTF-8;
* no aliases (``*name``), no merge keys (``<<``) and no tags (``!!int``, ``!foo``): the format
  needs none of them, and aliases are how a small file expands into a huge one ("billion
  laughs");
* at most :data:`MAX_NODES` scalars, lists and mappings, nested at most :data:`MAX_DEPTH` deep,
  both checked while the document is composed, before anything is built from it;
* keys are text, never a list or mapping, number, date, boolean or null;
* no NUL or other control characters (but tab and line breaks) and no lone surrogates, whether
  written raw or as escapes in quoted text.

Scalars that YAML 1.1 would read as a number or a date but that are none (``2024-02-30``,
``0b_``) stay the text written, so a date or number field reports them with its own name and a
text field takes them as written. An integer too long to convert cheaply becomes an
:class:`OversizedInteger`, which number fields report as out of range.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, CollectionStartEvent, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from milcoop.loaders.problems import Problem, display_path

#: Largest fact file read, in bytes. The biggest bundled file holds 22 kB. PyYAML's pure-Python
#: parser (the one whose composer can be checked as it goes) scans about 2 MB of text per CPU
#: second: 5 MB of comments or one long string take about 3 s and 30 MB (measured).
MAX_FILE_BYTES = 5_000_000
#: Most YAML nodes (scalars, lists and mappings) in one file, aliases refused. The biggest bundled
#: file has 1,159. 100,000 cost at most about 6 s of CPU and 100 MB of peak RSS to read
#: (measured on 5 MB files of short keys and values, and of events), against 5.4 GB and a minute
#: for a billion-laughs file before aliases were refused.
MAX_NODES = 100_000
#: Deepest nesting of lists and mappings in one file. The format needs six (events, an event, its
#: claims, a claim, its quantity, the quantity's fields); composing and constructing recurse once
#: per level, so the bound also keeps Python's stack safe.
MAX_DEPTH = 64
#: Significant characters (signs, prefixes, underscores and leading zeros aside) beyond which an
#: integer is not converted: any value the stores hold needs at most 64 (in binary), and Python
#: would refuse more than 4,300 decimal digits or take quadratic time over YAML's base-60 ones.
MAX_INTEGER_CHARS = 100

#: What PyYAML's reader refuses written raw (NUL and other control characters but tab and line
#: breaks, lone surrogates, U+FFFE and U+FFFF), refused in text written as escapes too: they
#: have no place in a fact, a lone surrogate cannot be encoded for a store, and control
#: characters would reach the analyst's terminal in messages.
_FORBIDDEN_IN_TEXT = yaml.reader.Reader.NON_PRINTABLE


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


class OversizedInteger(str):
    """An integer written with more than :data:`MAX_INTEGER_CHARS` significant characters.

    Kept as the text written: far outside what any store holds, and too long to convert safely.
    """

    def abbreviated(self) -> str:
        """The number as shown in messages: its first digits and how long it is."""
        text = self.strip()
        return text if len(text) <= 30 else f"{text[:20]}… ({len(text)} characters)"


class FactFileError(yaml.YAMLError):
    """Something a fact file may not hold, found while reading it, with its 1-based line."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class DuplicateKey(FactFileError):
    def __init__(self, key: object, line: int, first_line: int) -> None:
        super().__init__(f"malformed YAML: duplicate key {key!r} (first given on line {first_line})", line)


def _line(node_or_event: Node | NodeEvent) -> int:
    mark = node_or_event.start_mark
    return mark.line + 1 if mark is not None else 0


def _describe_character(char: str) -> str:
    code = ord(char)
    if code == 0:
        return "a NUL character (U+0000)"
    if 0xD800 <= code <= 0xDFFF:
        return f"a lone surrogate (U+{code:04X}), which is half of a character"
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"the control character U+{code:04X}"
    return f"the character U+{code:04X}"


class _LocatingLoader(yaml.SafeLoader):
    """PyYAML's safe loader with the limits above checked as each node is composed."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, AliasEvent):
            raise FactFileError(
                f"alias *{event.anchor} is not accepted: fact files may not use aliases (*name), "
                "since they let a small file expand into a huge one; write the value out",
                _line(event),
            )
        assert isinstance(event, NodeEvent)
        tag: str | None = getattr(event, "tag", None)
        if tag is not None:
            # As written: the parser has expanded "!!int" to "tag:yaml.org,2002:int".
            written = tag.replace("tag:yaml.org,2002:", "!!", 1)
            raise FactFileError(
                f"tag '{written}' is not accepted: fact files hold plain values, quoted when they must stay text",
                _line(event),
            )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise FactFileError(
                f"the file holds more than {MAX_NODES:,} values, lists and mappings, the most one file may "
                "hold; split it into several files",
                _line(event),
            )
        nested = isinstance(event, CollectionStartEvent)
        if nested:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise FactFileError(
                    f"lists and mappings are nested more than {MAX_DEPTH} deep, the most a fact file may nest",
                    _line(event),
                )
        try:
            return super().compose_node(parent, index)
        finally:
            if nested:
                self._depth -= 1

    def scan_flow_scalar_non_spaces(self, double: bool, start_mark: yaml.Mark) -> list[str]:
        try:
            chunks: list[str] = super().scan_flow_scalar_non_spaces(double, start_mark)
        except ValueError:
            # "\U7fffffff" passes PyYAML's hex check, then chr() refuses it.
            raise FactFileError(
                "an escape in quoted text names no Unicode character (the last is \\U0010FFFF)",
                self.get_mark().line + 1,
            ) from None
        return chunks

    def scan_yaml_directive_number(self, start_mark: yaml.Mark) -> int:
        try:
            number: int = super().scan_yaml_directive_number(start_mark)
        except ValueError:
            # A %YAML version of thousands of digits: int() refuses to convert it.
            raise FactFileError("the %YAML directive gives an impossible version", start_mark.line + 1) from None
        return number


def _key_kind(key: object) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true or false"
    if isinstance(key, (int, float)):
        return "a number"
    return "a date" if hasattr(key, "year") else type(key).__name__


def _construct_mapping(loader: _LocatingLoader, node: MappingNode) -> LocatedDict:
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key_line = _line(key_node)
        if not isinstance(key_node, ScalarNode):
            what = "list" if isinstance(key_node, SequenceNode) else "mapping"
            raise FactFileError(
                f"a {what} is used as a key (a complex key); keys are the names of sections and fields", key_line
            )
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise FactFileError("merge keys (<<) are not accepted: write each field out", key_line)
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise FactFileError(
                f"key '{key_node.value}' is read as {_key_kind(key)}; keys are the names of sections and fields",
                key_line,
            )
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


def _construct_str(loader: _LocatingLoader, node: ScalarNode) -> str:
    value = loader.construct_scalar(node)
    bad = _FORBIDDEN_IN_TEXT.search(value)
    if bad:
        # Only escapes in double-quoted text ("\0", "\ud800") can get here: raw ones are refused
        # when the file is decoded or by PyYAML's reader.
        raise FactFileError(
            f"text holds {_describe_character(bad.group())}, written as an escape; YAML allows no control "
            "characters but tab and line breaks",
            _line(node),
        )
    return value


def _construct_int(loader: _LocatingLoader, node: ScalarNode) -> int | str:
    text = loader.construct_scalar(node)
    significant = text.replace("_", "").lstrip("+-")
    if significant[:2] in ("0b", "0x"):
        significant = significant[2:]
    if len(significant.lstrip("0")) > MAX_INTEGER_CHARS:
        return OversizedInteger(text)
    try:
        return SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:
        return text  # "0b_" matches YAML's pattern for integers but holds no digit


def _construct_float(loader: _LocatingLoader, node: ScalarNode) -> float | str:
    try:
        return SafeConstructor.construct_yaml_float(loader, node)
    except ValueError:
        return loader.construct_scalar(node)  # "._" matches YAML's pattern for floats but holds no digit


def _construct_timestamp(loader: _LocatingLoader, node: ScalarNode) -> object:
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        # 2024-02-30, 0000-01-01 or an offset of +99 hours match YAML's pattern for timestamps
        # but are none: a date field says why, a text field takes them as written.
        return loader.construct_scalar(node)


_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)  # type: ignore[arg-type]
_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)  # type: ignore[arg-type]
_LocatingLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_LocatingLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_LocatingLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_LocatingLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
# A plain "=" resolves to YAML 1.1's "value" tag, for which PyYAML has no constructor: it is text.
_LocatingLoader.add_constructor("tag:yaml.org,2002:value", _construct_str)


def _undecodable(shown: str, data: bytes, exc: UnicodeDecodeError) -> Problem:
    line = data.count(b"\n", 0, exc.start) + 1
    column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    return Problem(
        shown,
        line,
        "",
        f"is not UTF-8 text: byte 0x{data[exc.start]:02x} at byte offset {exc.start} (column {column}) "
        f"cannot be decoded ({exc.reason}); save the file as UTF-8",
    )


def _unprintable(shown: str, text: str, exc: yaml.reader.ReaderError) -> Problem:
    position = int(exc.position)
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    what = _describe_character(chr(exc.character)) if isinstance(exc.character, int) else "a character"
    return Problem(
        shown, line, "", f"holds {what} at column {column}; YAML allows no control characters but tab and line breaks"
    )


def read_yaml(path: Path) -> tuple[Any, Problem | None]:
    """Parse one YAML file; on failure return the problem (with its line) instead of raising.

    Never raises for what a file holds: anything PyYAML or the limits above refuse becomes the
    returned problem. A problem whose message starts with ``cannot be read as YAML`` means a case
    this module does not yet recognise; it is still located, at the line the reader had reached.
    """
    shown = display_path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, Problem(shown, 0, "", f"cannot be read: {exc}")
    if len(data) > MAX_FILE_BYTES:
        return None, Problem(
            shown, 0, "", f"is larger than {MAX_FILE_BYTES:,} bytes, the most a fact file may hold; split it"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, _undecodable(shown, data, exc)
    try:
        loader = _LocatingLoader(text)  # a SafeLoader subclass
    except yaml.reader.ReaderError as exc:
        return None, _unprintable(shown, text, exc)
    try:
        return loader.get_single_data(), None
    except FactFileError as exc:
        return None, Problem(shown, exc.line, "", exc.message)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        return None, Problem(shown, line, "", f"malformed YAML: {exc.problem or exc}")
    except yaml.YAMLError as exc:
        return None, Problem(shown, loader.line + 1, "", f"malformed YAML: {exc}")
    except Exception as exc:
        # A safety net: whatever else PyYAML raises is still a problem with the file, located
        # where the reader stopped, not a traceback. The fuzz tests fail on any such message.
        return None, Problem(shown, loader.line + 1, "", f"cannot be read as YAML: {type(exc).__name__}: {exc}")
    finally:
        loader.dispose()
