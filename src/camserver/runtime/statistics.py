"""Counters of one instance, turned into :class:`InstanceStatistics` once a second."""

from __future__ import annotations

import os
import time
from bisect import bisect_left
from collections.abc import Callable

import psutil

from camserver.models.instance import TIME_BUCKETS, InstanceStatistics

__all__ = ["StatisticsCollector"]


class StatisticsCollector:
    """Cheap per-frame counting (plain attribute increments); rates, CPU and memory are computed
    only when a report is due, at most once per ``period`` seconds."""

    def __init__(self, *, period: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.period = period
        self._clock = clock
        self._process = psutil.Process(os.getpid())
        self._process.cpu_percent(None)
        self.rx_count = 0
        self.tx_count = 0
        self.bytes_received = 0
        self.bytes_sent = 0
        self.input_drops = 0
        self.output_drops = 0
        self.subscriber_overflows = 0
        self.processing_errors = 0
        self.skipped = 0
        self.decode_errors = 0
        self.pulse_resyncs = 0
        self.withheld_values = 0
        self.late_messages = 0
        self.clients = 0
        self.header_changes = 0
        self.frame_shape: list[int] | None = None
        self._window_start = clock()
        self._window_rx = 0
        self._window_tx = 0
        self._last_rx: float | None = None
        self._last_tx: float | None = None
        self._window_last_rx: float | None = None
        self._window_last_tx: float | None = None
        self._first_rx: float | None = None
        self._first_tx: float | None = None
        self._window_bytes = 0
        self._processing_total = 0.0
        self._processing_max = 0.0
        self._processing_count = 0
        self._latency_total = 0.0
        self._latency_max = 0.0
        self._latency_count = 0
        # histograms since the start (one count per bucket, the last for the rest): the server's
        # metrics are built from them, never from per-frame messages
        self._processing_counts = [0] * (len(TIME_BUCKETS) + 1)
        self._processing_sum = 0.0
        self._latency_counts = [0] * (len(TIME_BUCKETS) + 1)
        self._latency_sum = 0.0

    def received(self, nbytes: int = 0) -> None:
        """Account one received frame or message."""
        self.rx_count += 1
        self.bytes_received += nbytes
        self._last_rx = self._clock()
        if self._window_last_rx is None and self._first_rx is None:
            self._first_rx = self._last_rx

    def sent(self) -> None:
        """Account one sent message."""
        self.tx_count += 1
        self._last_tx = self._clock()
        if self._window_last_tx is None and self._first_tx is None:
            self._first_tx = self._last_tx

    def processing_time(self, seconds: float) -> None:
        """Account the processing time of one frame."""
        self._processing_total += seconds
        self._processing_count += 1
        self._processing_max = max(self._processing_max, seconds)
        self._processing_counts[bisect_left(TIME_BUCKETS, seconds)] += 1
        self._processing_sum += seconds

    def latency(self, seconds: float) -> None:
        """Account the time from a frame's timestamp to its sending."""
        self._latency_total += seconds
        self._latency_count += 1
        self._latency_max = max(self._latency_max, seconds)
        self._latency_counts[bisect_left(TIME_BUCKETS, seconds)] += 1
        self._latency_sum += seconds

    @staticmethod
    def _rate(
        count: int, previous_last: float | None, first: float | None, last: float | None, elapsed: float
    ) -> float:
        """Events per second: over the time between the last event of the previous window and the
        last of this one (in the first window: between its first and last event), so a steady
        stream reads its exact rate whatever the window's length."""
        if count <= 0:
            return 0.0
        if last is None:  # counted without event times
            return count / elapsed
        if previous_last is not None and last > previous_last:
            return count / (last - previous_last)
        if previous_last is None and first is not None and count > 1 and last > first:
            return (count - 1) / (last - first)
        return count / elapsed

    def due(self) -> bool:
        """True when a report is due."""
        return self._clock() - self._window_start >= self.period

    def report(self) -> InstanceStatistics:
        """The figures of the window that just ended; starts the next window."""
        now = self._clock()
        elapsed = max(now - self._window_start, 1e-9)
        try:
            cpu = self._process.cpu_percent(None)
            memory = self._process.memory_info().rss
        except psutil.Error:
            cpu, memory = 0.0, 0
        statistics = InstanceStatistics(
            pid=self._process.pid,
            rx_count=self.rx_count,
            rx_rate=self._rate(
                self.rx_count - self._window_rx, self._window_last_rx, self._first_rx, self._last_rx, elapsed
            ),
            tx_count=self.tx_count,
            tx_rate=self._rate(
                self.tx_count - self._window_tx, self._window_last_tx, self._first_tx, self._last_tx, elapsed
            ),
            bytes_received=self.bytes_received,
            bytes_sent=self.bytes_sent,
            throughput=(self.bytes_sent - self._window_bytes) / elapsed,
            input_drops=self.input_drops,
            output_drops=self.output_drops,
            subscriber_overflows=self.subscriber_overflows,
            processing_errors=self.processing_errors,
            skipped=self.skipped,
            decode_errors=self.decode_errors,
            pulse_resyncs=self.pulse_resyncs,
            withheld_values=self.withheld_values,
            late_messages=self.late_messages,
            clients=self.clients,
            cpu=cpu,
            memory=memory,
            frame_shape=self.frame_shape,
            header_changes=self.header_changes,
            processing_time_mean=1e3 * self._processing_total / max(self._processing_count, 1),
            processing_time_max=1e3 * self._processing_max,
            latency_mean=1e3 * self._latency_total / max(self._latency_count, 1),
            latency_max=1e3 * self._latency_max,
            processing_time_counts=list(self._processing_counts),
            processing_time_sum=self._processing_sum,
            latency_counts=list(self._latency_counts),
            latency_sum=self._latency_sum,
        )
        self._window_start = now
        self._window_rx, self._window_tx, self._window_bytes = self.rx_count, self.tx_count, self.bytes_sent
        self._window_last_rx, self._window_last_tx = self._last_rx, self._last_tx
        self._processing_total = self._processing_max = 0.0
        self._processing_count = 0
        self._latency_total = self._latency_max = 0.0
        self._latency_count = 0
        return statistics
