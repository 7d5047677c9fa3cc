"""Routes every instance kind answers (CamServer's shared ``instance_management`` routes)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from camserver import __version__
from camserver.api.dependencies import services
from camserver.api.envelope import ok
from camserver.models.instance import InstanceKind
from camserver.service import Services

__all__ = ["add_instance_routes"]

Deps = Annotated[Services, Depends(services)]


def add_instance_routes(router: APIRouter, kind: InstanceKind) -> None:
    """Add ``/info``, ``/heartbeat`` and ``/version`` for instances of ``kind`` to ``router``."""
    noun = "camera" if kind is InstanceKind.CAMERA else "pipeline"

    @router.get("/info", summary=f"Server and {noun} instances, CamServer's format")
    def info(service: Deps) -> dict[str, Any]:
        return ok(info=service.server_info(kind))

    @router.get("/heartbeat", summary=f"Figures of every running {noun}")
    def heartbeat(service: Deps) -> dict[str, Any]:
        return ok(version=__version__, instances=service.heartbeat(kind))

    @router.get("/version", summary="Server version")
    def version() -> dict[str, Any]:
        return ok(version=__version__)
