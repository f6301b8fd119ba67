"""A first load into an empty Neo4j database through Neo4j's offline importer.

The transactional load (:mod:`milcoop.graph.neo4j.writer`) holds the whole dataset's changes in
one transaction, so the heap it needs grows with the dataset. For the first load of a large
dataset into an empty database there is nothing to diff and nothing a reader could half-see, and
Neo4j's own ``neo4j-admin database import full`` writes the store files directly, with memory that
does not grow with the transaction. This module:

1. checks the records the way the transactional load would (:func:`plan_load`), plus what the
   importer would not check: the uniqueness constraints the transactional load relies on, and the
   values CSV cannot carry exactly (:class:`ImportRefused`; the load then runs as a transaction);
2. writes one CSV file per label set and per relationship type, plus the milcoop nodes outside
   ``:Resource`` (the data version and, when given, the history: ``:DataVersion``,
   ``:ResourceChange``, ``:ResourceDigest``) so the imported database is the one a transactional
   load would have made, and the argument file ``neo4j-admin.args``;
3. runs the configured import command (``MILCOOP_NEO4J_IMPORT_COMMAND``) with the folder. The
   command owns the server: it stops Neo4j, runs ``neo4j-admin`` with those arguments (one per
   line in the file) into a staging location, puts the imported database in place, and starts
   Neo4j again (``tools/neo4j/neo4j-dev import`` does so for the development server; see
   docs/scaling.md);
4. creates the constraints and indexes, waits for them, and checks that the database holds
   exactly the data version and the counts of nodes and relationships it was given.

Readers never see half a load: while the command runs, Neo4j is stopped (the API answers 503), and
it restarts with the whole import or, if the command failed, with the database as it was. A kill
before the command leaves Neo4j untouched, and the next load starts the folder again.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
import shlex
import shutil
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import neo4j.exceptions
from neo4j import Driver

from milcoop.graph.changes import now_iso, plan_version
from milcoop.graph.errors import LoadFailed
from milcoop.graph.neo4j.cypher import load as cypher
from milcoop.graph.neo4j.cypher.schema import ensure_schema
from milcoop.graph.writer import ProgressReporter
from milcoop.ontology.vocabulary import Vocabulary

if TYPE_CHECKING:
    from milcoop.graph.neo4j.writer import LoadPlan, Versioning

__all__ = [
    "ADMIN_ARGUMENTS_FILE",
    "ImportFolder",
    "ImportRefused",
    "check_offline_import",
    "database_is_empty",
    "run_import_command",
    "write_import_folder",
]

#: The file of the import folder that holds ``neo4j-admin``'s arguments, one per line.
ADMIN_ARGUMENTS_FILE = "neo4j-admin.args"

#: Between the elements of a list in a CSV cell. The unit separator never occurs in the facts
#: (values that hold it are refused), unlike ``;``, the importer's default, which text often does.
ARRAY_DELIMITER = "\x1f"

#: The ID space of the ``:Resource`` nodes (by IRI) and that of milcoop's own records.
_RESOURCES = "resource"
_RECORDS = "record"

_PROPERTY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ImportRefused(ValueError):
    """The records cannot go through the offline importer exactly; the message says which and why."""


@dataclass(frozen=True)
class ImportFolder:
    """The files of one offline import and the arguments that read them."""

    folder: Path
    arguments: tuple[str, ...]
    data_version: str
    nodes: int
    relationships: int


_SCALAR_TYPES: dict[type, str] = {bool: "boolean", int: "long", str: "string", dt.date: "date", dt.datetime: "datetime"}


def _write_csv(path: Path, rows: Iterable[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerows(rows)


def _text(value: Any) -> str:
    """The CSV text of one scalar (its type is one of :data:`_SCALAR_TYPES`, checked by the caller)."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    return value.isoformat()  # type: ignore[no-any-return]


