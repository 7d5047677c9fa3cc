"""The scalar channels of every message a feed takes, kept for the browsers' strip charts.

A feed appends one :class:`HistoryRecord` per message it reads (every message of a stream it reads
whole, else the messages it samples), holding the channels its browsers follow. Each browser
session keeps a cursor into the ring and, with each frame, gets the records added since: a strip
chart therefore has the stream's full rate wherever the feed reads the stream whole. Records that
left the ring before a session took them are counted as ``lost``.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["HISTORY_SIZE", "HistoryBatch", "HistoryRecord", "HistoryRing", "channel_number"]

#: records a feed keeps (a session more than this far behind loses the oldest)
HISTORY_SIZE = 4096


def channel_number(value: Any) -> float | None:
    """A finite number from a channel's value (a number or a one-element array), else None."""
    if isinstance(value, np.ndarray):
        if value.size != 1:
            return None
        value = value.reshape(-1)[0]
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """One message's followed channels: ``index`` counts records of the ring from 1."""

    index: int
    pulse_id: int
    time: float | None
    values: Mapping[str, float | None]


@dataclass(frozen=True, slots=True)
class HistoryBatch:
    """Records for one browser, as columns: ``pulse_id[i]``, ``time[i]`` and ``values[name][i]``."""

    pulse_id: list[int]
    time: list[float | None]
    values: dict[str, list[float | None]]
    lost: int

    def as_dict(self) -> dict[str, Any]:
        """The batch as JSON values."""
        return {"pulse_id": self.pulse_id, "time": self.time, "values": self.values, "lost": self.lost}


class HistoryRing:
    """The last :data:`HISTORY_SIZE` records; appended by the feed's thread, read by sessions."""

    def __init__(self, size: int = HISTORY_SIZE) -> None:
        self._lock = threading.Lock()
        self._records: deque[HistoryRecord] = deque(maxlen=size)
        self._next = 1

    @property
    def last_index(self) -> int:
        """The index of the newest record (0 before the first)."""
        return self._next - 1

    def append(self, pulse_id: int, time: float | None, data: Mapping[str, Any], channels: Iterable[str]) -> None:
        """Record the followed ``channels`` of one message's ``data``."""
        values = {name: channel_number(data.get(name)) for name in channels}
        with self._lock:
            self._records.append(HistoryRecord(self._next, pulse_id, time, values))
            self._next += 1

    def since(self, cursor: int, channels: Iterable[str]) -> tuple[HistoryBatch, int]:
        """The records after ``cursor`` (a record index) with ``channels``, and the new cursor."""
        with self._lock:
            last = self._next - 1
            newer = min(len(self._records), max(0, last - cursor))  # indices are consecutive
            records = list(itertools.islice(reversed(self._records), newer))[::-1]
        first = records[0].index if records else last + 1
        lost = max(0, first - cursor - 1) if cursor else 0
        names = list(channels)
        batch = HistoryBatch(
            pulse_id=[record.pulse_id for record in records],
            time=[record.time for record in records],
            values={name: [record.values.get(name) for record in records] for name in names},
            lost=lost,
        )
        return batch, last
