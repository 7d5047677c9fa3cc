"""``/api/v1/nodes``: the nodes instances run on, with their capacity and load (the web page's
node column; CamServer has no such route)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from camserver.api.dependencies import services
from camserver.api.envelope import ok
from camserver.service import Services

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/nodes", tags=["nodes"])
Deps = Annotated[Services, Depends(services)]


@router.get("", summary="The backend and its nodes: labels, network capacity, instances (a NodeList)")
def list_nodes(service: Deps) -> dict[str, Any]:
    return ok(**service.node_list().model_dump(mode="json"))
