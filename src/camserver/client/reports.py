"""Typed views of what the server reports: instances, the server itself, started instances, logs.

The server sends CamServer's dictionaries (``/info``, ``/instance/<id>/info``); these models read
them, keep every key (unknown ones too, as extra fields) and type camserver's additions: the
instance state and the full statistics in ``detail``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from camserver.models.instance import InstanceKind, InstanceState, InstanceStatistics

__all__ = ["Groups", "InstanceReport", "LogRecord", "LogRecords", "Names", "ServerReport", "StartedInstance"]


class InstanceReport(BaseModel):
    """One instance as ``/info`` and ``/instance/<id>/info`` describe it.

    ``statistics`` is CamServer's formatted dictionary (``rx``: ``"12.00Hz - 345"``); ``detail`` the
    same figures as numbers, with camserver's drop counters.
    """

    model_config = ConfigDict(extra="allow")

    instance_id: str = Field(description="the instance id (a camera's name for camera instances)")
    kind: InstanceKind | None = None
    camera_name: str | None = None
    stream_address: str | None = None
    is_stream_active: bool = False
    last_start_time: str | None = None
    state: InstanceState | None = None
    exit_code: int | None = None
    reason: str | None = None
    restarts: int = 0
    permanent: bool = False
    read_only: bool = False
    node: str | None = None
    camera_geometry: list[int] | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    statistics: dict[str, Any] = Field(default_factory=dict)
    detail: InstanceStatistics = Field(default_factory=InstanceStatistics)

    @classmethod
    def read(cls, data: dict[str, Any], *, instance_id: str, kind: InstanceKind | None = None) -> InstanceReport:
        """The report in ``data``; ``instance_id`` and ``kind`` fill what the dictionary leaves out."""
        given = dict(data)
        given.setdefault("instance_id", instance_id)
        if kind is not None:
            given.setdefault("kind", kind)
        return cls.model_validate(given)

    @property
    def active(self) -> bool:
        """Starting or running (CamServer servers: the stream is active)."""
        if self.state is None:
            return self.is_stream_active
        return self.state in (InstanceState.STARTING, InstanceState.RUNNING)


class ServerReport(BaseModel):
    """A server's ``/info``: its version, active instances of one kind, and its host's load."""

    model_config = ConfigDict(extra="allow")

    version: str
    active_instances: dict[str, InstanceReport] = Field(default_factory=dict)
    cpu: float | None = None
    memory: int | None = None
    tx: float | None = None
    rx: float | None = None

    @classmethod
    def read(cls, data: dict[str, Any], *, kind: InstanceKind) -> ServerReport:
        """The report in ``data``, each instance given its id and ``kind``."""
        given = dict(data)
        instances = given.get("active_instances") or {}
        given["active_instances"] = {
            name: InstanceReport.read(report, instance_id=name, kind=kind) for name, report in instances.items()
        }
        return cls.model_validate(given)


class StartedInstance(BaseModel):
    """A pipeline instance the server started (or found): its id, stream and config."""

    instance_id: str
    stream: str
    config: dict[str, Any] = Field(default_factory=dict)


class LogRecord(NamedTuple):
    """One log record, as CamServer lists it: ``[time, logger, level, message]``."""

    time: str
    logger: str
    level: str
    message: str

    def __str__(self) -> str:
        return f"{self.time} {self.level:<7} {self.logger}: {self.message}"


#: names (of cameras, pipelines, backgrounds, scripts); an alias, since noun classes have a ``list`` method
Names = list[str]
#: ``{group: [names]}``
Groups = dict[str, list[str]]
#: log records, oldest first
LogRecords = list[LogRecord]
