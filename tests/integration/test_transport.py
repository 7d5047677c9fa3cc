"""Our Publisher -> our Subscriber over real tcp on 127.0.0.1 (ports chosen by the OS).

Nothing here sleeps to wait: readiness is polled against a deadline, and every loop is bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import zmq

from camserver.errors import ConfigError, EncodeError, TransportError
from camserver.protocol import Compression, CompressionPolicy, Encoder, Message, Timestamp
from camserver.transport import (
    Publisher,
    SocketMode,
    Subscriber,
    SubscriberStatistics,
    bind_endpoint,
    host_port,
    normalize_address,
)
from tests.waiting import wait_until

LOCAL = "tcp://127.0.0.1:0"
DEADLINE = 10.0  # seconds; a healthy run needs a few milliseconds
IMAGE = np.arange(24, dtype=np.uint16).reshape(4, 6)


def join(publisher: Publisher, subscriber: Subscriber, data: dict[str, Any] | None = None) -> Message:
    """Send until the subscriber receives (PUB/SUB loses what is sent before it has joined)."""
    for attempt in range(1000):
        publisher.send(data or {"join": attempt}, pulse_id=attempt)
        message = subscriber.receive(timeout=0.02)
        if message is not None:
            return message
    pytest.fail("the subscriber never received a message")


def drain(subscriber: Subscriber, until: Callable[[Message], bool], limit: int = 10_000) -> list[Message]:
    """Receive until ``until`` holds for a message; fail if the stream stops first."""
    messages: list[Message] = []
    for _ in range(limit):
        message = subscriber.receive(timeout=DEADLINE)
        assert message is not None, f"stream stopped after {len(messages)} messages"
        messages.append(message)
        if until(message):
            return messages
    pytest.fail(f"no end after {limit} messages")


def raw_socket(kind: int) -> Iterator[tuple[zmq.Socket[bytes], str]]:
    """A bare pyzmq socket of ``kind`` bound on loopback and its address, for sending arbitrary
    frames; closed when the generator ends (use it from a fixture: ``yield from raw_socket(...)``)."""
    socket: zmq.Socket[bytes] = zmq.Context.instance().socket(kind)
    socket.setsockopt(zmq.LINGER, 0)
    socket.bind("tcp://127.0.0.1:*")
    address = socket.getsockopt(zmq.LAST_ENDPOINT)
    assert isinstance(address, bytes)
    yield socket, address.decode()
    socket.close(linger=0)


@pytest.fixture
def raw_push() -> Iterator[tuple[zmq.Socket[bytes], str]]:
    """A bare pyzmq PUSH socket bound on loopback, for sending arbitrary frames."""
    yield from raw_socket(zmq.PUSH)


def good_frames(pulse_id: int, data: dict[str, Any] | None = None) -> list[bytes]:
    message = Encoder().encode(data or {"x": float(pulse_id)}, pulse_id=pulse_id, timestamp=Timestamp(1, 0))
    return [frame.tobytes() if isinstance(frame, np.ndarray) else bytes(frame) for frame in message.frames]


# -- delivery -------------------------------------------------------------------------------------


@pytest.mark.parametrize("publisher_binds", [True, False], ids=["publisher-binds", "subscriber-binds"])
def test_pub_sub(publisher_binds: bool) -> None:
    if publisher_binds:
        publisher = Publisher(LOCAL, mode="PUB")
        subscriber = Subscriber(publisher.address, mode="SUB")
    else:
        subscriber = Subscriber(LOCAL, mode="SUB", bind=True)
        publisher = Publisher(subscriber.address, mode="PUB", bind=False)
    with publisher, subscriber:
        join(publisher, subscriber)
        stamp = Timestamp(1700000000, 5)
        for pulse_id in range(1000, 1005):
            assert publisher.send({"image": IMAGE, "s": "µ", "ok": True}, pulse_id=pulse_id, timestamp=stamp)
        messages = drain(subscriber, lambda message: message.pulse_id == 1004)
        tail = [message for message in messages if message.pulse_id >= 1000]
        assert [message.pulse_id for message in tail] == list(range(1000, 1005))
        for message in tail:
            np.testing.assert_array_equal(message["image"], IMAGE)
            assert message["image"].shape == (4, 6)
            assert (message["s"], message["ok"], message.timestamp) == ("µ", True, stamp)


@pytest.mark.parametrize("publisher_binds", [True, False], ids=["publisher-binds", "subscriber-binds"])
def test_push_pull_delivers_every_message_in_order(publisher_binds: bool) -> None:
    if publisher_binds:
        publisher = Publisher(LOCAL, mode="PUSH", block=True, send_timeout=DEADLINE)
        subscriber = Subscriber(publisher.address, mode="PULL")
    else:
        subscriber = Subscriber(LOCAL, mode="PULL", bind=True)
        publisher = Publisher(subscriber.address, mode="PUSH", bind=False, block=True, send_timeout=DEADLINE)
    with publisher, subscriber:
        for pulse_id in range(20):
            assert publisher.send({"image": IMAGE * pulse_id, "n": pulse_id}, pulse_id=pulse_id)
        messages = [subscriber.receive(timeout=DEADLINE) for _ in range(20)]
        assert all(message is not None for message in messages)
        assert [message.pulse_id for message in messages if message] == list(range(20))
        assert [int(message["n"]) for message in messages if message] == list(range(20))
        last = messages[-1]
        assert last is not None
        np.testing.assert_array_equal(last["image"], IMAGE * 19)
        assert publisher.statistics.sent == subscriber.statistics.received == 20
        assert publisher.statistics.dropped == 0
        assert publisher.statistics.bytes_sent == subscriber.statistics.bytes_received > 20 * IMAGE.nbytes
        assert subscriber.statistics.format_changes == 1
        assert subscriber.statistics.missed_pulses == subscriber.statistics.out_of_order == 0


def test_large_zero_copy_images_arrive_intact() -> None:
    image = np.random.default_rng(0).integers(0, 4096, (1024, 1280), dtype=np.uint16)
    with (
        Publisher(LOCAL, mode="PUSH", block=True, send_timeout=DEADLINE) as publisher,
        Subscriber(publisher.address, mode="PULL") as subscriber,
    ):
        for pulse_id in range(3):
            assert publisher.send({"image": image}, pulse_id=pulse_id)
        for _ in range(3):
            message = subscriber.receive(timeout=DEADLINE)
            assert message is not None
            np.testing.assert_array_equal(message["image"], image)


def test_a_channel_set_change_is_counted_as_a_format_change() -> None:
    with (
        Publisher(LOCAL, mode="PUSH", block=True, send_timeout=DEADLINE) as publisher,
        Subscriber(publisher.address, mode="PULL") as subscriber,
    ):
        for pulse_id, data in enumerate([{"a": 1}, {"a": 2}, {"a": 3, "b": 1.5}, {"a": 4, "b": 2.5}]):
            publisher.send(data, pulse_id=pulse_id)
        changed = [subscriber.receive(timeout=DEADLINE) for _ in range(4)]
        assert [message.format_changed for message in changed if message] == [True, False, True, False]
        assert subscriber.statistics.format_changes == 2
        assert publisher.statistics.header_changes == 1


def test_changing_the_compression_changes_the_header_and_keeps_the_values() -> None:
    with (
        Publisher(LOCAL, mode="PUSH", block=True, send_timeout=DEADLINE) as publisher,
        Subscriber(publisher.address, mode="PULL") as subscriber,
    ):
        publisher.send({"image": IMAGE, "x": 1.0}, pulse_id=1)
        publisher.set_compression(CompressionPolicy(arrays=Compression.BITSHUFFLE_LZ4), Compression.BITSHUFFLE_LZ4)
        publisher.send({"image": IMAGE, "x": 2.0}, pulse_id=2)
        publisher.set_compression(CompressionPolicy(arrays=Compression.BITSHUFFLE_LZ4), Compression.BITSHUFFLE_LZ4)
        publisher.send({"image": IMAGE, "x": 3.0}, pulse_id=3)
        plain, compressed, same = (subscriber.receive(timeout=DEADLINE) for _ in range(3))
        assert plain is not None and compressed is not None and same is not None
        assert plain.header.channels[0].compression is Compression.NONE
        assert compressed.header.channels[0].compression is Compression.BITSHUFFLE_LZ4
        assert compressed.header.compression is Compression.BITSHUFFLE_LZ4
        assert [message.format_changed for message in (plain, compressed, same)] == [True, True, False]
        for message in (plain, compressed, same):
            np.testing.assert_array_equal(message["image"], IMAGE)
        assert publisher.statistics.header_changes == 1


# -- connected clients ------------------------------------------------------------------------------


def test_clients_rise_when_subscribers_connect_and_fall_when_they_leave() -> None:
    with Publisher(LOCAL, mode="PUB") as publisher:
        assert publisher.clients == 0
        assert publisher.seconds_without_clients() >= 0
        first = Subscriber(publisher.address, mode="SUB")
        wait_until(lambda: publisher.clients == 1, "the first subscriber")
        assert publisher.seconds_without_clients() == 0
        second = Subscriber(publisher.address, mode="SUB")
        wait_until(lambda: publisher.clients == 2, "the second subscriber")
        first.close()
        wait_until(lambda: publisher.clients == 1, "the first subscriber to leave")
        second.close()
        wait_until(lambda: publisher.clients == 0, "the second subscriber to leave")
        wait_until(lambda: publisher.seconds_without_clients() > 0, "the idle time to count")


def test_a_pub_stream_nobody_hears_is_not_sent_and_encoded_only_to_check_it() -> None:
    with Publisher(LOCAL, mode="PUB") as publisher:
        with pytest.raises(EncodeError):  # the first message is encoded: a bad value is found at once
            publisher.send({"image": IMAGE, "unencodable": object()}, pulse_id=0)
        for pulse_id in range(1, 6):
            assert publisher.send({"image": IMAGE}, pulse_id=pulse_id)
        assert (publisher.statistics.unheard, publisher.statistics.sent, publisher.statistics.dropped) == (5, 0, 0)
        with Subscriber(publisher.address, mode="SUB") as subscriber:
            message = join(publisher, subscriber, {"image": IMAGE})
            np.testing.assert_array_equal(message.data["image"], IMAGE)
            assert publisher.statistics.sent >= 1
            heard = publisher.statistics.unheard
        wait_until(lambda: publisher.clients == 0, "the subscriber to leave")
        publisher.send({"image": IMAGE}, pulse_id=9999)
        assert publisher.statistics.unheard == heard + 1


def test_clients_of_a_connecting_publisher() -> None:
    subscriber = Subscriber(LOCAL, mode="PULL", bind=True)
    with Publisher(subscriber.address, mode="PUSH", bind=False) as publisher:
        wait_until(lambda: publisher.clients == 1, "the connection to the puller")
        subscriber.close()
        wait_until(lambda: publisher.clients == 0, "the puller to leave")


# -- dropping whole messages ------------------------------------------------------------------------


def test_non_blocking_push_without_a_peer_drops_and_counts() -> None:
    with Publisher(LOCAL, mode="PUSH", block=False) as publisher:
        results = [publisher.send({"x": 1.0}, pulse_id=pulse_id) for pulse_id in range(5)]
        assert results == [False] * 5
        assert (publisher.statistics.dropped, publisher.statistics.sent, publisher.statistics.bytes_sent) == (5, 0, 0)


def test_blocking_push_without_a_peer_drops_after_its_timeout() -> None:
    with Publisher(LOCAL, mode="PUSH", block=True, send_timeout=0.05) as publisher:
        assert not publisher.send({"x": 1.0}, pulse_id=1)
        assert publisher.statistics.dropped == 1


def _fill(publisher: Publisher, first: int) -> tuple[list[int], list[int]]:
    """Send to a peer that does not read until five messages after the first accepted one were dropped.

    Returns the pulse ids accepted and dropped.
    """
    sent: list[int] = []
    dropped: list[int] = []
    for pulse_id in range(first, first + 5000):
        accepted = publisher.send({"frame": _frame(pulse_id)}, pulse_id=pulse_id)
        (sent if accepted else dropped).append(pulse_id)
        if sent and sum(1 for dropped_id in dropped if dropped_id > sent[0]) >= 5:
            return sent, dropped
    pytest.fail(f"accepted {len(sent)} and dropped {len(dropped)} messages, expected some of both")


def _assert_whole_messages(subscriber: Subscriber, sent: list[int]) -> None:
    """Every accepted message arrives, complete and in order; nothing undecodable arrives."""
    messages = drain(subscriber, lambda message: message.pulse_id == sent[-1])
    assert [message.pulse_id for message in messages] == sent
    for message in messages:
        assert message["frame"].shape == (512, 512)
        assert int(message["frame"][-1, -1]) == message.pulse_id % 256
    assert subscriber.statistics.decode_errors == 0, subscriber.statistics.last_decode_error


def _frame(pulse_id: int) -> np.ndarray[Any, Any]:
    return np.full((512, 512), pulse_id % 256, np.uint8)


def test_non_blocking_push_to_a_peer_that_does_not_read_drops_whole_messages() -> None:
    with (
        Publisher(LOCAL, mode="PUSH", queue_size=1, block=False) as publisher,
        Subscriber(publisher.address, mode="PULL", queue_size=1) as subscriber,
    ):
        wait_until(lambda: publisher.clients == 1, "the puller")
        sent, dropped = _fill(publisher, 0)
        assert publisher.statistics.dropped == len(dropped)
        assert publisher.statistics.sent == len(sent)
        _assert_whole_messages(subscriber, sent)
        assert subscriber.statistics.received == len(sent)


def _settle(publisher: Publisher, subscriber: Subscriber, pulse_id: int) -> None:
    """Deliver a marker through a nodrop PUB, and everything queued before it: the queues are empty then."""
    for _ in range(1000):
        if publisher.send({"frame": _frame(pulse_id)}, pulse_id=pulse_id):
            break
        subscriber.receive(timeout=0.01)  # make room
    else:
        pytest.fail("the marker was never accepted")
    drain(subscriber, lambda message: message.pulse_id == pulse_id)


def test_nodrop_pub_to_a_subscriber_that_does_not_read_drops_whole_messages() -> None:
    with (
        Publisher(LOCAL, mode="PUB", queue_size=1, block=False, nodrop=True) as publisher,
        Subscriber(publisher.address, mode="SUB", queue_size=1) as subscriber,
    ):
        join(publisher, subscriber, {"frame": _frame(0)})
        _settle(publisher, subscriber, 5000)
        before = publisher.statistics.dropped
        sent, dropped = _fill(publisher, 10_000)
        assert publisher.statistics.dropped - before == len(dropped)
        _assert_whole_messages(subscriber, sent)


def test_plain_pub_never_holds_back_and_the_subscriber_counts_the_gaps() -> None:
    with (
        Publisher(LOCAL, mode="PUB", queue_size=1, block=False) as publisher,
        Subscriber(publisher.address, mode="SUB", queue_size=1) as subscriber,
    ):
        join(publisher, subscriber, {"frame": _frame(0)})
        results = [publisher.send({"frame": _frame(pulse_id)}, pulse_id=pulse_id) for pulse_id in range(10_000, 10_300)]
        assert all(results)  # PUB drops at the high-water mark without telling the sender
        assert publisher.statistics.dropped == 0
        tail: list[int] = []
        for _ in range(400):  # until the stream falls silent; what is left of it is in the queues
            message = subscriber.receive(timeout=0.5 if tail else DEADLINE)
            if message is None:
                break
            if message.pulse_id >= 10_000:
                tail.append(message.pulse_id)
        assert tail == sorted(tail)
        assert 0 < len(tail) < 300
        # the subscriber saw the stream was not whole: gaps counted, or (when the queue let through
        # evenly spaced messages, seen on a busy machine) a pulse step larger than the sender's 1
        statistics = subscriber.statistics
        assert statistics.pulse_gaps > 0 or (statistics.pulse_step or 1) > 1
        assert statistics.decode_errors == 0
        # the publisher saw the queue overflow: at least once, never more often than messages were lost
        assert 1 <= publisher.statistics.subscriber_overflows <= 300 - len(tail)


def test_overflows_are_counted_once_per_message_some_subscriber_missed() -> None:
    with (
        Publisher(LOCAL, mode="PUB", queue_size=10, block=False) as publisher,
        Subscriber(publisher.address, mode="SUB", queue_size=1000) as reader,
        Subscriber(publisher.address, mode="SUB", queue_size=1) as stalled,
    ):
        join(publisher, reader, {"frame": _frame(0)})
        join(publisher, stalled, {"frame": _frame(0)})
        first, last = 10_000, 10_300
        heard: dict[str, set[int]] = {"reader": set(), "stalled": set()}
        for pulse_id in range(first, last):  # 75 MB: more than any queue holds for the stalled one
            assert publisher.send({"frame": _frame(pulse_id)}, pulse_id=pulse_id)
            while (message := reader.receive(timeout=0)) is not None:
                heard["reader"].add(message.pulse_id)
        for name, subscriber in (("reader", reader), ("stalled", stalled)):
            while (message := subscriber.receive(timeout=0.5)) is not None:  # until it falls silent
                heard[name].add(message.pulse_id)
        missed = sum(len(set(range(first, last)) - {p for p in pulses if p >= first}) for pulses in heard.values())
        assert missed > 0
        assert 1 <= publisher.statistics.subscriber_overflows <= missed
        assert publisher.statistics.dropped == 0


# -- receiving --------------------------------------------------------------------------------------


def test_a_receive_timeout_returns_none() -> None:
    with (
        Publisher(LOCAL, mode="PUB") as publisher,
        Subscriber(publisher.address, mode="SUB", receive_timeout=0.05) as subscriber,
    ):
        assert subscriber.receive() is None
        assert subscriber.receive(timeout=0) is None
        assert list(subscriber) == []
    assert subscriber.receive() is None  # closed


def test_decode_errors_are_counted_and_good_messages_still_arrive(raw_push: tuple[zmq.Socket[bytes], str]) -> None:
    socket, address = raw_push
    garbage = [
        [b"garbage"],
        [b"{}"],
        [b'{"htype":"bsr_m-1.1"}'],
        [b'{"htype":"bsr_m-1.1","hash":"h"}', b"not a header"],
        [bytes(range(256)), b"", b"\xff" * 40],
        good_frames(1)[:-1],
        [b"[" * 60_000],
    ]
    with Subscriber(address, mode="PULL") as subscriber:
        for frames in garbage:
            socket.send_multipart(frames)
        socket.send_multipart(good_frames(7))
        message = subscriber.receive(timeout=DEADLINE)
        assert message is not None
        assert (message.pulse_id, message["x"]) == (7, 7.0)
        assert subscriber.statistics.decode_errors == len(garbage)
        assert "not valid JSON" in subscriber.statistics.last_decode_error
        socket.send_multipart([b"garbage again"])
        socket.send_multipart(good_frames(8))
        message = subscriber.receive(timeout=DEADLINE)
        assert message is not None
        assert message.pulse_id == 8
        assert subscriber.statistics.decode_errors == len(garbage) + 1
        assert subscriber.statistics.received == 2


def test_control_messages_are_skipped_and_counted(raw_push: tuple[zmq.Socket[bytes], str]) -> None:
    socket, address = raw_push
    with Subscriber(address, mode="PULL") as subscriber:
        socket.send_multipart(good_frames(1))
        socket.send_multipart([b'{"htype":"bsr_stop-1.0","sentMessages":1}'])
        socket.send_multipart([b'{"htype":"bsr_reconnect-1.0","address":"tcp://127.0.0.1:1"}'])
        socket.send_multipart(good_frames(2))
        received = [subscriber.receive(timeout=DEADLINE) for _ in range(2)]
        assert [message.pulse_id for message in received if message] == [1, 2]
        assert subscriber.statistics.control_messages == 2
        assert subscriber.statistics.decode_errors == 0
        assert subscriber.statistics.received == 2


def test_pulse_id_gaps_are_counted_in_the_learned_step() -> None:
    pulse_ids = [1000, 1010, 1020, 1050, 1060, 1040, 1040, 1070, 1080]
    with (
        Publisher(LOCAL, mode="PUSH", block=True, send_timeout=DEADLINE) as publisher,
        Subscriber(publisher.address, mode="PULL") as subscriber,
    ):
        for pulse_id in pulse_ids:
            assert publisher.send({"x": 1.0}, pulse_id=pulse_id)
        received = [subscriber.receive(timeout=DEADLINE) for _ in pulse_ids]
        assert [message.pulse_id for message in received if message] == pulse_ids
        statistics = subscriber.statistics
        assert statistics.pulse_step == 10
        assert statistics.pulse_gaps == 1  # 1020 -> 1050
        assert statistics.missed_pulses == 2  # 1030 and 1040 (1040 came late; 1050 and 1060 came before it)
        assert statistics.out_of_order == 2  # 1060 -> 1040 and 1040 -> 1040
        assert statistics.last_pulse_id == 1080


def _backlogged(name: str, count: int, limit: int | None) -> tuple[Publisher, Subscriber]:
    """A reader with ``count`` messages (pulse ids 0..count-1) waiting for it: inproc delivers a
    message to the reader's queue as it is sent, so the backlog is there before the first receive."""
    address = f"inproc://backlog-{name}"
    subscriber = Subscriber(address, mode="PULL", bind=True, queue_size=1000, backlog_limit=limit)
    publisher = Publisher(address, mode="PUSH", bind=False, queue_size=1000, block=True, send_timeout=DEADLINE)
    for pulse_id in range(count):
        assert publisher.send({"n": pulse_id}, pulse_id=pulse_id)
    return publisher, subscriber


