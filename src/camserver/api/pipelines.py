"""``/api/v1/pipeline``: CamServer's pipeline routes (reference §2.1, §2.3)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response

from camserver.api.dependencies import authorize, services
from camserver.api.envelope import image_payload, ok
from camserver.api.shared_routes import add_instance_routes, add_upload_routes
from camserver.errors import ConfigError
from camserver.models.instance import InstanceKind
from camserver.models.pipeline import PipelineConfig
from camserver.service import Services, instance_report, render_png

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/pipeline", tags=["pipelines"])
Deps = Annotated[Services, Depends(services)]
Mutating = [Depends(authorize)]
JsonObject = Annotated[dict[str, Any], Body()]
add_instance_routes(router, InstanceKind.PIPELINE)
add_upload_routes(router)  # both before the "/{name}" routes, which would match them


def _created(info: Any) -> dict[str, Any]:
    return ok(instance_id=info.instance_id, stream=info.stream_address, config=info.config)


@router.get("", summary="Names of all pipeline configs")
def list_pipelines(service: Deps) -> dict[str, Any]:
    return ok(pipelines=service.pipelines.names())


@router.post("", summary="Start an instance from a config in the body", dependencies=Mutating)
def create_from_config(body: JsonObject, service: Deps, instance_id: str | None = None) -> dict[str, Any]:
    config = PipelineConfig.load(body)
    return _created(service.pipelines.create(config, instance_id=instance_id))


@router.delete("", summary="Stop every pipeline instance", dependencies=Mutating)
def stop_all(service: Deps) -> dict[str, Any]:
    service.pipelines.stop_all()
    return ok()


@router.get("/groups", summary="Pipeline groups: {group: [pipelines]}")
def groups(service: Deps) -> dict[str, Any]:
    return ok(groups=service.pipelines.groups())


@router.get("/config_names", summary="Names of all pipeline configs")
def config_names(service: Deps) -> dict[str, Any]:
    return ok(config_names=service.pipelines.names())


@router.get("/camera", summary="Names of all cameras")
def cameras(service: Deps) -> dict[str, Any]:
    return ok(cameras=service.cameras.names())


@router.post("/camera/{camera}/background", summary="Collect a background from n_images frames", dependencies=Mutating)
def collect_background(camera: str, service: Deps, n_images: str | None = None) -> dict[str, Any]:
    count = 10
    if n_images is not None:
        try:
            count = int(n_images)
        except ValueError:
            raise ConfigError("n_images must be a number.") from None
    return ok(background_id=service.pipelines.collect_background(camera, count))


@router.get("/camera/{camera}/background", summary="Latest background of a camera")
def latest_background(camera: str, service: Deps) -> dict[str, Any]:
    return ok(background_id=service.backgrounds.latest(camera))


@router.get("/camera/{camera}/backgrounds", summary="All backgrounds of a camera, oldest first")
def backgrounds(camera: str, service: Deps) -> dict[str, Any]:
    return ok(background_ids=service.backgrounds.ids(camera))


@router.get("/background/{name}/image", summary="A background as PNG", response_class=Response)
def background_image(
    name: str,
    service: Deps,
    scale: Annotated[float | None, Query(gt=0, le=16)] = None,
    min_value: float | None = None,
    max_value: float | None = None,
    colormap: str = "rainbow",
) -> Response:
    image = service.backgrounds.load(name)
    png = render_png(image, colormap=colormap, scale=scale, min_value=min_value, max_value=max_value)
    return Response(png, media_type="image/png")


@router.get("/background/{name}/image_bytes", summary="A background as base64 bytes with shape and dtype")
def background_bytes(name: str, service: Deps) -> dict[str, Any]:
    return ok(image=image_payload(service.backgrounds.load(name)))


@router.post("/background", summary="Store a background from a nested list (uint16)", dependencies=Mutating)
def set_background(body: JsonObject, service: Deps) -> dict[str, Any]:
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
    return ok()


@router.get("/lib", summary="Names of user libraries")
def libs(service: Deps) -> dict[str, Any]:
    return ok(libs=service.scripts.libs())


@router.get("/lib/{name}/lib_bytes", summary="A user library (text, or base64 for binary)")
def get_lib(name: str, service: Deps) -> dict[str, Any]:
    return ok(**service.scripts.get_lib(name))


@router.put("/lib/{name}/lib_bytes", summary="Upload a user library", dependencies=Mutating)
async def set_lib(name: str, request: Request, service: Deps) -> dict[str, Any]:
    service.scripts.set_lib(name, await request.body())
    return ok()


@router.delete("/lib/{name}/lib_bytes", summary="Delete a user library", dependencies=Mutating)
def delete_lib(name: str, service: Deps) -> dict[str, Any]:
    service.scripts.delete_lib(name)
    return ok()


@router.post("/instance", summary="A read-only instance with this config (shared)", dependencies=Mutating)
@router.post("/instance/", include_in_schema=False, dependencies=Mutating)
def stream_from_config(body: JsonObject, service: Deps) -> dict[str, Any]:
    return _created(service.pipelines.stream_from_config(body))


@router.get("/instance/{instance_id}", summary="Stream of an instance; a saved pipeline of that name is started")
def instance_stream(instance_id: str, service: Deps) -> dict[str, Any]:
    return ok(stream=service.pipelines.stream(instance_id))


@router.get("/instance/{instance_id}/info", summary="An instance: state, statistics, config")
def instance_info(instance_id: str, service: Deps) -> dict[str, Any]:
    return ok(info=instance_report(service.pipelines.info(instance_id)))


@router.get("/instance/{instance_id}/exitcode", summary="Exit code of an ended instance (null while running)")
def instance_exit_code(instance_id: str, service: Deps) -> dict[str, Any]:
    return ok(exitcode=service.pipelines.exit_code(instance_id))


@router.get("/instance/{instance_id}/config", summary="The config an instance runs with")
def instance_config(instance_id: str, service: Deps) -> dict[str, Any]:
    return ok(config=service.pipelines.instance_config(instance_id))


@router.post("/instance/{instance_id}/config", summary="Change a running instance's config", dependencies=Mutating)
def update_instance_config(instance_id: str, body: JsonObject, service: Deps) -> dict[str, Any]:
    return ok(config=service.pipelines.update_instance(instance_id, body))


@router.get("/{name}/config", summary="A named pipeline config, with every default")
def get_config(name: str, service: Deps) -> dict[str, Any]:
    config = service.pipelines.config(name)
    return ok(config=config.to_dict(), unknown_keys=config.unknown_keys(), ignored_keys=config.inert_keys())


@router.post("/{name}/config", summary="Save a named pipeline config", dependencies=Mutating)
def set_config(name: str, body: JsonObject, service: Deps) -> dict[str, Any]:
    config = service.pipelines.set_config(name, body)
    return ok(config=config.to_dict(), unknown_keys=config.unknown_keys(), ignored_keys=config.inert_keys())


@router.delete("/{name}/config", summary="Delete a named pipeline config", dependencies=Mutating)
def delete_config(name: str, service: Deps) -> dict[str, Any]:
    service.pipelines.delete_config(name)
    return ok()


@router.post("/{name}", summary="Start an instance of a named pipeline", dependencies=Mutating)
def create_from_name(
    name: str, service: Deps, instance_id: str | None = None, additional_config: str | None = None
) -> dict[str, Any]:
    additional: dict[str, Any] | None = None
    if additional_config:
        try:
            additional = json.loads(additional_config)
        except json.JSONDecodeError as error:
            raise ConfigError(f"additional_config is not valid JSON: {error}") from None
        if not isinstance(additional, dict):
            raise ConfigError("additional_config must be a JSON object")
    return _created(service.pipelines.create_from_name(name, instance_id=instance_id, additional=additional))


@router.delete("/{instance_id}", summary="Stop an instance", dependencies=Mutating)
def stop(instance_id: str, service: Deps) -> dict[str, Any]:
    service.pipelines.delete(instance_id)
    return ok()


@router.delete("/{instance_id}/del", summary="Stop an instance and free its port", dependencies=Mutating)
def delete(instance_id: str, service: Deps) -> dict[str, Any]:
    service.pipelines.delete(instance_id)
    return ok()
