"""Interoperability with PSI's psi-bsread over tcp loopback, both ways.

Our :class:`Publisher` -> ``bsread.Source`` and ``bsread.Sender`` -> our :class:`Subscriber`, with PUB/SUB
and PUSH/PULL, all 12 types, images, empty channels, every compression and a channel-set change.
``bsread.Source`` always gets ``host=`` (without it, it asks a dispatcher on the network). Every loop is
bounded; PUB/SUB senders keep sending until the receiver has joined; nothing depends on the last
messages a psi-bsread sender sends before it closes.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import bsread
import numpy as np
import pytest

from camserver.protocol import Compression, CompressionPolicy, HeaderStrategy, Message, Timestamp
from camserver.transport import Publisher, Subscriber, host_port

pytestmark = pytest.mark.system

RECEIVE_MS = 20  # per attempt, while joining
DEADLINE_MS = 10_000  # once joined, a message that does not come within this is a failure
STAMP = Timestamp(1700000000, 123456789)
IMAGE = np.arange(24, dtype=np.uint16).reshape(4, 6)

SCALARS: dict[str, Any] = {
    "bool": True,
    "int8": np.int8(-8),
    "uint8": np.uint8(200),
    "int16": np.int16(-1600),
    "uint16": np.uint16(60000),
    "int32": np.int32(-(2**31)),
    "uint32": np.uint32(2**32 - 1),
    "int64": -(2**62),
    "uint64": np.uint64(2**64 - 2),
    "float32": np.float32(2.5),
    "float64": 1.5,
    "string": "Grüße ☃",
}
ARRAYS: dict[str, Any] = {
    f"{name}[]": np.array([1, 0, 3, 1, 2]).astype(name)
    for name in ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]
}
DATA: dict[str, Any] = {
    **SCALARS,
    **ARRAYS,
    "image": IMAGE,
    "big-endian": np.arange(5, dtype=">f8"),
    "empty": None,
}
MODES = {"PUB": (bsread.PUB, bsread.SUB, "SUB"), "PUSH": (bsread.PUSH, bsread.PULL, "PULL")}


def free_port() -> int:
    """A port nobody listens on now (psi-bsread's Sender cannot bind port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def assert_value(name: str, received: Any, sent: Any) -> None:
    if sent is None:
        assert received is None, name
    elif isinstance(sent, str):
        assert received == sent, name
    else:
        expected = np.asarray(sent)
        received_array = np.asarray(received)
        assert received_array.shape == expected.shape, name
        assert received_array.dtype.newbyteorder("=") == expected.dtype.newbyteorder("="), name
        np.testing.assert_array_equal(received_array, expected, err_msg=name)


# -- our Publisher -> psi-bsread Source -----------------------------------------------------------------


@contextmanager
def bsread_source(publisher: Publisher, mode: str) -> Iterator[Any]:
    _, port = host_port(publisher.address)
    with bsread.Source(host="127.0.0.1", port=port, mode=MODES[mode][1], receive_timeout=RECEIVE_MS) as source:
        yield source


def join_source(publisher: Publisher, source: Any, data: dict[str, Any]) -> Any:
    """Send until psi-bsread receives one of ours; the first messages may be lost (slow joiner)."""
    for pulse_id in range(1000):
        publisher.send(data, pulse_id=pulse_id, timestamp=STAMP)
        message = source.receive()
        if message is not None:
            return message
    pytest.fail("psi-bsread never received a message")


def receive_pulse(source: Any, pulse_id: int) -> Any:
    """psi-bsread's next message with ``pulse_id`` (earlier ones still queued are skipped)."""
    for _ in range(DEADLINE_MS // RECEIVE_MS):
        message = source.receive()
        if message is not None and message.data.pulse_id == pulse_id:
            return message
    pytest.fail(f"psi-bsread did not receive pulse {pulse_id}")


@pytest.mark.parametrize("mode", ["PUB", "PUSH"])
@pytest.mark.parametrize("compression", [Compression.NONE, Compression.BITSHUFFLE_LZ4])
@pytest.mark.parametrize("header_compression", [Compression.NONE, Compression.BITSHUFFLE_LZ4])
def test_psi_bsread_receives_every_type_from_our_publisher(
    mode: str, compression: Compression, header_compression: Compression
) -> None:
    with (
        Publisher(
            "tcp://127.0.0.1:0",
            mode=mode,
            header_strategy=HeaderStrategy.ALWAYS,  # "empty" is announced although it never has a value
            compression=CompressionPolicy(arrays=compression, scalars=compression),
            header_compression=header_compression,
        ) as publisher,
        bsread_source(publisher, mode) as source,
    ):
        message = join_source(publisher, source, DATA)
        assert message.data.format_changed
        assert message.data.global_timestamp == STAMP.sec
        assert message.data.global_timestamp_offset == STAMP.ns
        received = message.data.data
        assert list(received) == list(DATA)
        for name, sent in DATA.items():
            assert_value(name, received[name].value, sent)
        assert received["image"].value.shape == (4, 6)
        assert received["string"].value == "Grüße ☃"
        assert received["float64"].timestamp == STAMP.sec
        assert received["float64"].timestamp_offset == STAMP.ns
        publisher.send(DATA, pulse_id=5000, timestamp=STAMP)
        assert receive_pulse(source, 5000).data.data["uint64"].value == np.uint64(2**64 - 2)


@pytest.mark.parametrize("mode", ["PUB", "PUSH"])
def test_psi_bsread_sees_a_channel_set_change(mode: str) -> None:
    with Publisher("tcp://127.0.0.1:0", mode=mode) as publisher, bsread_source(publisher, mode) as source:
        join_source(publisher, source, {"image": IMAGE, "x": 1.0})
        publisher.send({"image": IMAGE, "x": 2.0}, pulse_id=5000)
        assert not receive_pulse(source, 5000).data.format_changed
        publisher.send({"image": IMAGE, "x": 3.0, "y": "new"}, pulse_id=5001)
        changed = receive_pulse(source, 5001)
        assert changed.data.format_changed
        assert changed.data.data["y"].value == "new"
        publisher.send({"image": IMAGE, "x": 4.0, "y": "same"}, pulse_id=5002)
        same = receive_pulse(source, 5002)
        assert not same.data.format_changed
        assert same.data.data["x"].value == 4.0
        publisher.send({"y": "fewer"}, pulse_id=5003)
        fewer = receive_pulse(source, 5003)
        assert fewer.data.format_changed
        assert list(fewer.data.data) == ["y"]


def test_psi_bsread_gets_none_for_a_known_channel_without_value() -> None:
    with Publisher("tcp://127.0.0.1:0", mode="PUSH") as publisher, bsread_source(publisher, "PUSH") as source:
        join_source(publisher, source, {"image": IMAGE, "x": 1.0})
        publisher.send({"image": None, "x": 2.0}, pulse_id=5000)
        message = receive_pulse(source, 5000)
        assert not message.data.format_changed
        assert message.data.data["image"].value is None
        assert message.data.data["x"].value == 2.0


def test_psi_bsread_receives_a_camera_sized_compressed_image() -> None:
    image = np.random.default_rng(0).integers(0, 4096, (494, 659), dtype=np.uint16)
    policy = CompressionPolicy(arrays=Compression.BITSHUFFLE_LZ4)
    with (
        Publisher("tcp://127.0.0.1:0", mode="PUB", compression=policy) as publisher,
        bsread_source(publisher, "PUB") as source,
    ):
        message = join_source(publisher, source, {"image": image})
        np.testing.assert_array_equal(message.data.data["image"].value, image)


# -- psi-bsread Sender -> our Subscriber ------------------------------------------------------------------


@contextmanager
def bsread_sender(mode: str, **options: Any) -> Iterator[tuple[Any, str]]:
    port = free_port()
    sender = bsread.Sender(
        port=port, address="tcp://127.0.0.1", mode=MODES[mode][0], block=True, send_timeout=DEADLINE_MS, **options
    )
    sender.open()
    try:
        yield sender, f"tcp://127.0.0.1:{port}"
    finally:
        sender.close()


def join_subscriber(send: Callable[[int], None], subscriber: Subscriber) -> Message:
    """Send until our subscriber receives; with PUB/SUB the first messages may be lost (slow joiner)."""
    for pulse_id in range(1000):
        send(pulse_id)
        message = subscriber.receive(timeout=RECEIVE_MS / 1000)
        if message is not None:
            return message
    pytest.fail("our subscriber never received a message")


def next_pulse(subscriber: Subscriber, pulse_id: int) -> Message:
    for _ in range(100):
        message = subscriber.receive(timeout=DEADLINE_MS / 1000)
        assert message is not None, f"pulse {pulse_id} did not arrive"
        if message.pulse_id == pulse_id:
            return message
    pytest.fail(f"pulse {pulse_id} did not arrive")


@pytest.mark.parametrize("mode", ["PUB", "PUSH"])
@pytest.mark.parametrize("compression", [None, "bitshuffle_lz4", "lz4"])
@pytest.mark.parametrize("header_compression", [None, "bitshuffle_lz4", "lz4"])
def test_our_subscriber_receives_every_type_from_psi_bsread(
    mode: str, compression: str | None, header_compression: str | None
) -> None:
    options = {"data_compression": compression, "data_header_compression": header_compression}
    with bsread_sender(mode, **options) as (sender, address), Subscriber(address, mode=MODES[mode][2]) as subscriber:

        def send(pulse_id: int) -> None:
            sender.send(data=DATA, pulse_id=pulse_id, timestamp=(STAMP.sec, STAMP.ns))

        message = join_subscriber(send, subscriber)
        assert message.format_changed
        assert message.timestamp == STAMP
        assert list(message.data) == list(DATA)
        for name, sent in DATA.items():
            assert_value(name, message[name], sent)
        assert message["image"].shape == (4, 6)
        assert message.channel_timestamps["float64"] == STAMP
        assert message.channel_timestamps["empty"] is None
        expected = Compression(compression or "none")
        assert {channel.compression for channel in message.header.channels} == {expected}
        assert message.header.compression is Compression(header_compression or "none")
        send(5000)
        assert not next_pulse(subscriber, 5000).format_changed
        assert subscriber.statistics.decode_errors == 0, subscriber.statistics.last_decode_error


@pytest.mark.parametrize("mode", ["PUB", "PUSH"])
def test_our_subscriber_sees_a_channel_set_change_from_psi_bsread(mode: str) -> None:
    with bsread_sender(mode) as (sender, address), Subscriber(address, mode=MODES[mode][2]) as subscriber:
        join_subscriber(lambda pulse_id: sender.send(data={"a": 1, "image": IMAGE}, pulse_id=pulse_id), subscriber)
        sender.send(data={"a": 2, "image": IMAGE}, pulse_id=5000)
        assert not next_pulse(subscriber, 5000).format_changed
        sender.send(data={"a": 3, "image": IMAGE, "b": "new"}, pulse_id=5001)
        changed = next_pulse(subscriber, 5001)
        assert changed.format_changed
        assert (changed["a"], changed["b"]) == (3, "new")
        sender.send(data={"a": 4, "image": IMAGE, "b": "same"}, pulse_id=5002)
        assert not next_pulse(subscriber, 5002).format_changed
        assert subscriber.statistics.decode_errors == 0


def test_our_subscriber_counts_psi_bsread_pulse_ids() -> None:
    with bsread_sender("PUSH") as (sender, address), Subscriber(address, mode="PULL") as subscriber:
        join_subscriber(lambda pulse_id: sender.send(data={"x": 1.0}, pulse_id=100), subscriber)
        for pulse_id in [101, 102, 105, 106]:
            sender.send(data={"x": float(pulse_id)}, pulse_id=pulse_id)
        assert next_pulse(subscriber, 106)["x"] == 106.0
        statistics = subscriber.statistics
        assert (statistics.pulse_step, statistics.missed_pulses, statistics.pulse_gaps) == (1, 2, 1)
