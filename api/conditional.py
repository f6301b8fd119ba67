"""Conditional requests: an ``ETag`` per data version, and ``304 Not Modified`` for ``If-None-Match``.

What milcoop answers changes only when a load brings a new data version, so a representation is
named by the data version, the code version and what was asked (path, query string, and the
``Accept`` header the answer was negotiated on). The tag is weak (``W/"..."``): the gzip
middleware may compress the same representation or not, which a strong tag would have to tell
apart. A client that sends the tag back in ``If-None-Match`` gets 304 and no body, without the
query being run again.
"""

from __future__ import annotations

import hashlib

from fastapi import Request
from fastapi.responses import Response

from milcoop import __version__


def etag_for(data_version: str, *parts: str) -> str:
    """The weak entity tag of a representation of ``data_version`` asked for by ``parts``."""
    digest = hashlib.sha256("\x00".join((__version__, *parts)).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f'W/"{data_version}-{digest}"'


def request_etag(request: Request, data_version: str, *extra: str) -> str:
    """The tag of the answer to ``request`` (method aside: GET and HEAD share it) over ``data_version``."""
    return etag_for(
        data_version, request.url.path, request.url.query, request.headers.get("accept", ""), *extra
    )


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, as RFC 9110 asks), or is ``*``."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def not_modified(request: Request, etag: str, headers: dict[str, str] | None = None) -> Response | None:
    """304 for a GET or HEAD whose ``If-None-Match`` names ``etag``; None when the answer is to be sent."""
    if request.method not in ("GET", "HEAD") or not matches(request.headers.get("if-none-match"), etag):
        return None
    return Response(status_code=304, headers={**(headers or {}), "ETag": etag})
