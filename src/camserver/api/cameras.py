"""``/api/v1/cam``: CamServer's camera routes (reference §2.1-2.2)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response

from camserver.api.dependencies import authorize, services
from camserver.api.envelope import error_responses, image_payload
from camserver.api.shared_routes import PNG, add_instance_routes, add_upload_routes, flag
from camserver.errors import (
    ConfigError,
    Conflict,
    InstanceError,
    NotFound,
    PermissionDenied,
    ProtocolError,
    SourceError,
    Timeout,
    TransportError,
)
from camserver.models.instance import InstanceKind
from camserver.models.replies import (
    AliasesReply,
    CameraNamesReply,
    ConfigNamesReply,
    ConfigReply,
    GeometryReply,
    GroupsReply,
    ImageReply,
    InstanceInfoReply,
    OnlineReply,
    Reply,
    StreamReply,
)
from camserver.service import Services, instance_report, render_png

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/cam", tags=["cameras"])
Deps = Annotated[Services, Depends(services)]
Mutating = [Depends(authorize)]
JsonObject = Annotated[dict[str, Any], Body()]
add_instance_routes(router, InstanceKind.CAMERA)
add_upload_routes(router)  # both before the "/{name}" routes, which would match them

NAMED = (ConfigError, NotFound)
#: a frame grabbed from the source itself
GRABS = (*NAMED, SourceError, Timeout, ProtocolError)
#: an instance started or stopped
STARTS = (*NAMED, Conflict, SourceError, InstanceError, Timeout, TransportError)
STOPS = (PermissionDenied, *NAMED, InstanceError, Timeout)


def _config_reply(config: Any) -> ConfigReply:
    return ConfigReply(config=config.to_dict(), unknown_keys=config.unknown_keys(), ignored_keys=config.inert_keys())


@router.get("", summary="Names of all cameras", response_model=CameraNamesReply, responses=error_responses())
def list_cameras(service: Deps) -> CameraNamesReply:
    return CameraNamesReply(cameras=service.cameras.names())


@router.delete(
    "",
    summary="Stop every camera instance",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(PermissionDenied, InstanceError, Timeout),
)
def stop_all(service: Deps) -> Reply:
    service.cameras.stop_all()
    return Reply()


@router.get(
    "/aliases", summary="Camera aliases: {alias: camera}", response_model=AliasesReply, responses=error_responses()
)
def aliases(service: Deps) -> AliasesReply:
    return AliasesReply(aliases=service.cameras.aliases())


@router.get(
    "/groups", summary="Camera groups: {group: [cameras]}", response_model=GroupsReply, responses=error_responses()
)
def groups(service: Deps) -> GroupsReply:
    return GroupsReply(groups=service.cameras.groups())


@router.get(
    "/config_names", summary="Names of all camera configs", response_model=ConfigNamesReply, responses=error_responses()
)
def config_names(service: Deps) -> ConfigNamesReply:
    return ConfigNamesReply(config_names=service.cameras.names())


@router.get(
    "/{name}",
    summary="Stream address of a camera, starting its instance if needed",
    response_model=StreamReply,
    response_model_exclude_none=True,  # local_stream only when the camera offers one
    responses=error_responses(*STARTS),
)
def stream(
    name: str,
    service: Deps,
    node: Annotated[str | None, Query(description="cluster: the asker's node; local_stream only if on it")] = None,
) -> StreamReply:
    address = service.cameras.stream(name)
    local = service.cameras.local_stream(name, node=node)  # camserver's own pipelines read this one on its node
    return StreamReply(stream=address, local_stream=local or None)


@router.delete(
    "/{name}",
    summary="Stop a camera instance",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(*STOPS),
)
def stop(name: str, service: Deps) -> Reply:
    service.cameras.stop(name)
    return Reply()


@router.delete(
    "/{name}/del",
    summary="Stop a camera instance and forget it",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(*STOPS),
)
def delete(name: str, service: Deps) -> Reply:
    service.cameras.delete(name)
    return Reply()


@router.get(
    "/{name}/is_online",
    summary="Whether the camera's source answers",
    response_model=OnlineReply,
    responses=error_responses(*NAMED, Timeout),
)
def is_online(name: str, service: Deps) -> OnlineReply:
    online, message = service.cameras.is_online(name)
    return OnlineReply(status=message, online=online)


@router.get(
    "/{name}/config",
    summary="A camera config, with every default",
    response_model=ConfigReply,
    responses=error_responses(*NAMED),
)
def get_config(name: str, service: Deps) -> ConfigReply:
    return _config_reply(service.cameras.config(name))


@router.post(
    "/{name}/config",
    summary="Save a camera config; a running instance applies it",
    dependencies=Mutating,
    response_model=ConfigReply,
    responses=error_responses(PermissionDenied, *NAMED, Conflict, InstanceError, Timeout),
)
def set_config(name: str, body: JsonObject, service: Deps) -> ConfigReply:
    return _config_reply(service.cameras.set_config(name, body))


@router.delete(
    "/{name}/config",
    summary="Delete a camera config",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(PermissionDenied, *NAMED),
)
def delete_config(name: str, service: Deps) -> Reply:
    service.cameras.delete_config(name)
    return Reply()


@router.get(
    "/{name}/geometry",
    summary="[width, height] after binning, rotation and ROI",
    response_model=GeometryReply,
    responses=error_responses(*GRABS),
)
def geometry(name: str, service: Deps) -> GeometryReply:
    width, height = service.cameras.geometry(name)
    return GeometryReply(geometry=(width, height))


@router.get(
    "/{name}/image",
    summary="One image as PNG",
    response_class=Response,
    responses={**PNG, **error_responses(*GRABS)},
)
def image(
    name: str,
    service: Deps,
    raw: Annotated[
        str | None, Query(description="present (bare ?raw, as CamServer): before the camera's transforms")
    ] = None,
    scale: Annotated[float | None, Query(gt=0, le=16)] = None,
    min_value: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    max_value: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    colormap: str = "rainbow",
) -> Response:
    frame = service.cameras.grab(name, raw=flag(raw))
    png = render_png(frame, colormap=colormap, scale=scale, min_value=min_value, max_value=max_value)
    return Response(png, media_type="image/png")


@router.get(
    "/{name}/image_bytes",
    summary="One image as base64 bytes with shape and dtype",
    response_model=ImageReply,
    responses=error_responses(*GRABS),
)
def image_bytes(name: str, service: Deps) -> ImageReply:
    return ImageReply(image=image_payload(service.cameras.grab(name)))


@router.get(
    "/{name}/info",
    summary="The camera's instance: state, statistics, exit code",
    response_model=InstanceInfoReply,
    responses=error_responses(*NAMED),
)
def instance_info(name: str, service: Deps) -> InstanceInfoReply:
    return InstanceInfoReply(info=instance_report(service.cameras.instance(name)))
