"""``/api/v1/cam``: CamServer's camera routes (reference §2.1-2.2)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response

from camserver.api.dependencies import authorize, services
from camserver.api.envelope import image_payload, ok
from camserver.api.shared_routes import add_instance_routes, add_upload_routes
from camserver.errors import ConfigError
from camserver.models.instance import InstanceKind
from camserver.service import Services, instance_report, render_png

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/cam", tags=["cameras"])
Deps = Annotated[Services, Depends(services)]
Mutating = [Depends(authorize)]
JsonObject = Annotated[dict[str, Any], Body()]
add_instance_routes(router, InstanceKind.CAMERA)
add_upload_routes(router)  # both before the "/{name}" routes, which would match them


@router.get("", summary="Names of all cameras")
def list_cameras(service: Deps) -> dict[str, Any]:
    return ok(cameras=service.cameras.names())


@router.delete("", summary="Stop every camera instance", dependencies=Mutating)
def stop_all(service: Deps) -> dict[str, Any]:
    service.cameras.stop_all()
    return ok()


@router.get("/aliases", summary="Camera aliases: {alias: camera}")
def aliases(service: Deps) -> dict[str, Any]:
    return ok(aliases=service.cameras.aliases())


@router.get("/groups", summary="Camera groups: {group: [cameras]}")
def groups(service: Deps) -> dict[str, Any]:
    return ok(groups=service.cameras.groups())


@router.get("/config_names", summary="Names of all camera configs")
def config_names(service: Deps) -> dict[str, Any]:
    return ok(config_names=service.cameras.names())


@router.get("/{name}", summary="Stream address of a camera, starting its instance if needed")
def stream(
    name: str,
    service: Deps,
    node: Annotated[str | None, Query(description="cluster: the asker's node; local_stream only if on it")] = None,
) -> dict[str, Any]:
    address = service.cameras.stream(name)
    local = service.cameras.local_stream(name, node=node)  # camserver's own pipelines read this one on its node
    return ok(stream=address, **({"local_stream": local} if local else {}))


@router.delete("/{name}", summary="Stop a camera instance", dependencies=Mutating)
def stop(name: str, service: Deps) -> dict[str, Any]:
    service.cameras.stop(name)
    return ok()


@router.delete("/{name}/del", summary="Stop a camera instance and forget it", dependencies=Mutating)
def delete(name: str, service: Deps) -> dict[str, Any]:
    service.cameras.delete(name)
    return ok()


@router.get("/{name}/is_online", summary="Whether the camera's source answers")
def is_online(name: str, service: Deps) -> dict[str, Any]:
    online, message = service.cameras.is_online(name)
    return {"state": "ok", "status": message, "online": online}


@router.get("/{name}/config", summary="A camera config, with every default")
def get_config(name: str, service: Deps) -> dict[str, Any]:
    config = service.cameras.config(name)
    return ok(config=config.to_dict(), unknown_keys=config.unknown_keys(), ignored_keys=config.inert_keys())


@router.post("/{name}/config", summary="Save a camera config; a running instance applies it", dependencies=Mutating)
def set_config(name: str, body: JsonObject, service: Deps) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ConfigError("the body must be a JSON object (the camera config)")
    config = service.cameras.set_config(name, body)
    return ok(config=config.to_dict(), unknown_keys=config.unknown_keys(), ignored_keys=config.inert_keys())


@router.delete("/{name}/config", summary="Delete a camera config", dependencies=Mutating)
def delete_config(name: str, service: Deps) -> dict[str, Any]:
    service.cameras.delete_config(name)
    return ok()


@router.get("/{name}/geometry", summary="[width, height] after binning, rotation and ROI")
def geometry(name: str, service: Deps) -> dict[str, Any]:
    return ok(geometry=service.cameras.geometry(name))


@router.get(
    "/{name}/image",
    summary="One image as PNG",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def image(
    name: str,
    service: Deps,
    raw: Annotated[bool, Query(description="before the camera's transforms")] = False,
    scale: Annotated[float | None, Query(gt=0, le=16)] = None,
    min_value: float | None = None,
    max_value: float | None = None,
    colormap: str = "rainbow",
) -> Response:
    frame = service.cameras.grab(name, raw=raw)
    png = render_png(frame, colormap=colormap, scale=scale, min_value=min_value, max_value=max_value)
    return Response(png, media_type="image/png")


@router.get("/{name}/image_bytes", summary="One image as base64 bytes with shape and dtype")
def image_bytes(name: str, service: Deps) -> dict[str, Any]:
    return ok(image=image_payload(service.cameras.grab(name)))


@router.get("/{name}/info", summary="The camera's instance: state, statistics, exit code")
def instance_info(name: str, service: Deps) -> dict[str, Any]:
    return ok(info=instance_report(service.cameras.instance(name)))
