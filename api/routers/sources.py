"""``/v1/sources``: the documents facts come from, and what each supports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from milcoop.api import tabular
from milcoop.api.deps import TEXT_PATTERN, CursorParam, FormatDep, Limit, ServiceDep
from milcoop.api.errors import ERROR_RESPONSES
from milcoop.graph.models import Page, Source, SourceDetail
from milcoop.graph.service import DEFAULT_LIMIT

router = APIRouter(prefix="/v1", tags=["sources"])


@router.get("/sources", response_model=Page[Source], responses={**ERROR_RESPONSES, **tabular.CSV_CONTENT})
def sources(
    service: ServiceDep, fmt: FormatDep, limit: Limit = DEFAULT_LIMIT, cursor: CursorParam = None
) -> Response:
    """Every source document with how many claims were read in it and how many cite it."""
    page = service.sources(limit, cursor)
    return tabular.answer(page, page.items, tabular.SOURCES, fmt)


@router.get(
    "/sources/{id:path}", response_model=SourceDetail, responses={**ERROR_RESPONSES, **tabular.CSV_CONTENT}
)
def source(
    service: ServiceDep,
    fmt: FormatDep,
    id: Annotated[
        str, Path(pattern=TEXT_PATTERN, description="The source's id, IRI or name.", examples=["msmt-2025-1"])
    ],
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response:
    """A source and the facts it supports, read in it directly or attributed to it (``cites``),
    each with the claims that tie it to the source."""
    detail = service.source(id, limit, cursor)
    return tabular.answer(detail, detail.facts.items, tabular.SOURCE_FACTS, fmt)
