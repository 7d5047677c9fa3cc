"""The control channel between the server and one instance process.

The server sends commands (stop, a new config); the instance sends reports (started or failed at
start, statistics at most once a second, log records, its exit). Nothing travels per frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Protocol

from camserver.models.instance import InstanceStatistics

__all__ = [
    "Command",
    "ConfigAppliedReport",
    "ConfigCommand",
    "ControlChannel",
    "ExitedReport",
    "FailedReport",
    "LogReport",
    "PipeChannel",
    "Report",
    "StartedReport",
    "StatisticsReport",
    "StopCommand",
]


@dataclass(frozen=True, slots=True)
class StopCommand:
    """Finish the current frame, close, exit with code 0."""

    reason: str = "stopped"


@dataclass(frozen=True, slots=True)
class ConfigCommand:
    """Apply this (complete, validated) config from the next frame on, with the files the server
    resolved for it (``background_file``)."""

    config: dict[str, Any]
    resources: dict[str, Any] = field(default_factory=dict)
    #: echoed in :class:`ConfigAppliedReport`, so the server knows which update was applied
    sequence: int = 0


Command = StopCommand | ConfigCommand


@dataclass(frozen=True, slots=True)
class StartedReport:
    """The instance is running and publishes on ``stream`` (and on ``local_stream`` for readers on
    the same host, through shared memory)."""

    stream: str
    pid: int
    local_stream: str | None = None


@dataclass(frozen=True, slots=True)
class FailedReport:
    """The instance could not start; ``reason`` says why in words."""

    reason: str
    exit_code: int = 1


@dataclass(frozen=True, slots=True)
class StatisticsReport:
    """Figures of the last second."""

    statistics: InstanceStatistics


@dataclass(frozen=True, slots=True)
class LogReport:
    """One log record: ``[asctime, logger, level, message]`` as CamServer lists them."""

    record: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ConfigAppliedReport:
    """The config update ``sequence`` was applied (``error`` None) or refused, saying why."""

    sequence: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ExitedReport:
    """The instance is about to exit with ``exit_code`` for ``reason``."""

    exit_code: int
    reason: str


Report = StartedReport | FailedReport | StatisticsReport | LogReport | ConfigAppliedReport | ExitedReport


class ControlChannel(Protocol):
    """What an instance uses to hear from and talk to its server."""

    def commands(self) -> list[Command]:
        """Commands that arrived since the last call (never blocks). A lost server is a stop."""
        ...

    def send(self, report: Report) -> None:
        """Send a report; a lost server is ignored here and seen by :meth:`commands`."""
        ...


class PipeChannel:
    """A :class:`ControlChannel` over a ``multiprocessing`` pipe (the local backend)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._lost = False

    def commands(self) -> list[Command]:
        received: list[Command] = []
        if self._lost:
            return [StopCommand("the server is gone")]
        try:
            while self._connection.poll():
                command = self._connection.recv()
                if isinstance(command, StopCommand | ConfigCommand):
                    received.append(command)
        except (EOFError, OSError):
            self._lost = True
            received.append(StopCommand("the server is gone"))
        return received

    def send(self, report: Report) -> None:
        if self._lost:
            return
        try:
            self._connection.send(report)
        except (BrokenPipeError, EOFError, OSError):
            self._lost = True
