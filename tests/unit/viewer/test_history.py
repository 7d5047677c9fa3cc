"""The strip charts' ring: each session gets the records after its cursor, and counts what it lost."""

from __future__ import annotations

from camserver.service.viewer.history import HistoryRing


def filled(count: int, size: int = 5) -> HistoryRing:
    ring = HistoryRing(size)
    for pulse_id in range(1, count + 1):
        ring.append(pulse_id, float(pulse_id), {"x": pulse_id * 10, "image": [1, 2]}, ["x", "image"])
    return ring


def test_records_after_the_cursor_in_order_with_the_new_cursor() -> None:
    batch, cursor = filled(8).since(6, ["x"])
    assert batch.pulse_id == [7, 8] and batch.values == {"x": [70.0, 80.0]} and batch.lost == 0
    assert cursor == 8
    batch, cursor = filled(8).since(8, ["x"])
    assert batch.pulse_id == [] and cursor == 8


def test_records_that_left_the_ring_before_they_were_taken_are_counted_as_lost() -> None:
    batch, _ = filled(8).since(2, ["x", "image"])
    assert batch.pulse_id == [4, 5, 6, 7, 8]
    assert batch.lost == 1  # record 3 left the ring of five
    assert batch.values["image"] == [None] * 5  # not a number: no value


def test_a_new_session_gets_what_the_ring_holds_and_has_lost_nothing() -> None:
    batch, cursor = filled(8).since(0, ["x"])
    assert batch.pulse_id == [4, 5, 6, 7, 8] and batch.lost == 0 and cursor == 8
