"""Local streams: a publisher's large values through shared memory to readers on this host.

Real ZMQ sockets on loopback and real ring files (in a folder of the test's own), one test with the
writer in another process. Nothing sleeps to wait: readiness is polled against a deadline.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zmq

from camserver.errors import TransportError
from camserver.protocol import Compression, CompressionPolicy, Message
from camserver.transport import LocalSender, LocalSubscriber, Publisher, Subscriber, remove_stale_rings
from camserver.transport.frame_ring import RING_PREFIX, RingReader, RingWriter
from tests.integration.test_transport import DEADLINE, LOCAL, good_frames, raw_socket, wait_until

FRAME = np.arange(480 * 640, dtype=np.uint16).reshape(480, 640)  # 600 KiB: through the ring


def rings(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob(f"{RING_PREFIX}*"))


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Publisher, LocalSubscriber]]:
    """A publisher with a local stream and a local reader joined to it."""
    publisher = Publisher(LOCAL, local=LOCAL, local_name="test", local_folder=tmp_path)
    assert publisher.local_address is not None
    subscriber = LocalSubscriber(publisher.local_address, folder=tmp_path, receive_timeout=DEADLINE)
    yield publisher, subscriber
    subscriber.close()
    publisher.close()


def join(publisher: Publisher, subscriber: LocalSubscriber) -> Message:
    """Send until the reader receives: the ring is prepared on a thread, and SUB joins late."""
    for attempt in range(2000):
        publisher.send({"image": FRAME, "n": attempt}, pulse_id=attempt)
        message = subscriber.receive(timeout=0.01)
        if message is not None:
            return message
    pytest.fail("the local reader never received a message")


def receive_through_ring(publisher: Publisher, subscriber: LocalSubscriber, start: int) -> tuple[int, Message]:
    """Send until a message arrives that came through the ring (not whole, while it was prepared)."""
    local = publisher._local
    assert local is not None
    for pulse_id in range(start, start + 2000):
        writes = local._ring.writes
        publisher.send({"image": FRAME, "n": pulse_id}, pulse_id=pulse_id)
        message = subscriber.receive(timeout=DEADLINE)
        assert message is not None
        if local._ring.writes > writes:
            return pulse_id + 1, message
    pytest.fail("no message went through the ring")


def test_values_arrive_intact_and_owned(pair: tuple[Publisher, LocalSubscriber], tmp_path: Path) -> None:
    publisher, subscriber = pair
    join(publisher, subscriber)
    following, message = receive_through_ring(publisher, subscriber, 10_000)
    assert rings(tmp_path), "the large value went through a ring file"
    np.testing.assert_array_equal(message["image"], FRAME)
    assert message["n"] == following - 1
    kept = message["image"].copy()
    # the writer goes round its ring many times: a received value is a private copy, not a view
    local = publisher._local
    assert local is not None
    for pulse_id in range(following, following + 3 * local._ring.slots):
        publisher.send({"image": FRAME + 1, "n": pulse_id}, pulse_id=pulse_id)
    np.testing.assert_array_equal(message["image"], kept)
    assert not message["image"].flags.writeable


def test_small_messages_go_whole(pair: tuple[Publisher, LocalSubscriber], tmp_path: Path) -> None:
    publisher, subscriber = pair
    for attempt in range(2000):
        publisher.send({"x": 1.5, "name": "small"}, pulse_id=attempt)
        message = subscriber.receive(timeout=0.01)
        if message is not None:
            break
    else:
        pytest.fail("the local reader never received a message")
    assert message["x"] == 1.5
    assert message["name"] == "small"
    assert rings(tmp_path) == [], "nothing large was sent, so no ring exists"


def test_nothing_is_copied_without_a_local_reader(tmp_path: Path) -> None:
    with Publisher(LOCAL, local=LOCAL, local_folder=tmp_path) as publisher:
        sender = publisher._local
        assert sender is not None
        for pulse_id in range(20):
            assert publisher.send({"image": FRAME}, pulse_id=pulse_id)
        assert sender.sent == 0
        assert rings(tmp_path) == []


def test_a_reader_left_behind_skips_overwritten_slots_and_counts_them(
    pair: tuple[Publisher, LocalSubscriber],
) -> None:
    publisher, subscriber = pair
    join(publisher, subscriber)
    following, _ = receive_through_ring(publisher, subscriber, 10_000)
    local = publisher._local
    assert local is not None
    slots = local._ring.slots
    # the reader falls two laps behind, but fewer messages than its notification queue holds
    burst = min(2 * slots, 30)
    for pulse_id in range(following, following + burst):
        publisher.send({"image": FRAME + (pulse_id % 7), "n": pulse_id}, pulse_id=pulse_id)
    received: list[Message] = []
    while (message := subscriber.receive(timeout=0.5)) is not None:
        received.append(message)
    assert received, "the newest slots are still there to read"
    assert subscriber.ring_overruns == burst - len(received)
    assert subscriber.ring_overruns >= burst - slots
    for message in received:  # whatever arrives is whole, never a mix of two frames
        np.testing.assert_array_equal(message["image"], FRAME + (message.pulse_id % 7))
    assert subscriber.statistics.missed_pulses >= subscriber.ring_overruns - 1  # the gaps show the losses


def test_a_reader_with_a_backlog_limit_passes_over_old_slots_without_copying_them(
    pair: tuple[Publisher, LocalSubscriber],
) -> None:
    publisher, subscriber = pair
    join(publisher, subscriber)
    following, _ = receive_through_ring(publisher, subscriber, 10_000)
    local = publisher._local
    assert local is not None
    subscriber.backlog_limit = 4
    burst = min(2 * local._ring.slots, 30)
    last = following + burst - 1
    for pulse_id in range(following, last + 1):
        publisher.send({"image": FRAME + (pulse_id % 7), "n": pulse_id}, pulse_id=pulse_id)
    received: list[Message] = []
    while received[-1:] == [] or received[-1].pulse_id != last:
        message = subscriber.receive(timeout=DEADLINE)
        assert message is not None, "the newest message is never passed over"
        received.append(message)
    for message in received:
        np.testing.assert_array_equal(message["image"], FRAME + (message.pulse_id % 7))
    statistics = subscriber.statistics
    # every message of the burst is read, passed over (counted, its slot never copied) or overrun
    assert len(received) + statistics.backlog_skips + subscriber.ring_overruns == burst
    assert statistics.backlog_skips > 0
    assert statistics.missed_pulses == subscriber.ring_overruns


def test_a_lent_value_is_a_view_into_the_ring_until_the_writer_comes_round(
    pair: tuple[Publisher, LocalSubscriber],
) -> None:
    publisher, subscriber = pair
    join(publisher, subscriber)
    following, _ = receive_through_ring(publisher, subscriber, 10_000)
    subscriber.lend = True
    profile = np.arange(40_000, dtype=np.float64)  # 320 kB: through the ring, but not the largest
    lease = None
    for pulse_id in range(following, following + 2000):  # until the ring fits the larger message
        publisher.send({"image": FRAME, "profile": profile}, pulse_id=pulse_id)
        message = subscriber.receive(timeout=DEADLINE)
        assert message is not None
        lease = subscriber.lease
        if lease is not None:
            break
    following = pulse_id
    assert lease is not None, "the largest value is lent"
    assert lease.holds(message["image"])
    assert not lease.holds(message["profile"]), "the other values are copies"
    assert not message["image"].flags.writeable
    np.testing.assert_array_equal(message["image"], FRAME)
    assert lease.valid()
    local = publisher._local
    assert local is not None
    for pulse_id in range(following + 1, following + 1 + local._ring.slots):
        publisher.send({"image": FRAME + 1, "profile": profile}, pulse_id=pulse_id)
    assert not lease.valid(), "the writer reused the slot: the lease has lapsed"
    subscriber.lend = False
    while (message := subscriber.receive(timeout=0.5)) is not None:
        assert subscriber.lease is None, "without lending every value is a copy"


def test_a_compressed_stream_reaches_local_readers_uncompressed(tmp_path: Path) -> None:
    compression = CompressionPolicy(arrays=Compression.BITSHUFFLE_LZ4)
    with (
        Publisher(
            LOCAL, local=LOCAL, local_folder=tmp_path, compression=compression, compression_threads=2
        ) as publisher,
        Subscriber(publisher.address, receive_timeout=0.02) as remote,
    ):
        assert publisher.local_address is not None
        with LocalSubscriber(publisher.local_address, folder=tmp_path, receive_timeout=0.02) as local:
            received: dict[str, Message] = {}
            for pulse_id in range(5000):
                publisher.send({"image": FRAME}, pulse_id=pulse_id)
                for name, reader in (("remote", remote), ("local", local)):
                    message = reader.receive()
                    if message is not None:
                        received.setdefault(name, message)
                if len(received) == 2:
                    break
            assert set(received) == {"remote", "local"}, "both readers joined"
    for message in received.values():
        np.testing.assert_array_equal(message["image"], FRAME)
    compressions = {name: message.header.channels[0].compression for name, message in received.items()}
    assert compressions == {"remote": Compression.BITSHUFFLE_LZ4, "local": Compression.NONE}


def test_a_larger_message_moves_to_a_larger_ring(pair: tuple[Publisher, LocalSubscriber], tmp_path: Path) -> None:
    publisher, subscriber = pair
    join(publisher, subscriber)
    following, _ = receive_through_ring(publisher, subscriber, 10_000)
    first = rings(tmp_path)
    bigger = np.ones((960, 1280), np.uint16)
    for pulse_id in range(following, following + 2000):
        publisher.send({"image": bigger, "n": pulse_id}, pulse_id=pulse_id)
        message = subscriber.receive(timeout=DEADLINE)
        assert message is not None
        if message["image"].shape == bigger.shape and rings(tmp_path) != first:
            local = publisher._local
            assert local is not None
            if local._ring.writes and local._ring.slot_size >= bigger.nbytes:
                break
    else:
        pytest.fail("the larger frames never went through a new ring")
    np.testing.assert_array_equal(message["image"], bigger)
    assert len(rings(tmp_path)) == 1, "the smaller ring was removed"


def test_publisher_counts_local_readers_as_clients(pair: tuple[Publisher, LocalSubscriber]) -> None:
    publisher, subscriber = pair
    wait_until(lambda: publisher.clients == 1, "the local reader to be counted")
    assert publisher.seconds_without_clients() == 0.0
    subscriber.close()
    wait_until(lambda: publisher.clients == 0, "the local reader to leave")
    wait_until(lambda: publisher.seconds_without_clients() > 0, "the time without clients to run")


def test_closing_removes_the_ring(tmp_path: Path) -> None:
    sender = LocalSender(LOCAL, folder=tmp_path)
    subscriber = LocalSubscriber(sender.address, folder=tmp_path, receive_timeout=0.01)
    frames = good_frames(1, {"image": FRAME})
    wait_until(lambda: sender.clients == 1, "the reader to connect")
    wait_until(lambda: sender.send(frames) and sender._ring.writes > 0, "a write through the ring")
    assert rings(tmp_path)
    sender.close()
    subscriber.close()
    assert rings(tmp_path) == []


@pytest.fixture
def raw_pub() -> Iterator[tuple[zmq.Socket[bytes], str]]:
    """A bare PUB socket, for sending notifications of any shape."""
    yield from raw_socket(zmq.PUB)


def send_until_received(socket: zmq.Socket[bytes], subscriber: LocalSubscriber, frames: list[bytes]) -> Message:
    for _ in range(2000):
        socket.send_multipart(frames)
        message = subscriber.receive(timeout=0.01)
        if message is not None:
            return message
    pytest.fail("nothing received")


@pytest.mark.parametrize(
    ("descriptor", "error"),
    [
        (b"not json", "JSON descriptor"),
        (b"[1, 2]", "JSON object"),
        (json.dumps({"ring": "x", "slot": 0}).encode(), "incomplete or malformed"),
        (json.dumps({"ring": "x", "slot": 0, "sequence": 2, "parts": [[9, 0, 10]]}).encode(), "names frame 9"),
    ],
)
def test_malformed_notifications_are_counted_and_skipped(
    raw_pub: tuple[zmq.Socket[bytes], str], tmp_path: Path, descriptor: bytes, error: str
) -> None:
    socket, address = raw_pub
    with LocalSubscriber(address, folder=tmp_path, receive_timeout=0.01) as subscriber:
        good = [b"{}", *good_frames(7)]
        send_until_received(socket, subscriber, good)  # more copies of it may still be on their way
        socket.send_multipart([descriptor, *good_frames(8)])
        socket.send_multipart([b"{}", *good_frames(9)])
        message = None
        while message is None or message.pulse_id == 7:
            message = subscriber.receive(timeout=DEADLINE)
            assert message is not None
        assert message.pulse_id == 9, "the stream goes on after the bad notification"
        assert subscriber.statistics.decode_errors == 1
        assert error in subscriber.statistics.last_decode_error


@pytest.mark.parametrize("ring", ["camserver-ring-1-gone-00", "../../etc/passwd", "camserver-ring-1/../x"])
def test_a_ring_that_cannot_be_mapped_is_a_transport_error(
    raw_pub: tuple[zmq.Socket[bytes], str], tmp_path: Path, ring: str
) -> None:
    socket, address = raw_pub
    frames = good_frames(3, {"image": FRAME})
    descriptor = {"ring": ring, "slot": 0, "sequence": 2, "parts": [[2, 0, FRAME.nbytes]]}
    stripped = [*frames[:2], b"", *frames[3:]]

    def pump(subscriber: LocalSubscriber) -> None:
        for _ in range(2000):
            socket.send_multipart([json.dumps(descriptor).encode(), *stripped])
            subscriber.receive(timeout=0.01)

    with (
        LocalSubscriber(address, folder=tmp_path, receive_timeout=0.01) as subscriber,
        pytest.raises(TransportError, match="frame ring"),
    ):
        pump(subscriber)


def test_reader_refuses_a_slot_or_part_outside_the_ring(tmp_path: Path) -> None:
    writer = RingWriter(slots=2, folder=tmp_path)
    wait_until(lambda: writer.ready(1000), "the ring to be prepared")
    written = writer.write([b"x" * 1000])
    reader = RingReader(folder=tmp_path)
    try:
        assert reader.read(written.ring, written.slot, written.sequence, written.parts) is not None
        with pytest.raises(TransportError, match="outside the frame ring"):
            reader.read(written.ring, 5, written.sequence, written.parts)
        with pytest.raises(TransportError, match="outside slot"):
            reader.read(written.ring, written.slot, written.sequence, [(0, writer.slot_size + 1)])
        assert reader.read(written.ring, written.slot, written.sequence + 2, written.parts) is None
    finally:
        reader.close()
        writer.close()


def test_a_file_that_is_not_a_ring_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / f"{RING_PREFIX}1-fake-00"
    fake.write_bytes(b"\0" * 8192)
    reader = RingReader(folder=tmp_path)
    with pytest.raises(TransportError, match="not a camserver frame ring"):
        reader.read(fake.name, 0, 2, [(0, 10)])


def test_a_sender_without_shared_memory_sends_messages_whole(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    sender = LocalSender(LOCAL, folder=missing)
    subscriber = LocalSubscriber(sender.address, folder=missing, receive_timeout=0.01)
    try:
        wait_until(lambda: sender.clients == 1, "the reader to connect")
        for pulse_id in range(2000):
            sender.send(good_frames(pulse_id, {"image": FRAME}))
            message = subscriber.receive(timeout=0.01)
            if message is not None:
                break
        else:
            pytest.fail("nothing received")
        np.testing.assert_array_equal(message["image"], FRAME)
        assert "cannot create the frame ring" in sender._ring.error
    finally:
        subscriber.close()
        sender.close()


def test_stale_rings_of_ended_processes_are_removed(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    ended = context.Process(target=os.getpid)
    ended.start()
    ended.join()
    assert ended.pid is not None
    stale = tmp_path / f"{RING_PREFIX}{ended.pid}-camera-00"
    alive = tmp_path / f"{RING_PREFIX}{os.getpid()}-camera-00"
    other = tmp_path / "unrelated"
    for path in (stale, alive, other):
        path.write_bytes(b"")
    assert remove_stale_rings(tmp_path) == [stale.name]
    assert alive.exists()
    assert other.exists()
    assert remove_stale_rings(tmp_path, pid=os.getpid()) == [alive.name]


def _write_frames(address_queue: Any, folder: str, count: int) -> None:
    """In another process: a publisher with a local stream sends ``count`` frames once a reader is there."""
    import time

    with Publisher(LOCAL, local=LOCAL, local_folder=Path(folder)) as publisher:
        local = publisher._local
        assert local is not None
        address_queue.put(local.address)
        deadline = time.monotonic() + DEADLINE
        while publisher.clients == 0 and time.monotonic() < deadline:
            time.sleep(0.005)  # polling for the reader
        pulse_id = 0
        while pulse_id < count and time.monotonic() < deadline + DEADLINE:
            # wait for the ring, so every frame takes the shared-memory path
            if local._ring.ready(FRAME.nbytes):
                publisher.send({"image": FRAME + pulse_id % 100, "n": pulse_id}, pulse_id=pulse_id)
                pulse_id += 1
                time.sleep(0.002)  # 500 Hz: a steady stream, not a burst
            else:
                time.sleep(0.001)


def test_frames_cross_processes_through_shared_memory(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    addresses = context.Queue()
    writer = context.Process(target=_write_frames, args=(addresses, str(tmp_path), 300), daemon=True)
    writer.start()
    try:
        address = addresses.get(timeout=60)
        with LocalSubscriber(address, folder=tmp_path, receive_timeout=DEADLINE) as subscriber:
            received = []
            while (message := subscriber.receive()) is not None:
                np.testing.assert_array_equal(message["image"], FRAME + message.pulse_id % 100)
                received.append(message.pulse_id)
                if message.pulse_id == 299:
                    break
        assert received[-1] == 299
        assert received == sorted(set(received)), "in order, each once"
        # A reader on a busy machine may fall a whole notification queue behind: what it loses is
        # counted, never delivered torn (the frames were compared above).
        assert subscriber.statistics.missed_pulses == 300 - received[0] - len(received)
    finally:
        writer.join(timeout=DEADLINE)
        if writer.is_alive():
            writer.kill()
    assert rings(tmp_path) == [], "the writer removed its ring"
