"""PulseReorder: a fan-in's messages back in pulse-id order, best effort, nothing dropped."""

from __future__ import annotations

from camserver.runtime.pulse_reorder import PulseReorder


def test_holds_size_messages_and_releases_the_smallest() -> None:
    reorder: PulseReorder[str] = PulseReorder(3)
    released = []
    for pulse_id in [3, 1, 2, 5, 4, 6]:
        released += reorder.push(pulse_id, f"m{pulse_id}")
    released += reorder.flush()
    assert [pulse_id for pulse_id, _ in released] == [1, 2, 3, 4, 5, 6]
    assert released[0] == (1, "m1")
    assert reorder.late == 0


def test_a_late_message_leaves_at_once_and_is_counted() -> None:
    reorder: PulseReorder[int] = PulseReorder(1)
    out = reorder.push(5, 5) + reorder.push(6, 6)  # releases 5
    assert [pulse_id for pulse_id, _ in out] == [5]
    assert reorder.push(2, 2) == [(2, 2)]
    assert reorder.late == 1
    assert [pulse_id for pulse_id, _ in reorder.flush()] == [6]
    assert len(reorder) == 0
