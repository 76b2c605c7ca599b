"""The API's routers, one per resource, gathered under /api/v1 (head_office.app includes it)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from head_office.deps import one_value_per_parameter
from head_office.routes import (
    alerts,
    anchor,
    calendar,
    hall,
    health,
    ingest,
    presence,
    roster,
    settings,
)
from head_office.routes.models import API_VERSION

api_router = APIRouter(prefix=f"/api/{API_VERSION}",
                       dependencies=[Depends(one_value_per_parameter)])
api_router.include_router(health.router)
api_router.include_router(ingest.router)
api_router.include_router(hall.router)
api_router.include_router(presence.router)
api_router.include_router(anchor.router)
api_router.include_router(alerts.router)
api_router.include_router(calendar.router)
api_router.include_router(roster.router)
api_router.include_router(settings.router)
