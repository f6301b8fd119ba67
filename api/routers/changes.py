"""``/v1/changes``: the facts and claims added, removed and changed since a data version or date."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from milcoop.api import tabular
from milcoop.api.deps import TEXT_PATTERN, VERSION_OR_MOMENT_HELP, CursorParam, FormatDep, Limit, ServiceDep
from milcoop.api.errors import ERROR_RESPONSES
from milcoop.graph.models import ChangePage
from milcoop.graph.service import DEFAULT_LIMIT

router = APIRouter(prefix="/v1", tags=["changes"])


@router.get("/changes", response_model=ChangePage, responses={**ERROR_RESPONSES, **tabular.CSV_CONTENT})
def changes(
    service: ServiceDep,
    fmt: FormatDep,
    since: Annotated[
        str,
        Query(
            description="Where to count from. " + VERSION_OR_MOMENT_HELP,
            examples=["2026-01-01"],
            pattern=TEXT_PATTERN,
            max_length=64,
        ),
    ],
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response:
    """Every resource (event, claim, entity, ...) that loads since then added, removed or changed
    (its own triples differ), each once with its net change and the data version and time of the
    load that last changed it; ordered by that load, then IRI. A resource added and removed again
    since then is not listed. 422 for a data version the store never recorded or a bad date."""
    page = service.changes(since, limit, cursor)
    return tabular.answer(page, page.items, tabular.CHANGES, fmt)
