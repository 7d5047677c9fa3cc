"""Routes both prefixes answer, ``/api/v1/cam`` and ``/api/v1/pipeline`` (CamServer registers them
for its camera and pipeline servers alike): server figures, user scripts, background uploads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from camserver import __version__
from camserver.api.dependencies import authorize, services
from camserver.api.envelope import error_responses
from camserver.errors import ConfigError, NotFound, PermissionDenied
from camserver.models.instance import InstanceKind
from camserver.models.replies import HeartbeatReply, Reply, ScriptNamesReply, ScriptReply, ServerInfoReply, VersionReply
from camserver.service import Services, array_from_upload

__all__ = ["PNG", "TEXT", "add_instance_routes", "add_upload_routes", "flag"]

Deps = Annotated[Services, Depends(services)]
Mutating = [Depends(authorize)]

#: the ``responses`` entry of a route answering a PNG image
PNG: dict[int | str, dict[str, Any]] = {
    200: {"description": "the image", "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}
}
#: the ``responses`` entry of a route answering text (the ``/txt`` log routes)
TEXT: dict[int | str, dict[str, Any]] = {
    200: {"description": "one record a line", "content": {"text/plain": {"schema": {"type": "string"}}}}
}
#: a raw request body (scripts, libraries, background uploads)
OCTETS: dict[str, Any] = {
    "requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
}
_FALSE = ("false", "0", "no", "off")


def flag(value: str | None) -> bool:
    """A query flag as CamServer reads it: present means true (``?raw``, ``?raw=1``); camserver
    also takes ``false``, ``0``, ``no`` and ``off`` as false."""
    return value is not None and value.strip().lower() not in _FALSE


def add_instance_routes(router: APIRouter, kind: InstanceKind) -> None:
    """Add ``/info``, ``/heartbeat`` and ``/version`` for instances of ``kind`` to ``router``."""
    noun = "camera" if kind is InstanceKind.CAMERA else "pipeline"

    @router.get(
        "/info",
        summary=f"Server and {noun} instances, CamServer's format",
        response_model=ServerInfoReply,
        responses=error_responses(),
    )
    def info(service: Deps) -> ServerInfoReply:
        return ServerInfoReply(info=service.server_info(kind))

    @router.get(
        "/heartbeat",
        summary=f"Figures of every running {noun}",
        response_model=HeartbeatReply,
        responses=error_responses(),
    )
    def heartbeat(service: Deps) -> HeartbeatReply:
        return HeartbeatReply(version=__version__, instances=service.heartbeat(kind))

    @router.get("/version", summary="Server version", response_model=VersionReply, responses=error_responses())
    def version() -> VersionReply:
        return VersionReply(version=__version__)


def add_upload_routes(router: APIRouter) -> None:
    """Add the user-script routes and the background upload to ``router``."""

    @router.get(
        "/script", summary="Names of user scripts", response_model=ScriptNamesReply, responses=error_responses()
    )
    def scripts(service: Deps) -> ScriptNamesReply:
        return ScriptNamesReply(scripts=service.scripts.scripts())

    @router.get(
        "/script/{name}/script_bytes",
        summary="A user script's text",
        response_model=ScriptReply,
        responses=error_responses(ConfigError, NotFound),
    )
    def get_script(name: str, service: Deps) -> ScriptReply:
        return ScriptReply(script=service.scripts.get_script(name))

    @router.put(
        "/script/{name}/script_bytes",
        summary="Upload a user script (the body is its text)",
        dependencies=Mutating,
        response_model=Reply,
        responses=error_responses(PermissionDenied, ConfigError),
        openapi_extra=OCTETS,
    )
    async def set_script(name: str, request: Request, service: Deps) -> Reply:
        service.scripts.set_script(name, await request.body())
        return Reply()

    @router.delete(
        "/script/{name}/script_bytes",
        summary="Delete a user script",
        dependencies=Mutating,
        response_model=Reply,
        responses=error_responses(PermissionDenied, ConfigError, NotFound),
    )
    def delete_script(name: str, service: Deps) -> Reply:
        service.scripts.delete_script(name)
        return Reply()

    @router.put(
        "/background/{name}/image_bytes",
        summary="Upload a background: .npy bytes, or a pickled numpy array as psi-camserver-client sends it",
        dependencies=Mutating,
        response_model=Reply,
        responses=error_responses(PermissionDenied, ConfigError),
        openapi_extra=OCTETS,
    )
    async def upload_background(name: str, request: Request, service: Deps) -> Reply:
        service.backgrounds.save(name, array_from_upload(await request.body()))
        return Reply(status=f"Background image {name} stored.")
