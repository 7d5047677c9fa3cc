"""PulseOrder: CamServer's enforce_pid / enforce_timestamp, which no single message can poison."""

from __future__ import annotations

import pytest

from camserver.protocol import RESYNC_AFTER, Ordering, PulseOrder, Timestamp

WILD = 2**63 - 1


def stamp(pulse_id: int) -> Timestamp:
    return Timestamp(1_700_000_000 + pulse_id // 100, (pulse_id % 100) * 10_000_000)


def verdicts(order: PulseOrder, pulse_ids: list[int], *, timestamps: bool = False) -> list[Ordering]:
    return [order.check(pid, stamp(pid), pulse_ids=True, timestamps=timestamps) for pid in pulse_ids]


def test_increasing_pulse_ids_pass_and_repeats_and_reversals_do_not() -> None:
    order = PulseOrder()
    assert verdicts(order, [1, 2, 2, 1, 3]) == [
        Ordering.IN_ORDER, Ordering.IN_ORDER, Ordering.OLD_PULSE_ID, Ordering.OLD_PULSE_ID, Ordering.IN_ORDER,
    ]  # fmt: skip
    assert order.resyncs == 0
    assert order.last_rejection == "pulse id 1 is not above the last one taken, 2"


def test_one_wild_pulse_id_costs_resync_after_messages_not_the_stream() -> None:
    order = PulseOrder()
    result = verdicts(order, [100, 101, WILD, *range(102, 102 + RESYNC_AFTER + 5)])
    assert result[:3] == [Ordering.IN_ORDER] * 3
    assert result[3 : 3 + RESYNC_AFTER] == [Ordering.OLD_PULSE_ID] * RESYNC_AFTER
    assert result[3 + RESYNC_AFTER] is Ordering.RESYNCED
    assert result[4 + RESYNC_AFTER :] == [Ordering.IN_ORDER] * 4
    assert order.resyncs == 1
    assert order.last_pulse_id == 102 + RESYNC_AFTER + 4
    assert f"{RESYNC_AFTER} messages in a row were out of order" in order.last_resync
    assert f"the last one taken was {WILD}" in order.last_resync


def test_a_sender_restarting_from_zero_is_followed_after_the_same_number_of_messages() -> None:
    order = PulseOrder(resync_after=3)
    result = verdicts(order, [5000, 5001, 0, 1, 2, 3, 4])
    assert result == [
        Ordering.IN_ORDER, Ordering.IN_ORDER, Ordering.OLD_PULSE_ID, Ordering.OLD_PULSE_ID, Ordering.OLD_PULSE_ID,
        Ordering.RESYNCED, Ordering.IN_ORDER,
    ]  # fmt: skip


def test_rejections_must_be_consecutive_to_resync() -> None:
    order = PulseOrder(resync_after=3)
    # two old messages, then a good one: the count starts again
    assert verdicts(order, [10, 5, 6, 11, 7, 8, 12]) == [
        Ordering.IN_ORDER, Ordering.OLD_PULSE_ID, Ordering.OLD_PULSE_ID, Ordering.IN_ORDER,
        Ordering.OLD_PULSE_ID, Ordering.OLD_PULSE_ID, Ordering.IN_ORDER,
    ]  # fmt: skip
    assert order.resyncs == 0


def test_a_wild_timestamp_is_resynchronised_too() -> None:
    order = PulseOrder(resync_after=2)
    far = Timestamp(2**62, 0)
    assert order.check(1, stamp(1), pulse_ids=False, timestamps=True) is Ordering.IN_ORDER
    assert order.check(2, far, pulse_ids=False, timestamps=True) is Ordering.IN_ORDER
    results = [order.check(pid, stamp(pid), pulse_ids=False, timestamps=True) for pid in (3, 4, 5, 6)]
    assert results == [Ordering.OLD_TIMESTAMP, Ordering.OLD_TIMESTAMP, Ordering.RESYNCED, Ordering.IN_ORDER]
    assert "is not after the last one taken" in order.last_rejection


def test_without_checks_everything_passes_and_becomes_the_reference() -> None:
    order = PulseOrder()
    assert order.check(5, stamp(5), pulse_ids=False, timestamps=False) is Ordering.IN_ORDER
    assert order.check(4, stamp(4), pulse_ids=False, timestamps=False) is Ordering.IN_ORDER
    assert order.last_pulse_id == 4
    order.reset()
    assert order.check(1, stamp(1), pulse_ids=True, timestamps=True) is Ordering.IN_ORDER


def test_resync_after_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PulseOrder(resync_after=0)
