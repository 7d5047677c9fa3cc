"""Instances: what starts one (the spec), what it reports (statistics), what the server shows (info)."""

from __future__ import annotations

import time
from enum import IntEnum, StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "TIME_BUCKETS",
    "ExitCode",
    "InstanceInfo",
    "InstanceKind",
    "InstanceSpec",
    "InstanceState",
    "InstanceStatistics",
    "instance_key",
]


#: upper bounds (seconds) of the processing-time and latency histograms instances keep
TIME_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)


class InstanceKind(StrEnum):
    """What an instance runs."""

    CAMERA = "camera"
    PIPELINE = "pipeline"


def instance_key(kind: InstanceKind | str, instance_id: str) -> str:
    """How backends name an instance: cameras and pipelines may share an id (``camera/x``)."""
    return f"{InstanceKind(kind).value}/{instance_id}"


class ExitCode(IntEnum):
    """Exit codes of instance processes (CamServer's where it has them)."""

    OK = 0  #: stopped, finished (records, pid_range) or idle (no client)
    STARTUP_FAILED = 1  #: the instance could not start; the reason was reported
    PROCESSING_ERROR = 2  #: processing failed with abort_on_error
    PORT_IN_USE = 3  #: the stream's port was taken between its allocation and the bind
    INPUT_LOST = 4  #: the source or input stream failed for good
    FORMAT_ERROR = 5  #: frames kept arriving in an unusable format
    KILLED = -9  #: did not stop in time and was killed


class InstanceState(StrEnum):
    """Where an instance is in its life."""

    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"
    RESTARTING = "restarting"


class InstanceSpec(BaseModel):
    """Everything an instance process needs to run, as plain data (it crosses process and node
    boundaries as JSON). The server resolves names into addresses and files before it starts one."""

    model_config = ConfigDict(extra="forbid")

    instance_id: str
    kind: InstanceKind
    config: dict[str, Any]
    config_name: str | None = None
    port: int | None = Field(None, description="port to bind; None: any free port")
    bind_host: str = "127.0.0.1"
    advertised_host: str = "127.0.0.1"
    server_url: str | None = Field(None, description="REST API of the server, to reconnect to cameras")
    camera_stream: str | None = Field(None, description="pipelines: the camera's stream address")
    camera_local_stream: str | None = Field(
        None, description="pipelines: the camera's local stream (shared memory), when on the same host"
    )
    local_stream: str | None = Field(
        None,
        description="cameras and publishing pipelines: where to offer a local stream (shared memory) to readers "
        "on this host",
    )
    input_streams: dict[str, str] = Field(default_factory=dict, description="resolved input addresses")
    dispatcher_url: str | None = Field(
        None, description="pipelines: the DataBuffer dispatcher asked for channels without an address"
    )
    input_local_streams: dict[str, str] = Field(
        default_factory=dict,
        description="pipelines: the local stream of the input pipeline on this host, under input_streams' key",
    )
    local_streams_node: str | None = Field(
        None,
        description="cluster: the node on which camera_local_stream and input_local_streams exist; an instance "
        "placed on another node reads its input over TCP instead",
    )
    node: str | None = Field(
        None, description="cluster: the node the instance runs on, set by the backend where it starts it"
    )
    background_file: str | None = Field(None, description="the .npy background to subtract, resolved")
    background_dir: str | None = None
    ipc_dir: str | None = Field(None, description="folder for ipc:// stream sockets (protocol: ipc)")
    user_scripts_dir: str | None = Field(None, description="set only when user scripts are allowed")
    permanent: bool = False
    read_only: bool = False
    log_level: str = "INFO"
    max_message_size: int | None = Field(
        None, description="the most value bytes one received message may declare (None: the decoder's default)"
    )

    @property
    def key(self) -> str:
        """The instance's name in a backend: ``camera/<id>`` or ``pipeline/<id>``."""
        return instance_key(self.kind, self.instance_id)


class InstanceStatistics(BaseModel):
    """What an instance reports, at most once a second. Every frame that does not leave the
    instance is counted in one of the drop or skip counters."""

    time: float = Field(default_factory=time.time, description="when these figures were taken (epoch s)")
    pid: int | None = None
    rx_count: int = 0
    rx_rate: float = 0.0
    tx_count: int = 0
    tx_rate: float = 0.0
    bytes_received: int = 0
    bytes_sent: int = 0
    throughput: float = Field(0.0, description="bytes per second out, over the last second")
    input_drops: int = Field(0, description="frames lost before processing (source, pulse-id gaps)")
    output_drops: int = Field(0, description="whole messages not sent at the high-water mark")
    subscriber_overflows: int = Field(
        0,
        description=(
            "PUB outputs: times a subscriber's queue was full, so that it missed a message the others "
            "got (and possibly the next ones, until its queue had room)"
        ),
    )
    processing_errors: int = 0
    skipped: int = Field(0, description="frames left out on purpose (pause, pid_range, rate limits)")
    decode_errors: int = Field(0, description="received messages that were not valid bsread (or beyond the limits)")
    pulse_resyncs: int = Field(
        0, description="times the pulse-id order was taken up again after a run of out-of-order messages"
    )
    withheld_values: int = Field(0, description="channel values sent empty or left out by the header strategy")
    late_messages: int = Field(0, description="fan-in: messages that arrived after their place in pulse-id order")
    clients: int = 0
    cpu: float = Field(0.0, description="percent of one core")
    memory: int = Field(0, description="resident memory, bytes")
    frame_shape: list[int] | None = Field(
        None, min_length=3, max_length=3, description="[width, height, bytes per pixel]"
    )
    header_changes: int = 0
    processing_time_mean: float = Field(0.0, description="ms per frame")
    processing_time_max: float = Field(0.0, description="ms, over the last second")
    latency_mean: float = Field(0.0, description="ms from the frame's timestamp to sending")
    latency_max: float = 0.0
    processing_time_counts: list[int] = Field(
        default_factory=list,
        description="frames by processing time since the start: one count per TIME_BUCKETS bound, then the rest",
    )
    processing_time_sum: float = Field(0.0, description="seconds of processing since the start")
    latency_counts: list[int] = Field(
        default_factory=list, description="frames by latency since the start, as processing_time_counts"
    )
    latency_sum: float = Field(0.0, description="seconds of latency summed over the frames since the start")


class InstanceInfo(BaseModel):
    """A running (or recently ended) instance as the server knows it."""

    instance_id: str
    kind: InstanceKind
    config_name: str | None = None
    state: InstanceState
    stream_address: str | None = None
    local_stream: str | None = Field(None, description="the local stream for readers on the same host")
    pid: int | None = None
    exit_code: int | None = None
    reason: str | None = Field(None, description="why it failed or stopped, in words")
    last_start_time: str | None = None
    end_time: str | None = Field(None, description="when its process ended (None while it runs)")
    restarts: int = 0
    permanent: bool = False
    read_only: bool = False
    config: dict[str, Any] = Field(default_factory=dict)
    statistics: InstanceStatistics = Field(default_factory=InstanceStatistics)
    node: str = "local"

    @property
    def key(self) -> str:
        """The instance's name in a backend: ``camera/<id>`` or ``pipeline/<id>``."""
        return instance_key(self.kind, self.instance_id)

    @property
    def active(self) -> bool:
        """Starting or running."""
        return self.state in (InstanceState.STARTING, InstanceState.RUNNING)
