"""Server log records as one JSON object per line (``--log-format json``), for log collectors."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

__all__ = ["JsonLogFormatter"]


class JsonLogFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message"}``, plus ``"instance"`` (``camera/<id>`` or
    ``pipeline/<id>``) on records about one instance, and ``"exception"`` with the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        instance = getattr(record, "instance", None)
        if instance is not None:
            entry["instance"] = str(instance)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
