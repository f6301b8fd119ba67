"""``/v1/treaties``: treaties, by party and in force on a day."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from milcoop.api import tabular
from milcoop.api.deps import TEXT_PATTERN, CursorParam, FormatDep, Limit, ServiceDep
from milcoop.api.errors import ERROR_RESPONSES
from milcoop.graph.models import TreatyPage
from milcoop.graph.service import DEFAULT_LIMIT

router = APIRouter(prefix="/v1", tags=["treaties"])


@router.get("/treaties", response_model=TreatyPage, responses={**ERROR_RESPONSES, **tabular.CSV_CONTENT})
def treaties(
    service: ServiceDep,
    fmt: FormatDep,
    party: Annotated[
        str | None, Query(pattern=TEXT_PATTERN, description="A state party to the treaty.", examples=["PRK"])
    ] = None,
    in_force_on: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            description="Only treaties in force on this day (YYYY-MM-DD): entered into force by then, not "
            "terminated, and not replaced by a treaty in force then.",
            examples=["2025-01-01"],
        ),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response:
    """Treaties with their parties, dates, provisions, ratifications and claims, by signature date."""
    page = service.treaties(party, in_force_on, limit, cursor)
    return tabular.answer(page, page.items, tabular.TREATIES, fmt)
