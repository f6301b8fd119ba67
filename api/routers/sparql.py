"""``/v1/sparql``: the SPARQL 1.1 Protocol, read-only, over the embedded store.

GET with ``query``; POST with a form-encoded body (``query=...``) or an
``application/sparql-query`` body. ``default-graph-uri`` and ``named-graph-uri`` may be given as
the protocol says. Results follow the Accept header: SELECT and ASK as SPARQL JSON (default),
XML, CSV or TSV; CONSTRUCT and DESCRIBE as Turtle (default) or another RDF format. Updates are
refused with 400, queries stop at the time limit (503) and answers are capped; the
``Milcoop-Results-Truncated`` header says when the cap cut one short.

The embedded store answers even when Neo4j is the primary store: every ``milcoop load`` into
Neo4j refreshes it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from milcoop.api.deps import HolderDep
from milcoop.graph.embedded.sparql_endpoint import (
    BOOLEAN_TYPES,
    GRAPH_TYPES,
    MAX_QUERY_BYTES,
    SOLUTION_TYPES,
    InvalidQuery,
    SparqlAnswer,
    UnsupportedMediaType,
    UpdateRefused,
    endpoint_for,
)

router = APIRouter(prefix="/v1", tags=["sparql"])

_ANSWER_TYPES = sorted(set(SOLUTION_TYPES) | set(BOOLEAN_TYPES) | set(GRAPH_TYPES))
_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {media_type: {} for media_type in _ANSWER_TYPES},
        "description": "The results, in the format the Accept header prefers. Headers: Milcoop-Result-Count, "
        "Milcoop-Result-Limit, Milcoop-Results-Truncated.",
    },
    400: {"description": "The query does not parse or fails, or it is an update (the endpoint is read-only)."},
    406: {"description": "The Accept header admits no format for this kind of result."},
    415: {"description": "A POST body that is neither form-encoded nor application/sparql-query."},
    503: {"description": "The query ran past the time limit, every worker was busy, or there is no store."},
}

QueryParam = Annotated[
    str | None,
    Query(
        description="The SPARQL query.",
        examples=["SELECT ?event ?name WHERE { ?event a <https://w3id.org/milcoop/ontology#MaterielTransfer> ; "
                  "<http://www.w3.org/2004/02/skos/core#prefLabel> ?name } LIMIT 10"],
    ),
]
UpdateParam = Annotated[str | None, Query(description="Refused: the endpoint is read-only.", include_in_schema=False)]
DefaultGraphs = Annotated[
    list[str] | None,
    Query(alias="default-graph-uri", description="Graphs whose merge is the default graph (protocol dataset)."),
]
NamedGraphs = Annotated[
    list[str] | None,
    Query(alias="named-graph-uri", description="Graphs the query may name with GRAPH (protocol dataset)."),
]


def _graphs(parameter: str, values: list[str]) -> list[str]:
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise InvalidQuery(f"{parameter} {value!r} is not an IRI: {exc}", parameter) from None
    return values


async def _run(
    request: Request, holder: HolderDep, queries: list[str], updates: list[str], defaults: list[str], named: list[str]
) -> Response:
    if updates:
        raise UpdateRefused("SPARQL updates are not accepted: this endpoint is read-only", "update")
    if not queries:
        raise InvalidQuery(
            "give the SPARQL query in the query parameter (or as an application/sparql-query body)", "query"
        )
    if len(queries) > 1:
        raise InvalidQuery("give exactly one query parameter", "query")
    settings = holder.settings
    endpoint = endpoint_for(
        settings.data_dir, settings.sparql_timeout_seconds, settings.sparql_max_results, settings.sparql_sandbox
    )
    # On SPARQL's own lane of threads (api/deps.py): never behind Neo4j reads of other routes.
    answer: SparqlAnswer = await holder.run_in_lane(
        "sparql",
        endpoint.run,
        queries[0],
        request.headers.get("accept"),
        _graphs("default-graph-uri", defaults),
        _graphs("named-graph-uri", named),
    )
    return Response(
        answer.body,
        media_type=answer.media_type,
        headers={
            "Vary": "Accept",
            "Milcoop-Result-Count": str(answer.count),
            "Milcoop-Result-Limit": str(answer.limit),
            "Milcoop-Results-Truncated": "true" if answer.truncated else "false",
        },
    )


@router.get("/sparql", response_class=Response, responses=_RESPONSES)
async def sparql_get(
    request: Request,
    holder: HolderDep,
    query: QueryParam = None,
    update: UpdateParam = None,
    default_graphs: DefaultGraphs = None,
    named_graphs: NamedGraphs = None,
) -> Response:
    """A SPARQL 1.1 query in the ``query`` parameter (read-only, time-limited, capped)."""
    queries = request.query_params.getlist("query")
    updates = request.query_params.getlist("update")
    return await _run(request, holder, queries, updates, default_graphs or [], named_graphs or [])


@router.post(
    "/sparql",
    response_class=Response,
    responses=_RESPONSES,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {"query": {"type": "string"}},
                        "required": ["query"],
                    }
                },
                "application/sparql-query": {"schema": {"type": "string"}},
            }
        }
    },
)
async def sparql_post(request: Request, holder: HolderDep) -> Response:
    """A SPARQL 1.1 query as a form-encoded ``query`` or an ``application/sparql-query`` body."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if len(body) > 4 * MAX_QUERY_BYTES:
        raise InvalidQuery(f"the request body is longer than {4 * MAX_QUERY_BYTES} bytes", "query")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidQuery("the request body is not UTF-8", "query") from None
    url = request.query_params
    defaults, named = url.getlist("default-graph-uri"), url.getlist("named-graph-uri")
    if content_type == "application/x-www-form-urlencoded":
        form = parse_qs(text, keep_blank_values=True)
        return await _run(
            request,
            holder,
            form.get("query", []),
            form.get("update", []) + url.getlist("update"),
            defaults + form.get("default-graph-uri", []),
            named + form.get("named-graph-uri", []),
        )
    if content_type == "application/sparql-query":
        return await _run(request, holder, [text], url.getlist("update"), defaults, named)
    if content_type == "application/sparql-update":
        raise UpdateRefused("SPARQL updates are not accepted: this endpoint is read-only", "Content-Type")
    raise UnsupportedMediaType(
        f"a SPARQL query is posted as application/x-www-form-urlencoded or application/sparql-query, "
        f"not {content_type or 'a body without Content-Type'}",
        "Content-Type",
    )
