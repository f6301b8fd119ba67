"""Dereferenceable IRIs: the paths of milcoop's IRIs, answered with content negotiation.

milcoop's identifiers are ``https://w3id.org/milcoop/{path}``; w3id.org redirects them to a
deployment (docs/rdf.md says what to register), which answers the same path here:

* ``/id/{kind}/{id}`` (states, events, claims, ...) and ``/materiel/{concept}``: things, not
  documents. Asked for RDF (Turtle, JSON-LD, N-Triples, RDF/XML, by ``Accept``; Turtle when any
  type will do) the answer is their description, 200, with ``Content-Location`` and ``Link:
  rel="describedby"`` naming the document ``/data/{path}.{ext}`` that holds it. Asked for HTML
  (a browser), ``303 See Other`` to the entity's page ``/entities/{id}`` when it is an entity the
  API knows, else a minimal HTML page of its triples.
* ``/data/{path}[.ttl|.jsonld|.nt|.rdf]``: the description as a document, in the format its
  extension names or ``Accept`` prefers.
* ``/ontology`` (and the version IRI ``/ontology/{version}``): the ontology file, by ``Accept``;
  a minimal HTML page for a browser. Terms are ``/ontology#Term``: the fragment never reaches
  the server.

* an event asked for as ``application/ld+json; profile="http://www.w3.org/ns/json-ld#framed"``:
  the framed form, its claims and breaches embedded, following the frame at ``/v1/frame.jsonld``;
* ``/.well-known/void``: the dataset's VoID/DCAT description (endpoint, dumps, distributions,
  publisher, licence, URI space, counts, versions); ``/dataset`` (the dataset's IRI) 303s to it.

Every answer carries an ``ETag`` naming the data version, and ``If-None-Match`` answers 304.
The public base (``MILCOOP_PUBLIC_BASE_URL``) is used for links only; IRIs never change with it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Annotated
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from milcoop.api.conditional import not_modified, request_etag
from milcoop.api.deps import ServiceDep
from milcoop.api.links import public_base
from milcoop.graph.embedded.sparql_endpoint import store_info
from milcoop.graph.errors import StoreUnavailable
from milcoop.graph.export import (
    FORMATS,
    DatasetLinks,
    ExportError,
    RdfFormat,
    blocks_of,
    description_triples,
    negotiate,
    serialize_blocks,
)
from milcoop.graph.export.describe import describe_resource
from milcoop.graph.export.framed import EVENT_CLASS_IRIS, FRAMED_PROFILE, event_frame, framed_event
from milcoop.graph.rdf_source import GraphSource, SubjectBlock, date_of
from milcoop.graph.service import NotFound, QueryError
from milcoop.graph.service.query_service import QueryService
from milcoop.graph.store import source_for_store
from milcoop.ontology import ONTOLOGY_FILE
from milcoop.ontology.namespace import ONTOLOGY_IRI, ONTOLOGY_VERSION
from milcoop.settings import Settings

router = APIRouter(tags=["linked data"])

#: Where every milcoop IRI starts; the rest is the path this API answers.
IRI_BASE = "https://w3id.org/milcoop"
HTML = "text/html"
#: The RDF formats an IRI's description is offered in, Turtle (the default) first; the quad
#: formats add nothing to one resource's description.
DESCRIPTION_FORMATS: tuple[RdfFormat, ...] = tuple(
    FORMATS[name] for name in ("turtle", "jsonld", "ntriples", "rdfxml")
)
#: The media types an IRI's path is offered in: RDF first (a client that takes anything gets
#: Turtle), HTML for browsers (which ask for it by name).
OFFERED: tuple[str, ...] = (*(f.media_type for f in DESCRIPTION_FORMATS), HTML, "application/json")
_BY_EXTENSION = {f.extension: f for f in DESCRIPTION_FORMATS}
_SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def _rdf_format(media_type: str) -> RdfFormat:
    if media_type == "application/json":
        return FORMATS["jsonld"]
    return next(f for f in DESCRIPTION_FORMATS if f.media_type == media_type)


def _chosen(request: Request) -> str:
    chosen = negotiate(request.headers.get("accept"), OFFERED)
    if chosen is None:
        raise ExportError(
            "Accept", f"none of {request.headers.get('accept')!r} can be served; accepted media types are "
            f"{', '.join(OFFERED)}",
        )
    return chosen


def describe_iri(service: QueryService, iri: str) -> list[SubjectBlock]:
    """The description of ``iri`` from the service's store (404 when it holds nothing of it)."""
    return _blocks(service, iri)


