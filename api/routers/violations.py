"""``/v1/violations``: breaches of sanctions measures."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from milcoop.api import tabular
from milcoop.api.deps import TEXT_PATTERN, ChangedSince, CursorParam, FormatDep, Limit, ServiceDep
from milcoop.api.errors import ERROR_RESPONSES
from milcoop.graph.models import ViolationPage
from milcoop.graph.service import DEFAULT_LIMIT

router = APIRouter(prefix="/v1", tags=["violations"])


@router.get("/violations", response_model=ViolationPage, responses={**ERROR_RESPONSES, **tabular.CSV_CONTENT})
def violations(
    service: ServiceDep,
    fmt: FormatDep,
    state: Annotated[
        str | None,
        Query(pattern=TEXT_PATTERN, description="An actor on either side of the breaching event.", examples=["RUS"]),
    ] = None,
    measure: Annotated[
        str | None,
        Query(
            pattern=TEXT_PATTERN, description="The sanctions measure breached.", examples=["dprk-refined-petroleum-cap"]
        ),
    ] = None,
    basis: Annotated[
        Literal["asserted", "derived"] | None,
        Query(
            description="Only breaches a source asserts, or only those a rule derives (default: both).",
            examples=["derived"],
        ),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    changed_since: ChangedSince = None,
) -> Response:
    """Each breach with its event, the measure and the resolutions imposing it. An asserted
    breach (``basis: asserted``) carries the claims that say it is a breach; a derived one
    (``basis: derived``) carries the rule that finds it and what it rests on, and no claims (see
    docs/analysis.md, "Derived breaches"). Ordered by the event's start; an event and measure a
    source asserts is listed once, as asserted. ``changed_since`` keeps the breaches whose
    breach, event or any of their claims changed since a data version or moment (see
    /v1/changes)."""
    page = service.violations(state, measure, limit, cursor, basis, changed_since)
    return tabular.answer(page, page.items, tabular.VIOLATIONS, fmt)
