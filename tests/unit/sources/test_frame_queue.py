"""FrameQueue: bounded, drops the oldest frame and counts it."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from camserver.sources import Frame, FrameQueue


def _frame(pulse_id: int) -> Frame:
    return Frame(np.zeros((1, 1)), pulse_id=pulse_id)


def test_a_full_queue_drops_the_oldest_frame_and_counts_it() -> None:
    queue = FrameQueue(2)
    for pulse_id in range(5):
        queue.put(_frame(pulse_id))
    assert queue.dropped == 3
    first, second = queue.get(0.0), queue.get(0.0)
    assert (first and first.pulse_id, second and second.pulse_id) == (3, 4)
    assert queue.get(0.0) is None


def test_get_returns_a_frame_put_by_another_thread() -> None:
    queue = FrameQueue(1)
    thread = threading.Thread(target=queue.put, args=(_frame(9),))
    thread.start()
    frame = queue.get(10.0)
    thread.join()
    assert frame is not None and frame.pulse_id == 9


def test_clear_forgets_frames_without_counting_them() -> None:
    queue = FrameQueue(3)
    queue.put(_frame(1))
    queue.clear()
    assert len(queue) == 0 and queue.dropped == 0


def test_a_queue_holds_at_least_one_frame() -> None:
    with pytest.raises(ValueError, match="at least one"):
        FrameQueue(0)
