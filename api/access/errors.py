"""Refusals of the access layer. api/errors.py answers them in the API's error shape
(:class:`milcoop.graph.models.ErrorBody`); the middleware, which runs outside FastAPI's exception
handlers, builds the same answers through :func:`milcoop.api.errors.error_response`."""

from __future__ import annotations

from typing import Literal

from starlette.exceptions import HTTPException

#: The realm named in ``WWW-Authenticate``.
REALM = "milcoop"


class AccessDenied(Exception):
    """No key, a wrong key (401) or a key without the scope a route needs (403)."""

    def __init__(
        self,
        status: Literal[401, 403],
        message: str,
        reason: Literal["missing", "invalid_token", "insufficient_scope"],
        scope: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        self.scope = scope

    @property
    def error(self) -> Literal["unauthorized", "forbidden"]:
        return "unauthorized" if self.status == 401 else "forbidden"

    def headers(self) -> dict[str, str]:
        """``WWW-Authenticate`` as RFC 6750 (bearer tokens) words it."""
        challenge = f'Bearer realm="{REALM}"'
        if self.reason != "missing":
            challenge += f', error="{self.reason}"'
        if self.scope is not None:
            challenge += f', scope="{self.scope}"'
        return {"WWW-Authenticate": challenge}


class BodyTooLarge(HTTPException):
    """A request body longer than the limit; raised while it streams in, before it is read whole.

    An HTTPException so that FastAPI's own body parsing (a route with a body model) lets it
    through rather than turning it into a 400; api/errors.py's handler for it answers 413.
    """

    def __init__(
        self, limit: int, what: str = "the request body", setting: str | None = "MILCOOP_MAX_BODY_BYTES"
    ) -> None:
        where = f" ({setting})" if setting else ""
        self.limit = limit
        self.message = f"{what} is longer than {limit} bytes, the limit{where}; it was not read"
        super().__init__(413, self.message)


class RateLimited(Exception):
    """More requests than ``MILCOOP_RATE_LIMIT`` allows; ``retry_after`` seconds until the next."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
