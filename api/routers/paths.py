"""``/v1/paths``: how two entities are connected."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from milcoop.api.deps import TEXT_PATTERN, ServiceDep, json_answer
from milcoop.api.errors import ERROR_RESPONSES
from milcoop.graph.models import PathAnswer
from milcoop.graph.service import DEFAULT_MAX_HOPS, DEFAULT_PATHS, MAX_HOPS, MAX_PATHS

router = APIRouter(prefix="/v1", tags=["paths"])


@router.get("/paths", response_model=PathAnswer, responses=ERROR_RESPONSES)
def paths(
    service: ServiceDep,
    source: Annotated[
        str,
        Query(pattern=TEXT_PATTERN, alias="from", description="An actor, event, place or treaty.", examples=["DPRK"]),
    ],
    to: Annotated[str, Query(pattern=TEXT_PATTERN, description="An actor, event, place or treaty.", examples=["Kyiv"])],
    max_hops: Annotated[int, Query(ge=1, le=MAX_HOPS, description=f"Longest path (1-{MAX_HOPS}).")] = (
        DEFAULT_MAX_HOPS
    ),
    limit: Annotated[int, Query(ge=1, le=MAX_PATHS, description=f"Paths listed (1-{MAX_PATHS}).")] = DEFAULT_PATHS,
) -> Response:
    """The shortest paths between two entities over actors, events, places and treaties (claims,
    sources, materiel categories and measures are not walked: they would join anything to
    anything). All shortest paths are counted in ``total``; ``limit`` are listed, in a fixed order."""
    return json_answer(service.paths(source, to, max_hops, limit))
