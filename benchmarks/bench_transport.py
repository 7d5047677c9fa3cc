"""Stream throughput: encode -> ZMQ tcp loopback -> decode, beside raw pyzmq and psi-bsread."""

from __future__ import annotations

import json
import multiprocessing
import socket
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.harness import Row, timed

TITLE = "bsread streams: encode, ZMQ tcp loopback, decode"
DESCRIPTION = """
A sender process pushes the same uint16 frame (a Gaussian beam on noise, so it compresses like a
camera image) over PUSH/PULL on tcp://127.0.0.1 with a high-water mark of 4 and blocking sends;
the receiver in this process times 200 messages after a warm-up and decodes each one. Figures are
messages per second at the receiver. References measured in the same run: raw pyzmq (two-part
message, JSON header + the frame, `copy=False` on both sides: the practical limit of this machine)
and psi-bsread 2.0.1 (`Sender`/`Source` with their default options, the header registered once with
`add_channel` and `check_data=False`). The codec rows time compression of one frame on one core,
beside the bitshuffle C library called directly (the limit; our frame adds a 12-byte header).
Targets (issue 2): uncompressed >= 0.8x raw pyzmq and >= 2x psi-bsread; bitshuffle_lz4 encode >=
2 GB/s per core.
"""

WARMUP = 10
SLACK = 10  # extra messages sent: psi-bsread's sender loses its last one or two when it closes


def beam_frame(shape: tuple[int, int]) -> np.ndarray[Any, Any]:
    """A camera-like uint16 frame: Gaussian beam (peak 3000) on 100 +- 10 counts of noise."""
    height, width = shape
    rng = np.random.default_rng(1)
    y, x = np.ogrid[:height, :width]
    beam = 3000 * np.exp(
        -((x - width / 2) ** 2) / (2 * (width / 30) ** 2) - ((y - height / 2) ** 2) / (2 * (height / 35) ** 2)
    )
    return (beam + rng.normal(100, 10, shape)).clip(0, 65535).astype(np.uint16)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# -- senders (run in a child process) -------------------------------------------------------------


def _send_raw(port: int, shape: tuple[int, int], count: int, compression: str) -> None:
    import zmq

    frame = beam_frame(shape)
    context = zmq.Context()
    push = context.socket(zmq.PUSH)
    push.setsockopt(zmq.SNDHWM, 4)
    push.bind(f"tcp://127.0.0.1:{port}")
    header = json.dumps({"pulse_id": 0, "shape": list(shape), "dtype": "uint16"}).encode()
    for _ in range(count):
        push.send_multipart([header, frame], copy=False)
    push.close(linger=-1)
    context.term()


def _send_camserver(port: int, shape: tuple[int, int], count: int, compression: str) -> None:
    import zmq

    from camserver.protocol import Compression, CompressionPolicy
    from camserver.transport import Publisher

    frame = beam_frame(shape)
    policy = CompressionPolicy(arrays=Compression(compression))
    context = zmq.Context()
    with Publisher(
        f"tcp://127.0.0.1:{port}",
        mode="PUSH",
        queue_size=4,
        block=True,
        compression=policy,
        linger=None,
        context=context,
    ) as publisher:
        for pulse_id in range(count):
            publisher.send({"image": frame, "width": shape[1], "height": shape[0]}, pulse_id=pulse_id)
    context.term()  # waits until the zero-copy frames are on the wire


def _send_bsread(port: int, shape: tuple[int, int], count: int, compression: str) -> None:
    from bsread import PUSH, Sender

    frame = beam_frame(shape)
    options: dict[str, Any] = {} if compression == "none" else {"data_compression": compression}
    sender = Sender(port=port, address="tcp://127.0.0.1", mode=PUSH, queue_size=4, block=True, **options)
    sender.add_channel("image", metadata={"type": "uint16", "shape": [shape[1], shape[0]]})
    sender.add_channel("width", metadata={"type": "int64"})
    sender.add_channel("height", metadata={"type": "int64"})
    sender.open()
    for _ in range(count):
        sender.send(frame, shape[1], shape[0], check_data=False)
    sender.close()


# -- receivers (run here) --------------------------------------------------------------------------


def _receive_raw(port: int, count: int) -> float:
    import zmq

    context = zmq.Context()
    pull = context.socket(zmq.PULL)
    pull.setsockopt(zmq.RCVHWM, 4)
    pull.connect(f"tcp://127.0.0.1:{port}")

    def one() -> None:
        header, data = pull.recv_multipart(copy=False)
        meta = json.loads(header.bytes)
        np.frombuffer(data.buffer, meta["dtype"]).reshape(meta["shape"])

    try:
        return _rate(one, count)
    finally:
        pull.close(linger=0)
        context.term()


