"""What every register importer shares: the release, the reference index, rows and their problems.

An importer reads a register's files as the publisher ships them and turns each row into records
of the curated format (:mod:`milcoop.loaders.format`): the register release becomes one
``sources`` item, each row an event or treaty with one claim that cites the release with a
locator. The records then go through the very compiler and checks a ``milcoop load`` uses
(:func:`milcoop.loaders.curated.compile_documents`), and the result replaces the register's own
partition of the store (:mod:`milcoop.graph.partitions`). So an import is validated like a load,
is all or nothing like a load, and leaves the curated facts and other registers as they are.

The shape follows kgx: one small base class (:class:`RegisterImporter`), one module per register.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from milcoop.loaders.curated import FactDocument, ReferenceIndex, reference_index
from milcoop.loaders.problems import CurationError, Problem, display_path
from milcoop.loaders.yamlio import LocatedDict, LocatedList
from milcoop.ontology.grading import GRADING

#: The largest register file read, in bytes: the SIPRI trade register since 1950 is about 10 MB.
MAX_REGISTER_BYTES = 200_000_000
#: Bumped when a mapping changes what a row becomes, so that re-importing the same file after an
#: upgrade is a new data version.
MAPPING_VERSION = "1"


@dataclass(frozen=True)
class Release:
    """One release of a register: the source document every imported claim cites."""

    register: str
    source_id: str
    title: str
    publisher: str
    version: str
    url: str
    #: The date the publisher generated or released the file (ISO), where the file says so.
    issued: str | None = None

    def source_record(self, number: str, description: str) -> dict[str, Any]:
        """The release as a ``sources`` item of the curated format (kind ``register``)."""
        record: dict[str, Any] = {
            "id": self.source_id,
            "name": self.title,
            "publisher": self.publisher,
            "kind": "register",
            "url": [self.url],
            "number": number,
            "description": description,
        }
        if self.issued:
            record["issued"] = self.issued
        return record

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> Release:
        """The release :meth:`to_dict` described (as a partition record keeps it)."""
        return cls(
            register=data.get("register", ""),
            source_id=data.get("source", ""),
            title=data.get("title", ""),
            publisher=data.get("publisher", ""),
            version=data.get("version", ""),
            url=data.get("url", ""),
            issued=data.get("issued"),
        )

    def to_dict(self) -> dict[str, str]:
        data = {
            "register": self.register,
            "source": self.source_id,
            "title": self.title,
            "publisher": self.publisher,
            "version": self.version,
            "url": self.url,
        }
        if self.issued:
            data["issued"] = self.issued
        return data


@dataclass(frozen=True)
class Unresolved:
    """A value of a row that names no state or actor the reference data knows."""

    file: str
    line: int
    column: str
    value: str

    def describe(self) -> str:
        return f"{self.file}:{self.line}: {self.column} '{self.value}' is not a state or actor the reference data knows"


@dataclass
class RegisterRead:
    """What an importer made of a register's files, before any check of the compiler."""

    release: Release
    files: list[Path]
    document: FactDocument
    rows: int
    #: Rows whose parties did not resolve (skipped when the import was told to skip them).
    unresolved: list[Unresolved] = field(default_factory=list)
    #: A digest of the files and options: the same files with the same options are the same version.
    version: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    #: The reference data the rows were resolved against (and are validated with).
    reference_files: list[Path] = field(default_factory=list)


