"""``/v1/deployments``: troop deployments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from milcoop.api import tabular
from milcoop.api.deps import (
    TEXT_PATTERN,
    ChangedSince,
    CursorParam,
    FormatDep,
    Limit,
    MinGrade,
    ServiceDep,
    Since,
    Status,
    Undated,
    Until,
)
from milcoop.api.errors import ERROR_RESPONSES
from milcoop.graph.models import FlowPage
from milcoop.graph.service import DEFAULT_LIMIT

router = APIRouter(prefix="/v1", tags=["deployments"])


@router.get("/deployments", response_model=FlowPage, responses={**ERROR_RESPONSES, **tabular.CSV_CONTENT})
def deployments(
    service: ServiceDep,
    fmt: FormatDep,
    by: Annotated[str | None, Query(pattern=TEXT_PATTERN, description="The sending state.", examples=["PRK"])] = None,
    to: Annotated[str | None, Query(pattern=TEXT_PATTERN, description="The host state.", examples=["RUS"])] = None,
    since: Since = None,
    until: Until = None,
    undated: Undated = "include",
    status: Status = None,
    min_grade: MinGrade = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    changed_since: ChangedSince = None,
) -> Response:
    """Troop deployments by a state (to another), in time order (undated last)."""
    page = service.deployments(
        by, to, since, until, undated, status, min_grade, limit, cursor, changed_since=changed_since
    )
    return tabular.answer(page, page.items, tabular.DEPLOYMENTS, fmt)
