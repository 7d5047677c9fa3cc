"""``/api/v1/pipeline``: CamServer's pipeline routes (reference §2.1, §2.3)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response

from camserver.api.dependencies import authorize, services
from camserver.api.envelope import error_responses, image_payload
from camserver.api.shared_routes import OCTETS, PNG, add_instance_routes, add_upload_routes
from camserver.errors import (
    ConfigError,
    Conflict,
    InstanceError,
    MethodNotAllowed,
    NotFound,
    PermissionDenied,
    ProtocolError,
    SourceError,
    Timeout,
    TransportError,
)
from camserver.models.instance import InstanceInfo, InstanceKind
from camserver.models.pipeline import PipelineConfig
from camserver.models.replies import (
    BackgroundIdReply,
    BackgroundIdsReply,
    CameraNamesReply,
    ConfigNamesReply,
    ConfigReply,
    ErrorReply,
    ExitCodeReply,
    GroupsReply,
    ImageReply,
    InstanceInfoReply,
    LibNamesReply,
    LibReply,
    PipelineNamesReply,
    Reply,
    StartedReply,
    StreamReply,
)
from camserver.service import Services, instance_report, render_png

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/pipeline", tags=["pipelines"])
Deps = Annotated[Services, Depends(services)]
Mutating = [Depends(authorize)]
JsonObject = Annotated[dict[str, Any], Body()]
add_instance_routes(router, InstanceKind.PIPELINE)
add_upload_routes(router)  # both before the "/{name}" routes, which would match them

NAMED = (ConfigError, NotFound)
#: an instance (and perhaps its camera) started
STARTS = (PermissionDenied, *NAMED, Conflict, SourceError, InstanceError, Timeout, TransportError)
STOPS = (PermissionDenied, *NAMED, InstanceError, Timeout)
#: frames read from a camera's stream
COLLECTS = (PermissionDenied, *NAMED, Conflict, SourceError, InstanceError, Timeout, TransportError, ProtocolError)


def _started(info: InstanceInfo) -> StartedReply:
    return StartedReply(instance_id=info.instance_id, stream=info.stream_address or "", config=info.config)


def _config_reply(config: PipelineConfig) -> ConfigReply:
    return ConfigReply(config=config.to_dict(), unknown_keys=config.unknown_keys(), ignored_keys=config.inert_keys())


@router.get("", summary="Names of all pipeline configs", response_model=PipelineNamesReply, responses=error_responses())
def list_pipelines(service: Deps) -> PipelineNamesReply:
    return PipelineNamesReply(pipelines=service.pipelines.names())


@router.post(
    "",
    summary="Start an instance from a config in the body",
    dependencies=Mutating,
    response_model=StartedReply,
    responses=error_responses(*STARTS),
)
def create_from_config(body: JsonObject, service: Deps, instance_id: str | None = None) -> StartedReply:
    config = PipelineConfig.load(body)
    return _started(service.pipelines.create(config, instance_id=instance_id))


@router.delete(
    "",
    summary="Stop every pipeline instance",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(PermissionDenied, InstanceError, Timeout),
)
def stop_all(service: Deps) -> Reply:
    service.pipelines.stop_all()
    return Reply()


@router.get(
    "/groups", summary="Pipeline groups: {group: [pipelines]}", response_model=GroupsReply, responses=error_responses()
)
def groups(service: Deps) -> GroupsReply:
    return GroupsReply(groups=service.pipelines.groups())


@router.get(
    "/config_names",
    summary="Names of all pipeline configs",
    response_model=ConfigNamesReply,
    responses=error_responses(),
)
def config_names(service: Deps) -> ConfigNamesReply:
    return ConfigNamesReply(config_names=service.pipelines.names())


@router.get("/camera", summary="Names of all cameras", response_model=CameraNamesReply, responses=error_responses())
def cameras(service: Deps) -> CameraNamesReply:
    return CameraNamesReply(cameras=service.cameras.names())


@router.post(
    "/camera/{camera}/background",
    summary="Collect a background from n_images frames",
    dependencies=Mutating,
    response_model=BackgroundIdReply,
    responses=error_responses(*COLLECTS),
)
def collect_background(camera: str, service: Deps, n_images: str | None = None) -> BackgroundIdReply:
    count = 10
    if n_images is not None:
        try:
            count = int(n_images)
        except ValueError:
            raise ConfigError("n_images must be a number.") from None
    return BackgroundIdReply(background_id=service.pipelines.collect_background(camera, count))


@router.get(
    "/camera/{camera}/background",
    summary="Latest background of a camera",
    response_model=BackgroundIdReply,
    responses=error_responses(*NAMED),
)
def latest_background(camera: str, service: Deps) -> BackgroundIdReply:
    return BackgroundIdReply(background_id=service.backgrounds.latest(camera))


@router.get(
    "/camera/{camera}/backgrounds",
    summary="All backgrounds of a camera, oldest first",
    response_model=BackgroundIdsReply,
    responses=error_responses(*NAMED),
)
def backgrounds(camera: str, service: Deps) -> BackgroundIdsReply:
    return BackgroundIdsReply(background_ids=service.backgrounds.ids(camera))


@router.get(
    "/background/{name}/image",
    summary="A background as PNG",
    response_class=Response,
    responses={**PNG, **error_responses(*NAMED)},
)
def background_image(
    name: str,
    service: Deps,
    scale: Annotated[float | None, Query(gt=0, le=16)] = None,
    min_value: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    max_value: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    colormap: str = "rainbow",
) -> Response:
    image = service.backgrounds.load(name)
    png = render_png(image, colormap=colormap, scale=scale, min_value=min_value, max_value=max_value)
    return Response(png, media_type="image/png")


@router.get(
    "/background/{name}/image_bytes",
    summary="A background as base64 bytes with shape and dtype",
    response_model=ImageReply,
    responses=error_responses(*NAMED),
)
def background_bytes(name: str, service: Deps) -> ImageReply:
    return ImageReply(image=image_payload(service.backgrounds.load(name)))


@router.post(
    "/background",
    summary="Store a background from a nested list (uint16)",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(PermissionDenied, ConfigError),
)
def set_background(body: JsonObject, service: Deps) -> Reply:
    filename, data = body.get("filename"), body.get("data")
    if not isinstance(filename, str) or not filename:
        raise ConfigError("'filename' must name the background")
    if data is None:
        raise ConfigError("'data' must hold the image as a nested list")
    try:
        array = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"'data' is not a numeric image: {error}") from None
    if array.ndim != 2:
        raise ConfigError(f"'data' must be 2-D, not {array.ndim}-D")
    service.backgrounds.save(filename.removesuffix(".npy"), np.clip(np.rint(array), 0, 65535).astype(np.uint16))
    return Reply(status=f"Background image {filename} stored.")


@router.get("/lib", summary="Names of user libraries", response_model=LibNamesReply, responses=error_responses())
def libs(service: Deps) -> LibNamesReply:
    return LibNamesReply(libs=service.scripts.libs())


@router.get(
    "/lib/{name}/lib_bytes",
    summary="A user library (text, or base64 for binary)",
    response_model=LibReply,
    responses=error_responses(*NAMED),
)
def get_lib(name: str, service: Deps) -> LibReply:
    return LibReply(**service.scripts.get_lib(name))


@router.put(
    "/lib/{name}/lib_bytes",
    summary="Upload a user library (the body is its content)",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(PermissionDenied, ConfigError),
    openapi_extra=OCTETS,
)
async def set_lib(name: str, request: Request, service: Deps) -> Reply:
    service.scripts.set_lib(name, await request.body())
    return Reply()


@router.delete(
    "/lib/{name}/lib_bytes",
    summary="Delete a user library",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(PermissionDenied, *NAMED),
)
def delete_lib(name: str, service: Deps) -> Reply:
    service.scripts.delete_lib(name)
    return Reply()


@router.post(
    "/instance",
    summary="A read-only instance with this config (shared)",
    dependencies=Mutating,
    response_model=StartedReply,
    responses=error_responses(*STARTS),
)
@router.post("/instance/", include_in_schema=False, dependencies=Mutating, response_model=StartedReply)
def stream_from_config(body: JsonObject, service: Deps) -> StartedReply:
    return _started(service.pipelines.stream_from_config(body))


@router.get(
    "/instance/{instance_id}",
    summary="Stream of an instance; a saved pipeline of that name is started",
    response_model=StreamReply,
    response_model_exclude_none=True,
    responses=error_responses(*STARTS),
)
def instance_stream(instance_id: str, service: Deps) -> StreamReply:
    return StreamReply(stream=service.pipelines.stream(instance_id))


@router.get(
    "/instance/{instance_id}/info",
    summary="An instance: state, statistics, config",
    response_model=InstanceInfoReply,
    responses=error_responses(*NAMED),
)
def instance_info(instance_id: str, service: Deps) -> InstanceInfoReply:
    return InstanceInfoReply(info=instance_report(service.pipelines.info(instance_id)))


@router.get(
    "/instance/{instance_id}/exitcode",
    summary="Exit code of an ended instance (null while running, and for an unknown instance)",
    response_model=ExitCodeReply,
    responses=error_responses(ConfigError),
)
def instance_exit_code(instance_id: str, service: Deps) -> ExitCodeReply:
    return ExitCodeReply(exitcode=service.pipelines.exit_code(instance_id))


@router.get(
    "/instance/{instance_id}/config",
    summary="The config an instance runs with",
    response_model=ConfigReply,
    responses=error_responses(*NAMED),
)
def instance_config(instance_id: str, service: Deps) -> ConfigReply:
    return ConfigReply(config=service.pipelines.instance_config(instance_id))


@router.post(
    "/instance/{instance_id}/config",
    summary="Change a running instance's config",
    dependencies=Mutating,
    response_model=ConfigReply,
    responses=error_responses(PermissionDenied, *NAMED, Conflict, InstanceError, Timeout),
)
def update_instance_config(instance_id: str, body: JsonObject, service: Deps) -> ConfigReply:
    return ConfigReply(config=service.pipelines.update_instance(instance_id, body))


@router.get(
    "/{name}/config",
    summary="A named pipeline config, with every default",
    response_model=ConfigReply,
    responses=error_responses(*NAMED),
)
def get_config(name: str, service: Deps) -> ConfigReply:
    return _config_reply(service.pipelines.config(name))


@router.post(
    "/{name}/config",
    summary="Save a named pipeline config",
    dependencies=Mutating,
    response_model=ConfigReply,
    responses=error_responses(PermissionDenied, *NAMED),
)
def set_config(name: str, body: JsonObject, service: Deps) -> ConfigReply:
    return _config_reply(service.pipelines.set_config(name, body))


@router.delete(
    "/{name}/config",
    summary="Delete a named pipeline config",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(PermissionDenied, *NAMED),
)
def delete_config(name: str, service: Deps) -> Reply:
    service.pipelines.delete_config(name)
    return Reply()


@router.get(
    "/{name}",
    summary="Not a route in CamServer (405 there): says whether 'name' exists and which routes to use",
    status_code=405,
    response_model=ErrorReply,
    responses={
        405: {"model": ErrorReply, "description": "the name exists: the answer names the routes to use (Allow)"},
        **error_responses(*NAMED),
    },
)
def not_a_route(name: str, service: Deps) -> ErrorReply:
    service.pipelines.refuse_get(name)
    raise MethodNotAllowed(f"GET /api/v1/pipeline/{name} is not a route")  # refuse_get always raises


@router.post(
    "/{name}",
    summary="Start an instance of a named pipeline",
    dependencies=Mutating,
    response_model=StartedReply,
    responses=error_responses(*STARTS),
)
def create_from_name(
    name: str, service: Deps, instance_id: str | None = None, additional_config: str | None = None
) -> StartedReply:
    additional: dict[str, Any] | None = None
    if additional_config:
        try:
            additional = json.loads(additional_config)
        except json.JSONDecodeError as error:
            raise ConfigError(f"additional_config is not valid JSON: {error}") from None
        if not isinstance(additional, dict):
            raise ConfigError("additional_config must be a JSON object")
    return _started(service.pipelines.create_from_name(name, instance_id=instance_id, additional=additional))


@router.delete(
    "/{instance_id}",
    summary="Stop an instance",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(*STOPS),
)
def stop(instance_id: str, service: Deps) -> Reply:
    service.pipelines.delete(instance_id)
    return Reply()


@router.delete(
    "/{instance_id}/del",
    summary="Stop an instance and free its port",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(*STOPS),
)
def delete(instance_id: str, service: Deps) -> Reply:
    service.pipelines.delete(instance_id)
    return Reply()
