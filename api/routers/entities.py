"""``/v1/entities``: find entities and look one up."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from milcoop.api import tabular
from milcoop.api.deps import TEXT_PATTERN, CursorParam, FormatDep, Limit, ServiceDep, json_answer
from milcoop.api.errors import ERROR_RESPONSES
from milcoop.api.routers.linked_data import DESCRIPTION_FORMATS, describe_iri, rdf_answer
from milcoop.graph.export import negotiate
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


#: What /v1/entities/{ref} answers in: the API's JSON first (the default), or the entity's RDF description.
ENTITY_TYPES = ("application/json", *(f.media_type for f in DESCRIPTION_FORMATS))


@router.get(
    "/entities/{ref:path}",
    response_model=EntityDetail,
    responses={
        **ERROR_RESPONSES,
        200: {"content": {t: {} for t in ENTITY_TYPES}, "description": "The entity (JSON), or its RDF description "
              "when Accept asks for Turtle, JSON-LD, N-Triples or RDF/XML."},
    },
)
def entity(
    request: Request,
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
    or treaty also comes in full. With ``Accept: text/turtle`` (or JSON-LD, N-Triples, RDF/XML)
    its RDF description instead, as its dereferenced IRI gives it."""
    chosen = negotiate(request.headers.get("accept"), ENTITY_TYPES)
    if chosen is None or chosen == "application/json":
        return json_answer(service.entity(ref))
    iri = service.resolve("ref", ref, None, "entity")
    fmt = next(f for f in DESCRIPTION_FORMATS if f.media_type == chosen)
    return rdf_answer(request, describe_iri(service, iri), fmt, service.store.data_version() or "unversioned")
