"""What runs inside one instance process: the camera and pipeline loops, their control channel
to the server, statistics aggregation and log forwarding. :func:`run_instance` is the entry."""

from camserver.runtime.control import (
    Command,
    ConfigCommand,
    ControlChannel,
    ExitedReport,
    FailedReport,
    LogReport,
    PipeChannel,
    Report,
    StartedReport,
    StatisticsReport,
    StopCommand,
)
from camserver.runtime.entry import run_instance
from camserver.runtime.statistics import StatisticsCollector

__all__ = [
    "Command",
    "ConfigCommand",
    "ControlChannel",
    "ExitedReport",
    "FailedReport",
    "LogReport",
    "PipeChannel",
    "Report",
    "StartedReport",
    "StatisticsCollector",
    "StatisticsReport",
    "StopCommand",
    "run_instance",
]
