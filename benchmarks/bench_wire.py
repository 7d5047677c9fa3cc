"""Past the network wall: a 2560x2160 camera publishing compressed, beside the same camera uncompressed."""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks.bench_instances import stream_figures
from benchmarks.harness import Row

TITLE = "Past the network wall: cameras publishing bitshuffle/LZ4-compressed frames"
DESCRIPTION = """
A detector stand-in (camserver's `Publisher` in a process of its own, PUSH, paced at 100 Hz on an
absolute schedule) feeds 2560x2160 uint16 beam frames (a Gaussian beam, peak 3000, on 100 +- 10
counts of noise) into a `bschannel` camera of a camserver server in this process. The camera
publishes them uncompressed, then with `image_compression: bitshuffle_lz4`; psi-bsread's `Source`
reads the camera's stream in a process of its own for 10 s (counted from 2 s after its first
message) and decodes every frame, compressed or not, with psi-bsread's own code. Figures: the rate
psi-bsread received; bytes per frame on the wire (the camera's bytes sent over its frames sent in
the same window); the CPU of the camera (as it reports it; it compresses each frame in pieces on a
few threads, so the frame leaves sooner, the CPU stays) and of the receiver; the cameras at 100 Hz
one 25 GbE link carries at 95 % TCP goodput (CamServer's figure: 2 per server). Below, the
compression alone on one core in this process (the instance's CPU per frame, against the target of
0.6 of a core at 100 Hz) and the compression ratio of a real camera frame (the captures in
`../shared/data`) beside the synthetic frame's. Target (issue 13): >= 5 cameras per 25 GbE node,
compression <= 0.6 of a core at 100 Hz.
"""

WIDTH, HEIGHT, RATE = 2560, 2160, 100.0
SECONDS = 10.0
LINK_BYTES_PER_SECOND = 25e9 / 8 * 0.95
CAPTURE = Path(__file__).resolve().parents[2] / "shared" / "data" / "bsread-captures" / "camera_000000_002.raw"


def _feed(port_queue: Any, seconds: float, shape: tuple[int, int]) -> None:
    from benchmarks.bench_transport import beam_frame
    from camserver.protocol import Timestamp
    from camserver.transport import Publisher

    frames = [beam_frame(shape) + offset for offset in range(4)]
    with Publisher("tcp://127.0.0.1:0", mode="PUSH", block=True, send_timeout=5.0, queue_size=4) as publisher:
        port_queue.put(publisher.address)
        started = time.monotonic()
        count = 0
        while time.monotonic() - started < seconds:
            publisher.send({"image": frames[count % 4]}, pulse_id=count + 1, timestamp=Timestamp.now())
            count += 1
            delay = started + count / RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def _detail(client: httpx.Client, name: str) -> dict[str, Any]:
    detail: dict[str, Any] = client.get(f"/api/v1/cam/{name}/info").json()["info"]["detail"]
    return detail


def stream_case(client: httpx.Client, compression: str, shape: tuple[int, int], seconds: float) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    addresses = context.Queue()
    feeder = context.Process(target=_feed, args=(addresses, seconds + 40, shape), daemon=True)
    feeder.start()
    name = f"wire_{compression}"
    try:
        camera = {
            "source": addresses.get(timeout=60), "source_type": "bschannel", "mode": "PULL",
            "check_timestamp": False, "image_compression": compression,
        }  # fmt: skip
        client.post(f"/api/v1/cam/{name}/config", json=camera).raise_for_status()

        def start() -> str:
            address: str = client.get(f"/api/v1/cam/{name}").json()["stream"]
            return address

        def counters() -> dict[str, int]:
            detail = _detail(client, name)
            return {"bytes": detail["bytes_sent"], "frames": detail["tx_count"]}

        figures = stream_figures(start, seconds, counters=counters)
        figures["camera_cpu"] = float(_detail(client, name)["cpu"])
        figures["bytes_per_frame"] = figures["bytes"] / max(figures["frames"], 1)
        return figures
    finally:
        client.delete(f"/api/v1/cam/{name}")
        feeder.kill()
        feeder.join(timeout=10)


def compression_alone(shape: tuple[int, int]) -> tuple[float, float]:
    """CPU ms per frame of compressing one beam frame on one core, and its compression ratio."""
    from benchmarks.bench_transport import beam_frame
    from camserver.protocol import bitshuffle_lz4_encode

    frame = beam_frame(shape)
    compressed = bitshuffle_lz4_encode(frame)
    calls, started = 0, time.process_time()
    while calls < 5 or time.process_time() - started < 0.5:
        bitshuffle_lz4_encode(frame)
        calls += 1
    return 1e3 * (time.process_time() - started) / calls, frame.nbytes / compressed.nbytes


def capture_ratio() -> float | None:
    """The compression ratio of a real camera's frame (None where the captures are not at hand)."""
    from camserver.protocol import bitshuffle_lz4_encode

    if not CAPTURE.exists():
        return None
    image = np.frombuffer(CAPTURE.read_bytes(), "<u2")
    return image.nbytes / bitshuffle_lz4_encode(image).nbytes


def run(smoke: bool = False) -> list[Row]:
    from camserver.testing.server import running_server

    shape = (240, 320) if smoke else (HEIGHT, WIDTH)
    seconds = 1.0 if smoke else SECONDS
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder, running_server(Path(folder)) as server:
        client = httpx.Client(base_url=server.url, timeout=120)
        plain = stream_case(client, "none", shape, seconds)
        packed = stream_case(client, "bitshuffle_lz4", shape, seconds)
        client.close()
    size = f"{shape[1]}x{shape[0]}"
    cameras = {key: LINK_BYTES_PER_SECOND / (figures["bytes_per_frame"] * RATE) for key, figures in
               (("plain", plain), ("packed", packed))}  # fmt: skip
    for label, figures in (("uncompressed", plain), ("bitshuffle_lz4", packed)):
        rows.append(Row(
            f"{size} camera at 100 Hz, {label}: delivered to psi-bsread", figures["rate"], "Hz", "camera rate", RATE,
            note=f"camera {figures['camera_cpu']:.0f} % CPU, psi-bsread receiver {figures['cpu']:.0f} % CPU "
            f"(decoding included), {figures['gaps']:.0f} pulse-id gaps, p99 latency {figures['p99']:.0f} ms",
        ))  # fmt: skip
    rows.append(Row(
        f"{size} bytes per frame on the wire", packed["bytes_per_frame"] / 1e6, "MB", "uncompressed",
        plain["bytes_per_frame"] / 1e6, lower_is_better=True,
    ))  # fmt: skip
    rows.append(Row(
        "cameras at 100 Hz per 25 GbE link", cameras["packed"], "cameras", "uncompressed", cameras["plain"],
        ">= 5", cameras["packed"] >= 5, note="CamServer: 2 per server",
    ))  # fmt: skip
    compress_ms, ratio = compression_alone(shape)
    rows.append(Row(
        f"{size} bitshuffle_lz4 compression, one core", compress_ms * RATE / 1e3, "cores at 100 Hz",
        "target", 0.6, "<= 0.6", compress_ms * RATE / 1e3 <= 0.6, lower_is_better=True,
        note=f"{compress_ms:.2f} ms per frame, ratio {ratio:.2f}",
    ))  # fmt: skip
    real = capture_ratio()
    if real is not None:
        rows.append(Row("compression ratio of a real camera frame (659x494)", real, "x", "synthetic beam frame", ratio))
    return rows
