"""The site: HTML pages at the API's paths without ``/v1``, for people who do not write code.

``/flows?from=DPRK&to=Russia`` is the page of ``/v1/flows?from=DPRK&to=Russia``: the same
parameters (the same typed dependencies of api/deps.py, so the same 4xx), the same query service,
and links to that JSON and its CSV. Tables use the columns of api/tabular.py (so a CSV download
holds what the table shows); charts are SVG drawn on the server (api/charts.py). Every script,
style sheet and image is served by the application from api/static/ (mounted at ``/static``);
no page asks another host for anything. Errors are the API's (api/errors.py), rendered as an
HTML page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from milcoop import __version__
from milcoop.api import charts, html_tables, tabular, worldmap
from milcoop.api.deps import (
    TEXT_PATTERN,
    ChangedSince,
    CursorParam,
    Kinds,
    Limit,
    MinGrade,
    ServiceDep,
    Since,
    Status,
    Undated,
    Until,
)
from milcoop.api.errors import html_page, set_html_renderer
from milcoop.graph import models as m
from milcoop.graph.service import DEFAULT_LIMIT, MAX_LIMIT, QueryService

HERE = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["version"] = __version__
templates.env.globals["period_text"] = charts.period_text
templates.env.globals["quantity_text"] = tabular.quantity_text


def claims_of(item: m.Event | m.Treaty | m.Violation) -> list[m.Claim]:
    """The claims behind a table row: an event's or treaty's, a breach's own (else its event's)."""
    if isinstance(item, m.Violation):
        return item.claims or (item.event.claims if item.event else [])
    return item.claims


templates.env.globals["claims_of"] = claims_of
templates.env.globals["table_html"] = html_tables.table_html
templates.env.globals["claims_html"] = html_tables.claims_html

router = APIRouter(include_in_schema=False)

#: The kinds of node the landing page counts, with the words it uses for them.
COUNTED = {
    "CooperationEvent": "events",
    "Claim": "claims",
    "SourceDocument": "sources",
    "State": "states",
    "Treaty": "treaties",
    "Breach": "breaches",
}

Text = Annotated[str | None, Query(pattern=TEXT_PATTERN)]


def _links(request: Request, api_path: str, csv: bool = True) -> dict[str, str]:
    """The JSON (and CSV) of what a page shows: its API path with the page's own parameters."""
    params = [(key, value) for key, value in request.query_params.multi_items() if key != "format"]
    query = urlencode(params)
    json_url = api_path + (f"?{query}" if query else "")
    links = {"JSON": json_url}
    if csv:
        links["CSV"] = api_path + "?" + urlencode([*params, ("format", "csv")])
    return links


def _next_page(request: Request, cursor: str | None) -> str | None:
    if not cursor:
        return None
    params = [(key, value) for key, value in request.query_params.multi_items() if key != "cursor"]
    return request.url.path + "?" + urlencode([*params, ("cursor", cursor)])


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status)


def render_error(request: Request, status: int, body: m.ErrorBody) -> Response:
    """An error of a site page: the API's status and message, as a page."""
    return _render(request, "error.html", status=status, status_code=status, error=body, title=f"Error {status}")


def _map(service: QueryService, events: list[m.Event]) -> Markup:
    """The flow map of ``events``, with the ISO numeric code of each state among their actors."""
    states = {ref.iri: ref.id for event in events for ref in (event.from_, event.to) if ref and ref.kind == "state"}
    numeric = {
        states[iri]: codes["iso_numeric"].zfill(3)
        for iri, codes in service.identifiers(states).items()
        if "iso_numeric" in codes
    }
    return worldmap.flow_map(events, numeric)


def _charts(service: QueryService, events: list[m.Event]) -> dict[str, Any]:
    """The timeline, network and map of a page's events."""
    return {
        "timeline": charts.timeline(events),
        "network": charts.network(events),
        "map": _map(service, events),
    }


@dataclass(frozen=True)
class TableView:
    """A table for a template: its columns and items, drawn by ``table_html`` (api/html_tables.py)."""

    table: tabular.Table[Any]
    items: list[Any]


def _table(table: tabular.Table[Any], items: list[Any]) -> TableView:
    return TableView(table, items)


# -- pages ------------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
@html_page
def landing(request: Request, service: ServiceDep) -> HTMLResponse:
    """What the graph holds, its sources and a search box."""
    health = service.health()
    sources = service.sources(MAX_LIMIT)
    counts = [(COUNTED[key], health.counts[key]) for key in COUNTED if key in health.counts]
    return _render(
        request,
        "landing.html",
        title="milcoop",
        health=health,
        counts=counts,
        sources=_table(tabular.SOURCES, sources.items),
        links={"JSON (health)": "/healthz", "JSON (sources)": "/v1/sources", "CSV (sources)": "/v1/sources?format=csv"},
    )


@router.get("/entities", response_class=HTMLResponse)
@html_page
def search(
    request: Request, service: ServiceDep, q: Text = None, limit: Limit = DEFAULT_LIMIT, cursor: CursorParam = None
) -> HTMLResponse:
    """Search states, organisations, systems, sources, ... by name, alias or id."""
    page = service.search(q, limit, cursor) if q else None
    return _render(
        request,
        "search.html",
        title=f"Search: {q}" if q else "Search",
        q=q or "",
        table=_table(tabular.ENTITIES, page.items) if page else None,
        next_page=_next_page(request, page.next_cursor if page else None),
        links=_links(request, "/v1/entities") if q else {},
    )


