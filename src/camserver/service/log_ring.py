"""The server's own recent log records, as ``/api/v1/logs`` lists them."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence

__all__ = ["LogRing"]


class LogRing(logging.Handler):
    """Keeps the last ``size`` records as ``[asctime, logger, level, message]`` (CamServer's form)."""

    def __init__(self, size: int = 500, level: int = logging.INFO) -> None:
        super().__init__(level)
        self._records: deque[list[str]] = deque(maxlen=size)
        self._records_lock = threading.Lock()
        self.setFormatter(logging.Formatter())

    def emit(self, record: logging.LogRecord) -> None:
        asctime = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created))
        entry = [asctime, record.name, record.levelname, self.format(record)]
        with self._records_lock:
            self._records.append(entry)

    def records(self) -> list[list[str]]:
        """The kept records, oldest first."""
        with self._records_lock:
            return list(self._records)

    @staticmethod
    def as_text(records: Sequence[Sequence[str]]) -> str:
        """Lines ``"asctime - logger - level - message"``."""
        return "".join(" - ".join(record) + "\n" for record in records)
