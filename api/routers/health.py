"""``/healthz``: is the store reachable, and what does it hold."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from milcoop.api.deps import HolderDep
from milcoop.graph.errors import StoreError
from milcoop.graph.models import Health

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The store cannot be reached or holds no data."}},
)
def healthz(holder: HolderDep) -> Health | JSONResponse:
    """The backend, the loaded data version and node counts; 503 when the store cannot answer."""
    try:
        return holder.service().health()
    except StoreError as exc:
        body = Health(status="unavailable", backend=holder.settings.backend, detail=str(exc))
        return JSONResponse(status_code=503, content=body.model_dump(mode="json"))