def test_a_reader_beyond_its_backlog_limit_takes_the_newest_and_counts_the_others() -> None:
    publisher, subscriber = _backlogged("beyond", 30, limit=8)
    with publisher, subscriber:
        message = subscriber.receive(timeout=DEADLINE)
        assert message is not None
        assert message.pulse_id == 29
        statistics = subscriber.statistics
        assert statistics.backlog_skips == 29
        assert statistics.received == 1
        assert statistics.missed_pulses == statistics.decode_errors == 0  # passed over, not lost
        assert publisher.send({"n": 30}, pulse_id=30)
        following = subscriber.receive(timeout=DEADLINE)
        assert following is not None
        assert following.pulse_id == 30
        assert statistics.backlog_skips == 29


def test_a_backlog_within_the_limit_is_worked_off_in_order() -> None:
    publisher, subscriber = _backlogged("within", 8, limit=8)
    with publisher, subscriber:
        received = [subscriber.receive(timeout=DEADLINE) for _ in range(8)]
        assert [message.pulse_id for message in received if message] == list(range(8))
        assert subscriber.statistics.backlog_skips == 0


def test_without_a_backlog_limit_every_message_is_read_in_order() -> None:
    publisher, subscriber = _backlogged("unlimited", 30, limit=None)
    with publisher, subscriber:
        received = [subscriber.receive(timeout=DEADLINE) for _ in range(30)]
        assert [message.pulse_id for message in received if message] == list(range(30))
        assert subscriber.statistics.backlog_skips == 0


