"""Domain errors to HTTP, in one place.

* :class:`graph.service.NotFound` -> 404, :class:`InvalidParameter` and :class:`Ambiguous` -> 422,
  each naming the parameter (and close matches for an unknown entity);
* FastAPI's own validation errors (a limit that is not a number, a missing required parameter)
  -> 422 in the same shape;
* :class:`graph.errors.StoreUnavailable` -> 503 (the store is down or empty, or a query ran past
  its time limit), with the error's public message when it has one (Neo4j's: no internal address);
* any other :class:`graph.errors.StoreError` -> 500: the store failed on a valid request;
* RDF export and SPARQL: :class:`graph.export.ExportError` -> 406 for an Accept header that admits
  no RDF format, else 422; :class:`milcoop.graph.embedded.sparql_endpoint.SparqlError` -> its ``status`` (400 for
  a query that does not parse, is an update or has more results than an answer holds, 406, 415, 429 for a
  client past its share of the workers, 503 for a timeout, busy workers or a full queue; with
  ``Retry-After`` when it helps);
* access control (api/access/): :class:`AccessDenied` -> 401 (with ``WWW-Authenticate``) or 403,
  :class:`RateLimited` -> 429 (with ``Retry-After``), :class:`BodyTooLarge` -> 413. The access
  middleware answers the same refusals through :func:`error_response`, outside the handlers.

Every error body is :class:`graph.models.ErrorBody`. On a site page (a route marked by
:func:`html_page`) the same status and body are rendered as an HTML page by the renderer the site
registers with :func:`set_html_renderer`; so is a 404 for a path no route serves, outside /v1,
when the request accepts HTML (a person following a link), while other clients keep FastAPI's
own answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from milcoop.api.access.errors import AccessDenied, BodyTooLarge, RateLimited
from milcoop.graph.embedded.sparql_endpoint import SparqlError
from milcoop.graph.errors import StoreError, StoreUnavailable
from milcoop.graph.export import ExportError
from milcoop.graph.models import ErrorBody
from milcoop.graph.service import Ambiguous, NotFound, QueryError

log = logging.getLogger("milcoop.api")

F = TypeVar("F", bound=Callable[..., Any])

#: Renders an error as a site page: (request, status, body) to a response.
HtmlRenderer = Callable[[Request, int, ErrorBody], Response]

_HTML_MARK = "__milcoop_html_page__"


def html_page(endpoint: F) -> F:
    """Mark a route's endpoint as a site page: its errors are answered as HTML."""
    setattr(endpoint, _HTML_MARK, True)
    return endpoint


def set_html_renderer(app: FastAPI, renderer: HtmlRenderer) -> None:
    """How the site renders an error page (api/routers/site.py registers it)."""
    app.state.html_error_renderer = renderer


def _answer(request: Request, status: int, body: ErrorBody, headers: dict[str, str] | None = None) -> Response:
    # Starlette puts the matched route's endpoint in the scope before any parameter is validated,
    # so a validation error on a site page is known to be one.
    renderer: HtmlRenderer | None = getattr(request.app.state, "html_error_renderer", None)
    if renderer is not None and getattr(request.scope.get("endpoint"), _HTML_MARK, False):
        response = renderer(request, status, body)
        response.headers.update(headers or {})
        return response
    return _body(status, body, headers)


def _body(status: int, body: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content=body.model_dump(mode="json", exclude_none=True), headers=headers)


