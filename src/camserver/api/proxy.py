"""``/api/v1/proxy``: CamServer's proxy and manager routes (reference §2.4).

CamServer runs two proxies, cameras' (port 8888) and pipelines' (8889), under the same prefix.
camserver serves the whole API on its port, where ``/api/v1/proxy`` answers for cameras, and, with
``pipeline_port``, on a second port where it answers for pipelines (decision 0018). psi-camserver-
client's ``ProxyClient`` asks for server logs under ``/api/v1/server/...``, without ``/proxy``:
those paths answer too. Both kinds answer with the same models, so each route declares the errors
of both.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import PlainTextResponse

from camserver import __version__
from camserver.api.dependencies import authorize, services
from camserver.api.envelope import error_responses
from camserver.api.shared_routes import TEXT
from camserver.errors import ConfigError, Conflict, InstanceError, NotFound, PermissionDenied, Timeout
from camserver.models.instance import InstanceKind
from camserver.models.replies import (
    ConfigNamesReply,
    ConfigTextReply,
    DiagReply,
    LogsReply,
    NestedDiagReply,
    NestedInfoReply,
    PermanentReply,
    ProxyInfoReply,
    ProxyStatusReply,
    RawConfigReply,
    Reply,
    ServersReply,
    VersionReply,
)
from camserver.service import Services
from camserver.service.proxy import ProxyService

__all__ = ["client_paths", "proxy_kind", "router"]

router = APIRouter(prefix="/api/v1/proxy", tags=["proxy"])
#: the server-log paths psi-camserver-client's ProxyClient calls (without ``/proxy``)
client_paths = APIRouter(prefix="/api/v1/server", tags=["proxy"])
Mutating = [Depends(authorize)]
JsonObject = Annotated[dict[str, Any], Body()]

NAMED = (ConfigError, NotFound)
#: an instance stopped
STOPS = (PermissionDenied, *NAMED, InstanceError, Timeout)


def proxy_kind(request: Request) -> InstanceKind:
    """Pipelines on the server's ``pipeline_port``, cameras on its main port."""
    pipeline_port = getattr(request.app.state, "pipeline_port", None)
    server = request.scope.get("server")
    if pipeline_port is not None and server is not None and server[1] == pipeline_port:
        return InstanceKind.PIPELINE
    return InstanceKind.CAMERA


def proxy(request: Request, service: Annotated[Services, Depends(services)]) -> ProxyService:
    """The proxy of the kind this request's port answers for."""
    return service.proxies[proxy_kind(request)]


Proxy = Annotated[ProxyService, Depends(proxy)]


@router.get(
    "/servers",
    summary="Servers (nodes) as parallel lists: load, instances, figures",
    response_model=ServersReply,
    responses=error_responses(),
)
def servers(proxy: Proxy) -> ServersReply:
    return ServersReply.of(proxy.info().servers, status="List of servers.")


@router.get(
    "/status",
    summary="Each server's active instances (null: not in the cluster now)",
    response_model=ProxyStatusReply,
    responses=error_responses(),
)
def status(proxy: Proxy) -> ProxyStatusReply:
    return ProxyStatusReply(status="Status of available servers.", servers=proxy.status())


@router.get(
    "/info",
    summary="Active instances of every server, and the servers",
    response_model=ProxyInfoReply,
    responses=error_responses(),
)
def info(proxy: Proxy) -> ProxyInfoReply:
    return ProxyInfoReply(status="Running instances information.", info=proxy.info())


@router.get(
    "/info/{path:path}",
    summary="A part of /info: segments, _keys, _values, _split_<sep>, indices",
    response_model=NestedInfoReply,
    responses=error_responses(NotFound),
)
def nested_info(path: str, proxy: Proxy) -> NestedInfoReply:
    return NestedInfoReply(status="Nested information.", path=path, ret=proxy.nested_info(path))


@router.get(
    "/diag/{name}",
    summary="Diagnostics of an instance (pipelines: camera:<name> for a camera's)",
    response_model=DiagReply,
    responses=error_responses(),
)
def diag(name: str, proxy: Proxy) -> DiagReply:
    return DiagReply(status=f"Diag: {name}.", diag=proxy.diag(name))


@router.get(
    "/diag/{name}/{path:path}",
    summary="A part of an instance's diagnostics",
    response_model=NestedDiagReply,
    responses=error_responses(NotFound),
)
def nested_diag(name: str, path: str, proxy: Proxy) -> NestedDiagReply:
    return NestedDiagReply(status="Nested diag.", name=name, path=path, ret=proxy.nested_diag(name, path))


@router.get("/version", summary="Server version", response_model=VersionReply, responses=error_responses())
def version() -> VersionReply:
    return VersionReply(status="Version", version=__version__)


@router.get("/heartbeat", summary="The proxy answers", response_model=VersionReply, responses=error_responses())
def heartbeat() -> VersionReply:
    return VersionReply(status="Heartbeat", version=__version__)


@router.delete(
    "/server/{server}",
    summary="Stop every instance on one server",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(PermissionDenied, NotFound, InstanceError, Timeout),
)
def stop_server(server: str, proxy: Proxy) -> Reply:
    return Reply(status=f"All instances stopped in '{proxy.stop_server(server)}'.")


