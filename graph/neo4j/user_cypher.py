"""Cypher from outside, read-only, decided from Neo4j's own plan: what ``/v1/cypher`` runs.

A posted query runs only when Neo4j's ``EXPLAIN`` of it, with its parameters, says it is safe.
Nothing here looks at the query's text: Neo4j parses and plans it, and :func:`check_plan` reads
the result:

* the summary's query type is ``r`` (read only), not ``w``, ``rw`` or ``s`` (schema and
  administration);
* no operator is ``LoadCSV`` (which reads files and URLs even in a read-only query), a ``SHOW``
  or ``TERMINATE`` command (other clients' transactions, the server's settings), an
  administration command, or ``CALL { ... } IN TRANSACTIONS``;
* every operator runs on the configured database (no ``USE`` of another);
* every ``ProcedureCall`` calls a procedure of
  :data:`~milcoop.graph.neo4j.procedures.CYPHER_PROCEDURES`.

Then the query runs in a session whose access mode is READ (so Neo4j itself refuses any write the
plan check would have missed), with ``neo4j.Query(timeout=...)`` as its time limit. At most
``max_rows`` rows are fetched; when there are more, the rest is never pulled and the answer says
it was cut. Request values reach the query only as parameters.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, LiteralString, cast

import neo4j
import neo4j.graph
import neo4j.spatial
from neo4j import Driver

from milcoop.graph.errors import StoreError
from milcoop.graph.neo4j.driver import QueryRefused, translated
from milcoop.graph.neo4j.procedures import CYPHER_PROCEDURES

__all__ = ["CypherRefused", "CypherResult", "check_plan", "json_value", "run_cypher"]

#: Rows fetched per round trip (the driver's default is 1,000).
FETCH_SIZE = 1_000

Refusal = Literal["not-read-only", "procedure", "load-csv", "command", "database"]

#: Operators refused whatever the query type says (Neo4j plans SHOW TRANSACTIONS, SHOW SETTINGS
#: and even TERMINATE TRANSACTIONS as read queries, and LOAD CSV from a file:/// URL too).
_REFUSED_OPERATORS: dict[str, tuple[Refusal, str]] = {
    "LoadCSV": ("load-csv", "LOAD CSV reads files and URLs"),
    "TransactionApply": ("command", "CALL { ... } IN TRANSACTIONS runs transactions of its own"),
    "TransactionForeach": ("command", "CALL { ... } IN TRANSACTIONS runs transactions of its own"),
}
_REFUSED_PREFIXES: tuple[tuple[str, str], ...] = (
    ("Show", "SHOW commands reveal the server and other clients' transactions"),
    ("Terminate", "TERMINATE commands stop other clients' transactions"),
)

#: Neo4j's code for a write in a READ session, and for a call of a procedure it does not know.
ACCESS_MODE_CODE = "Neo.ClientError.Statement.AccessMode"
PROCEDURE_NOT_FOUND_CODE = "Neo.ClientError.Procedure.ProcedureNotFound"


class CypherRefused(StoreError):
    """The query is not one ``/v1/cypher`` runs; ``kind`` says why. Decided before running it."""

    def __init__(self, message: str, kind: Refusal) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class CypherResult:
    """The answer: column names, rows of JSON values, and whether the row cap cut it."""

    columns: list[str]
    rows: list[list[Any]]
    limit: int
    truncated: bool


# -- the plan ------------------------------------------------------------------------------------


def _operators(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield plan
    for child in plan.get("children") or ():
        yield from _operators(child)


def _allowed_list() -> str:
    return ", ".join(CYPHER_PROCEDURES)


def check_plan(query_type: str | None, plan: Mapping[str, Any] | None, database: str) -> None:
    """Raise :class:`CypherRefused` unless Neo4j's EXPLAIN says the query only calls allow-listed
    procedures, has no refused operator, runs on ``database`` and only reads."""
    if not plan:
        raise CypherRefused("Neo4j gave no plan for the query, so it cannot be checked", "command")
    for operator in _operators(plan):
        name, _, on = str(operator.get("operatorType", "")).partition("@")
        if on and on != database:
            raise CypherRefused(f"the query must run on the database {database!r}, not {on!r}", "database")
        if name in _REFUSED_OPERATORS:
            kind, why = _REFUSED_OPERATORS[name]
            raise CypherRefused(f"{why}: not allowed", kind)
        for prefix, why in _REFUSED_PREFIXES:
            if name.startswith(prefix):
                raise CypherRefused(f"{why}: not allowed", "command")
        if name.endswith("Command"):
            raise CypherRefused("administration commands are not allowed", "command")
        if name == "ProcedureCall":
            details = str((operator.get("args") or {}).get("Details", ""))
            # Neo4j's details name the procedure it resolved: "db.labels() :: (label :: STRING)".
            procedure = details.split("(", 1)[0].strip()
            if procedure not in CYPHER_PROCEDURES:
                raise CypherRefused(
                    f"procedure not allowed: {procedure or 'an unnamed procedure'} (allowed: {_allowed_list()})",
                    "procedure",
                )
    # Last, so that a refused procedure or operator is named even in a query that also writes.
    if query_type != "r":
        meaning = {"w": "writes", "rw": "reads and writes", "s": "changes the schema or administers the server"}
        what = meaning.get(query_type or "", f"is of Neo4j query type {query_type!r}")
        raise CypherRefused(f"only read-only queries are allowed: Neo4j plans this one as a query that {what}",
                            "not-read-only")


# -- values --------------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    """A Neo4j value as JSON: nodes, relationships and paths as objects, temporal values as ISO
    8601 text, bytes as base64, NaN and infinities as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, neo4j.graph.Node):
        return {
            "elementId": value.element_id,
            "labels": sorted(value.labels),
            "properties": {key: json_value(item) for key, item in value.items()},
        }
    if isinstance(value, neo4j.graph.Relationship):
        return {
            "elementId": value.element_id,
            "type": value.type,
            "start": value.start_node.element_id if value.start_node is not None else None,
            "end": value.end_node.element_id if value.end_node is not None else None,
            "properties": {key: json_value(item) for key, item in value.items()},
        }
    if isinstance(value, neo4j.graph.Path):
        return {
            "nodes": [json_value(node) for node in value.nodes],
            "relationships": [json_value(rel) for rel in value.relationships],
        }
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, neo4j.spatial.Point):
        return {"srid": value.srid, "coordinates": list(value)}
    iso_format = getattr(value, "iso_format", None) or getattr(value, "isoformat", None)
    if iso_format is not None:
        return str(iso_format())
    return str(value)