def _blocks(service: QueryService, iri: str) -> list[SubjectBlock]:
    try:
        ox.NamedNode(iri)
    except ValueError:
        raise NotFound("iri", f"milcoop has no resource {iri!r}: it is not an IRI") from None
    source = source_for_store(service.store)
    try:
        blocks = describe_resource(source, iri)
    finally:
        source.close()
    if not blocks:
        raise NotFound("iri", f"milcoop has no resource {iri}")
    return blocks


def _version(service: QueryService) -> str:
    return service.store.data_version() or "unversioned"


def rdf_answer(request: Request, blocks: Sequence[SubjectBlock], fmt: RdfFormat, version: str,
               headers: dict[str, str] | None = None) -> Response:
    """The description ``blocks`` in ``fmt``, with its ETag (304 when ``If-None-Match`` names it)."""
    out = {"Vary": "Accept", **(headers or {})}
    out["ETag"] = request_etag(request, version)
    unchanged = not_modified(request, out["ETag"], out)
    if unchanged is not None:
        return unchanged
    return Response(b"".join(serialize_blocks(blocks, fmt)), media_type=fmt.media_type, headers=out)


def local_link(iri: str, base: str) -> str:
    """Where the API answers ``iri`` (a milcoop IRI: its path under ``base``; any other: itself)."""
    if iri.startswith(f"{IRI_BASE}/"):
        return base + iri.removeprefix(IRI_BASE)
    return iri


def _label(blocks: Sequence[SubjectBlock], iri: str) -> str:
    for block in blocks:
        if isinstance(block.subject, ox.NamedNode) and block.subject.value == iri:
            for q in block.quads:
                if q.predicate.value in (_SKOS_PREF_LABEL, _RDFS_LABEL) and isinstance(q.object, ox.Literal):
                    return str(q.object.value)
    return iri


def _term_html(term: object, base: str) -> str:
    if isinstance(term, ox.NamedNode):
        return f'<a href="{html.escape(local_link(term.value, base))}">{html.escape(term.value)}</a>'
    if isinstance(term, ox.Literal):
        text = html.escape(term.value)
        if term.language:
            return f'{text} <small lang="en">@{html.escape(term.language)}</small>'
        if not term.datatype.value.endswith("#string"):
            return f"{text} <small>{html.escape(term.datatype.value.rsplit('#', 1)[-1])}</small>"
        return text
    return html.escape(str(term))


def html_page(title: str, iri: str, blocks: Sequence[SubjectBlock], documents: dict[str, str], base: str) -> bytes:
    """A minimal HTML page of ``blocks`` (until the site has a page for the resource)."""
    alternates = "".join(
        f'<link rel="alternate" type="{html.escape(t)}" href="{html.escape(href)}">' for t, href in documents.items()
    )
    sections = []
    for block in blocks:
        subject = block.subject.value if isinstance(block.subject, ox.NamedNode) else f"_:{block.subject.value}"
        rows = "".join(
            f"<tr><td>{_term_html(q.predicate, base)}</td><td>{_term_html(q.object, base)}</td></tr>"
            for q in block.quads
        )
        heading = _term_html(block.subject, base) if isinstance(block.subject, ox.NamedNode) else html.escape(subject)
        sections.append(f"<section><h2>{heading}</h2><table>{rows}</table></section>")
    links = " · ".join(f'<a href="{html.escape(href)}">{html.escape(t)}</a>' for t, href in documents.items())
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · milcoop</title>'
        f"{alternates}</head><body><h1>{html.escape(title)}</h1><p><code>{html.escape(iri)}</code></p>"
        f"<p>Also as {links}</p>{''.join(sections)}</body></html>"
    )
    return page.encode()


def _documents(base: str, path: str) -> dict[str, str]:
    """The document of each format holding the description of the resource at ``path``."""
    return {f.media_type: f"{base}/data{quote(path)}.{f.extension}" for f in DESCRIPTION_FORMATS}


def _entity_page(service: QueryService, iri: str) -> str | None:
    """The path of the site's page of ``iri``, when it is an entity the API looks up, else None."""
    # Only what the API names by its own id has a page of its own (states, events, claims, ...);
    # a claim's quantity, say, is shown on a minimal page instead.
    key = iri.rsplit("/", 1)[-1]
    try:
        if service.resolve("ref", key, None, "entity") == iri:
            return f"/entities/{quote(key, safe='')}"
    except QueryError:
        pass
    return None


