"""``/api/v1/logs``: the server's log ring and each instance's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from camserver.api.dependencies import services
from camserver.api.envelope import error_responses
from camserver.api.shared_routes import TEXT
from camserver.errors import ConfigError, NotFound
from camserver.models.replies import LogsReply
from camserver.models.reports import LogRecord
from camserver.service import LogRing, Services

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/logs", tags=["logs"])
Deps = Annotated[Services, Depends(services)]


@router.get("", summary="The server's recent log records", response_model=LogsReply, responses=error_responses())
def server_logs(service: Deps) -> LogsReply:
    return LogsReply(logs=[LogRecord(*record) for record in service.log_ring.records()])


@router.get(
    "/txt",
    summary="The server's recent log records as text",
    response_class=PlainTextResponse,
    responses={**TEXT, **error_responses()},
)
def server_logs_text(service: Deps) -> str:
    return LogRing.as_text(service.log_ring.records())


@router.get(
    "/instance/{name}",
    summary="An instance's recent log records",
    response_model=LogsReply,
    responses=error_responses(ConfigError, NotFound),
)
def instance_logs(name: str, service: Deps) -> LogsReply:
    return LogsReply(logs=service.instance_logs(name))


@router.get(
    "/instance/{name}/txt",
    summary="An instance's log records as text",
    response_class=PlainTextResponse,
    responses={**TEXT, **error_responses(ConfigError, NotFound)},
)
def instance_logs_text(name: str, service: Deps) -> str:
    return LogRing.as_text(service.instance_logs(name))