def error_response(status: int, body: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    """An error answer in the API's shape, for code that runs outside the exception handlers (middleware)."""
    return _body(status, body, headers)


def access_denied_response(exc: AccessDenied) -> JSONResponse:
    """401 or 403 with ``WWW-Authenticate``."""
    return _body(exc.status, ErrorBody(error=exc.error, message=exc.message), exc.headers())


def rate_limited_response(exc: RateLimited) -> JSONResponse:
    """429 with ``Retry-After``."""
    return _body(429, ErrorBody(error="too_many_requests", message=exc.message), {"Retry-After": str(exc.retry_after)})


def body_too_large_response(exc: BodyTooLarge) -> JSONResponse:
    """413; the connection is closed, since the rest of the body is not read."""
    return _body(413, ErrorBody(error="payload_too_large", message=exc.message), {"Connection": "close"})


async def _query_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, QueryError)
    if isinstance(exc, NotFound):
        status, error = 404, "not_found"
    elif isinstance(exc, Ambiguous):
        status, error = 422, "ambiguous"
    else:
        status, error = 422, "invalid_parameter"
    return _answer(
        request,
        status,
        ErrorBody(error=error, message=exc.message, parameter=exc.parameter, suggestions=exc.suggestions),  # type: ignore[arg-type]
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("query", "path", "body")]
    parameter = location[0] if location else None
    reason = str(first.get("msg", "is not valid"))
    message = f"{parameter}: {reason}" if parameter else reason
    return _answer(request, 422, ErrorBody(error="invalid_parameter", message=message, parameter=parameter))


async def _unavailable(request: Request, exc: Exception) -> Response:
    # Neo4j's errors carry a public message ("Neo4j is unavailable"): the detail names the
    # server's internal address, so it goes to the log (unless the circuit breaker logged it
    # when it opened) and not to the answer.
    public = getattr(exc, "public", None)
    if public is not None and not getattr(exc, "logged", False):
        log.warning("store unavailable on %s: %s", request.url.path, exc)
    return _answer(request, 503, ErrorBody(error="unavailable", message=public or str(exc)))


async def _store_error(request: Request, exc: Exception) -> Response:
    log.error("store error on %s: %s", request.url.path, exc)
    return _answer(request, 500, ErrorBody(error="store_error", message=f"the store failed to answer: {exc}"))


async def _export_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ExportError)
    status = 406 if exc.parameter == "Accept" else 422
    return _body(status, ErrorBody(error="invalid_parameter", message=str(exc), parameter=exc.parameter))


async def _sparql_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SparqlError)
    error: Literal["unavailable", "invalid_parameter", "too_many_requests", "result_too_large"] = (
        "result_too_large" if exc.error == "result_too_large"
        else "unavailable" if exc.status == 503 else "too_many_requests" if exc.status == 429 else "invalid_parameter"
    )
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    return _body(exc.status, ErrorBody(error=error, message=exc.message, parameter=exc.parameter), headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    # A path no route serves: a person following a link outside /v1 gets a page saying so,
    # anything else FastAPI's own answer.
    assert isinstance(exc, StarletteHTTPException)
    renderer: HtmlRenderer | None = getattr(request.app.state, "html_error_renderer", None)
    wants_page = "text/html" in request.headers.get("accept", "") and not request.url.path.startswith("/v1/")
    if exc.status_code == 404 and renderer is not None and wants_page:
        message = f"there is no page at {request.url.path}"
        return renderer(request, 404, ErrorBody(error="not_found", message=message))
    return await http_exception_handler(request, exc)


async def _access_denied(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AccessDenied)
    return access_denied_response(exc)


async def _rate_limited(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimited)
    return rate_limited_response(exc)


async def _body_too_large(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyTooLarge)
    return body_too_large_response(exc)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(QueryError, _query_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StoreUnavailable, _unavailable)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(ExportError, _export_error)
    app.add_exception_handler(SparqlError, _sparql_error)
    app.add_exception_handler(AccessDenied, _access_denied)
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(BodyTooLarge, _body_too_large)


#: OpenAPI descriptions of the error answers, for routers' ``responses=``.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorBody, "description": "An entity named in the request does not exist (with close matches)."},
    422: {"model": ErrorBody, "description": "A parameter is malformed, out of range or ambiguous."},
    503: {"model": ErrorBody, "description": "The store cannot be reached or holds no data."},
}
