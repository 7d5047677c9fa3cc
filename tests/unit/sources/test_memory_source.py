"""MemorySource: the in-memory twin of Source."""

from __future__ import annotations

import numpy as np
import pytest

from camserver.errors import SourceError
from camserver.protocol import Timestamp
from camserver.sources import Frame, Source
from camserver.testing import MemorySource


def test_it_implements_the_source_protocol() -> None:
    assert isinstance(MemorySource([]), Source)


def test_images_come_in_order_with_counting_pulse_ids_then_none() -> None:
    images = [np.full((2, 3), value, np.uint16) for value in range(3)]
    source = MemorySource(images)
    source.open()
    frames = [source.read(0.1) for _ in range(3)]
    assert [int(frame.image[0, 0]) for frame in frames if frame] == [0, 1, 2]
    assert [frame.pulse_id for frame in frames if frame] == [0, 1, 2]
    assert source.read(0.1) is None
    assert source.geometry == (3, 2)


def test_frames_keep_their_pulse_ids_timestamps_and_extra_channels() -> None:
    frame = Frame(np.zeros((4, 4)), pulse_id=77, timestamp=Timestamp(5, 6), extra={"energy": 1.5})
    source = MemorySource([frame])
    source.open()
    got = source.read(0.0)
    assert got is not None
    assert (got.pulse_id, got.timestamp, got.extra) == (77, Timestamp(5, 6), {"energy": 1.5})


def test_loop_repeats_for_ever_with_increasing_pulse_ids() -> None:
    source = MemorySource([np.zeros((1, 1)), np.ones((1, 1))], loop=True)
    source.open()
    frames = [source.read(0.0) for _ in range(5)]
    assert [frame.pulse_id for frame in frames if frame] == [0, 1, 2, 3, 4]
    assert [float(frame.image[0, 0]) for frame in frames if frame] == [0, 1, 0, 1, 0]


def test_open_can_fail_and_read_needs_open() -> None:
    failing = MemorySource([np.zeros((1, 1))], fail_open=SourceError("Camera with prefix X is offline"))
    with pytest.raises(SourceError, match="offline"):
        failing.open()
    closed = MemorySource([np.zeros((1, 1))])
    with pytest.raises(SourceError):
        closed.read(0.0)
    closed.open()
    closed.close()
    assert closed.closed and not closed.opened


def test_a_looping_source_needs_frames() -> None:
    with pytest.raises(ValueError, match="at least one frame"):
        MemorySource([], loop=True)