@router.get("/entities/{ref:path}", response_class=HTMLResponse)
@html_page
def entity(
    request: Request, service: ServiceDep, ref: Annotated[str, PathParam(pattern=TEXT_PATTERN)]
) -> HTMLResponse:
    """One named thing: identifiers, properties, links and events."""
    detail = service.entity(ref)
    kind = detail.entity.kind
    flows: m.FlowPage | None = None
    partners: list[tuple[m.Ref, int]] = []
    if kind in ("state", "organisation", "person"):
        # One page of its flows, as /v1/flows gives it by default; the page links to all of them.
        flows = service.flows(detail.entity.id, limit=DEFAULT_LIMIT)
        counted: dict[str, tuple[m.Ref, int]] = {}
        for event in flows.items:
            if event.to is not None:
                seen = counted.get(event.to.id)
                counted[event.to.id] = (event.to, (seen[1] if seen else 0) + 1)
        partners = sorted(counted.values(), key=lambda pair: (-pair[1], pair[0].id))
    events = flows.items if flows else []
    return _render(
        request,
        "entity.html",
        title=detail.entity.name or detail.entity.id,
        detail=detail,
        partners=partners,
        more_flows=bool(flows and flows.next_cursor),
        flows=_table(tabular.FLOWS, events) if events else None,
        events=events,
        **(_charts(service, events) if events else {}),
        links={"JSON": f"/v1/entities/{detail.entity.id}"}
        | ({"CSV (flows from it)": f"/v1/flows?from={detail.entity.id}&format=csv"} if events else {}),
    )


@router.get("/flows", response_class=HTMLResponse)
@html_page
def flows(
    request: Request,
    service: ServiceDep,
    source: Annotated[str | None, Query(pattern=TEXT_PATTERN, alias="from")] = None,
    to: Text = None,
    kinds: Kinds = None,
    since: Since = None,
    until: Until = None,
    undated: Undated = "include",
    status: Status = None,
    min_grade: MinGrade = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    changed_since: ChangedSince = None,
) -> HTMLResponse:
    """What flows from one actor (to another): table, timeline and network."""
    if source is None:
        return _render(request, "flows.html", title="Flows", page=None, form=dict(request.query_params), links={})
    page = service.flows(
        source, to, kinds, since, until, undated, status, min_grade, limit, cursor, changed_since=changed_since
    )
    title = "Flows from " + (page.query.from_.name or page.query.from_.id if page.query.from_ else source)
    if page.query.to:
        title += " to " + (page.query.to.name or page.query.to.id)
    return _render(
        request,
        "flows.html",
        title=title,
        page=page,
        form=dict(request.query_params),
        table=_table(tabular.FLOWS, page.items),
        events=page.items,
        **_charts(service, page.items),
        next_page=_next_page(request, page.next_cursor),
        links=_links(request, "/v1/flows"),
    )


@router.get("/deployments", response_class=HTMLResponse)
@html_page
def deployments(
    request: Request,
    service: ServiceDep,
    by: Text = None,
    to: Text = None,
    since: Since = None,
    until: Until = None,
    undated: Undated = "include",
    status: Status = None,
    min_grade: MinGrade = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    changed_since: ChangedSince = None,
) -> HTMLResponse:
    """Troop deployments: table, timeline and network."""
    page = service.deployments(
        by, to, since, until, undated, status, min_grade, limit, cursor, changed_since=changed_since
    )
    return _render(
        request,
        "flows.html",
        title="Troop deployments",
        page=page,
        deployments=True,
        form=dict(request.query_params),
        table=_table(tabular.DEPLOYMENTS, page.items),
        events=page.items,
        **_charts(service, page.items),
        next_page=_next_page(request, page.next_cursor),
        links=_links(request, "/v1/deployments"),
    )


@router.get("/treaties", response_class=HTMLResponse)
@html_page
def treaties(
    request: Request,
    service: ServiceDep,
    party: Text = None,
    in_force_on: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> HTMLResponse:
    """Treaties with their parties, dates and provisions."""
    page = service.treaties(party, in_force_on, limit, cursor)
    title = "Treaties" + (f" of {page.party.name or page.party.id}" if page.party else "")
    return _render(
        request,
        "treaties.html",
        title=title,
        page=page,
        form=dict(request.query_params),
        table=_table(tabular.TREATIES, page.items),
        next_page=_next_page(request, page.next_cursor),
        links=_links(request, "/v1/treaties"),
    )


@router.get("/violations", response_class=HTMLResponse)
@html_page
def violations(
    request: Request,
    service: ServiceDep,
    state: Text = None,
    measure: Text = None,
    basis: Literal["asserted", "derived"] | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    changed_since: ChangedSince = None,
) -> HTMLResponse:
    """Breaches of sanctions measures, asserted and derived."""
    page = service.violations(state, measure, limit, cursor, basis, changed_since)
    return _render(
        request,
        "violations.html",
        title="Violations of sanctions measures",
        page=page,
        form=dict(request.query_params),
        table=_table(tabular.VIOLATIONS, page.items),
        next_page=_next_page(request, page.next_cursor),
        links=_links(request, "/v1/violations"),
    )


@router.get("/sources", response_class=HTMLResponse)
@html_page
def sources(
    request: Request, service: ServiceDep, limit: Limit = DEFAULT_LIMIT, cursor: CursorParam = None
) -> HTMLResponse:
    """Every source document."""
    page = service.sources(limit, cursor)
    return _render(
        request,
        "table.html",
        title="Sources",
        table=_table(tabular.SOURCES, page.items),
        next_page=_next_page(request, page.next_cursor),
        links=_links(request, "/v1/sources"),
    )


@router.get(worldmap.BASE_MAP_URL)
def world_map() -> Response:
    """The map's background: every country's shape, Natural Earth 1:110m (api/worldmap.py)."""
    return Response(
        worldmap.base_map(), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


def install(app: FastAPI) -> None:
    """The pages, their static files at ``/static`` and the HTML error page on ``app``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    set_html_renderer(app, render_error)