def _node_file(
    path: Path, rows: Sequence[Mapping[str, Any]], id_column: str | None, what: str, progress: ProgressReporter
) -> tuple[str, bool]:
    """Write one node file in one pass, its header in a file of its own (the importer reads the
    two as one); returns the files as ``--nodes`` takes them (``header,body``) and whether a cell
    holds a line break (the importer must then be told).

    Each property's type is fixed by its first value; a value of another type, an empty string or
    list, or a string holding the array delimiter is refused (:class:`ImportRefused`), since the
    importer would store it otherwise than a transactional load does.
    """
    types: dict[str, type] = {}  # property -> Python type of its values (list: of its items)
    lists: dict[str, bool] = {}
    # Every row gets every column (the importer refuses short rows), in first-seen order.
    keys = [key for key in dict.fromkeys(itertools.chain.from_iterable(rows)) if key != id_column]
    multiline = False

    def refuse(row_number: int, key: str, why: str) -> ImportRefused:
        row = rows[row_number]
        name = row.get(id_column) if id_column else row_number
        return ImportRefused(f"{what} {name}, {key}: {why}")

    def text_of(row_number: int, key: str, value: Any, expected: type) -> str:
        """One scalar's text, refused where the importer would read it otherwise."""
        nonlocal multiline
        if type(value) is not expected:
            raise refuse(row_number, key, f"{type(value).__name__} where the property is {expected.__name__}")
        text = _text(value)
        if expected is str:
            if not text:
                # The importer reads an empty cell as "no property"; the transactional load keeps "".
                raise refuse(row_number, key, "an empty string has no exact CSV form")
            if ARRAY_DELIMITER in text:
                raise refuse(row_number, key, "a value holds the array delimiter U+001F")
            if "\n" in text or "\r" in text:
                multiline = True
        return text

    def cell(row_number: int, key: str, value: Any) -> str:
        if type(value) is list and not value:
            raise refuse(row_number, key, "an empty list has no exact CSV form")
        expected = types.get(key)
        if expected is None:
            if not _PROPERTY_NAME.fullmatch(key):
                raise refuse(row_number, key, "the property name cannot be a CSV header")
            first = value[0] if isinstance(value, list) and value else value
            if type(first) not in _SCALAR_TYPES:
                raise refuse(row_number, key, f"a value of type {type(value).__name__} has no exact CSV form")
            types[key], lists[key] = type(first), isinstance(value, list)
            expected = types[key]
        if (type(value) is list) != lists[key]:
            raise refuse(row_number, key, "the property is a list on some nodes and a single value on others")
        if not lists[key]:
            return text_of(row_number, key, value, expected)
        return ARRAY_DELIMITER.join(text_of(row_number, key, item, expected) for item in value)

    def lines() -> Iterable[list[str]]:
        for number, row in enumerate(rows):
            by_key = {
                key: cell(number, key, value) for key, value in row.items() if value is not None and key != id_column
            }
            identifier = str(row[id_column]) if id_column else f"{what}-{number}"
            if ARRAY_DELIMITER in identifier:
                raise refuse(number, id_column or "id", "a value holds the array delimiter U+001F")
            yield [identifier, *(by_key.get(key, "") for key in keys)]
            if number % 10_000 == 9_999:
                progress.advance(10_000)
        progress.advance(len(rows) % 10_000)

    body = path.with_suffix(".body.csv")
    _write_csv(body, lines())
    header = path.with_suffix(".header.csv")
    id_header = f"{id_column}:ID({_RESOURCES})" if id_column else f":ID({_RECORDS})"
    # A column whose every cell is empty (only None values) gives no property; any type will do.
    columns = [
        f"{key}:{_SCALAR_TYPES[types.get(key, str)]}{'[]' if lists.get(key) else ''}" for key in keys
    ]
    _write_csv(header, [[id_header, *columns]])
    return f"{header},{body}", multiline


def check_offline_import(plan: LoadPlan, vocab: Vocabulary) -> None:
    """Raise :class:`LoadFailed` for what the constraints would refuse in a transactional load.

    The importer does not know milcoop's constraints (they are created after it), so a duplicate
    ``id`` within a label, or two states with one ISO code, must be refused here, before anything
    is written.
    """
    seen: dict[tuple[str, str, Any], str] = {}
    constrained = set(vocab.labels.values())  # schema.py's ID_UNIQUE_BY_LABEL: one constraint per label
    for iri, node in plan.by_iri.items():
        keys = [(label, "id", node.properties.get("id")) for label in node.labels if label in constrained]
        if "State" in node.labels and node.properties.get("isoCode") is not None:
            keys.append(("State", "isoCode", node.properties["isoCode"]))
        for key in keys:
            other = seen.setdefault(key, iri)
            if other != iri:
                label, prop, value = key
                raise LoadFailed(
                    f"{iri} and {other} are both :{label} with {prop} {value!r}, which must be unique; "
                    "nothing was written"
                )