def _server_logs(server: str, proxy: Proxy) -> LogsReply:
    return LogsReply(status="Server logs.", logs=proxy.server_logs(server))


def _server_logs_text(server: str, proxy: Proxy) -> str:
    return proxy.as_text(proxy.server_logs(server))


def _instance_logs(server: str, instance: str, proxy: Proxy) -> LogsReply:
    return LogsReply(status="Server logs.", logs=proxy.instance_logs(server, instance))


def _instance_logs_text(server: str, instance: str, proxy: Proxy) -> str:
    return proxy.as_text(proxy.instance_logs(server, instance))


# CamServer's paths, and the ones ProxyClient calls (its /api/v1/server/... without /proxy)
for _prefix, _router in (("/server", router), ("", client_paths)):
    _router.add_api_route(
        f"{_prefix}/logs/{{server}}",
        _server_logs,
        summary="A server's logs",
        response_model=LogsReply,
        responses=error_responses(NotFound),
    )
    _router.add_api_route(
        f"{_prefix}/logs/{{server}}/txt",
        _server_logs_text,
        summary="A server's logs as text",
        response_class=PlainTextResponse,
        responses={**TEXT, **error_responses(NotFound)},
    )
    _router.add_api_route(
        f"{_prefix}/instance/logs/{{server}}/{{instance}}",
        _instance_logs,
        summary="An instance's logs on a server",
        response_model=LogsReply,
        responses=error_responses(NotFound),
    )
    _router.add_api_route(
        f"{_prefix}/instance/logs/{{server}}/{{instance}}/txt",
        _instance_logs_text,
        summary="An instance's logs on a server, as text",
        response_class=PlainTextResponse,
        responses={**TEXT, **error_responses(NotFound)},
    )


@router.get(
    "/config",
    summary="servers.json: the servers and their placement rules",
    response_model=RawConfigReply,
    responses=error_responses(),
)
def get_config(proxy: Proxy) -> RawConfigReply:
    return RawConfigReply(status="Proxy configuration retrieved.", config=proxy.servers_config())


@router.post(
    "/config",
    summary="Replace servers.json (later placements follow it)",
    dependencies=Mutating,
    response_model=RawConfigReply,
    responses=error_responses(PermissionDenied, ConfigError),
)
def set_config(body: JsonObject, proxy: Proxy) -> RawConfigReply:
    return RawConfigReply(status="Proxy configuration saved.", config=proxy.set_servers_config(body))


@router.get(
    "/permanent",
    summary="Permanent instances: {instance: config}",
    response_model=PermanentReply,
    responses=error_responses(),
)
def get_permanent(proxy: Proxy) -> PermanentReply:
    return PermanentReply(status="Permanent instances retrieved.", permanent_instances=proxy.permanent())


@router.post(
    "/permanent",
    summary="Replace the permanent instances (stops and starts to match)",
    dependencies=Mutating,
    response_model=PermanentReply,
    responses=error_responses(PermissionDenied, ConfigError, InstanceError, Timeout),
)
def set_permanent(body: JsonObject, proxy: Proxy) -> PermanentReply:
    return PermanentReply(status="Permanent instances saved.", permanent_instances=proxy.set_permanent(body))


@router.get(
    "/config_names", summary="Names of the configs", response_model=ConfigNamesReply, responses=error_responses()
)
def config_names(proxy: Proxy) -> ConfigNamesReply:
    return ConfigNamesReply(status="Configuration names retrieved.", config_names=proxy.config_names())


@router.get(
    "/{name}/config",
    summary="A named config as its file's JSON text",
    response_model=ConfigTextReply,
    responses=error_responses(*NAMED),
)
def get_named_config(name: str, proxy: Proxy) -> ConfigTextReply:
    return ConfigTextReply(status=f"{name} configuration retrieved.", config=proxy.named_config_text(name))


@router.post(
    "/{name}/config",
    summary="Save a named config (validated); a running camera applies it",
    dependencies=Mutating,
    response_model=RawConfigReply,
    responses=error_responses(PermissionDenied, *NAMED, Conflict, InstanceError, Timeout),
)
def set_named_config(name: str, body: JsonObject, proxy: Proxy) -> RawConfigReply:
    return RawConfigReply(status=f"{name} configuration saved.", config=proxy.set_named_config(name, body))


@router.delete(
    "/{name}/config",
    summary="Delete a named config",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(PermissionDenied, *NAMED),
)
def delete_named_config(name: str, proxy: Proxy) -> Reply:
    proxy.delete_named_config(name)
    return Reply(status=f"{name} configuration deleted.")


@router.delete(
    "/{instance}",
    summary="Stop an instance",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(*STOPS),
)
def stop(instance: str, proxy: Proxy) -> Reply:
    proxy.stop(instance)
    return Reply(status=f"Instance '{instance}' stopped.")


@router.delete(
    "/{instance}/del",
    summary="Stop an instance and forget it",
    dependencies=Mutating,
    response_model=Reply,
    responses=error_responses(*STOPS),
)
def delete(instance: str, proxy: Proxy) -> Reply:
    proxy.stop(instance, delete=True)
    return Reply(status=f"Instance '{instance}' stopped.")
