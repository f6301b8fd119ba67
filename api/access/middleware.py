"""The access layer as ASGI middleware: every request, whatever answers it, passes here.

Outermost first:

1. CORS (Starlette's ``CORSMiddleware``, only with ``MILCOOP_CORS_ORIGINS``): answers preflights
   itself, and puts its headers on every answer, refusals included, so a page can read them;
2. :class:`AccessMiddleware`: finds the caller (an API key or an address), counts the request
   against the rate limit, checks the scope the path needs (:mod:`.scopes`, one table for every
   route), and writes the access log of exports and queries (:mod:`.audit`);
3. :class:`BodyLimitMiddleware`: refuses a body longer than ``MILCOOP_MAX_BODY_BYTES`` with 413,
   from its ``Content-Length`` before reading any of it, or while it streams in.

Middleware rather than a FastAPI dependency because it also covers what no router declares:
the docs pages, mounts, unknown paths (401 without a key, not 404: the map of the API is not
handed out before the key is checked).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from milcoop.api.access.audit import AccessLog, truncate
from milcoop.api.access.errors import AccessDenied, BodyTooLarge, RateLimited
from milcoop.api.access.keys import KeyRing, KeysFileError
from milcoop.api.access.principal import Principal
from milcoop.api.access.ratelimit import RateLimit
from milcoop.api.access.scopes import Rule, rule_for
from milcoop.api.errors import (
    access_denied_response,
    body_too_large_response,
    error_response,
    rate_limited_response,
)
from milcoop.graph.models import ErrorBody
from milcoop.settings import AuthMode, Settings

log = logging.getLogger("milcoop.api")

#: Answers written to the access log on any path, not only on audited ones.
REFUSALS = frozenset({401, 403, 413, 429})
#: The request state entry a router sets to the query text it ran, for the access log.
QUERY_STATE = "access_query"
#: The request state entry holding the :class:`Principal`.
PRINCIPAL_STATE = "principal"


def route_path(scope: Scope) -> str:
    """The path the app's routes see: without the root path it is mounted under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root):] or "/"
    return path


def presented_key(headers: Headers) -> str | None:
    """The key in ``Authorization: Bearer <key>`` or, failing that, ``X-API-Key``."""
    authorization = headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    key = headers.get("x-api-key", "").strip()
    return key or None


