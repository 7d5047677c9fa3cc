"""The JSON answers of the REST API, one class per shape: CamServer's envelope
``{"state": "ok", "status": "<words>", ...}`` and the fields each route adds.

The server declares these as the routes' ``response_model`` (so ``/openapi.json`` describes every
answer) and the client parses answers with the same classes. Errors are :class:`ErrorReply`, with
the HTTP status of the error's class. Replies keep fields they do not know, so a CamServer server's
answers parse as well.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from camserver.models.node import NodeList
from camserver.models.reports import (
    CameraDiag,
    HeartbeatEntry,
    HostLoad,
    ImagePayload,
    InstanceDiag,
    InstanceReport,
    InstanceSummary,
    LogRecord,
    ProxyInfo,
    ProxyServerReport,
    ServerReport,
)

__all__ = [
    "AliasesReply",
    "BackgroundIdReply",
    "BackgroundIdsReply",
    "BaseReply",
    "CameraNamesReply",
    "ConfigNamesReply",
    "ConfigReply",
    "ConfigTextReply",
    "DiagReply",
    "ErrorReply",
    "ExitCodeReply",
    "GeometryReply",
    "GroupsReply",
    "HeartbeatReply",
    "ImageReply",
    "InstanceInfoReply",
    "InstancesReply",
    "LibNamesReply",
    "LibReply",
    "LogsReply",
    "NestedDiagReply",
    "NestedInfoReply",
    "NodesReply",
    "OnlineReply",
    "PermanentReply",
    "PipelineNamesReply",
    "ProxyInfoReply",
    "ProxyStatusReply",
    "RawConfigReply",
    "Reply",
    "ScriptNamesReply",
    "ScriptReply",
    "ServerInfoReply",
    "ServersReply",
    "StartedReply",
    "StreamReply",
    "VersionReply",
]


class Reply(BaseModel):
    """A successful answer; routes that only act answer this alone."""

    model_config = ConfigDict(extra="allow")

    state: Literal["ok"] = "ok"
    status: str = Field("ok", description="what was done, in words")


class ErrorReply(BaseModel):
    """A failed answer; ``error`` names the exception class the client raises again."""

    model_config = ConfigDict(extra="allow")

    state: Literal["error"] = "error"
    status: str = Field(description="what is wrong, in words")
    error: str = Field("CamServerError", description="the camserver exception class")


class CameraNamesReply(Reply):
    cameras: list[str]


class PipelineNamesReply(Reply):
    pipelines: list[str]


class ConfigNamesReply(Reply):
    config_names: list[str]


class ScriptNamesReply(Reply):
    scripts: list[str]


class LibNamesReply(Reply):
    libs: list[str]


class BackgroundIdsReply(Reply):
    background_ids: list[str] = Field(description="oldest first")


class BackgroundIdReply(Reply):
    background_id: str


class AliasesReply(Reply):
    aliases: dict[str, str] = Field(description="{alias: camera}")


class GroupsReply(Reply):
    groups: dict[str, list[str]] = Field(description="{group: [names]}")


class StreamReply(Reply):
    stream: str = Field(description="the bsread stream address, tcp://host:port")
    local_stream: str | None = Field(None, description="the local stream (shared memory) for readers on this host")


class OnlineReply(Reply):
    online: bool


class ConfigReply(Reply):
    config: dict[str, Any] = Field(description="the config with every default filled in")
    unknown_keys: list[str] = Field(default_factory=list, description="kept, but not acted on")
    ignored_keys: dict[str, str] = Field(default_factory=dict, description="CamServer keys without effect here: why")


class GeometryReply(Reply):
    geometry: tuple[int, int] = Field(description="[width, height] after binning, rotation and ROI")


class ImageReply(Reply):
    image: ImagePayload


class InstanceInfoReply(Reply):
    info: InstanceReport


class ServerInfoReply(Reply):
    info: ServerReport


class HeartbeatReply(Reply):
    version: str
    instances: dict[str, HeartbeatEntry]


class VersionReply(Reply):
    version: str


class ScriptReply(Reply):
    script: str


class LibReply(Reply):
    lib: str = Field(description="the library's text, or base64 when base64 is true")
    base64: bool = False


class StartedReply(Reply):
    instance_id: str
    stream: str
    config: dict[str, Any] = Field(default_factory=dict)


class ExitCodeReply(Reply):
    exitcode: int | None = Field(description="null while the instance runs (or for an unknown instance)")


class LogsReply(Reply):
    logs: list[LogRecord] = Field(description="[time, logger, level, message], oldest first")


class InstancesReply(Reply):
    instances: list[InstanceSummary]
    host: HostLoad


class BaseReply(Reply):
    base: str = Field(description="the route prefix CamServer's page uses")
    bases: list[str] = Field(description="every route prefix this server answers")


class NodesReply(NodeList, Reply):
    """``GET /api/v1/nodes``: the :class:`~camserver.models.node.NodeList` in the envelope."""


# -- CamServer's proxy (``/api/v1/proxy``), for the cameras or the pipelines -------------------------


class ServersReply(Reply):
    """``/proxy/servers``: one list per figure, one item per server, in the order of ``servers``."""

    servers: list[str]
    load: list[int | None] = Field(description="active instances of the kind; 1000: not in the cluster now")
    instances: list[list[str]]
    version: list[str | None]
    cpu: list[float | None]
    memory: list[int | None]
    tx: list[float | None]
    rx: list[float | None]

    @classmethod
    def of(cls, servers: dict[str, ProxyServerReport], status: str = "ok") -> ServersReply:
        """The lists of ``servers`` (``/proxy/info``'s ``servers``)."""
        reports = list(servers.values())
        return cls(
            status=status,
            servers=list(servers),
            load=[report.load for report in reports],
            instances=[report.instances for report in reports],
            version=[report.version for report in reports],
            cpu=[report.cpu for report in reports],
            memory=[report.memory for report in reports],
            tx=[report.tx for report in reports],
            rx=[report.rx for report in reports],
        )


class ProxyStatusReply(Reply):
    servers: dict[str, dict[str, InstanceReport] | None] = Field(
        description="{server: {instance: report}}; null: the server is not in the cluster now"
    )


class ProxyInfoReply(Reply):
    info: ProxyInfo


class NestedInfoReply(Reply):
    path: str = Field(description="the path asked for")
    ret: Any = Field(description="the part of the proxy's info the path names")


class DiagReply(Reply):
    diag: InstanceDiag | CameraDiag


class NestedDiagReply(Reply):
    name: str
    path: str = Field(description="the path asked for")
    ret: Any = Field(description="the part of the instance's diag the path names")


class RawConfigReply(Reply):
    config: dict[str, Any] = Field(description="the config as stored: the keys it sets, no defaults filled in")


class ConfigTextReply(Reply):
    config: str = Field(description="the config file's JSON text")


class PermanentReply(Reply):
    permanent_instances: dict[str, str] = Field(
        description="{instance: config}; an instance starting with '#' is switched off"
    )
