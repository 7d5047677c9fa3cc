"""PulseMerge: frames of several connections released in pulse-id order."""

from __future__ import annotations

import numpy as np

from camserver.sources import Frame, PulseMerge

_IMAGE = np.zeros((2, 2), np.uint8)


def _frame(pulse_id: int | None) -> Frame:
    return Frame(image=_IMAGE, pulse_id=pulse_id)


def _pulse_ids(merge: PulseMerge, now: float) -> list[int | None]:
    released = []
    while (frame := merge.take(now)) is not None:
        released.append(frame.pulse_id)
    return released


def test_round_robin_connections_come_out_in_order_once_every_connection_holds_a_frame() -> None:
    merge = PulseMerge(3, patience=10.0)
    # a sender dealing pulses 1..9 over three connections; they arrive in any interleaving
    for connection, pulse_id in [(1, 2), (2, 3), (1, 5), (0, 1), (2, 6), (0, 4), (1, 8), (0, 7), (2, 9)]:
        merge.add(connection, _frame(pulse_id), now=0.0)
    assert _pulse_ids(merge, now=0.0) == [1, 2, 3, 4, 5, 6, 7]  # 8 and 9 wait for connection 0
    assert _pulse_ids(merge, now=10.0) == [8, 9]  # released by patience
    assert merge.dropped == 0


def test_a_frame_waits_for_the_other_connections_only_as_long_as_the_patience() -> None:
    merge = PulseMerge(2, patience=0.2)
    merge.add(0, _frame(1), now=5.0)
    assert merge.take(now=5.1) is None
    assert merge.ready_at() == 5.2
    released = merge.take(now=5.2)
    assert released is not None and released.pulse_id == 1
    assert merge.ready_at() is None


def test_a_late_pulse_is_dropped_with_what_is_as_old_behind_it_on_its_connection() -> None:
    merge = PulseMerge(2, patience=0.0)
    merge.add(0, _frame(10), now=0.0)
    assert _pulse_ids(merge, now=0.0) == [10]
    for pulse_id in (7, 9, 12):
        merge.add(1, _frame(pulse_id), now=0.0)
    merge.add(0, _frame(11), now=0.0)
    assert _pulse_ids(merge, now=0.0) == [11, 12]
    assert (merge.late, merge.dropped, merge.last_pulse_id) == (2, 2, 12)


def test_without_enforce_pid_late_pulses_pass() -> None:
    merge = PulseMerge(1, patience=0.0, enforce_pid=False)
    for pulse_id in (5, 3):
        merge.add(0, _frame(pulse_id), now=0.0)
    assert _pulse_ids(merge, now=0.0) == [5, 3]
    assert merge.dropped == 0


def test_a_full_connection_drops_its_oldest_frame_and_counts_it() -> None:
    merge = PulseMerge(2, patience=100.0, depth=2)
    for pulse_id in (1, 3, 5):
        merge.add(0, _frame(pulse_id), now=0.0)
    merge.add(1, _frame(4), now=0.0)
    assert merge.overflow == 1
    assert _pulse_ids(merge, now=0.0) == [3, 4]
    assert len(merge) == 1


def test_frames_without_pulse_id_are_released_first_and_never_late() -> None:
    merge = PulseMerge(1, patience=0.0)
    merge.add(0, _frame(4), now=0.0)
    merge.add(0, _frame(None), now=0.0)
    assert _pulse_ids(merge, now=0.0) == [4, None]
    assert merge.late == 0
