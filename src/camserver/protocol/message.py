"""A decoded bsread message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from camserver.protocol.header import DataHeader
from camserver.protocol.types import Timestamp

__all__ = ["ControlMessage", "Message"]


@dataclass(slots=True)
class Message:
    """One bsread message as received.

    ``data`` maps channel names (in header order) to values: numpy arrays in numpy shape order
    (read-only), numpy scalars for shape ``[1]``, ``str`` for strings and ``None`` for channels
    without a value in this message. ``format_changed`` is true when the data header differs from
    the previous message's.
    """

    pulse_id: int
    timestamp: Timestamp
    data: dict[str, Any]
    header: DataHeader
    channel_timestamps: dict[str, Timestamp | None] = field(default_factory=dict)
    format_changed: bool = False
    nbytes: int = 0

    def __getitem__(self, name: str) -> Any:
        return self.data[name]


@dataclass(frozen=True, slots=True)
class ControlMessage:
    """A message that is not data (e.g. ``bsr_stop-1.0``, ``bsr_reconnect-1.0``); receivers skip it."""

    htype: str
    header: dict[str, Any]
