"""An EPICS camera whose width and height change in two updates never yields a half-changed frame."""

from __future__ import annotations

import numpy as np

from camserver.sources.epics import EpicsSource


def shapes_after(source: EpicsSource, *lengths: int) -> list[tuple[int, ...]]:
    for length in lengths:
        source._on_picture(np.arange(length, dtype=np.int16), None)
    shapes = []
    while (frame := source._queue.get(0)) is not None:
        shapes.append(frame.image.shape)
    return shapes


def test_frames_between_the_two_updates_are_refused_and_counted() -> None:
    source = EpicsSource("SIM:CAM")
    source._width, source._height = 64, 48
    assert shapes_after(source, 64 * 48) == [(48, 64)]
    source._on_width([40], None)
    assert shapes_after(source, 64 * 48) == []  # old frame, new width, old height: not cut
    source._on_height([30], None)
    assert shapes_after(source, 40 * 30, 40 * 30) == [(30, 40), (30, 40)]
    assert source.unusable == 1


def test_an_ioc_that_always_posts_the_whole_waveform_is_truncated_again_after_settling() -> None:
    source = EpicsSource("SIM:CAM")
    source._width, source._height = 64, 48
    source._on_width([40], None)
    lengths = [64 * 48] * (EpicsSource.SETTLE_FRAMES + 2)
    assert shapes_after(source, *lengths) == [(48, 40), (48, 40)]
    assert source.unusable == EpicsSource.SETTLE_FRAMES


def test_area_detector_pairs_each_array_with_the_counter_of_its_timestamp() -> None:
    from camserver.protocol import Timestamp
    from camserver.sources.area_detector import AreaDetectorSource

    source = AreaDetectorSource("AD:CAM")
    source._width, source._height = 4, 2
    first, second = Timestamp(100, 0), Timestamp(100, 50_000_000)
    source._on_counter([7], first)
    source._on_picture(np.arange(8, dtype=np.int16), first)  # counter first: exact
    source._on_picture(np.arange(8, dtype=np.int16), second)  # the array before its counter
    source._on_counter([8], second)
    frames = [source._queue.get(0), source._queue.get(0)]
    assert [frame.pulse_id for frame in frames if frame is not None] == [7, 8]
