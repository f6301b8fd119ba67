"""``POST /v1/cypher``: read-only Cypher over the Neo4j store, time-limited and capped.

The body is JSON, ``{"query": "...", "parameters": {...}}``; values go to Neo4j only as
parameters. Before anything runs, Neo4j's own ``EXPLAIN`` of the query decides whether it may
(graph/neo4j/user_cypher.py): a query that writes, reads files or URLs (``LOAD CSV``), runs a
``SHOW``/``TERMINATE``/administration command or calls a procedure outside the allow-list
(graph/neo4j/procedures.py) is refused with 403. The query then runs in a READ session with a time
limit (``MILCOOP_CYPHER_TIMEOUT_SECONDS``; past it: 503 saying so), and at most
``MILCOOP_CYPHER_MAX_ROWS`` rows come back; a longer answer is cut and says so (``truncated`` and
the ``Milcoop-Results-Truncated`` header). Results are JSON, or CSV for ``Accept: text/csv``.

On the embedded store there is no Cypher: 501, pointing at /v1/sparql.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, field_validator

from milcoop.api.access.deps import RequireCypher
from milcoop.api.deps import HolderDep, StoreHolder
from milcoop.graph.errors import StoreUnavailable
from milcoop.graph.export import negotiate
from milcoop.graph.models import ErrorBody

#: The API-key scope this route requires (checked for every route by api/access from one table;
#: stated here too, and the app refuses to build if the two disagree). Open on the local default.
REQUIRED_SCOPE = "cypher"

router = APIRouter(prefix="/v1", tags=["cypher"], dependencies=[RequireCypher])

#: Longest query text accepted, in characters.
MAX_QUERY_CHARS = 20_000

_CSV = "text/csv"
_JSON = "application/json"


class CypherRequest(BaseModel):
    """A read-only Cypher query and its parameters."""

    query: str = Field(
        min_length=1,
        max_length=MAX_QUERY_CHARS,
        description="One read-only Cypher statement. Put values in parameters, not in the text.",
        examples=["MATCH (s:State {isoCode: $iso}) RETURN s.name AS name"],
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Values of the query's $parameters.", examples=[{"iso": "PRK"}]
    )

    @field_validator("parameters")
    @classmethod
    def _integers_fit(cls, value: dict[str, Any]) -> dict[str, Any]:
        # Bolt carries 64-bit integers: the driver would fail on a larger one while packing the
        # request, half-way through writing it to a pooled connection.
        pending: list[Any] = [value]
        while pending:
            item = pending.pop()
            if isinstance(item, dict):
                pending.extend(item.values())
            elif isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, int) and not isinstance(item, bool) and not -(2**63) <= item < 2**63:
                raise ValueError(f"the integer {item} does not fit in 64 bits, as Neo4j's integers must")
        return value


class CypherAnswer(BaseModel):
    """The columns and rows of the answer, and whether the row cap cut it."""

    columns: list[str]
    rows: list[list[Any]] = Field(description="One list per row, in the order of columns; nodes, relationships "
                                  "and paths as objects, temporal values as ISO 8601 text.")
    count: int = Field(description="Rows in this answer.")
    limit: int = Field(description="The row cap (MILCOOP_CYPHER_MAX_ROWS).")
    truncated: bool = Field(description="True when the query had more rows than the cap: they were not fetched.")
    notice: str | None = Field(default=None, description="Says when and why the answer was cut.")


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {_JSON: {"schema": {"$ref": "#/components/schemas/CypherAnswer"}}, _CSV: {}},
        "description": "The rows, as JSON (default) or CSV (Accept: text/csv). Headers: Milcoop-Result-Count, "
        "Milcoop-Result-Limit, Milcoop-Results-Truncated.",
    },
    400: {"model": ErrorBody, "description": "The query does not parse or Neo4j refuses it."},
    403: {"model": ErrorBody, "description": "The query is not read-only, reads files or URLs, runs a command "
          "or calls a procedure outside the allow-list (decided from Neo4j's plan, before running it)."},
    406: {"model": ErrorBody, "description": "The Accept header admits neither JSON nor CSV."},
    501: {"model": ErrorBody, "description": "The server runs the embedded store, which has no Cypher."},
    503: {"model": ErrorBody, "description": "The query ran past its time limit, or Neo4j is unavailable."},
}


def _error(status: int, message: str, error: Literal["invalid_parameter", "unavailable"] = "invalid_parameter",
           parameter: str | None = "query") -> JSONResponse:
    body = ErrorBody(error=error, message=message, parameter=parameter)
    return JSONResponse(status_code=status, content=body.model_dump(mode="json", exclude_none=True))


def _media_type(accept: str | None) -> str | None:
    """JSON or CSV, whichever the Accept header prefers (JSON without a header or on a tie)."""
    return negotiate(accept, (_JSON, _CSV))


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _run(holder: StoreHolder, request: CypherRequest) -> Any:
    from milcoop.graph.neo4j.store import Neo4jGraphStore

    store = holder.service().store
    if not isinstance(store, Neo4jGraphStore):  # pragma: no cover - the route checks the backend first
        raise StoreUnavailable("Cypher needs the Neo4j store")
    settings = holder.settings
    return store.run_cypher(
        request.query,
        request.parameters,
        timeout=settings.cypher_timeout_seconds,
        max_rows=settings.cypher_max_rows,
    )


@router.post("/cypher", response_model=CypherAnswer, responses=_RESPONSES)
async def cypher(body: CypherRequest, request: Request, holder: HolderDep) -> Response:
    """Run one read-only Cypher query with its parameters (time-limited, capped at
    MILCOOP_CYPHER_MAX_ROWS rows). Refused with 403 before running when Neo4j's plan shows a
    write, LOAD CSV, a command or a procedure outside the allow-list."""
    # Imported here, as in _run: a server of the embedded store never loads the Neo4j driver.
    from milcoop.graph.neo4j.driver import QueryRefused
    from milcoop.graph.neo4j.user_cypher import CypherRefused, CypherResult

    if holder.settings.backend != "neo4j":
        return _error(
            501,
            "Cypher needs the Neo4j store, and this server runs the embedded one (NEO4J_URI is not set): "
            "query it with SPARQL at /v1/sparql",
            error="unavailable",
            parameter=None,
        )
    media_type = _media_type(request.headers.get("accept"))
    if media_type is None:
        return _error(406, f"the Accept header admits neither {_JSON} nor {_CSV}", parameter="Accept")
    try:
        result: CypherResult = await holder.run_in_lane("cypher", _run, holder, body)
    except CypherRefused as exc:
        return _error(403, str(exc))
    except QueryRefused as exc:
        return _error(400, f"Neo4j refused the query ({exc.code}): {exc.reason}")
    headers = {
        "Vary": "Accept",
        "Milcoop-Result-Count": str(len(result.rows)),
        "Milcoop-Result-Limit": str(result.limit),
        "Milcoop-Results-Truncated": "true" if result.truncated else "false",
    }
    if media_type == _CSV:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(result.columns)
        writer.writerows([_csv_cell(value) for value in row] for row in result.rows)
        return Response(text.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
    notice = None
    if result.truncated:
        notice = (
            f"the answer was cut at {result.limit} rows (MILCOOP_CYPHER_MAX_ROWS): the query has more; "
            "narrow it, or page with ORDER BY, SKIP and LIMIT"
        )
    answer = CypherAnswer(
        columns=result.columns,
        rows=result.rows,
        count=len(result.rows),
        limit=result.limit,
        truncated=result.truncated,
        notice=notice,
    )
    return Response(answer.model_dump_json(), media_type=_JSON, headers=headers)
