"""The FastAPI application: ``create_app(settings)``.

The lifespan opens the store the settings choose (one Neo4j driver per process, or the embedded
store) and closes it at shutdown. Routers are thin: each parses its parameters with the typed
dependencies of api/deps.py and calls the shared query service (graph/service.py); domain
errors become HTTP answers in api/errors.py. OpenAPI is served at /openapi.json, docs at /docs.
Every request passes the access middleware first (api/access/: keys and scopes, rate limit,
CORS, each off unless configured; the body limit and the access log of exports and queries).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from milcoop import __version__
from milcoop.api import errors
from milcoop.api.access import middleware as access
from milcoop.api.access.deps import DOCUMENTED_SECURITY, check_routes
from milcoop.api.deps import StoreHolder
from milcoop.api.routers import (
    changes,
    deployments,
    docs,
    entities,
    flows,
    health,
    paths,
    relations,
    site,
    sources,
    treaties,
    violations,
)
from milcoop.settings import Settings, get_settings

DESCRIPTION = """\
Sourced, graded facts on state military cooperation: arms and technology transfers, troop
deployments, treaties, and the sanctions they breach. Every fact comes with the claims behind
it: which source says so, in what words, with what status and grading.

Entities are named by id, ISO code, Wikidata QID, name or alias, in any case (`PRK`, `DPRK`,
`North Korea`, `Q423`). Lists are paginated with `limit` and an opaque `cursor`. Errors name the
parameter at fault; an unknown entity answers 404 with close matches.
"""

#: Routers other modules contribute when present: RDF export and SPARQL (api/routers/export.py
#: and api/routers/sparql.py, each exposing ``router``).
OPTIONAL_ROUTERS = (
    "milcoop.api.routers.export",
    "milcoop.api.routers.sparql",
    "milcoop.api.routers.cypher",
    "milcoop.api.routers.linked_data",
)


def _optional_routers() -> list[APIRouter]:
    found = []
    for name in OPTIONAL_ROUTERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists but one of its imports is missing: a real error
                raise
            continue
        found.append(module.router)
    return found


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API over the store ``settings`` choose (Neo4j when NEO4J_URI is set, else embedded)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        holder = StoreHolder(settings)
        holder.open()
        app.state.store_holder = holder
        try:
            yield
        finally:
            holder.close()

    app = FastAPI(
        title="milcoop",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc: api/routers/docs.py, with their assets served locally
        redoc_url=None,
        dependencies=DOCUMENTED_SECURITY if settings.auth == "keys" else None,
        openapi_tags=[
            {"name": "flows", "description": "What moves from one actor to another."},
            {"name": "relations", "description": "Everything between two actors, as a timeline."},
            {"name": "treaties", "description": "Treaties, their provisions and whether they are in force."},
            {"name": "deployments", "description": "Troop deployments."},
            {"name": "violations", "description": "Breaches of sanctions measures."},
            {"name": "changes", "description": "What loads added, removed and changed since a data version."},
            {"name": "paths", "description": "How two entities are connected."},
            {"name": "sources", "description": "Source documents and what they support."},
            {"name": "entities", "description": "Find and look up entities."},
            {"name": "health", "description": "Store status."},
        ],
    )
    app.state.settings = settings
    errors.install(app)
    for module in (flows, relations, treaties, deployments, violations, changes, paths, sources, entities, health):
        app.include_router(module.router)
    for router in _optional_routers():
        app.include_router(router)
    docs.install(app)
    site.install(app)  # the HTML pages at the API's paths without /v1 (api/routers/site.py)
    check_routes(app.routes)
    # Inside the access middleware, so that refusals stay small and uncompressed; answers under 1 KB
    # are not worth it. Streams (exports) are compressed chunk by chunk as they leave (each chunk
    # flushed, so a client still gets the first bytes at once); level 5: most of the gain for a
    # fraction of the CPU of level 9, which matters for exports of millions of triples.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=5)
    access.install(app, settings)
    return app