def test_an_undecodable_message_in_a_skipped_backlog_is_passed_over_like_the_others() -> None:
    address = "inproc://backlog-garbage"
    with Subscriber(address, mode="PULL", bind=True, queue_size=1000, backlog_limit=2) as subscriber:
        socket: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.PUSH)  # inproc: queued as sent
        socket.connect(address)
        try:
            for pulse_id in range(6):
                socket.send_multipart([b"not json", b"{}"] if pulse_id == 3 else good_frames(pulse_id))
            message = subscriber.receive(timeout=DEADLINE)
        finally:
            socket.close(linger=0)
        assert message is not None
        assert message.pulse_id == 5, "the newest of the backlog"
        statistics = subscriber.statistics
        # passed over, or (the garbage) a decode error whose pulse shows as a gap, as without the limit
        assert (statistics.received, statistics.backlog_skips, statistics.decode_errors) == (1, 4, 1)
        assert statistics.missed_pulses == 1


def test_the_pulse_step_shrinks_when_a_smaller_step_appears() -> None:
    statistics = SubscriberStatistics()
    for pulse_id in [0, 20, 40, 50, 70]:
        statistics.record_pulse(pulse_id)
    assert statistics.pulse_step == 10
    assert (statistics.pulse_gaps, statistics.missed_pulses) == (1, 1)  # 50 -> 70 once the step is known


