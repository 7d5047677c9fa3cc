"""StatisticsCollector: per-second rates, drops and timings."""

from __future__ import annotations

import pytest

from camserver.runtime.statistics import StatisticsCollector


def test_rates_are_counts_over_the_window() -> None:
    now = [100.0]
    collector = StatisticsCollector(period=1.0, clock=lambda: now[0])
    assert not collector.due()
    collector.rx_count = 50
    collector.tx_count = 40
    collector.bytes_sent = 4000
    now[0] = 102.0
    assert collector.due()
    report = collector.report()
    assert report.rx_rate == 25.0
    assert report.tx_rate == 20.0
    assert report.throughput == 2000.0
    assert report.pid is not None
    assert report.memory > 0
    now[0] = 103.0
    collector.rx_count = 60
    assert collector.report().rx_rate == 10.0


def test_processing_time_and_latency_are_milliseconds_per_window() -> None:
    collector = StatisticsCollector()
    for seconds in (0.001, 0.003):
        collector.processing_time(seconds)
    collector.latency(0.010)
    report = collector.report()
    assert abs(report.processing_time_mean - 2.0) < 1e-9
    assert abs(report.processing_time_max - 3.0) < 1e-9
    assert abs(report.latency_max - 10.0) < 1e-9
    assert collector.report().processing_time_max == 0.0


def test_drop_counters_are_reported_as_they_are() -> None:
    collector = StatisticsCollector()
    collector.input_drops, collector.output_drops, collector.processing_errors, collector.skipped = 1, 2, 3, 4
    report = collector.report()
    assert (report.input_drops, report.output_drops, report.processing_errors, report.skipped) == (1, 2, 3, 4)


def test_a_steady_stream_reads_its_exact_rate_whatever_the_window() -> None:
    now = [0.0]
    collector = StatisticsCollector(clock=lambda: now[0])
    frame_time = 0.0
    for window_end in (1.07, 2.13, 3.02):  # windows of uneven length, frames every 0.1 s
        while frame_time + 0.1 <= window_end + 1e-9:
            frame_time = round(frame_time + 0.1, 10)
            now[0] = frame_time
            collector.received(100)
            collector.sent()
        now[0] = window_end
        report = collector.report()
        assert report.rx_rate == pytest.approx(10.0)
        assert report.tx_rate == pytest.approx(10.0)


def test_no_frames_in_a_window_is_a_rate_of_zero() -> None:
    now = [0.0]
    collector = StatisticsCollector(clock=lambda: now[0])
    collector.received()
    now[0] = 1.0
    collector.report()
    now[0] = 2.0
    assert collector.report().rx_rate == 0.0