# -- running ---------------------------------------------------------------------------------------


def run_cypher(
    driver: Driver,
    database: str,
    uri: str,
    query: str,
    parameters: Mapping[str, Any],
    *,
    timeout: float,
    max_rows: int,
) -> CypherResult:
    """Check ``query`` from its EXPLAIN plan, then run it read-only within ``timeout`` seconds,
    keeping at most ``max_rows`` rows.

    Raises :class:`CypherRefused` (decided before running), QueryRefused when Neo4j refuses the
    query (a syntax error, a write caught by the READ access mode), QueryTimedOut at the time
    limit, Neo4jUnavailable when Neo4j cannot be reached.
    """
    # The query text is the caller's by design (the driver's LiteralString annotation asks for
    # constants): what makes it safe is Neo4j's plan, checked below, the READ access mode and
    # the time limit, not where the text comes from.
    text = cast(LiteralString, query)  # type: ignore[redundant-cast]
    values = dict(parameters)
    try:
        with (
            translated(uri, "run the Cypher query", time_limit=timeout),
            driver.session(
                database=database, default_access_mode=neo4j.READ_ACCESS, fetch_size=min(max_rows + 1, FETCH_SIZE)
            ) as session,
        ):
            summary = session.run(neo4j.Query("EXPLAIN " + text, timeout=timeout), values).consume()
            check_plan(summary.query_type, summary.plan, database)
            result = session.run(neo4j.Query(text, timeout=timeout), values)
            columns = list(result.keys())
            rows: list[list[Any]] = []
            truncated = False
            for record in result:
                if len(rows) == max_rows:
                    truncated = True  # the rest is never pulled: closing the session discards it
                    break
                rows.append([json_value(item) for item in record.values()])
    except QueryRefused as exc:
        if exc.code == PROCEDURE_NOT_FOUND_CODE:
            # Planning stopped at a procedure Neo4j does not have: nothing ran, and an unknown
            # procedure is not one of the allow-list that is installed here.
            raise CypherRefused(
                f"procedure not allowed: {exc.reason} (/v1/cypher calls only these, where installed: "
                f"{_allowed_list()})",
                "procedure",
            ) from exc
        if exc.code == ACCESS_MODE_CODE:
            raise CypherRefused(f"only read-only queries are allowed: {exc.reason}", "not-read-only") from exc
        raise
    return CypherResult(columns, rows, max_rows, truncated)
