"""FrameClock: an absolute schedule, skipped frames counted, driven by an injected clock."""

from __future__ import annotations

import pytest

from camserver.errors import ConfigError
from camserver.sources import FrameClock
from tests.unit.sources.fake_clock import FakeClock


def _clock(rate: float, fake: FakeClock) -> FrameClock:
    clock = FrameClock(rate, clock=fake, sleep=fake.sleep, wall_clock_ns=lambda: 1_700_000_000_000_000_000)
    clock.start()
    return clock


def test_first_frame_is_due_at_once_and_the_next_one_period_later() -> None:
    fake = FakeClock()
    clock = _clock(4.0, fake)
    assert clock.wait(1.0) == 0
    assert fake.sleeps == []
    assert clock.wait(1.0) == 1
    assert fake.sleeps == [pytest.approx(0.25)]


def test_a_frame_due_after_the_timeout_gives_none_after_waiting_the_timeout() -> None:
    fake = FakeClock()
    clock = _clock(1.0, fake)
    assert clock.wait(0.05) == 0
    assert clock.wait(0.05) is None
    assert fake.sleeps == [pytest.approx(0.05)]
    assert clock.wait(0.0) is None
    assert len(fake.sleeps) == 1  # a zero timeout does not sleep


def test_the_schedule_does_not_drift_however_long_frames_take() -> None:
    fake = FakeClock()
    clock = _clock(7.0, fake)
    start = fake.now
    for expected in range(700):
        assert clock.wait(1.0) == expected
        assert fake.now == pytest.approx(start + expected / 7.0, abs=1e-9)
        fake.advance(0.1)  # making the frame takes most of a period
    assert clock.skipped == 0


def test_a_reader_a_few_periods_late_gets_the_buffered_frames_in_order() -> None:
    fake = FakeClock()
    clock = _clock(10.0, fake)
    assert clock.wait(1.0) == 0
    fake.advance(0.35)  # frames 1, 2, 3 are due; the reader is 2.5 periods late for frame 1
    assert [clock.wait(1.0) for _ in range(3)] == [1, 2, 3]
    assert clock.skipped == 0
    assert fake.now == pytest.approx(1000.35)  # caught up without waiting
    assert clock.wait(1.0) == 4
    assert fake.now == pytest.approx(1000.4)


def test_a_reader_later_than_the_buffer_skips_the_oldest_frames_and_counts_them() -> None:
    fake = FakeClock()
    clock = FrameClock(10.0, buffer=1, clock=fake, sleep=fake.sleep, wall_clock_ns=lambda: 1_700_000_000 * 10**9)
    assert clock.wait(1.0) == 0
    fake.advance(0.35)  # 2.5 periods late for frame 1: one frame fits the buffer
    assert clock.wait(1.0) == 2
    assert clock.skipped == 1
    assert clock.wait(1.0) == 3


def test_timestamps_are_exactly_one_period_apart() -> None:
    clock = _clock(100.0, FakeClock())
    first, second = clock.timestamp(0), clock.timestamp(1)
    assert first.sec == 1_700_000_000 and first.ns == 0
    assert (second.sec, second.ns) == (1_700_000_000, 10_000_000)


@pytest.mark.parametrize("rate", [0.0, -1.0, float("inf"), float("nan")])
def test_a_rate_that_is_not_positive_and_finite_is_refused(rate: float) -> None:
    with pytest.raises(ConfigError, match="frame_rate"):
        FrameClock(rate)