class Rows:
    """Builds the curated-format document of one register file, row by row."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.sections: dict[str, LocatedList] = {}
        self.problems: list[Problem] = []

    def add(self, section: str, line: int, record: Mapping[str, Any]) -> None:
        """Add one record to ``section``, located at ``line`` of the register file."""
        items = self.sections.get(section)
        if items is None:
            items = LocatedList()
            items.line = line
            items.item_lines = []
            self.sections[section] = items
        items.append(located(record, line))
        items.item_lines.append(line)

    def problem(self, line: int, subject: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, subject, message))

    def document(self) -> FactDocument:
        content = LocatedDict()
        content.line = 1
        content.key_lines = {}
        for section, items in self.sections.items():
            content[section] = items
            content.key_lines[section] = items.line
        return FactDocument(self.file, content)


def located(value: Any, line: int) -> Any:
    """``value`` (dicts and lists of plain values) as the YAML reader would give it, every key
    and item at ``line``."""
    if isinstance(value, Mapping):
        mapping = LocatedDict()
        mapping.line = line
        mapping.key_lines = {}
        for key, item in value.items():
            mapping[str(key)] = located(item, line)
            mapping.key_lines[str(key)] = line
        return mapping
    if isinstance(value, list | tuple):
        items = LocatedList()
        items.line = line
        items.item_lines = [line] * len(value)
        items.extend(located(item, line) for item in value)
        return items
    return value


def read_text(path: Path) -> str:
    """A register file's text: UTF-8 (with or without a byte-order mark), else Windows-1252, the
    two encodings the publishers' exports come in. Raises CurationError naming the file."""
    shown = display_path(path)
    try:
        size = path.stat().st_size
        if size > MAX_REGISTER_BYTES:
            raise CurationError(
                [Problem(shown, 0, "", f"the file has {size} bytes, more than the {MAX_REGISTER_BYTES} read")]
            )
        data = path.read_bytes()
    except OSError as exc:
        raise CurationError([Problem(shown, 0, "", f"cannot read the file: {exc.strerror or exc}")]) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise CurationError(
            [Problem(shown, 0, "", f"the file is neither UTF-8 nor Windows-1252 text (byte {exc.start})")]
        ) from exc


def csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of every CSV record of ``text`` (any line endings), the line being where
    the record starts in the file."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise CurationError([Problem("", reader.line_num, "", f"not valid CSV: {exc}")]) from exc


def digest_of(files: Iterable[Path], *options: str) -> str:
    """The data version of an import: its files' bytes, the options and the mapping version."""
    sha = hashlib.sha256(MAPPING_VERSION.encode())
    for path in sorted(files, key=lambda p: p.name):
        sha.update(path.name.encode())
        sha.update(path.read_bytes())
    for option in options:
        sha.update(b"\0" + option.encode())
    return sha.hexdigest()[:16]


