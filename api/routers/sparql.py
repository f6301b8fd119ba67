"""``/v1/sparql``: the SPARQL 1.1 Protocol, read-only, over the embedded store.

GET with ``query``; POST with a form-encoded body (``query=...``) or an
``application/sparql-query`` body. ``default-graph-uri`` and ``named-graph-uri`` may be given as
the protocol says (they override the query's ``FROM`` / ``FROM NAMED``); without either, the
default graph holds every fact and the named graphs are the claims' source graphs, as in the
TriG export. Results follow the Accept header: SELECT and ASK as SPARQL JSON (default),
XML, CSV or TSV; CONSTRUCT and DESCRIBE as Turtle (default) or another RDF format. Updates are
refused with 400, queries stop at the time limit (503), and a query with more results than an
answer holds is refused with 400 saying how to page (answers are never cut short).

``GET`` (or ``HEAD``) without a query answers the SPARQL 1.1 Service Description (Turtle,
RDF/XML, JSON-LD or N-Triples by ``Accept``). Every ``GET`` answer carries an ``ETag`` naming the
data version; ``If-None-Match`` with it answers 304 without running the query again.

The workers are shared fairly between callers (an API key, or an address when keys are off):
a caller past its share is refused with 429 at once, and with every worker busy and the queue
full a query is refused with 503 at once (both with ``Retry-After``). A POST body is read as it
streams in and refused with 413 past its limit, never read whole first.

The embedded store answers even when Neo4j is the primary store: every ``milcoop load`` into
Neo4j refreshes it.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated
from urllib.parse import parse_qs

import anyio
import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import WithJsonSchema

from milcoop.api.access.deps import client_of, note_query
from milcoop.api.access.errors import BodyTooLarge
from milcoop.api.conditional import not_modified, request_etag
from milcoop.api.deps import HolderDep
from milcoop.api.links import public_base
from milcoop.graph.embedded.service_description import (
    DESCRIPTION_TYPES,
    EndpointFacts,
    description_media_type,
    serialize_description,
)
from milcoop.graph.embedded.sparql_endpoint import (
    BOOLEAN_TYPES,
    GRAPH_TYPES,
    MAX_QUERY_BYTES,
    SOLUTION_TYPES,
    InvalidQuery,
    NotAcceptable,
    SparqlAnswer,
    SparqlEndpoint,
    UnsupportedMediaType,
    UpdateRefused,
    check_query,
    endpoint_for,
    fact_graph_names,
    store_info,
)
from milcoop.graph.models import ErrorBody
from milcoop.settings import Settings

router = APIRouter(prefix="/v1", tags=["sparql"])

#: Longest POST body: a form-encoded query of MAX_QUERY_BYTES, every byte percent-encoded.
MAX_BODY_BYTES = 4 * MAX_QUERY_BYTES

_ANSWER_TYPES = sorted(set(SOLUTION_TYPES) | set(BOOLEAN_TYPES) | set(GRAPH_TYPES) | set(DESCRIPTION_TYPES))
_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {media_type: {} for media_type in _ANSWER_TYPES},
        "description": "The results, complete, in the format the Accept header prefers (headers: "
        "Milcoop-Result-Count, Milcoop-Result-Limit, ETag); without a query, the SPARQL Service Description.",
    },
    304: {"description": "If-None-Match names the ETag of the answer: the data has not changed since."},
    400: {"description": "The query does not parse or fails, it is an update (the endpoint is read-only), or it "
          "has more results than one answer holds (error result_too_large: page with ORDER BY, LIMIT, OFFSET)."},
    406: {"description": "The Accept header admits no format for this kind of result."},
    413: {"description": f"A POST body longer than {MAX_BODY_BYTES} bytes (refused before it is read whole)."},
    415: {"description": "A POST body that is neither form-encoded nor application/sparql-query."},
    429: {"description": "This caller already has its share of the workers running and waiting (Retry-After)."},
    503: {"description": "The query ran past the time limit, every worker was busy and the queue full, or there is "
          "no store (Retry-After when trying again may help)."},
}

# Stated in the schema, checked by the route: the SPARQL protocol answers a bad query with 400.
_QUERY_TEXT = Annotated[str, WithJsonSchema({"type": "string", "minLength": 1})]
QueryParam = Annotated[
    _QUERY_TEXT | None,
    Query(
        description="The SPARQL query. Without it (and without update), GET answers the SPARQL Service "
        "Description.",
        examples=["SELECT ?event ?name WHERE { ?event a <https://w3id.org/milcoop/ontology#MaterielTransfer> ; "
                  "<http://www.w3.org/2004/02/skos/core#prefLabel> ?name } LIMIT 10"],
    ),
]
UpdateParam = Annotated[str | None, Query(description="Refused: the endpoint is read-only.", include_in_schema=False)]
#: An IRI parameter: the schema says it is not empty, the route checks it is an IRI (400 if not).
_IRI = Annotated[str, WithJsonSchema({"type": "string", "minLength": 1, "format": "iri"})]
DefaultGraphs = Annotated[
    list[_IRI] | None,
    Query(alias="default-graph-uri", description="Graphs whose merge is the default graph (protocol dataset)."),
]
NamedGraphs = Annotated[
    list[_IRI] | None,
    Query(alias="named-graph-uri", description="Graphs the query may name with GRAPH (protocol dataset)."),
]


def _graphs(parameter: str, values: list[str]) -> list[str]:
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise InvalidQuery(f"{parameter} {value!r} is not an IRI: {exc}", parameter) from None
    return values


def endpoint_of(settings: Settings) -> SparqlEndpoint:
    """The process's SPARQL endpoint for ``settings``: its workers sized to the machine and shared
    per caller as MILCOOP_SPARQL_WORKERS, _PER_CLIENT and _QUEUE say."""
    return endpoint_for(
        settings.data_dir,
        settings.sparql_timeout_seconds,
        settings.sparql_max_results,
        settings.sparql_sandbox,
        workers=settings.sparql_worker_count,
        per_client=settings.sparql_client_share,
        queue_size=settings.sparql_queue_size,
    )


def _limiter(request: Request, endpoint: SparqlEndpoint) -> anyio.CapacityLimiter:
    """The app's thread limiter for SPARQL (made in the event loop, which anyio requires)."""
    state = request.app.state
    limiters: dict[SparqlEndpoint, anyio.CapacityLimiter] | None = getattr(state, "sparql_limiters", None)
    if limiters is None:
        limiters = state.sparql_limiters = {}
    limiter = limiters.get(endpoint)
    if limiter is None:
        # Room for every admitted query (running or waiting), so an admitted query never waits here.
        limiter = limiters[endpoint] = anyio.CapacityLimiter(endpoint.workers + endpoint.queue_size + 1)
    return limiter


