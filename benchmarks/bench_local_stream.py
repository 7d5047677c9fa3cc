"""What one camera -> pipeline hop costs on one host: the local stream (shared memory) beside TCP."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import numpy as np
import psutil

from benchmarks.bench_transport import beam_frame
from benchmarks.harness import Row

TITLE = "Camera -> pipeline on one host: local stream (shared memory) or TCP"
DESCRIPTION = """
A sender process publishes uint16 frames at 100 Hz (paced on an absolute schedule) for 5 s; a
receiver in this process decodes every message. Figures are the CPU both processes used while the
receiver counted (percent of one core, from the kernel's accounting of each process), and the
frames lost. Cases: camserver's `Publisher` with a local stream read by `LocalSubscriber` (the
large value copied into a shared-memory ring and out of it again: one copy on each side);
camserver's `Publisher` read by `Subscriber` over tcp://127.0.0.1 (what a pipeline did before);
the reference is raw pyzmq over tcp on loopback (two-part message, `copy=False` on both sides),
the cheapest way through the kernel.
"""

RATE = 100.0
WARMUP = 20


def _send(kind: str, shape: tuple[int, int], count: int, addresses: Any) -> None:
    frames = [beam_frame(shape) + offset for offset in range(4)]
    if kind == "raw pyzmq":
        import zmq

        socket = zmq.Context.instance().socket(zmq.PUB)
        socket.setsockopt(zmq.SNDHWM, 32)
        port = socket.bind_to_random_port("tcp://127.0.0.1")
        addresses.put(f"tcp://127.0.0.1:{port}")

        def send(index: int) -> None:
            socket.send_multipart([b'{"pulse_id": %d}' % index, frames[index % 4]], copy=False)

        clients = None
    else:
        from camserver.transport import Publisher

        local = kind == "camserver local stream"
        publisher = Publisher("tcp://127.0.0.1:0", queue_size=32, local="tcp://127.0.0.1:0" if local else None)
        addresses.put(publisher.local_address if local else publisher.address)

        def send(index: int) -> None:
            publisher.send({"image": frames[index % 4]}, pulse_id=index)

        clients = publisher
    deadline = time.monotonic() + 30
    while clients is not None and clients.clients == 0 and time.monotonic() < deadline:
        time.sleep(0.005)  # polling for the receiver
    time.sleep(0.5)  # a joining SUB misses the first messages: let it settle (the receiver skips a warm-up too)
    start = time.monotonic()
    for index in range(count):
        send(index)
        delay = start + (index + 1) / RATE - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    time.sleep(1.0)  # the receiver stops on its own count; leave the last messages time to arrive


def _receiver(kind: str, address: str) -> Any:
    if kind == "raw pyzmq":
        import zmq

        socket = zmq.Context.instance().socket(zmq.SUB)
        socket.setsockopt(zmq.RCVHWM, 32)
        socket.setsockopt(zmq.SUBSCRIBE, b"")
        socket.connect(address)

        def receive() -> int | None:
            if not socket.poll(5000):
                return None
            header, data = socket.recv_multipart(copy=False)
            np.frombuffer(data.buffer, np.uint16)
            return int(header.bytes[13:-1])

        return receive, socket.close
    from camserver.transport import LocalSubscriber, Subscriber

    subscriber = (LocalSubscriber if kind == "camserver local stream" else Subscriber)(address, receive_timeout=5)

    def receive_message() -> int | None:
        message = subscriber.receive()
        if message is None:
            return None
        assert message.data["image"].ndim == 2
        return message.pulse_id

    return receive_message, subscriber.close


def hop(kind: str, shape: tuple[int, int], count: int) -> tuple[float, float, int]:
    """CPU of sender and receiver (percent of one core) while ``count`` frames pass, and frames lost."""
    context = multiprocessing.get_context("spawn")
    addresses = context.Queue()
    total = count + WARMUP
    sender = context.Process(target=_send, args=(kind, shape, total, addresses), daemon=True)
    sender.start()
    receive, close = _receiver(kind, addresses.get(timeout=60))
    try:
        first = None
        while first is None or first < WARMUP:
            first = receive()
            assert first is not None, f"{kind}: nothing received"
        me, them = psutil.Process(), psutil.Process(sender.pid)
        mine, theirs, started = me.cpu_times(), them.cpu_times(), time.monotonic()
        last, received = first, 0
        while last < total - 1 and (pulse_id := receive()) is not None:
            last, received = pulse_id, received + 1
        elapsed = time.monotonic() - started
        mine_after, theirs_after = me.cpu_times(), them.cpu_times()
    finally:
        close()
        sender.join(timeout=10)
        if sender.is_alive():
            sender.kill()
    # tick-granular counters: a difference of sums can come out a rounding error below zero
    receiver_cpu = max(0.0, 100 * ((mine_after.user - mine.user) + (mine_after.system - mine.system)) / elapsed)
    sender_cpu = max(0.0, 100 * ((theirs_after.user - theirs.user) + (theirs_after.system - theirs.system)) / elapsed)
    return sender_cpu, receiver_cpu, (last - first) - received


def run(smoke: bool = False) -> list[Row]:
    shapes = [((64, 96), "64x96")] if smoke else [((2160, 2560), "2560x2160"), ((960, 1280), "1280x960")]
    count = 20 if smoke else 500
    rows: list[Row] = []
    for shape, label in shapes:
        reference = sum(hop("raw pyzmq", shape, count)[:2])
        for kind in ("camserver local stream", "camserver tcp"):
            sender, receiver, lost = hop(kind, shape, count)
            rows.append(
                Row(
                    f"{label} uint16 at 100 Hz, {kind}: CPU of both ends",
                    sender + receiver,
                    "% of a core",
                    "raw pyzmq tcp",
                    reference,
                    lower_is_better=True,
                    note=f"sender {sender:.0f} %, receiver {receiver:.0f} %; {lost} of {count} frames lost",
                )
            )
    return rows
