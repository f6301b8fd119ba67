"""``/v1/export`` (the knowledge graph as RDF, streamed), the JSON-LD ``@context``, the ontology
and the SHACL shapes."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources.abc import Traversable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from milcoop.api.deps import TEXT_PATTERN, Kinds, MinGrade, ServiceDep, Since, Text, Undated, Until
from milcoop.api.errors import ERROR_RESPONSES
from milcoop.api.links import public_base
from milcoop.graph.export import (
    CONTEXT_PATH,
    DERIVED,
    FORMATS,
    DatasetLinks,
    ExportFilter,
    RdfFormat,
    export,
    format_for,
    parse_derived,
    published_context,
    serialize_blocks,
)
from milcoop.graph.export.ftm import FTM_EXTENSION, FTM_FORMAT, FTM_MEDIA_TYPE, export_ftm, is_ftm
from milcoop.graph.rdf_source import GraphSource, RdfSource
from milcoop.graph.store import source_for_store
from milcoop.ontology import MATERIEL_FILE, ONTOLOGY_FILE, SHAPES_FILE

router = APIRouter(prefix="/v1", tags=["rdf"])

_MEDIA_TYPES = ", ".join(f"`{f.media_type}`" for f in FORMATS.values())

FormatParam = Annotated[
    str | None,
    Query(
        alias="format",
        description=f"{', '.join(FORMATS)}, or {FTM_FORMAT} (FollowTheMoney entities as JSON lines, "
        f"`{FTM_MEDIA_TYPE}`; docs/ftm.md). Wins over the Accept header ({_MEDIA_TYPES}).",
        examples=["turtle"],
        pattern=TEXT_PATTERN,
    ),
]
Actors = Annotated[
    list[Text] | None,
    Query(
        alias="actor",
        description="Keep events in which every one of these actors takes part, on either side: id, ISO code, "
        "QID, name or alias (repeat the parameter).",
        examples=["PRK"],
    ),
]
Statuses = Annotated[
    list[Text] | None,
    Query(
        alias="status",
        description="Keep events asserted by a claim with one of these statuses, and only such claims "
        "(repeat the parameter).",
        examples=["reported"],
    ),
]

Derived = Annotated[
    list[Text] | None,
    Query(
        alias="derived",
        description=f"Add derived triples, with their derivation in PROV-O: {', '.join(DERIVED)} (the "
        "consolidated quantities of /v1/flows). Repeatable or comma-separated; without it the export holds "
        "the curated facts alone.",
        examples=["consolidated"],
    ),
]

_RDF_CONTENT: dict[str, object] = {f.media_type: {} for f in FORMATS.values()}
_RDF_ERRORS: dict[int | str, dict[str, object]] = {
    **ERROR_RESPONSES,
    406: {"description": "The Accept header admits none of the RDF media types (and no format was given)."},
}


def _stream(source: RdfSource, chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        source.close()


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {**_RDF_CONTENT, FTM_MEDIA_TYPE: {}}, "description": "The RDF (or FtM entities), streamed."},
        **_RDF_ERRORS,
    },
)
def export_rdf(
    request: Request,
    service: ServiceDep,
    fmt: FormatParam = None,
    actors: Actors = None,
    kinds: Kinds = None,
    since: Since = None,
    until: Until = None,
    undated: Undated = "include",
    statuses: Statuses = None,
    min_grade: MinGrade = None,
    derived: Derived = None,
) -> StreamingResponse:
    """The knowledge graph as RDF, lossless: every event and entity, the claims behind each fact
    with their sources, quotes, statuses and gradings, quantities with qualifiers, dates with their
    precision. TriG and N-Quads put each claim in the named graph of its source document. The
    export ends with its description (VoID/DCAT: version, licence, triple count, ontology).

    Without filters it holds everything. Filters keep matching events with their claims, breaches
    and every resource they reference; ``min_grade`` and ``status`` also drop the claims that fail
    them. ``derived=consolidated`` adds, after the facts, the consolidated quantities as derived
    triples (``mc:ConsolidatedQuantity``, with ``prov:wasDerivedFrom`` the claims), in the default
    graph. The answer streams: the first bytes leave before the export is complete.

    ``format=ftm`` answers the people, bodies, events and sanctions that map onto FollowTheMoney,
    as FtM entities (JSON lines) built and validated with the ``followthemoney`` model; the same
    filters apply (``derived`` does not: FtM has no place for it)."""
    ftm = is_ftm(fmt)
    chosen = None if ftm else format_for(fmt, request.headers.get("accept"))
    chosen_derived = parse_derived(derived)
    flt = ExportFilter.from_request(
        service,
        actors=actors,
        kinds=kinds,
        since=since,
        until=until,
        undated=undated,
        statuses=statuses,
        min_grade=min_grade,
    )
    source = source_for_store(service.store)
    version = source.data_version or "unversioned"
    if chosen is None:
        return StreamingResponse(
            _stream(source, export_ftm(source, flt)),
            media_type=FTM_MEDIA_TYPE,
            headers={
                "Content-Disposition": f'inline; filename="milcoop-{version}.{FTM_EXTENSION}"',
                "Milcoop-Data-Version": version,
            },
        )
    links = DatasetLinks(public_base(request, request.app.state.settings))
    return StreamingResponse(
        _stream(source, export(source, chosen, flt, derived=chosen_derived, links=links)),
        media_type=chosen.media_type,
        headers={
            "Content-Disposition": f'inline; filename="milcoop-{version}.{chosen.extension}"',
            "Vary": "Accept",
            "Milcoop-Data-Version": version,
        },
    )


@router.get(
    CONTEXT_PATH.removeprefix("/v1"),
    response_class=JSONResponse,
    responses={200: {"content": {"application/ld+json": {}}, "description": "The JSON-LD context."}},
)
def context() -> JSONResponse:
    """The JSON-LD ``@context`` of milcoop data: the terms the JSON-LD export and the API use."""
    return JSONResponse(published_context(), media_type="application/ld+json")


def _rdf_file(path: Traversable, fmt_name: str | None, accept: str | None) -> Response:
    chosen: RdfFormat = format_for(fmt_name, accept)
    if chosen.name == "turtle":
        # The shipped file itself, comments included.
        return Response(path.read_bytes(), media_type=chosen.media_type, headers={"Vary": "Accept"})
    body = b"".join(serialize_blocks(GraphSource.from_file(path).blocks(), chosen))
    return Response(body, media_type=chosen.media_type, headers={"Vary": "Accept"})


_FILE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": _RDF_CONTENT, "description": "Turtle unless the Accept header or format asks otherwise."},
    406: _RDF_ERRORS[406],
    422: ERROR_RESPONSES[422],
}


@router.get("/ontology", response_class=Response, responses=_FILE_RESPONSES)
def ontology(request: Request, fmt: FormatParam = None) -> Response:
    """The milcoop ontology (OWL): classes, properties and enumerations (ontology/milcoop.ttl)."""
    return _rdf_file(ONTOLOGY_FILE, fmt, request.headers.get("accept"))


@router.get("/ontology/materiel", response_class=Response, responses=_FILE_RESPONSES)
def materiel(request: Request, fmt: FormatParam = None) -> Response:
    """The materiel and technology taxonomy (SKOS) events name their items from
    (ontology/materiel.ttl; every export includes it too)."""
    return _rdf_file(MATERIEL_FILE, fmt, request.headers.get("accept"))


@router.get("/shapes", response_class=Response, responses=_FILE_RESPONSES)
def shapes(request: Request, fmt: FormatParam = None) -> Response:
    """The SHACL shapes every milcoop dataset and export satisfies (ontology/shapes.ttl)."""
    return _rdf_file(SHAPES_FILE, fmt, request.headers.get("accept"))
