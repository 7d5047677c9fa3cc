"""PulseAligner: two streams paired by pulse id, unmatched ones counted."""

from __future__ import annotations

from camserver.runtime.pulse_aligner import PulseAligner


def test_primary_waits_for_its_secondary() -> None:
    aligner: PulseAligner[str] = PulseAligner()
    assert aligner.add_primary(10, "image-10") == []
    pairs = aligner.add_secondary(10, {"x": 1})
    assert [(pair.primary, pair.secondary) for pair in pairs] == [("image-10", {"x": 1})]
    assert aligner.waiting == 0


def test_secondary_first_then_primary() -> None:
    aligner: PulseAligner[str] = PulseAligner()
    assert aligner.add_secondary(5, {"x": 2}) == []
    assert [pair.primary for pair in aligner.add_primary(5, "image-5")] == ["image-5"]


def test_a_primary_the_secondary_stream_passed_is_discarded_and_counted() -> None:
    aligner: PulseAligner[str] = PulseAligner()
    aligner.add_primary(1, "image-1")
    aligner.add_primary(2, "image-2")
    pairs = aligner.add_secondary(2, {"x": 3})
    assert [pair.primary for pair in pairs] == ["image-2"]
    assert aligner.unmatched == 1
    assert aligner.waiting == 0


def test_buffers_are_bounded_and_overflow_is_counted() -> None:
    aligner: PulseAligner[int] = PulseAligner(primary_size=3, secondary_size=3)
    for pulse_id in range(5):
        aligner.add_primary(pulse_id, pulse_id)
    assert aligner.waiting == 3
    assert aligner.overflowed == 2
    for pulse_id in range(100, 105):
        aligner.add_secondary(pulse_id, {})
    assert aligner.overflowed >= 4