async def _body(request: Request, limit: int) -> bytes:
    """The request body, read as it streams in and refused past ``limit`` bytes (413)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit, "a SPARQL request body", None)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit, "a SPARQL request body", None)
        chunks.append(chunk)
    return b"".join(chunks)


def _data_version(holder: HolderDep) -> str | None:
    info = store_info(holder.settings.data_dir)
    return info.data_version if info is not None else None


def service_description(request: Request, holder: HolderDep) -> Response:
    """The SPARQL 1.1 Service Description of this endpoint, in the format ``Accept`` prefers."""
    accept = request.headers.get("accept")
    media_type = description_media_type(accept)
    if media_type is None:
        raise NotAcceptable(
            f"the service description cannot be given as {accept!r}; acceptable media types are "
            f"{', '.join(DESCRIPTION_TYPES)}",
            "Accept",
        )
    settings = holder.settings
    info = store_info(settings.data_dir)
    endpoint = f"{public_base(request, settings)}{router.prefix}/sparql"
    headers = {"Vary": "Accept"}
    etag = request_etag(request, info.data_version if info else "unloaded", endpoint)
    headers["ETag"] = etag
    unchanged = not_modified(request, etag, headers)
    if unchanged is not None:
        return unchanged
    facts = EndpointFacts(
        endpoint=endpoint,
        data_version=info.data_version if info else None,
        triples=info.triples if info else None,
        timeout_seconds=settings.sparql_timeout_seconds,
        max_results=settings.sparql_max_results,
        result_types=[*SOLUTION_TYPES, *GRAPH_TYPES],
        named_graphs=fact_graph_names(settings.data_dir),
    )
    return Response(serialize_description(facts, media_type), media_type=media_type, headers=headers)


async def _run(
    request: Request, holder: HolderDep, queries: list[str], updates: list[str], defaults: list[str], named: list[str]
) -> Response:
    if updates:
        raise UpdateRefused("SPARQL updates are not accepted: this endpoint is read-only", "update")
    defaults, named = _graphs("default-graph-uri", defaults), _graphs("named-graph-uri", named)
    if not queries and request.method in ("GET", "HEAD"):
        return service_description(request, holder)
    if not queries:
        raise InvalidQuery(
            "give the SPARQL query in the query parameter (or as an application/sparql-query body)", "query"
        )
    if len(queries) > 1:
        raise InvalidQuery("give exactly one query parameter", "query")
    endpoint = endpoint_of(holder.settings)
    note_query(request, queries[0])
    check_query(queries[0])  # refused before it takes a place in the queue
    headers = {"Vary": "Accept"}
    version = _data_version(holder) if request.method in ("GET", "HEAD") else None
    if version is not None:
        headers["ETag"] = request_etag(request, version)
        unchanged = not_modified(request, headers["ETag"], headers)
        if unchanged is not None:
            return unchanged
    # Admitted on the event loop, so that a query past its caller's share or a full queue is
    # refused at once, without taking a thread; the admitted ones wait on a thread limiter of
    # their own, as large as the workers and the queue, so they never hold the threads that the
    # other routes run on.
    admission = endpoint.admit(client_of(request))
    try:
        answer: SparqlAnswer = await anyio.to_thread.run_sync(
            partial(
                endpoint.run, queries[0], request.headers.get("accept"), defaults, named, admission=admission,
                base_iri=f"{public_base(request, holder.settings)}{router.prefix}/sparql",
            ),
            limiter=_limiter(request, endpoint),
        )
    finally:
        endpoint.withdraw(admission)
    if version is not None and _data_version(holder) != version:
        headers.pop("ETag")  # a load switched the store while the query ran: which data answered is unsure
    headers["Milcoop-Result-Count"] = str(answer.count)
    headers["Milcoop-Result-Limit"] = str(answer.limit)
    return Response(answer.body, media_type=answer.media_type, headers=headers)


@router.get("/sparql", response_class=Response, responses=_RESPONSES)
@router.head("/sparql", response_class=Response, responses=_RESPONSES, operation_id="sparql_head")
async def sparql_get(
    request: Request,
    holder: HolderDep,
    query: QueryParam = None,
    update: UpdateParam = None,
    default_graphs: DefaultGraphs = None,
    named_graphs: NamedGraphs = None,
) -> Response:
    """A SPARQL 1.1 query in the ``query`` parameter (read-only, time-limited, never cut short); without
    one, the SPARQL Service Description (Turtle, RDF/XML, JSON-LD or N-Triples by ``Accept``)."""
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
                        "properties": {"query": {"type": "string", "minLength": 1}},
                        "required": ["query"],
                    }
                },
                "application/sparql-query": {"schema": {"type": "string", "minLength": 1}},
            }
        }
    },
)
async def sparql_post(request: Request, holder: HolderDep) -> Response:
    """A SPARQL 1.1 query as a form-encoded ``query`` or an ``application/sparql-query`` body."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await _body(request, MAX_BODY_BYTES)
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


#: The methods /v1/sparql answers, as OPTIONS and a 405 list them.
SPARQL_METHODS = "GET, HEAD, POST, OPTIONS"


@router.options("/sparql", status_code=204, response_class=Response, responses={204: {"description": "The methods."}})
async def sparql_options() -> Response:
    """The methods the endpoint answers (``Allow``): GET and POST queries, HEAD, OPTIONS."""
    return Response(status_code=204, headers={"Allow": SPARQL_METHODS})


@router.api_route("/sparql", methods=["PUT", "PATCH", "DELETE"], include_in_schema=False)
async def sparql_other_methods(request: Request) -> Response:
    """Any other method: 405, listing the methods the endpoint does answer."""
    body = ErrorBody(
        error="invalid_parameter",
        message=f"{request.method} is not a SPARQL protocol operation here; use {SPARQL_METHODS}",
        parameter="method",
    )
    content = body.model_dump(mode="json", exclude_none=True)
    return JSONResponse(content, status_code=405, headers={"Allow": SPARQL_METHODS})
