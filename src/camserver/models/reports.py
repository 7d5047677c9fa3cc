"""What the server reports about instances and itself, under CamServer's keys plus camserver's own.

Defined once: the server builds these (``/info``, ``/instance/<id>/info``, ``/heartbeat``,
``/api/v1/instances``) and the client parses the same classes. Every model keeps keys it does not
know (a CamServer server sends a few of its own), and every camserver addition has a default, so
CamServer's answers parse too.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from camserver.models.instance import InstanceKind, InstanceState, InstanceStatistics

__all__ = [
    "ActiveDiag",
    "CamServerStatistics",
    "CameraDiag",
    "Databuffer",
    "HeartbeatEntry",
    "HostLoad",
    "IdleDiag",
    "ImagePayload",
    "InstanceDiag",
    "InstanceReport",
    "InstanceSummary",
    "LogRecord",
    "ProxyInfo",
    "ProxyInstanceReport",
    "ProxyServerReport",
    "ServerReport",
]


class CamServerStatistics(BaseModel):
    """An instance's figures as CamServer formats them (``rx``: ``"12.00Hz - 345"``)."""

    model_config = ConfigDict(extra="allow")

    total_bytes: int = 0
    clients: int | str = Field(0, description="connected readers (CamServer: '<n> + <forwarder clients>')")
    throughput: float = 0.0
    time: str = Field("", description="%H:%M:%S of the figures")
    rx: str = Field("", description="'<rate>Hz - <count>' received")
    tx: str = Field("", description="'<rate>Hz - <count>' sent")
    pid: str = ""
    cpu: float = 0.0
    memory: int = 0
    header_changes: int = 0
    frame_shape: str | None = Field(None, description="'<width>x<height>x<bytes per pixel>'")

    @classmethod
    def of(cls, statistics: InstanceStatistics) -> CamServerStatistics:
        """``statistics`` under CamServer's keys and formats."""
        shape = statistics.frame_shape
        return cls(
            total_bytes=statistics.bytes_received or statistics.bytes_sent,
            clients=statistics.clients,
            throughput=statistics.throughput,
            time=time.strftime("%H:%M:%S", time.localtime(statistics.time)),
            rx=f"{statistics.rx_rate:1.2f}Hz - {statistics.rx_count}",
            tx=f"{statistics.tx_rate:1.2f}Hz - {statistics.tx_count}",
            pid=str(statistics.pid) if statistics.pid is not None else "",
            cpu=statistics.cpu,
            memory=statistics.memory,
            header_changes=statistics.header_changes,
            frame_shape=f"{shape[0]}x{shape[1]}x{shape[2]}" if shape else None,
        )


class InstanceReport(BaseModel):
    """One instance as ``/info`` and ``/instance/<id>/info`` describe it: CamServer's keys, then
    camserver's (the state, why it ended, and the figures as numbers in ``detail``)."""

    model_config = ConfigDict(extra="allow")

    stream_address: str | None = None
    is_stream_active: bool = False
    last_start_time: str | None = None
    camera_name: str | None = None
    camera_geometry: list[int] | None = Field(None, description="cameras: [width, height] of the last frame")
    config: dict[str, Any] = Field(default_factory=dict)
    statistics: CamServerStatistics = Field(default_factory=CamServerStatistics)
    instance_id: str = Field("", description="the instance id (a camera's name for camera instances)")
    read_only: bool = False
    kind: InstanceKind | None = None
    state: InstanceState | None = None
    pid: int | None = None
    exit_code: int | None = None
    reason: str | None = Field(None, description="why it failed or stopped, in words")
    restarts: int = 0
    permanent: bool = False
    node: str | None = None
    local_stream: str | None = Field(None, description="the local stream for readers on the same host")
    detail: InstanceStatistics = Field(default_factory=InstanceStatistics)

    def identified(self, instance_id: str, kind: InstanceKind | None = None) -> InstanceReport:
        """This report with ``instance_id`` and ``kind`` filled in where the server left them out
        (CamServer's camera reports carry neither)."""
        changes: dict[str, Any] = {}
        if not self.instance_id:
            changes["instance_id"] = instance_id
        if self.kind is None and kind is not None:
            changes["kind"] = kind
        return self.model_copy(update=changes) if changes else self

    @property
    def active(self) -> bool:
        """Starting or running (CamServer servers: the stream is active)."""
        if self.state is None:
            return self.is_stream_active
        return self.state in (InstanceState.STARTING, InstanceState.RUNNING)


class HostLoad(BaseModel):
    """The server host's load: CPU percent, memory used, network bytes/s since the previous call."""

    model_config = ConfigDict(extra="allow")

    cpu: float | None = None
    memory: int | None = None
    tx: float | None = None
    rx: float | None = None


class ServerReport(HostLoad):
    """A server's ``/info``: its version, active instances of one kind, and its host's load."""

    version: str = ""
    active_instances: dict[str, InstanceReport] = Field(default_factory=dict)

    def identified(self, kind: InstanceKind) -> ServerReport:
        """This report with every instance given its id and ``kind``."""
        instances = {name: report.identified(name, kind) for name, report in self.active_instances.items()}
        return self.model_copy(update={"active_instances": instances})


