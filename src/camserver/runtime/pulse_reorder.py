"""Putting messages back in pulse-id order (fan-in of several workers), within a bounded buffer."""

from __future__ import annotations

import heapq
import itertools
from typing import Generic, TypeVar

__all__ = ["PulseReorder"]

Item = TypeVar("Item")


class PulseReorder(Generic[Item]):
    """Holds up to ``size`` messages and releases the smallest pulse id when full (CamServer's
    ``pid_buffer``). A message older than one already released leaves at once, out of order, and is
    counted in :attr:`late`: reordering is best effort, nothing is dropped."""

    def __init__(self, size: int) -> None:
        self.size = max(size, 1)
        self._heap: list[tuple[int, int, Item]] = []
        self._order = itertools.count()
        self._last_released: int | None = None
        self.late = 0

    def push(self, pulse_id: int, item: Item) -> list[tuple[int, Item]]:
        """Add a message; returns the messages released by it, in order."""
        if self._last_released is not None and pulse_id < self._last_released:
            self.late += 1
            return [(pulse_id, item)]
        heapq.heappush(self._heap, (pulse_id, next(self._order), item))
        released = []
        while len(self._heap) > self.size:
            pulse, _, oldest = heapq.heappop(self._heap)
            self._last_released = pulse
            released.append((pulse, oldest))
        return released

    def flush(self) -> list[tuple[int, Item]]:
        """Everything held, in pulse-id order (at the end of the stream)."""
        released = []
        while self._heap:
            pulse, _, item = heapq.heappop(self._heap)
            self._last_released = pulse
            released.append((pulse, item))
        return released

    def __len__(self) -> int:
        return len(self._heap)