def _receive_camserver(port: int, count: int) -> float:
    from camserver.transport import Subscriber

    with Subscriber(f"tcp://127.0.0.1:{port}", mode="PULL", queue_size=4, receive_timeout=30) as subscriber:

        def one() -> None:
            message = subscriber.receive()
            assert message is not None, "camserver receiver timed out"
            assert message.data["image"].ndim == 2

        return _rate(one, count)


def _receive_bsread(port: int, count: int) -> float:
    from bsread import PULL, Source

    with Source(host="127.0.0.1", port=port, mode=PULL, queue_size=4, receive_timeout=30000) as source:

        def one() -> None:
            message = source.receive()
            assert message is not None, "psi-bsread receiver timed out"
            assert message.data.data["image"].value.ndim == 2

        return _rate(one, count)


def _rate(receive_one: Callable[[], None], count: int) -> float:
    for _ in range(WARMUP):
        receive_one()
    start = time.perf_counter()
    for _ in range(count):
        receive_one()
    return count / (time.perf_counter() - start)


SENDERS = {"raw pyzmq": _send_raw, "camserver": _send_camserver, "psi-bsread": _send_bsread}
RECEIVERS = {"raw pyzmq": _receive_raw, "camserver": _receive_camserver, "psi-bsread": _receive_bsread}


def stream_rate(kind: str, shape: tuple[int, int], compression: str, count: int) -> float:
    """Messages per second from a sender process of ``kind`` to a receiver of the same kind."""
    port = free_port()
    context = multiprocessing.get_context("spawn")
    total = count + WARMUP + SLACK
    sender = context.Process(target=SENDERS[kind], args=(port, shape, total, compression), daemon=True)
    sender.start()
    try:
        return RECEIVERS[kind](port, count)
    finally:
        sender.join(timeout=2)  # a blocking sender waits for the slack nobody reads: stop it
        if sender.is_alive():
            sender.kill()
            sender.join()


def codec_rows(shape: tuple[int, int], label: str) -> list[Row]:
    import bitshuffle

    from camserver.protocol import bitshuffle_lz4_decode, bitshuffle_lz4_encode

    frame = beam_frame(shape)
    encoded = bitshuffle_lz4_encode(frame)
    ours_encode = timed(lambda: bitshuffle_lz4_encode(frame))
    library_encode = timed(lambda: bitshuffle.compress_lz4(frame.reshape(-1), 4096))
    ours_decode = timed(lambda: bitshuffle_lz4_decode(encoded, 2, expected_nbytes=frame.nbytes))
    body = np.frombuffer(encoded, np.uint8, offset=12)
    library_decode = timed(lambda: bitshuffle.decompress_lz4(body, (frame.size,), np.dtype("u2"), 4096))
    gigabytes = frame.nbytes / 1e9
    ratio = f"ratio {frame.nbytes / len(encoded):.2f}"
    return [
        Row(
            f"{label} bitshuffle_lz4 encode, 1 core",
            gigabytes / ours_encode,
            "GB/s",
            "bitshuffle C library",
            gigabytes / library_encode,
            ">= 2 GB/s",
            gigabytes / ours_encode >= 2.0,
            note=ratio,
        ),
        Row(
            f"{label} bitshuffle_lz4 decode (checked), 1 core",
            gigabytes / ours_decode,
            "GB/s",
            "bitshuffle C library",
            gigabytes / library_decode,
        ),
    ]


def run(smoke: bool = False) -> list[Row]:
    shapes = [((64, 96), "64x96")] if smoke else [((2160, 2560), "2560x2160"), ((960, 1280), "1280x960")]
    count = 20 if smoke else 200
    rows: list[Row] = []
    for shape, label in shapes:
        megabytes = shape[0] * shape[1] * 2 / 1e6
        raw = stream_rate("raw pyzmq", shape, "none", count)
        for compression in ("none", "bitshuffle_lz4"):
            ours = stream_rate("camserver", shape, compression, count)
            theirs = stream_rate("psi-bsread", shape, compression, count)
            gbps = f"{ours * megabytes / 1000:.2f} GB/s of pixels"
            if compression == "none":
                rows.append(
                    Row(
                        f"{label} uint16 {compression}",
                        ours,
                        "msg/s",
                        "raw pyzmq",
                        raw,
                        ">= 0.8x raw pyzmq",
                        ours >= 0.8 * raw,
                        note=gbps,
                    )
                )
            rows.append(
                Row(
                    f"{label} uint16 {compression}",
                    ours,
                    "msg/s",
                    "psi-bsread",
                    theirs,
                    ">= 2x psi-bsread" if compression == "none" else "",
                    ours >= 2 * theirs if compression == "none" else None,
                    note=gbps,
                )
            )
        rows += codec_rows(shape, label)
    return rows
