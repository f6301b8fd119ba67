"""Typed dependencies of the routers: the query service, the lanes of threads and the shared query
parameters."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, StringConstraints

from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.graph.errors import StoreUnavailable
from milcoop.graph.service import DEFAULT_LIMIT, MAX_LIMIT, QueryService
from milcoop.graph.store import GraphStore, open_store
from milcoop.ontology.grading import CREDIBILITIES, RELIABILITIES
from milcoop.ontology.kinds import CLAIM_STATUSES, EVENT_KINDS
from milcoop.settings import Settings

#: How often the embedded store checks whether a load has switched it to a new store folder.
RECHECK_SECONDS = 1.0

T = TypeVar("T")

Lane = Literal["sparql", "health", "cypher"]

#: Threads each lane may use at once (see :meth:`StoreHolder.run_in_lane`). SPARQL's are bounded
#: again by its worker processes; /v1/cypher's keep posted queries from crowding out the rest.
LANE_THREADS: dict[Lane, int] = {"sparql": 16, "health": 2, "cypher": 4}


class StoreHolder:
    """The process's one store (one Neo4j driver, or one open embedded store) and its service.

    Created in the app's lifespan. When the store cannot be opened at start (Neo4j down, the
    embedded store never loaded), requests answer 503 and every later request tries again. The
    embedded store is reopened when ``milcoop load`` has switched it to a new folder, so a
    running server serves the new data within a second.

    It also holds the lanes of threads (:meth:`run_in_lane`) of the routes that must not wait
    behind Neo4j.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._service: QueryService | None = None
        self._path: Path | None = None
        self._checked = 0.0
        self._error = "the store has not been opened"
        self._lock = threading.Lock()
        self._lanes: dict[Lane, anyio.CapacityLimiter] = {}

    async def run_in_lane(self, lane: Lane, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` on a thread of ``lane`` rather than of the pool plain routes share.

        FastAPI runs every ``def`` route on one shared pool of 40 threads. When Neo4j is slow or
        hung, each of them may be waiting for it (at most the read's deadline: the connect plus
        the query timeout). SPARQL (answered by the embedded copy), /healthz and /v1/cypher take
        their threads from limiters of their own, so none of them waits for a thread behind a
        Neo4j read of another route.
        """
        limiter = self._lanes.get(lane)
        if limiter is None:  # created on first use, inside the app's event loop
            limiter = self._lanes[lane] = anyio.CapacityLimiter(LANE_THREADS[lane])
        return await anyio.to_thread.run_sync(work, *args, limiter=limiter)

    def open(self) -> None:
        with self._lock:
            self._open()

    def _open(self) -> None:
        try:
            store: GraphStore = open_store(self.settings)
        except StoreUnavailable as exc:
            self._error = str(exc)
            return
        warm_up = getattr(store, "warm_up", None)
        if warm_up is not None:  # the embedded store builds its event index in the background
            warm_up()
        old, self._service = self._service, QueryService(store)
        self._path = EmbeddedStore.current_path(self.settings.data_dir) if store.backend == "embedded" else None
        self._checked = time.monotonic()
        if old is not None:
            old.store.close()

    def service(self) -> QueryService:
        """The service, or StoreUnavailable (HTTP 503) saying why there is none."""
        service = self._service
        now = time.monotonic()
        stale = (
            service is not None
            and service.store.backend == "embedded"
            and now - self._checked > RECHECK_SECONDS
        )
        if service is None or stale:
            with self._lock:
                if self._service is None:
                    self._open()
                elif self._service.store.backend == "embedded" and now - self._checked > RECHECK_SECONDS:
                    self._checked = now
                    if EmbeddedStore.current_path(self.settings.data_dir) != self._path:
                        self._open()
                service = self._service
        if service is None:
            raise StoreUnavailable(self._error)
        return service

    def close(self) -> None:
        with self._lock:
            if self._service is not None:
                self._service.store.close()
                self._service = None


def json_answer(model: BaseModel) -> Response:
    """The answer serialized once by pydantic. Routers return this rather than the model, which
    FastAPI would dump, validate against the response model and serialize again (a large page of
    flows spent more time there than in the query)."""
    return Response(content=model.model_dump_json(), media_type="application/json")


async def get_holder(request: Request) -> StoreHolder:
    # async: FastAPI would run a plain function on the shared thread pool, and the routes of
    # their own lanes (SPARQL, /healthz) would then wait for a thread of it after all.
    holder: StoreHolder = request.app.state.store_holder
    return holder


def get_service(holder: Annotated[StoreHolder, Depends(get_holder)]) -> QueryService:
    return holder.service()


ServiceDep = Annotated[QueryService, Depends(get_service)]
HolderDep = Annotated[StoreHolder, Depends(get_holder)]

# -- what the schema promises about text parameters ----------------------------------------------
# Every constraint the service enforces on a parameter is stated in the OpenAPI schema too, so a
# request the schema admits is one the API answers (schemathesis checks it in CI).

#: Free text (names, ids, cursors): at least one character and no control characters.
TEXT_PATTERN = r"^[^\u0000-\u001f\u007f]+$"
#: A date as the API takes it: a year, a month or a day.
DATE_PATTERN = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"


Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]

#: A grading in either case (``b2`` is ``B2``), as the service reads it.
GRADING_ANY_CASE = (
    f"^([{''.join(RELIABILITIES)}{''.join(RELIABILITIES).lower()}])([{''.join(map(str, CREDIBILITIES))}])$"
)

Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (1-{MAX_LIMIT}).")
]
DEFAULT_PAGE = DEFAULT_LIMIT
CursorParam = Annotated[
    str | None,
    Query(description="The next_cursor of the previous page, with the same other parameters.", pattern=TEXT_PATTERN),
]
Since = Annotated[
    str | None,
    Query(
        description="Keep events whose span overlaps the window from this date: YYYY, YYYY-MM or YYYY-MM-DD "
        "(a year or month means its first day). Open-ended events overlap any later window.",
        examples=["2023-01-01"],
        pattern=DATE_PATTERN,
    ),
]
Until = Annotated[
    str | None,
    Query(
        description="Keep events that started on or before this date: YYYY, YYYY-MM or YYYY-MM-DD (a year or "
        "month means its last day). Events whose start is not known (an end only) may have started before it.",
        examples=["2024-12-31"],
        pattern=DATE_PATTERN,
    ),
]
Undated = Annotated[
    Literal["include", "exclude"],
    Query(description="Events with no date in the sources are included (period null) unless 'exclude'."),
]
Status = Annotated[
    str | None,
    Query(
        description=f"Keep events asserted by a claim with this status: {', '.join(CLAIM_STATUSES)}.",
        examples=["reported"],
        pattern=TEXT_PATTERN,
    ),
]
MinGrade = Annotated[
    str | None,
    Query(
        description="Keep events with a claim graded at least this (Admiralty: B2 means reliability A-B and "
        "credibility 1-2), and list only such claims.",
        examples=["B2"],
        pattern=GRADING_ANY_CASE,
    ),
]
Kinds = Annotated[
    list[Text] | None,
    Query(
        alias="kind",
        description=f"Event kinds, repeated or comma-separated: {', '.join(EVENT_KINDS)}.",
    ),
]

#: A data version or an ISO date or date-time, for ``/v1/changes`` and the ``changed_since`` filters.
VERSION_OR_MOMENT_HELP = (
    "A data version the store recorded (as /healthz and /v1/changes give it; a unique prefix of six or more "
    "characters will do), or an ISO date or date-time (UTC unless it says): YYYY-MM-DD, YYYY-MM-DDThh:mm:ss."
)
ChangedSince = Annotated[
    str | None,
    Query(
        description="Keep only items whose event (or any of its claims) changed since this data version or "
        "moment. " + VERSION_OR_MOMENT_HELP,
        examples=["2026-01-01"],
        pattern=TEXT_PATTERN,
        max_length=64,
    ),
]

# -- CSV or JSON ----------------------------------------------------------------------------------------


def _quality(accept: str, media_type: str) -> float:
    """The q a request's Accept header gives ``media_type`` (its best matching range; 0 if none)."""
    main = media_type.split("/")[0]
    best, specificity = 0.0, -1
    for part in accept.split(","):
        fields = [field.strip() for field in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for field in fields[1:]:
            if field.startswith("q="):
                try:
                    q = float(field[2:])
                except ValueError:
                    q = 0.0
        rank = 2 if fields[0] == media_type else 1 if fields[0] == f"{main}/*" else 0 if fields[0] == "*/*" else -1
        if rank > specificity:
            best, specificity = q, rank
    return best


def get_format(
    request: Request,
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(
            description="json (the default) or csv: the page as the table the site shows, a header row first "
            "(the same as Accept: text/csv).",
        ),
    ] = None,
) -> Literal["json", "csv"]:
    """``format`` when given, else CSV when the Accept header prefers text/csv to JSON."""
    if format is not None:
        return format
    accept = request.headers.get("accept", "")
    if "csv" in accept and _quality(accept, "text/csv") > _quality(accept, "application/json"):
        return "csv"
    return "json"


FormatDep = Annotated[Literal["json", "csv"], Depends(get_format)]