def _thing(request: Request, service: QueryService, path: str) -> Response:
    iri = IRI_BASE + path
    chosen = _chosen(request)
    base = public_base(request, service_settings(request))
    if chosen == HTML:
        page = _entity_page(service, iri)
        if page is not None:
            return RedirectResponse(base + page, status_code=303, headers={"Vary": "Accept"})
        blocks = _blocks(service, iri)
        headers = {"Vary": "Accept", "ETag": request_etag(request, _version(service))}
        unchanged = not_modified(request, headers["ETag"], headers)
        if unchanged is not None:
            return unchanged
        body = html_page(_label(blocks, iri), iri, blocks, _documents(base, path), base)
        return Response(body, media_type=HTML, headers=headers)
    fmt = _rdf_format(chosen)
    blocks = _blocks(service, iri)
    if fmt.name == "jsonld" and FRAMED_PROFILE in request.headers.get("accept", "") and _is_event(blocks, iri):
        return _framed(request, blocks, iri, _version(service), base)
    document = f"{base}/data{quote(path)}.{fmt.extension}"
    return rdf_answer(request, blocks, fmt, _version(service), {
        "Content-Location": document,
        "Link": f'<{document}>; rel="describedby"; type="{fmt.media_type}"',
    })


def _is_event(blocks: Sequence[SubjectBlock], iri: str) -> bool:
    return any(
        isinstance(b.subject, ox.NamedNode) and b.subject.value == iri
        and any(isinstance(t, ox.NamedNode) and t.value in EVENT_CLASS_IRIS for t in b.types)
        for b in blocks
    )


def _framed(request: Request, blocks: Sequence[SubjectBlock], iri: str, version: str, base: str) -> Response:
    """The event framed (claims and breaches embedded), as the published frame asks."""
    media_type = f'application/ld+json; profile="{FRAMED_PROFILE}"'
    headers = {
        "Vary": "Accept",
        "ETag": request_etag(request, version, "framed"),
        "Link": f'<{base}{FRAME_PATH}>; rel="http://www.w3.org/ns/json-ld#frame"',
    }
    unchanged = not_modified(request, headers["ETag"], headers)
    if unchanged is not None:
        return unchanged
    body = json.dumps(framed_event(blocks, iri), ensure_ascii=False).encode()
    return Response(body, media_type=media_type, headers=headers)


#: Where the published frame of the framed event form is served.
FRAME_PATH = "/v1/frame.jsonld"


@router.get(FRAME_PATH, response_class=JSONResponse, responses={
    200: {"content": {"application/ld+json": {}}, "description": "The JSON-LD frame of an event with its claims."}})
def frame() -> JSONResponse:
    """The JSON-LD 1.1 frame the framed event form follows: any cooperation event, with its claims
    (and their quantities) and its breaches (with theirs) embedded under ``claims`` and ``breaches``."""
    return JSONResponse(event_frame(), media_type="application/ld+json")


def service_settings(request: Request) -> Settings:
    """The app's settings (set by create_app)."""
    settings: Settings = request.app.state.settings
    return settings


_THING_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {t: {} for t in OFFERED}, "description": "The description (RDF), or a minimal HTML page."},
    303: {"description": "A browser asking for HTML is sent to the entity's page (/entities/{id})."},
    304: {"description": "If-None-Match names the ETag: the data has not changed."},
    404: {"description": "milcoop has no resource with this IRI."},
    406: {"description": "The Accept header admits none of the offered media types."},
}

_Path = Annotated[str, Path(pattern=r"^[^\u0000-\u001f\u007f]+$", description="The IRI's path after /id/.")]


@router.head("/id/{path:path}", response_class=Response, include_in_schema=False)
@router.get("/id/{path:path}", response_class=Response, responses=_THING_RESPONSES)
def identified(request: Request, service: ServiceDep, path: _Path) -> Response:
    """``https://w3id.org/milcoop/id/{path}`` dereferenced: the resource's description (Turtle,
    JSON-LD, N-Triples, RDF/XML), or for a browser its page (303) or a minimal HTML page."""
    return _thing(request, service, f"/id/{path}")


@router.head("/materiel/{path:path}", response_class=Response, include_in_schema=False)
@router.get("/materiel/{path:path}", response_class=Response, responses=_THING_RESPONSES)
def materiel_concept(request: Request, service: ServiceDep, path: _Path) -> Response:
    """``https://w3id.org/milcoop/materiel/{concept}`` dereferenced: the concept of the taxonomy."""
    return _thing(request, service, f"/materiel/{path}")


