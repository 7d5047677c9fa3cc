"""``/api/v1/logs``: the server's log ring and each instance's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from camserver.api.dependencies import services
from camserver.api.envelope import ok
from camserver.service import LogRing, Services

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/logs", tags=["logs"])
Deps = Annotated[Services, Depends(services)]


@router.get("", summary="The server's recent log records")
def server_logs(service: Deps) -> dict[str, Any]:
    return ok(logs=service.log_ring.records())


@router.get("/txt", summary="The server's recent log records as text", response_class=PlainTextResponse)
def server_logs_text(service: Deps) -> str:
    return LogRing.as_text(service.log_ring.records())


@router.get("/instance/{name}", summary="An instance's recent log records")
def instance_logs(name: str, service: Deps) -> dict[str, Any]:
    return ok(logs=service.instance_logs(name))


@router.get("/instance/{name}/txt", summary="An instance's log records as text", response_class=PlainTextResponse)
def instance_logs_text(name: str, service: Deps) -> str:
    return LogRing.as_text(service.instance_logs(name))
