"""The ``stream`` source (std-daq's image stream) fed by bare ZMQ senders on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import zmq

from camserver.models import CameraConfig, StdDaqStreamCamera
from camserver.sources import Frame, StdDaqStreamSource, create_source
from camserver.sources.stddaq_stream import encode_image
from camserver.transport import Publisher
from tests.integration.sources.conftest import RawSocket

_IMAGE = (np.arange(48 * 64) % 4000).astype(np.uint16).reshape(48, 64)


def _source(address: str, **config: object) -> StdDaqStreamSource:
    source = create_source(CameraConfig.load({"source": address, "source_type": "stream", **config}))
    assert isinstance(source, StdDaqStreamSource)
    source.open()
    return source


def _first_frame(source: StdDaqStreamSource, send: Callable[[int], None]) -> Frame:
    """Send until the subscriber has joined and a frame arrives."""
    deadline = time.monotonic() + 30.0
    pulse_id = 0
    while time.monotonic() < deadline:
        pulse_id += 1
        send(pulse_id)
        frame = source.read(0.05)
        if frame is not None:
            return frame
    raise AssertionError("no frame within 30 s")


def test_a_published_std_daq_stream_gives_frames_with_the_image_id_as_pulse_id(
    bound_socket: Callable[[int], RawSocket],
) -> None:
    sender, address = bound_socket(zmq.PUB)
    source = _source(address)
    try:
        first = _first_frame(source, lambda pulse_id: sender.send_multipart(encode_image(_IMAGE, 1000 + pulse_id)))
        np.testing.assert_array_equal(first.image, _IMAGE)
        assert first.pulse_id is not None and first.pulse_id > 1000
        assert first.timestamp is None  # the camera stamps it on arrival
        assert source.geometry == (64, 48)
        sender.send_multipart(encode_image(_IMAGE.astype(np.float32), 5000, status=1))
        frame = source.read(10.0)
        assert frame is not None and frame.pulse_id == 5000 and frame.image.dtype == np.float32
        assert source.dropped == 0
    finally:
        source.close()


def test_pull_mode_and_unusable_messages_are_counted_while_good_ones_pass(
    bound_socket: Callable[[int], RawSocket],
) -> None:
    sender, address = bound_socket(zmq.PUSH)
    source = _source(address, mode="PULL")
    try:
        sender.send_multipart([b"short", b"x"])  # PUSH queues until the PULL has connected: nothing is lost
        sender.send_multipart(encode_image(_IMAGE, 7)[:1])
        sender.send_multipart(encode_image(_IMAGE, 8))
        frame = source.read(10.0)
        assert frame is not None and frame.pulse_id == 8
        assert source.dropped == 2
        assert "1 frame" in source.last_error
    finally:
        source.close()


def test_a_bsread_stream_on_a_stream_camera_is_refused_with_a_pointer_to_bschannel() -> None:
    with Publisher("tcp://127.0.0.1:0", mode="PUSH", block=True, send_timeout=5.0) as publisher:
        config = StdDaqStreamCamera.load({"source": publisher.address, "source_type": "stream", "mode": "PULL"})
        source = StdDaqStreamSource(config)
        source.open()
        try:
            publisher.send({"image": _IMAGE}, pulse_id=1)
            deadline = time.monotonic() + 10.0
            while source.dropped == 0 and time.monotonic() < deadline:
                assert source.read(0.05) is None
            assert source.dropped == 1
            assert "use source_type 'bschannel'" in source.last_error
        finally:
            source.close()
