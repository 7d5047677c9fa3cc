"""Which received frames a pipeline processes: CamServer's pause, pid_range, downsampling,
max_frame_rate, enforce_pid/enforce_timestamp and records, in that order."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

from camserver.models.pipeline import PipelineConfig
from camserver.protocol import Timestamp

__all__ = ["FrameGate", "Verdict"]


class Verdict(Enum):
    """What to do with a frame."""

    PROCESS = "process"
    SKIP = "skip"  #: left out on purpose; counted as skipped
    OUT_OF_ORDER = "out_of_order"  #: an older pulse id or timestamp; counted as an input drop
    FINISH = "finish"  #: the pipeline is done (pid_range passed its end); exit 0


class FrameGate:
    """Decides per frame; holds the counters the decisions need.

    ``downsampling: N`` keeps one frame in N (CamServer keeps one in N+1, an off-by-one not copied).
    ``max_frame_rate`` lets a frame through only when at least ``1/rate`` s passed since the last one
    let through.
    """

    def __init__(self, config: PipelineConfig, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen = 0
        self._last_passed: float | None = None
        self._last_pulse_id: int | None = None
        self._last_timestamp: Timestamp | None = None
        self.config = config

    def update(self, config: PipelineConfig) -> None:
        """Use a new config from the next frame on (counters continue)."""
        self.config = config

    def check(self, pulse_id: int, timestamp: Timestamp) -> Verdict:
        """The verdict on one received frame."""
        config = self.config
        if config.pause:
            return Verdict.SKIP
        if config.pid_range is not None:
            start, stop = config.pid_range
            if start <= 0 or pulse_id < start:
                return Verdict.SKIP
            if 0 < stop < pulse_id:
                return Verdict.FINISH
        if config.enforce_pid and self._last_pulse_id is not None and pulse_id <= self._last_pulse_id:
            return Verdict.OUT_OF_ORDER
        if config.enforce_timestamp and self._last_timestamp is not None and timestamp <= self._last_timestamp:
            return Verdict.OUT_OF_ORDER
        if config.check_timestamp and pulse_id % 1_000_000 != timestamp.ns % 1_000_000:
            return Verdict.OUT_OF_ORDER
        self._last_pulse_id, self._last_timestamp = pulse_id, timestamp
        self._seen += 1
        if config.downsampling and config.downsampling > 1 and (self._seen - 1) % config.downsampling:
            return Verdict.SKIP
        if config.max_frame_rate:
            now = self._clock()
            if self._last_passed is not None and now - self._last_passed < 1.0 / config.max_frame_rate:
                return Verdict.SKIP
            self._last_passed = now
        return Verdict.PROCESS