def write_import_folder(
    plan: LoadPlan,
    folder: Path,
    *,
    database: str,
    data_version: str,
    history: Versioning | None,
    vocab: Vocabulary,
    progress: ProgressReporter,
) -> ImportFolder:
    """Write the CSV files and the argument file of an offline import of ``plan`` into ``folder``.

    ``history`` (the facts' digests) adds the records of the first data version. The folder is
    emptied first. Raises
    :class:`ImportRefused` when a value has no exact CSV form.
    """
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    arguments: list[str] = []
    multiline = False
    total = plan.node_count + len(plan.relationships)
    progress.start("neo4j: writing the offline import's files", total)
    for number, (labels, rows) in enumerate(plan.nodes.items()):
        names = ":".join(cypher.node_labels(labels, vocab))
        files, breaks = _node_file(folder / f"nodes-{number:03d}.csv", rows, "iri", names, progress)
        multiline |= breaks
        arguments.append(f"--nodes={names}={files}")
    by_type: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rel_type, start, end in plan.relationships:
        by_type[rel_type].append((start, end))
    # plan_load has checked every type against the allow-list.
    for number, (rel_type, pairs) in enumerate(sorted(by_type.items())):
        path = folder / f"relationships-{number:03d}.csv"
        _write_csv(path, itertools.chain([(f":START_ID({_RESOURCES})", f":END_ID({_RESOURCES})")], pairs))
        progress.advance(len(pairs))
        arguments.append(f"--relationships={rel_type}={path}")

    # The records a transactional load writes beside the facts (writer.py's MERGE_DATASET and
    # _record_version), so that a later load finds what it would have found.
    records: dict[str, list[dict[str, Any]]] = {
        "MilcoopDataset": [
            {
                "name": cypher.DATASET_NAME,
                "version": data_version,
                "loadedAt": dt.datetime.now(dt.UTC),
                "nodes": plan.node_count,
                "relationships": len(plan.relationships),
                # The digests below describe this graph (writer.py's MERGE_DATASET).
                "digestsOf": data_version if history is not None else None,
            }
        ]
    }
    if history is not None:
        planned = plan_version(
            {},
            history.digests,
            None,
            version=data_version,
            files=history.files,
            triples=history.triples,
            at=now_iso(),
            partition=history.partition,
        )
        if planned is not None:
            version, changes = planned
            records["DataVersion"] = [version.to_dict()]
            records["ResourceChange"] = [change.to_dict() for change in changes]
            records["ResourceDigest"] = [
                {"iri": iri, "kind": digest.kind, "digest": digest.digest, "asserts": list(digest.asserts)}
                for iri, digest in history.digests.items()
            ]
    for label, rows in records.items():
        # Empty lists are left out: the importer reads an empty cell as no property, and the
        # readers of these records take a missing list as an empty one (changes.py's from_dict).
        cleaned = [{key: value for key, value in row.items() if value not in (None, [])} for row in rows]
        files, breaks = _node_file(folder / f"records-{label}.csv", cleaned, None, label, progress)
        multiline |= breaks
        arguments.append(f"--nodes={label}={files}")

    arguments = [
        "database",
        "import",
        "full",
        *arguments,
        "--array-delimiter=U+001F",
        f"--multiline-fields={'true' if multiline else 'false'}",
        "--overwrite-destination=true",
        "--strict=true",
        "--bad-tolerance=0",
        database,
    ]
    (folder / ADMIN_ARGUMENTS_FILE).write_text("".join(f"{argument}\n" for argument in arguments), encoding="utf-8")
    progress.finish()
    return ImportFolder(folder, tuple(arguments), data_version, plan.node_count, len(plan.relationships))


def database_is_empty(driver: Driver, database: str) -> bool:
    """Whether the database holds no node at all (Neo4j's count store answers at once)."""
    records, _, _ = driver.execute_query(cypher.COUNT_ALL_NODES, database_=database)
    return int(records[0]["count"]) == 0


def run_import_command(command: str, imported: ImportFolder, timeout: float) -> None:
    """Run the configured import command with the folder; raise :class:`LoadFailed` if it fails."""
    argv = [*shlex.split(command), str(imported.folder)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise LoadFailed(f"MILCOOP_NEO4J_IMPORT_COMMAND: {argv[0]!r} was not found; nothing was imported") from None
    except subprocess.TimeoutExpired:
        raise LoadFailed(
            f"the offline import ({shlex.join(argv)}) did not end within {timeout:.0f} s; "
            "the import command decides what Neo4j holds now (tools/neo4j/neo4j-dev keeps the database as it was)"
        ) from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-12:])
        raise LoadFailed(
            f"the offline import ({shlex.join(argv)}) failed with exit code {done.returncode}; "
            f"Neo4j keeps the database it had:\n{tail}"
        )


def finish_import(driver: Driver, database: str, imported: ImportFolder, wait_seconds: float) -> None:
    """After the import: create the schema (:func:`ensure_schema` waits for its indexes), then check
    the data version and the counts."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            ensure_schema(driver, database)
            break
        except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired, neo4j.exceptions.TransientError):
            # Neo4j was just restarted by the import command and may not serve the database yet.
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)
    records, _, _ = driver.execute_query(cypher.IMPORT_CHECK, name=cypher.DATASET_NAME, database_=database)
    found = records[0]
    if (found["version"], found["nodes"], found["relationships"]) != (
        imported.data_version,
        imported.nodes,
        imported.relationships,
    ):
        raise LoadFailed(
            f"after the offline import Neo4j holds data version {found['version']!r}, {found['nodes']} nodes and "
            f"{found['relationships']} relationships; expected {imported.data_version!r}, {imported.nodes} and "
            f"{imported.relationships}"
        )
