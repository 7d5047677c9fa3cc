"""Frame pacing on an absolute schedule, for sources that make their own frames.

Frame ``k`` is due at ``origin + k / rate``: the schedule never drifts, however long each frame
took to make. Like a camera's driver, the clock holds ``buffer`` frames besides the newest for a
reader that is late: a reader a few periods behind (descheduled for a moment) gets those frames,
each with its scheduled timestamp, and catches up; older frames are skipped and counted, like a
camera overrunning its readout.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from camserver.errors import ConfigError
from camserver.protocol import Timestamp

__all__ = ["FrameClock"]


class FrameClock:
    """When the next frame is due, and which frames a slow reader missed.

    ``clock`` (monotonic seconds) and ``sleep`` are injectable so tests can drive the schedule
    without waiting; ``wall_clock_ns`` anchors the frames' timestamps to Unix time.
    """

    def __init__(
        self,
        rate: float,
        *,
        buffer: int = 4,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        if not rate > 0 or math.isinf(rate):
            raise ConfigError(f"frame_rate must be a positive number of frames per second, not {rate!r}")
        self.rate = float(rate)
        self.period = 1.0 / self.rate
        self.buffer = max(buffer, 0)
        self.skipped = 0
        self._clock = clock
        self._sleep = sleep
        self._wall_clock_ns = wall_clock_ns
        self._origin: float | None = None
        self._wall_origin_ns = 0
        self._next = 0

    def start(self) -> None:
        """Restart the schedule: frame 0 is due now."""
        self._origin = self._clock()
        self._wall_origin_ns = self._wall_clock_ns()
        self._next = 0

    def due(self, index: int) -> float:
        """The clock time frame ``index`` is due."""
        if self._origin is None:
            raise RuntimeError("the frame clock is not started")
        return self._origin + index * self.period

    def wait(self, timeout: float) -> int | None:
        """Wait for the next frame and return its index.

        None (after waiting ``timeout`` seconds) if the frame is due later than that. A reader
        late by at most ``buffer`` whole periods gets the next frame in order; one later than that
        loses the oldest frames beyond the buffer (counted in :attr:`skipped`).
        """
        if self._origin is None:
            self.start()
        now = self._clock()
        due = self.due(self._next)
        if due > now + max(timeout, 0.0):
            if timeout > 0:
                self._sleep(timeout)
            return None
        if due > now:
            self._sleep(due - now)
        else:
            behind = math.floor((now - due) * self.rate + 1e-9)
            if behind > self.buffer:
                self.skipped += behind - self.buffer
                self._next += behind - self.buffer
        index = self._next
        self._next += 1
        return index

    def timestamp(self, index: int) -> Timestamp:
        """The Unix time of frame ``index`` by the schedule (exactly one period apart)."""
        return Timestamp.from_ns(self._wall_origin_ns + round(index * self.period * 1e9))
