"""``/api/v1/instances``: every camera and pipeline instance with its figures (the web page's list)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from camserver.api.dependencies import services
from camserver.api.envelope import error_responses
from camserver.models.replies import InstancesReply
from camserver.service import Services
from camserver.service.instance_overview import instance_overview

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/instances", tags=["instances"])
Deps = Annotated[Services, Depends(services)]


@router.get(
    "",
    summary="Camera and pipeline instances (running, and failed ones) with statistics",
    response_model=InstancesReply,
    responses=error_responses(),
)
def list_instances(service: Deps) -> InstancesReply:
    return InstancesReply(instances=instance_overview(service.backend), host=service.host_load())