@router.head("/data/{path:path}", response_class=Response, include_in_schema=False)
@router.get("/data/{path:path}", response_class=Response, responses=_THING_RESPONSES)
def document(request: Request, service: ServiceDep, path: _Path) -> Response:
    """The document describing ``https://w3id.org/milcoop/{path}``: in the format of its extension
    (``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``), else as ``Accept`` prefers."""
    stem, _, extension = path.rpartition(".")
    fmt = _BY_EXTENSION.get(extension) if stem else None
    if fmt is None:
        stem = path
        chosen = _chosen(request)
        fmt = FORMATS["turtle"] if chosen == HTML else _rdf_format(chosen)
    iri = f"{IRI_BASE}/{stem}"
    return rdf_answer(request, _blocks(service, iri), fmt, _version(service))


def _ontology(request: Request) -> Response:
    chosen = _chosen(request)
    headers = {"Vary": "Accept", "ETag": request_etag(request, ONTOLOGY_VERSION)}
    unchanged = not_modified(request, headers["ETag"], headers)
    if unchanged is not None:
        return unchanged
    if chosen == HTML:
        source = GraphSource.from_file(ONTOLOGY_FILE)
        blocks = source.describe([ox.NamedNode(str(ONTOLOGY_IRI))])
        base = public_base(request, service_settings(request))
        documents = {f.media_type: f"{base}/v1/ontology?format={f.name}" for f in DESCRIPTION_FORMATS}
        body = html_page(f"milcoop ontology {ONTOLOGY_VERSION}", str(ONTOLOGY_IRI), blocks, documents, base)
        return Response(body, media_type=HTML, headers=headers)
    fmt = _rdf_format(chosen)
    if fmt.name == "turtle":
        return Response(ONTOLOGY_FILE.read_bytes(), media_type=fmt.media_type, headers=headers)
    body = b"".join(serialize_blocks(GraphSource.from_file(ONTOLOGY_FILE).blocks(), fmt))
    return Response(body, media_type=fmt.media_type, headers=headers)


@router.head("/ontology", response_class=Response, include_in_schema=False)
@router.get("/ontology", response_class=Response, responses=_THING_RESPONSES)
def ontology_iri(request: Request) -> Response:
    """``https://w3id.org/milcoop/ontology`` dereferenced: the OWL ontology (terms are
    ``ontology#Term``), by ``Accept``; a minimal HTML page for a browser."""
    return _ontology(request)


@router.head("/ontology/{version}", response_class=Response, include_in_schema=False)
@router.get("/ontology/{version}", response_class=Response, responses=_THING_RESPONSES)
def ontology_version(
    request: Request,
    version: Annotated[str, Path(pattern=r"^[^\u0000-\u001f\u007f]+$", description="The ontology version.")],
) -> Response:
    """The version IRI ``https://w3id.org/milcoop/ontology/{version}``: the ontology of this
    version (only the version this server ships)."""
    if version != ONTOLOGY_VERSION:
        raise NotFound("version", f"this server has the ontology version {ONTOLOGY_VERSION}, not {version!r}")
    return _ontology(request)


@router.head("/.well-known/void", response_class=Response, include_in_schema=False)
@router.get(
    "/.well-known/void",
    response_class=Response,
    responses={
        200: {"content": {f.media_type: {} for f in DESCRIPTION_FORMATS},
              "description": "The VoID/DCAT description of the dataset this server holds."},
        304: _THING_RESPONSES[304],
        406: _THING_RESPONSES[406],
        503: {"description": "Nothing is loaded yet."},
    },
)
def well_known_void(request: Request) -> Response:
    """The dataset's VoID and DCAT description (RFC 5785 ``/.well-known/void``, as VoID asks):
    SPARQL endpoint, a data dump and a distribution per export format, publisher, licence, URI
    space, triple count, data version and ontology version. Turtle unless ``Accept`` asks for
    JSON-LD, N-Triples or RDF/XML."""
    settings = service_settings(request)
    info = store_info(settings.data_dir)
    if info is None:
        raise StoreUnavailable(f"the embedded store in {settings.data_dir} is empty: run `milcoop load` first")
    chosen = _chosen(request)
    fmt = FORMATS["turtle"] if chosen == HTML else _rdf_format(chosen)
    links = DatasetLinks(public_base(request, settings))
    triples = description_triples(info.data_version, date_of(info.loaded_at), info.triples, None, links)
    return rdf_answer(request, blocks_of(triples), fmt, info.data_version, {"Cache-Control": "no-cache"})


@router.head("/dataset", include_in_schema=False)
@router.get("/dataset", responses={303: {"description": "To /.well-known/void, the dataset's description."}})
def dataset_iri(request: Request) -> RedirectResponse:
    """``https://w3id.org/milcoop/dataset`` dereferenced: 303 See Other to its description."""
    base = public_base(request, service_settings(request))
    return RedirectResponse(f"{base}/.well-known/void", status_code=303, headers={"Vary": "Accept"})
