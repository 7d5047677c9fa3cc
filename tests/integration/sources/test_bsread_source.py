"""BsreadSource fed by camserver's own Publisher on 127.0.0.1 (port 0)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from camserver.errors import SourceError
from camserver.models import BsreadCamera
from camserver.protocol import Timestamp
from camserver.sources import BsreadSource, Frame
from camserver.transport import Publisher

_IMAGE = np.arange(12, dtype=np.uint16).reshape(3, 4)


@pytest.fixture
def publisher() -> Iterator[Publisher]:
    with Publisher("tcp://127.0.0.1:0", mode="PUSH", block=True, send_timeout=5.0) as sender:
        yield sender


def _open(publisher: Publisher, **config: Any) -> BsreadSource:
    config.setdefault("source_type", "bschannel")
    config.setdefault("source", publisher.address)
    config.setdefault("mode", "PULL")
    source = BsreadSource(BsreadCamera.load(config))
    source.open()
    return source


def _read(source: BsreadSource, timeout: float = 10.0) -> Frame:
    frame = source.read(timeout)
    assert frame is not None
    return frame


def test_the_only_2d_channel_is_the_image_and_the_others_come_as_extra(publisher: Publisher) -> None:
    source = _open(publisher)
    try:
        publisher.send({"energy": 1.25, "camera": _IMAGE, "label": "x"}, pulse_id=10, timestamp=Timestamp(7, 8))
        frame = _read(source)
        np.testing.assert_array_equal(frame.image, _IMAGE)
        assert (frame.pulse_id, frame.timestamp) == (10, Timestamp(7, 8))
        assert set(frame.extra) == {"energy", "label"}
        assert float(frame.extra["energy"]) == 1.25
        assert source.geometry == (4, 3)
    finally:
        source.close()


def test_a_named_channel_is_chosen_among_several_images(publisher: Publisher) -> None:
    source = _open(publisher, channel="second")
    try:
        publisher.send({"first": np.zeros((2, 2), np.uint8), "second": _IMAGE}, pulse_id=1)
        frame = _read(source)
        np.testing.assert_array_equal(frame.image, _IMAGE)
        assert "first" in frame.extra
    finally:
        source.close()


def test_bsread_cameras_read_the_fpicture_channel_of_their_prefix(publisher: Publisher) -> None:
    source = _open(
        publisher, source_type="bsread", source="CAM1", url=publisher.address, mode=None, check_timestamp=False
    )
    try:
        publisher.send({"OTHER:FPICTURE": _IMAGE + 1, "CAM1:FPICTURE": _IMAGE}, pulse_id=3)
        np.testing.assert_array_equal(_read(source).image, _IMAGE)
    finally:
        source.close()


def test_messages_without_a_usable_image_are_counted_and_skipped(publisher: Publisher) -> None:
    source = _open(publisher, channel="image")
    try:
        publisher.send({"other": _IMAGE}, pulse_id=1)
        publisher.send({"image": np.arange(5, dtype=np.uint16)}, pulse_id=2)
        publisher.send({"image": _IMAGE}, pulse_id=3)
        frame = _read(source)
        assert frame.pulse_id == 3
        assert (source.counters.no_image, source.counters.not_2d, source.dropped) == (1, 1, 2)
    finally:
        source.close()


def test_ambiguous_images_without_a_channel_are_skipped(publisher: Publisher) -> None:
    source = _open(publisher)
    try:
        publisher.send({"a": _IMAGE, "b": _IMAGE}, pulse_id=1)
        publisher.send({"a": _IMAGE}, pulse_id=2)
        assert _read(source).pulse_id == 2
        assert source.counters.no_image == 1
    finally:
        source.close()


def test_enforce_pid_drops_pulse_ids_that_do_not_increase(publisher: Publisher) -> None:
    source = _open(publisher, enforce_pid=True)
    try:
        for pulse_id in (5, 5, 4, 6):
            publisher.send({"image": _IMAGE}, pulse_id=pulse_id)
        assert [_read(source).pulse_id, _read(source).pulse_id] == [5, 6]
        assert source.counters.pulse_id_order == 2
        assert source.dropped == 2
    finally:
        source.close()


def test_without_enforce_pid_a_channel_stream_delivers_every_message(publisher: Publisher) -> None:
    source = _open(publisher)
    try:
        for pulse_id in (5, 4):
            publisher.send({"image": _IMAGE}, pulse_id=pulse_id)
        assert [_read(source).pulse_id, _read(source).pulse_id] == [5, 4]
    finally:
        source.close()


def test_enforce_timestamp_and_check_timestamp_drop_what_camserver_drops(publisher: Publisher) -> None:
    source = _open(publisher, enforce_timestamp=True, check_timestamp=True)
    try:
        publisher.send({"image": _IMAGE}, pulse_id=1_000_007, timestamp=Timestamp(100, 7))
        publisher.send({"image": _IMAGE}, pulse_id=1_000_008, timestamp=Timestamp(99, 8))  # older
        publisher.send({"image": _IMAGE}, pulse_id=1_000_009, timestamp=Timestamp(101, 5))  # ns != pid
        publisher.send({"image": _IMAGE}, pulse_id=1_000_010, timestamp=Timestamp(102, 2_000_010))
        assert [_read(source).pulse_id, _read(source).pulse_id] == [1_000_007, 1_000_010]
        assert (source.counters.timestamp_order, source.counters.timestamp_check) == (1, 1)
    finally:
        source.close()


def test_read_returns_none_when_nothing_arrives() -> None:
    source = BsreadSource(BsreadCamera.load({"source": "tcp://127.0.0.1:1", "source_type": "bschannel"}))
    source.open()
    try:
        assert source.read(0.05) is None
    finally:
        source.close()


def test_timeout_without_a_usable_image_raises_source_error(publisher: Publisher) -> None:
    source = _open(publisher, channel="image", timeout=0.2)
    try:
        deadline = time.monotonic() + 30.0
        with pytest.raises(SourceError, match=r"no usable image .* for 0.2 s"):  # noqa: PT012 - polling loop
            while time.monotonic() < deadline:
                publisher.send({"other": _IMAGE}, pulse_id=1)
                source.read(0.05)
        assert source.counters.no_image >= 1
    finally:
        source.close()


def test_sub_mode_receives_a_published_stream() -> None:
    with Publisher("tcp://127.0.0.1:0", mode="PUB") as sender:
        source = BsreadSource(BsreadCamera.load({"source": sender.address, "source_type": "bschannel"}))
        source.open()
        try:
            frame = None
            deadline = time.monotonic() + 30.0
            pulse_id = 0
            while frame is None and time.monotonic() < deadline:  # a subscriber joins after a moment
                pulse_id += 1
                sender.send({"image": _IMAGE}, pulse_id=pulse_id)
                frame = source.read(0.05)
            assert frame is not None
            np.testing.assert_array_equal(frame.image, _IMAGE)
        finally:
            source.close()