class HeartbeatEntry(BaseModel):
    """One instance in ``/heartbeat``: CamServer's figures as numbers, plus state and drops."""

    model_config = ConfigDict(extra="allow")

    stream_address: str | None = None
    camera_name: str | None = None
    simulation: bool = False
    last_start_time: str | None = None
    read_only: bool = False
    geometry: list[int] | None = None
    total_bytes: int = 0
    clients: int | str = 0
    throughput: float = 0.0
    time: str = ""
    pid: int | str | None = None
    cpu: float = 0.0
    memory: int = 0
    header_changes: int = 0
    frame_shape: str | None = None
    rx: float = Field(0.0, description="frames per second received")
    tx: float = Field(0.0, description="frames per second sent")
    state: InstanceState | None = None
    input_drops: int = 0
    output_drops: int = 0


class InstanceSummary(BaseModel):
    """One instance in ``/api/v1/instances`` (the web page's list), cameras and pipelines alike."""

    kind: InstanceKind
    instance_id: str
    config_name: str | None = None
    camera_name: str | None = None
    state: InstanceState
    active: bool
    stream_address: str | None = None
    permanent: bool = False
    read_only: bool = False
    reason: str | None = None
    exit_code: int | None = None
    restarts: int = 0
    last_start_time: str | None = None
    end_time: str | None = Field(None, description="when an ended instance ended")
    node: str = "local"
    statistics: InstanceStatistics = Field(default_factory=InstanceStatistics)


class ImagePayload(BaseModel):
    """An image in a JSON answer, as CamServer sends it: base64 bytes, ``[height, width]``, numpy dtype."""

    model_config = ConfigDict(extra="allow")

    bytes: str = Field(description="the pixels, base64")
    shape: list[int] = Field(description="[height, width]")
    dtype: str = Field(description="numpy's dtype string, e.g. '<u2'")


class LogRecord(NamedTuple):
    """One log record, as CamServer lists it: ``[time, logger, level, message]``."""

    time: str
    logger: str
    level: str
    message: str

    def __str__(self) -> str:
        return f"{self.time} {self.level:<7} {self.logger}: {self.message}"


class ProxyInstanceReport(InstanceReport):
    """An instance in the proxy's ``/info``: its report and the server it runs on."""

    host: str | None = Field(None, description="the server (node) the instance runs on")


class ProxyServerReport(BaseModel):
    """A server in the proxy's ``/info``: its instances of the proxy's kind, its load and figures
    (all null for a server that is not in the cluster now)."""

    model_config = ConfigDict(extra="allow")

    instances: list[str] = Field(default_factory=list, description="its active instances of the kind, by name")
    load: int | None = Field(None, description="how many; 1000: not in the cluster now (CamServer: unreachable)")
    version: str | None = None
    cpu: float | None = Field(None, description="CPU use of the server's host, percent")
    memory: int | None = Field(None, description="memory in use on the server's host, bytes")
    tx: float | None = Field(None, description="bytes/s sent by the host (null where not measured)")
    rx: float | None = Field(None, description="bytes/s received by the host (null where not measured)")


class ProxyInfo(BaseModel):
    """The proxy's ``/info``: every active instance of its kind, and every server."""

    model_config = ConfigDict(extra="allow")

    active_instances: dict[str, ProxyInstanceReport] = Field(default_factory=dict)
    servers: dict[str, ProxyServerReport] = Field(default_factory=dict, description="{server: its report}")


#: whether DataBuffer reads an instance: ``active``, ``inactive`` (it should, and does not), ``invalid`` (not
#: for DataBuffer: not a running permanent PUSH pipeline)
Databuffer = Literal["active", "inactive", "invalid"]


class IdleDiag(BaseModel):
    """An instance that is not running, in the proxy's ``/diag``."""

    model_config = ConfigDict(extra="allow")

    permanent: bool = Field(description="listed in the permanent instances")
    status: Literal["inactive", "invalid"] = Field(description="inactive: a config of that name exists; else invalid")
    databuffer: Databuffer = "invalid"


class ActiveDiag(BaseModel):
    """A running instance in the proxy's ``/diag`` (CamServer's management GUI reads these keys)."""

    model_config = ConfigDict(extra="allow")

    permanent: bool = Field(description="listed in the permanent instances")
    status: Literal["active"]
    clients: int = Field(description="connected readers")
    forwards: int | None = Field(None, description="CamServer: readers of a camera's forwarder; none here (null)")
    rx: str = Field(description="frames per second received, two decimals")
    tx: str = Field(description="frames per second sent, two decimals")
    cpu: float = Field(description="percent of one core")
    memory: int = Field(description="resident memory, bytes")
    header_changes: int
    frame_shape: str | None = Field(description="'<width>x<height>x<bytes per pixel>', null before the first frame")
    node: str | None = Field(None, description="the node it runs on (camserver's)")
    mode: str | None = Field(None, description="the output's socket mode: PUB, PUSH, ... (null: config unknown)")
    databuffer: Databuffer = "invalid"


#: one instance in ``/diag``, told apart by ``status``
InstanceDiag = Annotated[ActiveDiag | IdleDiag, Field(discriminator="status")]


class CameraDiag(BaseModel):
    """``/diag/camera:<camera>`` on the pipelines' proxy: every pipeline instance of a camera."""

    model_config = ConfigDict(extra="allow")

    pipelines: dict[str, InstanceDiag] = Field(description="{instance: its diag}")
    databuffer: Literal["invalid", "inactive", "active", "all_active"] = Field(
        description="of the pipelines DataBuffer should read: all_active: all are read, active: some, "
        "inactive: none; invalid: there are no such pipelines"
    )
