"""FrameGate: CamServer's pause, pid_range, downsampling, max_frame_rate and ordering rules."""

from __future__ import annotations

from camserver.models.pipeline import PipelineConfig
from camserver.protocol import RESYNC_AFTER, Timestamp
from camserver.runtime.frame_gate import FrameGate, Verdict


def gate(clock: list[float] | None = None, **config: object) -> FrameGate:
    now = clock if clock is not None else [0.0]
    return FrameGate(PipelineConfig.load({"camera_name": "cam", **config}), clock=lambda: now[0])


def verdicts(frame_gate: FrameGate, pulse_ids: range | list[int]) -> list[Verdict]:
    return [frame_gate.check(pulse_id, Timestamp(1000 + pulse_id, 0)) for pulse_id in pulse_ids]


def test_everything_passes_by_default() -> None:
    assert set(verdicts(gate(), range(10))) == {Verdict.PROCESS}


def test_pause_skips_until_unpaused() -> None:
    frame_gate = gate(pause=True)
    assert verdicts(frame_gate, range(3)) == [Verdict.SKIP] * 3
    frame_gate.update(PipelineConfig.load({"camera_name": "cam"}))
    assert verdicts(frame_gate, [3]) == [Verdict.PROCESS]


def test_readme_drift_paused_means_pause() -> None:
    assert verdicts(gate(paused=True), [1]) == [Verdict.SKIP]


def test_pid_range_skips_before_and_finishes_after() -> None:
    result = verdicts(gate(pid_range=[5, 10]), range(3, 12))
    assert result == [Verdict.SKIP] * 2 + [Verdict.PROCESS] * 6 + [Verdict.FINISH]


def test_pid_range_with_start_zero_drops_everything() -> None:
    assert set(verdicts(gate(pid_range=[0, 10]), range(1, 20))) == {Verdict.SKIP}


def test_downsampling_keeps_one_in_n_without_the_off_by_one() -> None:
    result = verdicts(gate(downsampling=3), range(9))
    assert [index for index, verdict in enumerate(result) if verdict is Verdict.PROCESS] == [0, 3, 6]


def test_max_frame_rate_lets_one_frame_through_per_period() -> None:
    clock = [0.0]
    frame_gate = gate(clock, max_frame_rate=10)
    passed = []
    for step in range(20):  # 100 Hz for 0.2 s
        clock[0] = step * 0.01
        passed.append(frame_gate.check(step, Timestamp(step, 0)) is Verdict.PROCESS)
    assert sum(passed) == 2


def test_enforce_pid_drops_repeats_and_reversals() -> None:
    result = verdicts(gate(enforce_pid=True), [1, 2, 2, 1, 3])
    assert result == [Verdict.PROCESS, Verdict.PROCESS, Verdict.OUT_OF_ORDER, Verdict.OUT_OF_ORDER, Verdict.PROCESS]


def test_without_enforce_pid_a_reversal_passes() -> None:
    assert verdicts(gate(), [2, 1]) == [Verdict.PROCESS, Verdict.PROCESS]


def test_check_timestamp_requires_matching_pid_and_nanoseconds() -> None:
    frame_gate = gate(check_timestamp=True)
    assert frame_gate.check(1_000_123, Timestamp(5, 123)) is Verdict.PROCESS
    assert frame_gate.check(1_000_124, Timestamp(5, 999)) is Verdict.OUT_OF_ORDER


def test_the_order_checks_count_by_kind_and_resynchronise_after_a_wild_pulse_id() -> None:
    frame_gate = gate(enforce_pid=True)
    result = verdicts(frame_gate, [1, 2, 2**63 - 1, *range(3, 3 + RESYNC_AFTER + 2)])
    assert result.count(Verdict.OUT_OF_ORDER) == RESYNC_AFTER
    assert result[-2:] == [Verdict.PROCESS, Verdict.PROCESS]
    assert frame_gate.counters["pulse_id_order"].count == RESYNC_AFTER
    assert frame_gate.counters["resyncs"].count == 1
    assert "following the stream again from pulse id" in frame_gate.counters["resyncs"].last_reason


def test_check_timestamp_rejections_are_counted_with_the_reason() -> None:
    frame_gate = gate(check_timestamp=True)
    frame_gate.check(1_000_124, Timestamp(5, 999))
    counter = frame_gate.counters["timestamp_check"]
    assert (counter.count, counter.last_reason) == (1, "pulse id 1000124 does not match its timestamp 5.000000999")