def test_a_hostile_low_pulse_id_does_not_make_the_stream_count_as_missed() -> None:
    statistics = SubscriberStatistics()
    for pulse_id in [1000, 1001, 5, 1002, 1003, 1005]:
        statistics.record_pulse(pulse_id)
    assert statistics.out_of_order == 1
    assert (statistics.pulse_gaps, statistics.missed_pulses) == (1, 1)  # only 1004


def test_wild_and_low_pulse_ids_between_good_ones_count_no_missed_pulses() -> None:
    statistics = SubscriberStatistics()
    for pulse_id in [1000, 2**63 - 1, 1001, 7, 1002, 2**64 - 1, 1003, 1004]:
        statistics.record_pulse(pulse_id)
    assert (statistics.pulse_jumps, statistics.out_of_order) == (2, 3)
    assert (statistics.pulse_gaps, statistics.missed_pulses, statistics.pulse_step) == (0, 0, 1)


def test_a_wild_pulse_id_is_a_jump_not_quintillions_of_missed_pulses() -> None:
    statistics = SubscriberStatistics()
    for pulse_id in [1, 2, 3, 2**63 - 1, 4, 5, 7, 1_000_007, 3_000_000]:
        statistics.record_pulse(pulse_id)
    assert statistics.pulse_jumps == 2  # 3 -> 2**63-1 and 1000007 -> 3000000
    assert statistics.out_of_order == 1  # back to 4
    assert (statistics.pulse_gaps, statistics.missed_pulses) == (2, 1 + 999_999)  # 5 -> 7, 7 -> 1000007 (the bound)


