"""Dependencies for routers: the caller, and a route's own statement of the scope it needs.

The access middleware has checked every request against the table in :mod:`.scopes` before any
router runs. A route may still state its scope (``dependencies=[RequireCypher]``): the check is
made again from the same principal with the same rule, and :func:`check_routes` refuses, when the
app is built, a route whose stated scope is not the one the table gives its path, so the table
stays the one place where scopes are decided.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import fastapi.routing
from fastapi import Depends, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.security import APIKeyHeader, HTTPBearer

from milcoop.api.access.errors import AccessDenied
from milcoop.api.access.middleware import PRINCIPAL_STATE, QUERY_STATE
from milcoop.api.access.principal import Principal
from milcoop.api.access.scopes import Scope, rule_for
from milcoop.settings import Settings


def principal_of(request: Request) -> Principal:
    """The caller the access middleware found; without the middleware (an app built by hand),
    a caller allowed everything only when ``MILCOOP_AUTH=off``."""
    found = getattr(request.state, PRINCIPAL_STATE, None)
    if isinstance(found, Principal):
        return found
    settings: Settings | None = getattr(request.app.state, "settings", None)
    address = request.client.host if request.client else "unknown"
    return Principal.anonymous(address, everything=settings is None or settings.auth == "off")


def client_of(request: Request) -> str:
    """The name SPARQL's fair sharing and the rate limit count this request by."""
    return principal_of(request).client


def note_query(request: Request, text: str) -> None:
    """Give the access log the query text this request runs."""
    setattr(request.state, QUERY_STATE, text)


class ScopeCheck:
    """A dependency refusing callers without ``scope`` (401 without a key, 403 with another)."""

    def __init__(self, scope: Scope) -> None:
        self.scope: Scope = scope

    def __call__(self, request: Request) -> Principal:
        principal = principal_of(request)
        if principal.allows(self.scope):
            return principal
        if principal.key is None:
            raise AccessDenied(401, f"{request.url.path} needs an API key with the scope {self.scope!r}", "missing")
        raise AccessDenied(
            403, f"the API key {principal.key!r} lacks the scope {self.scope!r} that {request.url.path} needs",
            "insufficient_scope", self.scope,
        )


def require_scope(scope: Scope) -> Any:
    """``Depends`` on the caller holding ``scope``: ``dependencies=[require_scope("cypher")]``."""
    return Depends(ScopeCheck(scope))


#: For the Cypher route: ``@router.post("/cypher", dependencies=[RequireCypher])``, or a parameter
#: ``caller: CypherCaller`` to get the :class:`Principal` too.
RequireCypher = require_scope("cypher")
CypherCaller = Annotated[Principal, Depends(ScopeCheck("cypher"))]
#: The caller of any route (for logs or per-caller behaviour).
Caller = Annotated[Principal, Depends(principal_of)]


def _checks(dependant: Dependant) -> Iterator[ScopeCheck]:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, ScopeCheck):
            yield dependency.call
        yield from _checks(dependency)


def effective_routes(routes: list[Any]) -> Iterator[tuple[str, Dependant | None]]:
    """Every route's path and dependant, routers included. Recent FastAPI keeps an included
    router as one entry that is resolved lazily (``fastapi.routing.iter_route_contexts`` lists
    its routes); older versions copy the routes into the app's list."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    for route in iterate(routes) if iterate is not None else routes:
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
        if isinstance(path, str):
            dependant = getattr(route, "dependant", None)
            yield path, dependant if isinstance(dependant, Dependant) else None


def check_routes(routes: list[Any]) -> None:
    """Refuse (ValueError) a route stating a scope other than the one the table gives its path."""
    for path, dependant in effective_routes(routes):
        if dependant is None:
            continue
        rule = rule_for(path)
        for check in _checks(dependant):
            if check.scope != rule.scope:
                raise ValueError(
                    f"route {path} states the scope {check.scope!r} but api/access/scopes.py gives its path "
                    f"{rule.scope!r}: make the table say {check.scope!r} for it"
                )


_BEARER = HTTPBearer(
    auto_error=False, scheme_name="bearer", description="An API key: `Authorization: Bearer <key>`."
)
_API_KEY = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="apiKey", description="An API key: `X-API-Key: <key>`."
)


async def _documented(
    bearer: Annotated[Any, Security(_BEARER)], api_key: Annotated[Any, Security(_API_KEY)]
) -> None:
    """Only for OpenAPI (the Authorize button of /docs): the middleware reads the key itself."""


#: App-level dependencies when keys are on: they put the two ways of sending a key in OpenAPI.
DOCUMENTED_SECURITY = [Depends(_documented)]
