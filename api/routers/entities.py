"""``/v1/entities``: find entities and look one up."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from milcoop.api import tabular
from milcoop.api.deps import TEXT_PATTERN, CursorParam, FormatDep, Limit, ServiceDep, json_answer
from milcoop.api.errors import ERROR_RESPONSES
from milcoop.graph.models import EntityDetail, EntitySummary, Page
from milcoop.graph.service import DEFAULT_LIMIT

router = APIRouter(prefix="/v1", tags=["entities"])


@router.get(
    "/entities", response_model=Page[EntitySummary], responses={**ERROR_RESPONSES, **tabular.CSV_CONTENT}
)
def search(
    service: ServiceDep,
    fmt: FormatDep,
    q: Annotated[
        str, Query(pattern=TEXT_PATTERN, description="Text in a name, alias or id (any case).", examples=["korea"])
    ],
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response:
    """Named entities matching ``q``: exact matches first, then prefixes, then the rest."""
    page = service.search(q, limit, cursor)
    return tabular.answer(page, page.items, tabular.ENTITIES, fmt)


@router.get("/entities/{ref:path}", response_model=EntityDetail, responses=ERROR_RESPONSES)
def entity(
    service: ServiceDep,
    ref: Annotated[
        str,
        Path(
            pattern=TEXT_PATTERN,
            description="An IRI, id, ISO code, QID, name or alias (any case).",
            examples=["North Korea"],
        ),
    ],
) -> Response:
    """One entity: identifiers, properties, outgoing links and counts of incoming ones; an event
    or treaty also comes in full."""
    return json_answer(service.entity(ref))