# -- addresses and modes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "normal"),
    [
        ("tcp://127.0.0.1:9999", "tcp://127.0.0.1:9999"),
        ("127.0.0.1:9999", "tcp://127.0.0.1:9999"),
        ("  tcp://camera-host:10100 ", "tcp://camera-host:10100"),
        ("tcp://*:0", "tcp://*:0"),
        ("tcp://[::1]:5", "tcp://[::1]:5"),
        ("ipc:///tmp/stream", "ipc:///tmp/stream"),
        ("inproc://stream", "inproc://stream"),
    ],
)
def test_normalize_address(address: str, normal: str) -> None:
    assert normalize_address(address) == normal


def test_bind_endpoint_and_host_port() -> None:
    assert bind_endpoint("tcp://127.0.0.1:0") == "tcp://127.0.0.1:*"
    assert bind_endpoint("tcp://127.0.0.1:00") == "tcp://127.0.0.1:*"
    assert bind_endpoint("tcp://127.0.0.1:10100") == "tcp://127.0.0.1:10100"
    assert bind_endpoint("127.0.0.1:5000") == "tcp://127.0.0.1:5000"
    assert host_port("tcp://127.0.0.1:10100") == ("127.0.0.1", 10100)
    assert host_port("[::1]:5") == ("::1", 5)


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("tcp://127.0.0.1", "is not tcp://host:port, ipc://path or inproc://name"),
        ("udp://127.0.0.1:5", "is not tcp://host:port"),
        ("", "is not tcp://host:port"),
        ("tcp://a b:5", "is not tcp://host:port"),
        ("tcp://127.0.0.1:70000", "has port 70000 outside 0..65535"),
        ("ipc://", "has no path"),
    ],
)
def test_bad_addresses_are_config_errors_saying_what_is_wrong(address: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        normalize_address(address)
    with pytest.raises(ConfigError, match=message):
        Publisher(address)
    with pytest.raises(ConfigError, match=message):
        Subscriber(address)


def test_host_port_needs_a_port() -> None:
    with pytest.raises(ConfigError, match="has no host and port"):
        host_port("tcp://*:*")


def test_socket_modes() -> None:
    assert SocketMode.parse("sub") is SocketMode.SUB
    assert SocketMode.parse("Push") is SocketMode.PUSH
    with pytest.raises(ConfigError, match="unknown socket mode 'DEALER'; use PUB, PUSH, SUB or PULL"):
        SocketMode.parse("DEALER")
    with pytest.raises(TransportError, match="a publisher sends with PUB or PUSH, not SUB"):
        Publisher(LOCAL, mode="SUB")
    with pytest.raises(TransportError, match="a subscriber receives with SUB or PULL, not PUSH"):
        Subscriber(LOCAL, mode=SocketMode.PUSH)


def test_a_port_in_use_is_a_transport_error_naming_the_address() -> None:
    with Publisher(LOCAL) as first:
        in_use = f"cannot bind a PUB socket on {first.address}: Address already in use"
        with pytest.raises(TransportError, match=in_use):
            Publisher(first.address)
        with pytest.raises(TransportError, match=f"cannot bind a PULL socket on {first.address}"):
            Subscriber(first.address, mode="PULL", bind=True)


def test_an_address_of_another_host_cannot_be_bound() -> None:
    with pytest.raises(TransportError, match="cannot bind a PUSH socket on tcp://192.0.2.1:0"):
        Publisher("tcp://192.0.2.1:0", mode="PUSH")  # TEST-NET-1: never a local interface


def test_closing_twice_is_harmless() -> None:
    publisher = Publisher(LOCAL)
    subscriber = Subscriber(publisher.address)
    for _ in range(2):
        publisher.close()
        subscriber.close()
    assert publisher.closed
    assert subscriber.closed
