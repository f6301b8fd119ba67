"""``/v1/flows``: what flows from one actor to another, with every claim behind it."""

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
    Kinds,
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

router = APIRouter(prefix="/v1", tags=["flows"])


@router.get("/flows", response_model=FlowPage, responses={**ERROR_RESPONSES, **tabular.CSV_CONTENT})
def flows(
    service: ServiceDep,
    fmt: FormatDep,
    source: Annotated[
        str,
        Query(
            pattern=TEXT_PATTERN,
            alias="from",
            description="The actor it flows from: id, ISO code, QID, name or alias (PRK, DPRK, North Korea, Q423).",
            examples=["DPRK"],
        ),
    ],
    to: Annotated[
        str | None, Query(pattern=TEXT_PATTERN, description="The actor it flows to (optional).", examples=["Russia"])
    ] = None,
    kinds: Kinds = None,
    since: Since = None,
    until: Until = None,
    undated: Undated = "include",
    status: Status = None,
    min_grade: MinGrade = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    changed_since: ChangedSince = None,
) -> Response:
    """Transfers of materiel and technology, troop deployments, support sought, training, basing
    access, industrial cooperation and financing, from one actor (to another), in time order
    (undated last); ``kind`` adds exercises (each participant counts as from and to), weapons use
    and statements. Each lists items, quantities with the claim that gives them, period,
    transport, places, statuses and every claim with its source; transfers their status, terms,
    order date and delivery years. Support that was only sought is kind ``support-request`` with
    status ``sought``. ``changed_since`` keeps the events that (or any of whose claims) changed
    since a data version or moment (see /v1/changes)."""
    page = service.flows(
        source, to, kinds, since, until, undated, status, min_grade, limit, cursor, changed_since=changed_since
    )
    return tabular.answer(page, page.items, tabular.FLOWS, fmt)
