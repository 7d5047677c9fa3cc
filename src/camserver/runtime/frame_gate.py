"""Which received frames a pipeline processes: CamServer's pause, pid_range, check_timestamp,
enforce_pid/enforce_timestamp, downsampling and max_frame_rate, in that order.

The order checks follow the stream again after :data:`~camserver.protocol.RESYNC_AFTER` rejections
in a row (:class:`~camserver.protocol.PulseOrder`), so one wild pulse id cannot stop a pipeline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

from camserver.models.pipeline import PipelineConfig
from camserver.protocol import Ordering, PulseOrder, Timestamp
from camserver.sources import RESYNCS, InputCounter

__all__ = ["FrameGate", "Verdict"]

_ORDER_KINDS = {Ordering.OLD_PULSE_ID: "pulse_id_order", Ordering.OLD_TIMESTAMP: "timestamp_order"}


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
    let through. :attr:`counters` counts the frames out of order by kind (with the last reason) and
    the re-synchronisations of the order.
    """

    def __init__(self, config: PipelineConfig, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen = 0
        self._last_passed: float | None = None
        self.order = PulseOrder()
        self.counters = {kind: InputCounter() for kind in ("pulse_id_order", "timestamp_order", "timestamp_check")}
        self.counters[RESYNCS] = InputCounter()
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
        if config.check_timestamp and pulse_id % 1_000_000 != timestamp.ns % 1_000_000:
            self.counters["timestamp_check"].add(
                f"pulse id {pulse_id} does not match its timestamp {timestamp.sec}.{timestamp.ns:09d}"
            )
            return Verdict.OUT_OF_ORDER
        if config.enforce_pid or config.enforce_timestamp:
            ordering = self.order.check(
                pulse_id, timestamp, pulse_ids=config.enforce_pid, timestamps=config.enforce_timestamp
            )
            if ordering is Ordering.RESYNCED:
                self.counters[RESYNCS].add(self.order.last_resync)
            elif ordering is not Ordering.IN_ORDER:
                self.counters[_ORDER_KINDS[ordering]].add(self.order.last_rejection)
                return Verdict.OUT_OF_ORDER
        self._seen += 1
        if config.downsampling and config.downsampling > 1 and (self._seen - 1) % config.downsampling:
            return Verdict.SKIP
        if config.max_frame_rate:
            now = self._clock()
            if self._last_passed is not None and now - self._last_passed < 1.0 / config.max_frame_rate:
                return Verdict.SKIP
            self._last_passed = now
        return Verdict.PROCESS
