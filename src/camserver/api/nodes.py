"""``/api/v1/nodes``: the nodes instances run on, with their capacity and load (the web page's
node column; CamServer has no such route)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from camserver.api.dependencies import services
from camserver.api.envelope import error_responses
from camserver.models.replies import NodesReply
from camserver.service import Services

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/nodes", tags=["nodes"])
Deps = Annotated[Services, Depends(services)]


@router.get(
    "",
    summary="The backend and its nodes: labels, network capacity, instances",
    response_model=NodesReply,
    responses=error_responses(),
)
def list_nodes(service: Deps) -> NodesReply:
    return NodesReply(**dict(service.node_list()))
