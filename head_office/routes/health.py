"""`GET /health`: liveness for load balancers and monitors."""

from __future__ import annotations

from fastapi import APIRouter

from head_office.routes.models import API_VERSION, HealthOut

router = APIRouter(tags=["service"])


@router.get("/health", response_model=HealthOut)
async def health() -> HealthOut:
    """Liveness for load balancers and monitors; no token needed."""
    return HealthOut(ok=True, api=API_VERSION)
