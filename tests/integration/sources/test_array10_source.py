"""The ``array10`` source fed by a bare ZMQ sender on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import zmq

from camserver.models import CameraConfig
from camserver.sources import Array10Source, Frame, create_source
from camserver.sources.array10 import encode_array
from tests.integration.sources.conftest import RawSocket

_IMAGE = (np.arange(30 * 40) % 250).astype(np.uint8).reshape(30, 40)


def _pull_source(address: str) -> Array10Source:
    source = create_source(CameraConfig.load({"source": address, "source_type": "array10", "mode": "PULL"}))
    assert isinstance(source, Array10Source)
    source.open()
    return source


def _read(source: Array10Source) -> Frame:
    frame = source.read(10.0)
    assert frame is not None
    return frame


def test_multipart_and_frame_by_frame_messages_give_images(bound_socket: Callable[[int], RawSocket]) -> None:
    sender, address = bound_socket(zmq.PUSH)
    source = _pull_source(address)
    try:
        sender.send_multipart(encode_array(_IMAGE, frame=1))
        np.testing.assert_array_equal(_read(source).image, _IMAGE)
        header, data = encode_array(_IMAGE.astype(np.int32) * 1000, frame=2)
        sender.send(header)  # CamServer receives frame by frame: header and data as two messages work too
        sender.send(data)
        frame = _read(source)
        assert frame.image.dtype == np.int32 and int(frame.image[29, 39]) == int(_IMAGE[29, 39]) * 1000
        assert frame.pulse_id is None and frame.timestamp is None  # the camera numbers and stamps them
        assert source.geometry == (40, 30) and source.dropped == 0
    finally:
        source.close()


def test_bad_messages_are_counted_and_the_stream_goes_on(bound_socket: Callable[[int], RawSocket]) -> None:
    sender, address = bound_socket(zmq.PUSH)
    source = _pull_source(address)
    try:
        header, data = encode_array(_IMAGE)
        sender.send_multipart([header, data[:-1]])
        sender.send_multipart([b"not json", data])
        sender.send_multipart([header, data, b"extra"])
        sender.send_multipart([header, data])
        np.testing.assert_array_equal(_read(source).image, _IMAGE)
        assert source.dropped == 3
    finally:
        source.close()


def test_sub_is_the_default_mode(bound_socket: Callable[[int], RawSocket]) -> None:
    sender, address = bound_socket(zmq.PUB)
    source = create_source(CameraConfig.load({"source": address, "source_type": "array10"}))
    source.open()
    try:
        deadline = time.monotonic() + 30.0
        frame = None
        while frame is None and time.monotonic() < deadline:  # a subscriber joins after a moment
            sender.send_multipart(encode_array(_IMAGE))
            frame = source.read(0.05)
        assert frame is not None
        np.testing.assert_array_equal(frame.image, _IMAGE)
    finally:
        source.close()
