"""Reading streams: from a Publisher on 127.0.0.1 (port 0), and from a server's instances by name."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from camserver.client import Client, Message, StreamReader, read_stream
from camserver.errors import NotFound, Timeout
from camserver.protocol import Timestamp
from camserver.testing.server import RunningServer
from camserver.transport import Publisher
from tests.integration.client.served import stop_everything

IMAGE = np.arange(12, dtype=np.uint16).reshape(3, 4)


@pytest.fixture
def publisher() -> Iterator[Publisher]:
    with Publisher("tcp://127.0.0.1:0", mode="PUSH", block=True, send_timeout=5.0) as sender:
        yield sender


def test_messages_carry_arrays_scalars_pulse_ids_and_timestamps(publisher: Publisher) -> None:
    with StreamReader(publisher.address, mode="PULL", count=3, timeout=5.0) as reader:
        for pulse_id in (100, 101, 102):
            stamp = Timestamp(1700000000, pulse_id)
            assert publisher.send(
                {"image": IMAGE + pulse_id, "x": 1.5, "name": "beam"}, pulse_id=pulse_id, timestamp=stamp
            )
        messages = list(reader)
    assert [message.pulse_id for message in messages] == [100, 101, 102]
    assert all(isinstance(message, Message) for message in messages)
    last = messages[-1]
    assert np.array_equal(last["image"], IMAGE + 102)
    assert last["image"].dtype == np.uint16
    assert float(last["x"]) == 1.5
    assert last["name"] == "beam"
    assert last.timestamp == Timestamp(1700000000, 102)
    assert reader.received == 3
    assert reader.statistics.received == 3


def test_a_count_bound_stops_the_iteration(publisher: Publisher) -> None:
    with StreamReader(publisher.address, mode="PULL", count=2, timeout=5.0) as reader:
        for pulse_id in range(4):
            publisher.send({"x": pulse_id}, pulse_id=pulse_id)
        assert [message.pulse_id for message in reader] == [0, 1]
        assert reader.read().pulse_id == 2  # the rest stay readable


def test_a_seconds_bound_ends_a_silent_stream_quietly(publisher: Publisher) -> None:
    with StreamReader(publisher.address, mode="PULL", seconds=0.2, timeout=30.0) as reader:
        assert list(reader) == []


def test_a_silent_stream_is_a_timeout(publisher: Publisher) -> None:
    with StreamReader(publisher.address, mode="PULL", timeout=0.2) as reader:
        with pytest.raises(Timeout, match=f"no message from {publisher.address} within 0.2 s"):
            list(reader)
        with pytest.raises(TimeoutError):
            reader.read(timeout=0.05)


def test_names_resolve_to_running_instances(served: RunningServer) -> None:
    try:
        with Client(served.url) as client:
            with read_stream("sim", client=client, count=3) as reader:
                camera = list(reader)
            assert [message["image"].shape for message in camera] == [(48, 64)] * 3
            assert camera[0].pulse_id < camera[1].pulse_id < camera[2].pulse_id
            assert "sim" in client.cameras.instances()
            with read_stream("sim_sp", client=client, count=2, timeout=20.0) as reader:
                processed = list(reader)
            assert {"x_center_of_mass", "y_profile", "processing_parameters"} <= set(processed[-1].data)
            with read_stream(reader.address, count=1) as by_address:
                assert len(list(by_address)) == 1
            with pytest.raises(NotFound, match="nothing"):
                read_stream("nothing", client=client)
    finally:
        stop_everything(served)
