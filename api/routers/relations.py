"""``/v1/relations``: everything between two actors, as one timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from milcoop.api import tabular
from milcoop.api.deps import TEXT_PATTERN, CursorParam, FormatDep, Limit, ServiceDep
from milcoop.api.errors import ERROR_RESPONSES
from milcoop.graph.models import RelationPage
from milcoop.graph.service import DEFAULT_LIMIT

router = APIRouter(prefix="/v1", tags=["relations"])


@router.get("/relations", response_model=RelationPage, responses={**ERROR_RESPONSES, **tabular.CSV_CONTENT})
def relations(
    service: ServiceDep,
    fmt: FormatDep,
    a: Annotated[str, Query(pattern=TEXT_PATTERN, description="One actor.", examples=["PRK"])],
    b: Annotated[str, Query(pattern=TEXT_PATTERN, description="The other actor.", examples=["RUS"])],
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response:
    """Treaties between the two (with provisions), events in either direction (transfers,
    deployments, support sought, weapons used by one against the other) and the statements
    about them, ordered by start (undated last)."""
    page = service.relations(a, b, limit, cursor)
    return tabular.answer(page, page.items, tabular.RELATIONS, fmt)