def slug(text: str) -> str:
    """``text`` as the tail of an id: letters and digits, other runs of characters as ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60] or "x"


def short_hash(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:12]


def check_grading(grading: str) -> str:
    """``grading`` when it is on the Admiralty scale; raises ValueError naming the option."""
    if not GRADING.match(grading):
        raise ValueError(
            f"--grading '{grading}' is not on the Admiralty scale: a reliability A-F then a credibility 1-6, such as B2"
        )
    return grading


class RegisterImporter(ABC):
    """One register: how to find its files, recognise their layout and map their rows."""

    #: The register's short name, as on the command line (``sipri``).
    name: ClassVar[str]
    #: The default Admiralty grading of the register's claims (see docs/importers.md).
    default_grading: ClassVar[str]
    #: The publisher and the register's landing page.
    publisher: ClassVar[str]
    url: ClassVar[str]

    @abstractmethod
    def read(
        self,
        path: Path,
        *,
        index: ReferenceIndex,
        grading: str,
        release: str | None,
        skip_unresolved: bool,
    ) -> RegisterRead:
        """Read ``path`` (a file or folder as the publisher ships it) into curated-format records.

        Raises :class:`CurationError` for an unknown layout, a value that cannot be read, or
        (unless ``skip_unresolved``) any row whose parties do not resolve, listing them all.
        """


def unresolved_error(unresolved: Sequence[Unresolved]) -> CurationError:
    problems = [
        Problem(u.file, u.line, u.column, f"'{u.value}' is not a state or actor the reference data knows")
        for u in unresolved
    ]
    problems.append(
        Problem(
            unresolved[0].file,
            0,
            "",
            f"{len(unresolved)} row(s) name parties the reference data does not know; nothing was written. "
            "Add them to the reference data, or give --skip-unresolved to import the other rows "
            "(the skipped rows are then listed in the report)",
        )
    )
    return CurationError(problems)


__all__ = [
    "MAPPING_VERSION",
    "RegisterImporter",
    "RegisterRead",
    "Release",
    "Rows",
    "Table",
    "Unresolved",
    "check_grading",
    "csv_rows",
    "date_of",
    "digest_of",
    "flag",
    "located",
    "partial_date",
    "read_text",
    "reference_index",
    "release_version",
    "slug",
    "unresolved_error",
]


def release_version(tables: Sequence[Table], release: str | None) -> str:
    """``release`` if given, else the one value of the tables' ``version`` column; raises
    CurationError when the rows name none or several."""
    if release is not None:
        return release
    versions = {r["version"] for table in tables for _, r in table.rows if r["version"]}
    if len(versions) != 1:
        raise CurationError(
            [Problem(tables[-1].shown, 0, "version", "the rows name no single version; give it with --release")]
        )
    return versions.pop()


def partial_date(year: str, month: str = "", day: str = "") -> str | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` from a register's separate date columns (blank,
    ``0`` or ``-9`` parts are unknown, and a part is dropped with every part after it); None when
    the year is unknown. Raises ValueError for a date that does not exist."""
    parts: list[int] = []
    for text in (year, month, day):
        text = text.strip()
        if text in ("", "0", "-9"):
            break
        if not re.fullmatch(r"[0-9]{1,4}", text):
            raise ValueError(f"'{text}' is not a whole number")
        parts.append(int(text))
    if not parts:
        return None
    if len(parts) == 3:
        return dt.date(parts[0], parts[1], parts[2]).isoformat()
    if len(parts) == 2:
        if not 1 <= parts[1] <= 12:
            raise ValueError(f"month {parts[1]} does not exist")
        return f"{parts[0]:04d}-{parts[1]:02d}"
    return f"{parts[0]:04d}"


class Table:
    """A register's CSV file read by its header: rows as dicts, checked against the columns an
    importer needs."""

    def __init__(self, path: Path, required: Sequence[str], what: str) -> None:
        self.path = path
        self.shown = display_path(path)
        records = list(csv_rows(read_text(path)))
        if not records:
            raise CurationError([Problem(self.shown, 0, "", f"the file is empty; expected {what}")])
        self.header_line, header = records[0]
        self.columns = [c.strip() for c in header]
        missing = [c for c in required if c not in self.columns]
        if missing:
            raise CurationError(
                [
                    Problem(
                        self.shown,
                        self.header_line,
                        "header",
                        f"not {what} in the layout milcoop reads: the header lacks {', '.join(missing)} "
                        f"(expected the columns {', '.join(required)})",
                    )
                ]
            )
        self.rows: list[tuple[int, dict[str, str]]] = []
        problems = []
        for line, cells in records[1:]:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(self.columns):
                problems.append(
                    Problem(
                        self.shown, line, "row", f"the row has {len(cells)} cells; the header has {len(self.columns)}"
                    )
                )
                continue
            self.rows.append((line, {k: v.strip() for k, v in zip(self.columns, cells, strict=True)}))
        if problems:
            raise CurationError(problems)

    @property
    def name(self) -> str:
        return self.path.name


def flag(rows: Rows, line: int, record: Mapping[str, str], column: str) -> bool:
    """A 0/1 column (blank or -9: not coded, read as 0); anything else is a problem."""
    value = record.get(column, "")
    if value in ("", "0", "-9"):
        return False
    if value == "1":
        return True
    rows.problem(line, column, f"'{value}' is not 0 or 1")
    return False


def date_of(rows: Rows, line: int, record: Mapping[str, str], year: str, month: str, day: str) -> str | None:
    try:
        return partial_date(record.get(year, ""), record.get(month, ""), record.get(day, ""))
    except ValueError as exc:
        rows.problem(line, f"{year}/{month}/{day}", f"not a date: {exc}")
        return None
