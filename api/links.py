"""The address links point at: the configured public base, else the address the request came to.

Links only (the SPARQL endpoint in the service description, data dumps, the documents an IRI
redirects to). milcoop's identifiers are ``https://w3id.org/milcoop/...`` whatever this says.
"""

from __future__ import annotations

from fastapi import Request

from milcoop.settings import Settings


def public_base(request: Request, settings: Settings) -> str:
    """``MILCOOP_PUBLIC_BASE_URL``, or the base URL of ``request`` (with its root path), without a final ``/``."""
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    return str(request.base_url).rstrip("/")
