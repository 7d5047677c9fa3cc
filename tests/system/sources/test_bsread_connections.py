"""A bsread camera read over several connections, fed by psi-bsread's Sender and by camserver's Publisher."""

from __future__ import annotations

import time
from collections.abc import Iterator

import bsread
import numpy as np
import pytest

from camserver.models import CameraConfig
from camserver.protocol import Timestamp
from camserver.sources import BsreadCameraSource, BsreadConnections, Frame, create_source
from camserver.transport import Publisher
from tests.system.streams import free_port

pytestmark = pytest.mark.system

_COUNT = 120


def _camera(url: str, connections: int, **config: object) -> BsreadCameraSource:
    source = create_source(
        CameraConfig.load({"source": "CAM", "source_type": "bsread", "url": url, "connections": connections, **config})
    )
    assert isinstance(source, BsreadCameraSource)
    source.open()
    return source


def _read_all(source: BsreadCameraSource, count: int) -> list[Frame]:
    frames: list[Frame] = []
    deadline = time.monotonic() + 60.0
    while len(frames) < count and time.monotonic() < deadline:
        frame = source.read(0.5)
        if frame is not None:
            frames.append(frame)
    return frames


@pytest.fixture
def psi_sender() -> Iterator[tuple[bsread.Sender, str]]:
    port = free_port()
    sender = bsread.Sender(port=port, mode=bsread.PUSH, block=True)
    sender.add_channel("CAM:FPICTURE", metadata={"type": "uint16", "shape": [6, 4]})
    sender.add_channel("CAM:ENERGY", metadata={"type": "float64"})
    sender.open()
    try:
        yield sender, f"tcp://127.0.0.1:{port}"
    finally:
        sender.close()


def test_three_connections_to_a_psi_bsread_sender_give_every_pulse_once_in_order(
    psi_sender: tuple[bsread.Sender, str],
) -> None:
    sender, url = psi_sender
    source = _camera(url, 3, check_timestamp=False)
    try:
        stream = source.stream
        assert isinstance(stream, BsreadConnections)
        for pulse_id in range(1, _COUNT + 1):
            image = np.full((4, 6), pulse_id, np.uint16)
            sender.send(data={"CAM:FPICTURE": image, "CAM:ENERGY": pulse_id / 10}, pulse_id=pulse_id)
        frames = _read_all(source, _COUNT)
        assert [frame.pulse_id for frame in frames] == list(range(1, _COUNT + 1))
        for frame in frames:
            assert int(frame.image[0, 0]) == frame.pulse_id and frame.image.shape == (4, 6)
            assert float(frame.extra["CAM:ENERGY"]) == pytest.approx(frame.pulse_id / 10)
        assert sum(stream.received) == _COUNT
        assert source.dropped == 0
    finally:
        source.close()


def test_the_sender_deals_pulses_over_every_connection_and_the_merge_restores_the_order() -> None:
    with Publisher("tcp://127.0.0.1:0", mode="PUSH", block=True, send_timeout=10.0, queue_size=1000) as publisher:
        source = _camera(publisher.address, 4)
        try:
            stream = source.stream
            assert isinstance(stream, BsreadConnections)
            deadline = time.monotonic() + 30.0
            while publisher.clients < 4:
                assert time.monotonic() < deadline, "the four connections did not connect within 30 s"
                time.sleep(0.01)  # polling interval
            for pulse_id in range(1, _COUNT + 1):
                image = np.full((4, 6), pulse_id % 65536, np.uint16)
                publisher.send({"CAM:FPICTURE": image}, pulse_id=pulse_id, timestamp=Timestamp(1_700_000_000, pulse_id))
            frames = _read_all(source, _COUNT)
            assert [frame.pulse_id for frame in frames] == list(range(1, _COUNT + 1))
            assert all(count > 0 for count in stream.received), stream.received  # each connection took its share
            assert source.geometry == (6, 4)
        finally:
            source.close()


def test_a_single_connection_is_read_without_a_merge(psi_sender: tuple[bsread.Sender, str]) -> None:
    sender, url = psi_sender
    source = _camera(url, 1, check_timestamp=False)
    try:
        assert not isinstance(source.stream, BsreadConnections)
        sender.send(data={"CAM:FPICTURE": np.zeros((4, 6), np.uint16), "CAM:ENERGY": 1.0}, pulse_id=5)
        frames = _read_all(source, 1)
        assert [frame.pulse_id for frame in frames] == [5]
    finally:
        source.close()