class _Meter:
    """Wraps ``send``: the status, media type, result count and bytes of the answer."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status: int | None = None
        self.media_type: str | None = None
        self.rows: int | None = None
        self.bytes = 0
        self.complete = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            for name, value in message.get("headers", []):
                lowered = bytes(name).lower()
                if lowered == b"content-type":
                    self.media_type = bytes(value).decode("latin-1").split(";")[0].strip()
                elif lowered == b"milcoop-result-count" and bytes(value).isdigit():
                    self.rows = int(value)
        elif message["type"] == "http.response.body":
            self.bytes += len(message.get("body", b""))
            if not message.get("more_body", False):
                self.complete = True
        await self._send(message)


class AccessMiddleware:
    """Keys and scopes, rate limit and access log for every HTTP request (see the module)."""

    def __init__(self, app: ASGIApp, auth: AuthMode, keys: KeyRing | None, rate: RateLimit, audit: AccessLog) -> None:
        self.app = app
        self.auth: AuthMode = auth
        self.keys = keys
        self.rate = rate
        self.audit = audit

    def _identify(self, rule: Rule, path: str, scope: Scope, address: str) -> tuple[Principal, Any]:
        """The caller, and the refusal to answer instead of the app (None to go on)."""
        if self.auth == "off" or self.keys is None:
            return Principal.anonymous(address, everything=True), None
        key = presented_key(Headers(scope=scope))
        stored = None
        if key is not None:
            try:
                stored = self.keys.lookup(key)
            except KeysFileError as exc:
                log.error("API keys cannot be checked: %s", exc)
                if rule.scope is not None:
                    # Fail closed, and say it is the server's fault, not the caller's.
                    return Principal.anonymous(address, everything=False), error_response(
                        503, ErrorBody(error="unavailable", message="API keys cannot be checked: the keys file is "
                                       "unreadable (see the server's log)")
                    )
        principal = (
            Principal(stored.name, address, stored.scopes) if stored is not None
            else Principal.anonymous(address, everything=False)
        )
        if rule.scope is None:
            return principal, None
        if key is None:
            return principal, access_denied_response(AccessDenied(
                401, f"{path} needs an API key: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                "missing",
            ))
        if stored is None:
            return principal, access_denied_response(AccessDenied(
                401, "the API key is not valid: it is unknown or was revoked", "invalid_token"
            ))
        if not principal.allows(rule.scope):
            held = ", ".join(sorted(principal.scopes)) or "none"
            return principal, access_denied_response(AccessDenied(
                403, f"the API key {stored.name!r} lacks the scope {rule.scope!r} that {path} needs (it has: {held})",
                "insufficient_scope", rule.scope,
            ))
        return principal, None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        when, started = time.time(), time.perf_counter()
        path = route_path(scope)
        rule = rule_for(path)
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        principal, refusal = self._identify(rule, path, scope, address)
        # Counted before the scope is checked: refused requests count too (against the address
        # when the key is unknown), so guessing keys is as limited as using them.
        retry = self.rate.hit(principal.client)
        if retry is not None:
            who = f"API key {principal.key!r}" if principal.key is not None else f"address {address}"
            refusal = rate_limited_response(RateLimited(
                f"too many requests from {who}: the limit is {self.rate.describe()} (MILCOOP_RATE_LIMIT); "
                f"try again in {retry} s",
                retry,
            ))
        state = scope.setdefault("state", {})
        state[PRINCIPAL_STATE] = principal
        meter = _Meter(send)
        try:
            if refusal is not None:
                await refusal(scope, receive, meter.send)
            else:
                await self.app(scope, receive, meter.send)
        finally:
            if rule.audited or meter.status in REFUSALS:
                self._write(scope, rule, path, principal, meter, when, time.perf_counter() - started)

    def _write(
        self, scope: Scope, rule: Rule, path: str, principal: Principal, meter: _Meter, when: float, seconds: float
    ) -> None:
        state = scope.get("state", {})
        query = state.get(QUERY_STATE)
        if query is None and scope.get("query_string"):
            query = unquote_plus(bytes(scope["query_string"]).decode("latin-1"))
        try:
            self.audit.write({
                "time": datetime.fromtimestamp(when, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "event": rule.scope if rule.audited else "refused",
                "key": principal.key,
                "address": principal.address,
                "method": scope.get("method"),
                "path": path,
                "query": truncate(query),
                "format": meter.media_type,
                "status": meter.status,
                "rows": meter.rows,
                "bytes": meter.bytes,
                "seconds": round(seconds, 4),
                "complete": meter.complete,
            })
        except Exception:  # the log must never take an answer down
            log.exception("cannot write the access log")


class BodyLimitMiddleware:
    """413 for a request body longer than ``limit``, without reading it whole.

    A declared ``Content-Length`` over the limit is refused before any byte of the body is read
    (uvicorn stops reading the socket while the app does not ask for more). A body without one
    (chunked), or longer than it said, is counted as it streams in: past the limit the app's next
    read raises :class:`BodyTooLarge`, answered with 413.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.limit:
            await body_too_large_response(BodyTooLarge(self.limit))(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge as exc:
            # FastAPI's handler answers it inside routes; this catches a read made elsewhere.
            if started:
                raise
            await body_too_large_response(exc)(scope, receive, send)


#: Headers a browser page may send and read across origins.
CORS_REQUEST_HEADERS = ("Authorization", "X-API-Key", "Content-Type", "Accept", "If-None-Match")
CORS_EXPOSED_HEADERS = (
    "ETag",
    "Link",
    "Location",
    "Retry-After",
    "WWW-Authenticate",
    "Content-Disposition",
    "Milcoop-Data-Version",
    "Milcoop-Result-Count",
    "Milcoop-Result-Limit",
    "Milcoop-Results-Truncated",
)


def install(app: Any, settings: Settings) -> None:
    """Add the access middleware to ``app`` (a Starlette or FastAPI application) for ``settings``."""
    rate = RateLimit(settings.rate_limit)
    keys = KeyRing(settings.keys_path) if settings.auth == "keys" else None
    if keys is not None and keys.count() == 0:
        log.warning(
            "MILCOOP_AUTH=keys and no API key in %s: every request but /healthz and /docs is refused with 401. "
            "Create one with `milcoop keys create --name NAME --scope read`.",
            settings.keys_path,
        )
    # add_middleware wraps what is there: the last added runs first.
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(
        AccessMiddleware, auth=settings.auth, keys=keys, rate=rate, audit=AccessLog(settings.access_log_file)
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
            allow_headers=list(CORS_REQUEST_HEADERS),
            expose_headers=list(CORS_EXPOSED_HEADERS),
            allow_credentials=False,  # keys travel in headers, never in cookies
            max_age=600,
        )
