"""``/healthz``: is the store reachable, what does it hold, and does SPARQL answer.

It runs on a lane of threads of its own (api/deps.py), so it never waits behind a Neo4j read of
another route, and it asks Neo4j nothing while the store's circuit is open (graph/neo4j/breaker.py):
with Neo4j down it answers at once. The status is

* ``ok`` (200): the store answers, and so does SPARQL;
* ``degraded`` (200): one of them answers and the other does not, most often Neo4j down while the
  embedded copy answers SPARQL; ``detail`` says which and why;
* ``unavailable`` (503): nothing answers.

Answers never show Neo4j's address: the reason in the log does.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from milcoop.api.deps import HolderDep, StoreHolder
from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.graph.errors import StoreError
from milcoop.settings import Backend

router = APIRouter(tags=["health"])


class SparqlHealth(BaseModel):
    """Whether /v1/sparql can answer: the embedded copy it reads has been loaded."""

    status: Literal["ok", "unavailable"]
    data_version: str | None = None
    detail: str | None = None


class HealthAnswer(BaseModel):
    """The API's health: the store's status, data version and node counts, and SPARQL's."""

    status: Literal["ok", "degraded", "unavailable"]
    backend: Backend
    data_version: str | None = Field(default=None, description="The data version the store holds.")
    counts: dict[str, int] = Field(default_factory=dict)
    detail: str | None = Field(default=None, description="Why the status is not ok.")
    sparql: SparqlHealth


def _sparql_health(holder: StoreHolder) -> SparqlHealth:
    data_dir = holder.settings.data_dir
    path = EmbeddedStore.current_path(data_dir)
    if path is None:
        return SparqlHealth(status="unavailable", detail="the embedded copy that answers SPARQL has not been loaded")
    try:
        # The description of the active store folder: reading it opens no store.
        info = EmbeddedStore._read_info(path)
    except StoreError:
        return SparqlHealth(status="unavailable", detail="the embedded copy's description is missing or damaged")
    return SparqlHealth(status="ok", data_version=info.data_version)


def _health(holder: StoreHolder) -> tuple[int, HealthAnswer]:
    backend = holder.settings.backend
    sparql = _sparql_health(holder)
    try:
        service = holder.service()
        if getattr(service.store, "unavailable_reason", None) is not None:
            # The circuit is open: a probe is on it, and asking Neo4j again would only wait.
            return _verdict(backend, sparql, "Neo4j is unavailable")
        health = service.health()
    except StoreError as exc:
        # Neo4j's errors carry a public message without the server's address; others (the
        # embedded store never loaded, say) are fit to show as they are.
        return _verdict(backend, sparql, getattr(exc, "public", None) or str(exc))
    answer = HealthAnswer(
        status="ok", backend=health.backend, data_version=health.data_version, counts=health.counts, sparql=sparql
    )
    if sparql.status != "ok" and backend == "neo4j":
        answer.status = "degraded"
        answer.detail = f"SPARQL is unavailable: {sparql.detail}; run `milcoop load` to fill the embedded copy"
    return 200, answer


def _verdict(backend: Backend, sparql: SparqlHealth, reason: str) -> tuple[int, HealthAnswer]:
    """The answer when the store cannot answer: degraded if SPARQL still does (Neo4j only)."""
    if backend == "neo4j" and sparql.status == "ok":
        detail = f"{reason}; SPARQL answers from the embedded copy (data version {sparql.data_version})"
        return 200, HealthAnswer(status="degraded", backend=backend, detail=detail, sparql=sparql)
    return 503, HealthAnswer(status="unavailable", backend=backend, detail=reason, sparql=sparql)


@router.get(
    "/healthz",
    response_model=HealthAnswer,
    responses={
        200: {"description": "ok, or degraded: the store or SPARQL answers but not both (detail says which)."},
        503: {"model": HealthAnswer, "description": "Neither the store nor SPARQL can answer."},
    },
)
async def healthz(holder: HolderDep) -> JSONResponse:
    """The backend, the loaded data version and node counts, and whether SPARQL answers: ``ok``,
    ``degraded`` (200, with the reason) or ``unavailable`` (503)."""
    status, answer = await holder.run_in_lane("health", _health, holder)
    return JSONResponse(status_code=status, content=answer.model_dump(mode="json"))
