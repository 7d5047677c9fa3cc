"""Frames of several connections to one stream, put back in pulse-id order (sans I/O).

A sender that PUSHes to several PULL connections deals its messages out round-robin, so each
connection sees every N-th pulse. CamServer's rule: hold one frame per connection and release the
smallest pulse id once every connection holds one. Here a frame is also released when it has
waited ``patience`` seconds for the others (CamServer would hold it until the slowest connection
delivers, which holds the last frames forever when the sender stops). A frame whose pulse id is
not above the last one released is dropped (with ``enforce_pid``) and counted in :attr:`late`,
together with the frames behind it on its connection that are as old (CamServer flushes that
connection).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from camserver.sources.source import Frame

__all__ = ["PulseMerge"]


@dataclass(slots=True)
class _Held:
    frame: Frame
    pulse_id: int
    arrived: float


class PulseMerge:
    """Holds up to ``depth`` frames per connection; :meth:`take` releases them in pulse-id order.

    Frames without a pulse id sort as pulse id -1 (released first, never late). When a
    connection's queue is full its oldest frame is dropped and counted in :attr:`overflow`.
    """

    def __init__(self, connections: int, *, patience: float, enforce_pid: bool = True, depth: int = 8) -> None:
        if connections < 1:
            raise ValueError("a merge needs at least one connection")
        self.patience = patience
        self.enforce_pid = enforce_pid
        self.depth = max(depth, 1)
        self.late = 0
        self.overflow = 0
        self.last_pulse_id: int | None = None
        self._queues: list[deque[_Held]] = [deque() for _ in range(connections)]

    @property
    def dropped(self) -> int:
        """Frames that were not released: late ones and overflow."""
        return self.late + self.overflow

    def __len__(self) -> int:
        return sum(len(queue) for queue in self._queues)

    def full(self, connection: int) -> bool:
        """Whether ``connection`` holds ``depth`` frames (a reader should wait before adding more)."""
        return len(self._queues[connection]) >= self.depth

    def add(self, connection: int, frame: Frame, now: float) -> None:
        """A frame that arrived on ``connection`` at time ``now``."""
        queue = self._queues[connection]
        if len(queue) >= self.depth:
            queue.popleft()
            self.overflow += 1
        pulse_id = frame.pulse_id if frame.pulse_id is not None else -1
        queue.append(_Held(frame, pulse_id, now))

    def ready_at(self) -> float | None:
        """When :meth:`take` releases a frame by patience alone (None: nothing is held)."""
        heads = [queue[0].arrived for queue in self._queues if queue]
        return min(heads) + self.patience if heads else None

    def take(self, now: float) -> Frame | None:
        """The next frame in pulse-id order, or None while the connections must be waited for."""
        while True:
            waiting = [queue for queue in self._queues if queue]
            if not waiting:
                return None
            if len(waiting) < len(self._queues) and now < min(queue[0].arrived for queue in waiting) + self.patience:
                return None
            queue = min(waiting, key=lambda candidate: candidate[0].pulse_id)
            held = queue.popleft()
            last = self.last_pulse_id
            if self.enforce_pid and last is not None and held.pulse_id <= last and held.pulse_id >= 0:
                self.late += 1
                while queue and queue[0].pulse_id <= last:
                    queue.popleft()
                    self.late += 1
                continue
            if held.pulse_id >= 0:
                self.last_pulse_id = held.pulse_id
            return held.frame
