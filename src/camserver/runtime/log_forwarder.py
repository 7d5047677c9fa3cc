"""Sends an instance's log records to its server, where they fill the instance's log ring."""

from __future__ import annotations

import logging
import time

from camserver.runtime.control import ControlChannel, LogReport

__all__ = ["LogForwarder"]


class LogForwarder(logging.Handler):
    """A logging handler that forwards records over the control channel.

    At most ``burst`` records per second leave the instance; the rest are counted and summarised
    in one record, so a function that logs on every frame cannot flood the server.
    """

    def __init__(self, channel: ControlChannel, *, level: int = logging.INFO, burst: int = 50) -> None:
        super().__init__(level)
        self._channel = channel
        self._burst = burst
        self._second = 0
        self._sent = 0
        self._suppressed = 0
        self.setFormatter(logging.Formatter())

    def emit(self, record: logging.LogRecord) -> None:
        second = int(record.created)
        if second != self._second:
            if self._suppressed:
                self._forward(record.created, record.name, "WARNING", f"{self._suppressed} log records dropped")
            self._second, self._sent, self._suppressed = second, 0, 0
        if self._sent >= self._burst:
            self._suppressed += 1
            return
        self._sent += 1
        self._forward(record.created, record.name, record.levelname, self.format(record))

    def _forward(self, created: float, name: str, level: str, message: str) -> None:
        asctime = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created))
        self._channel.send(LogReport([asctime, name, level, message]))
