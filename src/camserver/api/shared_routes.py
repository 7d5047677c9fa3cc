"""Routes both prefixes answer, ``/api/v1/cam`` and ``/api/v1/pipeline`` (CamServer registers them
for its camera and pipeline servers alike): server figures, user scripts, background uploads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from camserver import __version__
from camserver.api.dependencies import authorize, services
from camserver.api.envelope import ok
from camserver.models.instance import InstanceKind
from camserver.service import Services, array_from_upload

__all__ = ["add_instance_routes", "add_upload_routes"]

Deps = Annotated[Services, Depends(services)]
Mutating = [Depends(authorize)]


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


def add_upload_routes(router: APIRouter) -> None:
    """Add the user-script routes and the background upload to ``router``."""

    @router.get("/script", summary="Names of user scripts")
    def scripts(service: Deps) -> dict[str, Any]:
        return ok(scripts=service.scripts.scripts())

    @router.get("/script/{name}/script_bytes", summary="A user script's text")
    def get_script(name: str, service: Deps) -> dict[str, Any]:
        return ok(script=service.scripts.get_script(name))

    @router.put("/script/{name}/script_bytes", summary="Upload a user script", dependencies=Mutating)
    async def set_script(name: str, request: Request, service: Deps) -> dict[str, Any]:
        service.scripts.set_script(name, await request.body())
        return ok()

    @router.delete("/script/{name}/script_bytes", summary="Delete a user script", dependencies=Mutating)
    def delete_script(name: str, service: Deps) -> dict[str, Any]:
        service.scripts.delete_script(name)
        return ok()

    @router.put("/background/{name}/image_bytes", summary="Upload a background (.npy bytes)", dependencies=Mutating)
    async def upload_background(name: str, request: Request, service: Deps) -> dict[str, Any]:
        service.backgrounds.save(name, array_from_upload(await request.body()))
        return ok()
