"""The live viewer's cost to the server: one browser watching a 2560x2160 camera at 100 Hz."""

from __future__ import annotations

import json
import multiprocessing
import queue
import resource
import socket
import statistics
import time
from typing import Any

import numpy as np

from benchmarks.harness import Row, timed

TITLE = "Web viewer: server CPU of one live view"
DESCRIPTION = """
A camera stand-in process publishes 2560x2160 uint16 frames (a Gaussian beam on noise, four
different frames in turn) at 100 Hz on a PUB socket with a camera's queue of 100. A server process
runs camserver's viewer route under uvicorn, exactly as `camserver serve` does (the stream is given
directly instead of through a camera config); one websocket client in the benchmark process watches
it at 10 frames per second and acknowledges each frame as a browser does. The figure is the CPU
time of the whole server process (every thread: event loop, feed, ZMQ I/O) over 10 s, as a percent
of one core. References measured in the same run, in a process of their own: the naive way, which
reads every frame of the stream and renders the newest full frame 10 times a second with numpy
scaling (`to_rgb`) and a full-frame JPEG, or with `render_png` as the `/image` route does (the PNG
process cannot keep up: its frames per second are noted). The per-frame rows time one rendering in
this process: camserver's (decimate to 1280x1080 by a stride, one gather through a 65536-entry
RGBX table, JPEG) beside the naive full-frame numpy scaling and JPEG. Target (the web page issue): <= 20 % of
one core at 10 fps.
"""

FULL_SHAPE = (2160, 2560)
SMOKE_SHAPE = (64, 96)


def beam_frames(shape: tuple[int, int], count: int = 4) -> list[np.ndarray[Any, Any]]:
    """Camera-like uint16 frames: a Gaussian beam (peak 3000) on 100 +- 10 counts of noise."""
    height, width = shape
    rng = np.random.default_rng(3)
    y, x = np.ogrid[:height, :width]
    across = ((x - width / 2) / (width / 30)) ** 2
    down = ((y - height / 2) / (height / 35)) ** 2
    spot = 3000 * np.exp(-(across + down) / 2)
    return [(spot + rng.normal(100, 10, shape)).clip(0, 65535).astype(np.uint16) for _ in range(count)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# -- processes ---------------------------------------------------------------------------------------


def _camera(port: int, shape: tuple[int, int], rate: float, seconds: float, ready: Any) -> None:
    """Publish frames at ``rate`` for ``seconds``, like a camera instance."""
    from camserver.transport import Publisher

    frames = beam_frames(shape)
    with Publisher(f"tcp://127.0.0.1:{port}", queue_size=100) as publisher:
        ready.put("ready")
        start = time.monotonic()
        for pulse_id in range(1, int(seconds * rate) + 1):
            frame = frames[pulse_id % len(frames)]
            publisher.send({"image": frame, "width": shape[1], "height": shape[0]}, pulse_id=pulse_id)
            delay = start + pulse_id / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def _server(address: str, ports: Any) -> None:
    """camserver's viewer route under uvicorn, its stream resolved to ``address``."""
    import uvicorn
    from camserver.service.viewer.hub import StreamTarget, ViewerHub, ViewKind
    from fastapi import FastAPI

    from camserver.api import viewer

    def resolve(kind: ViewKind, name: str) -> StreamTarget:
        return StreamTarget(kind, name, address, lambda: None)

    app = FastAPI()
    app.state.viewer_hub = ViewerHub(resolve)
    app.include_router(viewer.router)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    ports.put(listener.getsockname()[1])
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[listener])


def _naive(address: str, fps: float, seconds: float, encoding: str, results: Any) -> None:
    """The naive viewer: read every frame, render the newest full frame ``fps`` times a second."""
    from camserver.service.image_renderer import render_jpeg, render_png, to_rgb
    from camserver.transport import Subscriber

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    rendered = 0
    with Subscriber(address, queue_size=2, receive_timeout=1.0) as subscriber:
        subscriber.receive(10.0)  # connected and flowing
        start_cpu, start = cpu(), time.monotonic()
        next_due = start
        while time.monotonic() - start < seconds:
            message = subscriber.receive()
            if message is None or time.monotonic() < next_due:
                continue
            image = message.data["image"]
            if encoding == "png":
                render_png(image)
            else:
                render_jpeg(to_rgb(image), quality=80)
            rendered += 1
            next_due = max(next_due + 1.0 / fps, time.monotonic())
        elapsed = time.monotonic() - start
        results.put((100.0 * (cpu() - start_cpu) / elapsed, rendered / elapsed))


# -- measurements ------------------------------------------------------------------------------------


def _stop(process: multiprocessing.process.BaseProcess) -> None:
    process.join(timeout=2)
    if process.is_alive():
        process.kill()
        process.join()


def _watch(port: int, fps: float, warmup: float, seconds: float, server_pid: int) -> dict[str, float]:
    """Watch the viewer for ``seconds`` after ``warmup``: the server's CPU and what arrived."""
    import psutil
    from websockets.sync.client import connect

    server = psutil.Process(server_pid)
    frames = 0
    picture_bytes = 0
    latencies: list[float] = []
    address = f"ws://127.0.0.1:{port}/api/v1/viewer/ws?kind=camera&name=bench&fps={fps:g}"
    with connect(address, max_size=None, open_timeout=30) as viewer:
        start = time.monotonic()
        measuring = False
        cpu_start = 0.0
        measured_from = 0.0
        while True:
            now = time.monotonic()
            if not measuring and now - start >= warmup:
                measuring = True
                times = server.cpu_times()
                cpu_start, measured_from = times.user + times.system, now
                frames = picture_bytes = 0
                latencies.clear()
            if measuring and now - measured_from >= seconds:
                break
            message = viewer.recv(timeout=30)
            if isinstance(message, str):
                continue  # figures while no frame is sent
            length = int.from_bytes(message[:4], "big")
            meta = json.loads(message[4 : 4 + length])
            picture = message[4 + length :]
            viewer.send(json.dumps({"ack": meta["seq"]}))
            frames += 1
            picture_bytes += len(picture)
            if meta["timestamp"] is not None:
                latencies.append(time.time() - meta["timestamp"])
        times = server.cpu_times()
        elapsed = time.monotonic() - measured_from
    return {
        "cpu": 100.0 * (times.user + times.system - cpu_start) / elapsed,
        "fps": frames / elapsed,
        "kilobytes": picture_bytes / max(frames, 1) / 1000,
        "latency_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
    }


def viewer_cost(shape: tuple[int, int], rate: float, fps: float, warmup: float, seconds: float) -> dict[str, float]:
    """The server's CPU while one websocket client watches a camera of ``shape`` at ``rate`` Hz."""
    context = multiprocessing.get_context("spawn")
    camera_port = free_port()
    ready, ports = context.Queue(), context.Queue()
    camera = context.Process(target=_camera, args=(camera_port, shape, rate, warmup + seconds + 30, ready), daemon=True)
    camera.start()
    server = context.Process(target=_server, args=(f"tcp://127.0.0.1:{camera_port}", ports), daemon=True)
    try:
        ready.get(timeout=60)
        server.start()
        port = ports.get(timeout=60)
        assert server.pid is not None
        return _watch(port, fps, warmup, seconds, server.pid)
    finally:
        for process in (server, camera):
            if process.is_alive():
                process.terminate()
            _stop(process)


def naive_cost(shape: tuple[int, int], rate: float, fps: float, seconds: float, encoding: str) -> tuple[float, float]:
    """CPU percent and frames per second of the naive viewer on the same camera."""
    context = multiprocessing.get_context("spawn")
    camera_port = free_port()
    ready, results = context.Queue(), context.Queue()
    camera = context.Process(target=_camera, args=(camera_port, shape, rate, seconds + 40, ready), daemon=True)
    camera.start()
    naive = context.Process(
        target=_naive, args=(f"tcp://127.0.0.1:{camera_port}", fps, seconds, encoding, results), daemon=True
    )
    try:
        ready.get(timeout=60)
        naive.start()
        cpu, achieved = results.get(timeout=seconds + 60)
        return float(cpu), float(achieved)
    except queue.Empty:
        raise RuntimeError("the naive viewer reported nothing") from None
    finally:
        for process in (naive, camera):
            if process.is_alive():
                process.terminate()
            _stop(process)


def render_rows(shape: tuple[int, int], label: str) -> list[Row]:
    """One rendering, camserver's beside the naive full-frame one, in this process."""
    from camserver.service.view_renderer import ViewRenderer
    from camserver.service.view_settings import ViewSettings

    from camserver.service.image_renderer import render_jpeg, to_rgb

    frame = beam_frames(shape, count=1)[0]
    renderer = ViewRenderer()
    settings = ViewSettings(quality=80)
    ours = timed(lambda: renderer.render(frame, settings))
    naive = timed(lambda: render_jpeg(to_rgb(frame), quality=80))
    return [
        Row(
            f"{label} one picture (decimate, colour, JPEG)",
            ours * 1000,
            "ms",
            "full-frame numpy scaling + JPEG",
            naive * 1000,
            lower_is_better=True,
        )
    ]


def run(smoke: bool = False) -> list[Row]:
    shape = SMOKE_SHAPE if smoke else FULL_SHAPE
    label = f"{shape[1]}x{shape[0]} uint16"
    rate, fps = (20.0, 5.0) if smoke else (100.0, 10.0)
    warmup, seconds = (0.5, 1.0) if smoke else (3.0, 10.0)
    ours = viewer_cost(shape, rate, fps, warmup, seconds)
    naive_jpeg, naive_jpeg_fps = naive_cost(shape, rate, fps, seconds, "jpeg")
    naive_png, naive_png_fps = naive_cost(shape, rate, fps, seconds, "png")
    note = (
        f"{ours['fps']:.1f} fps delivered, {ours['kilobytes']:.0f} kB per picture, "
        f"median latency {ours['latency_ms']:.0f} ms"
    )
    case = f"{label} at {rate:g} Hz, {fps:g} fps to one browser: server CPU"
    return [
        Row(
            case,
            ours["cpu"],
            "% of a core",
            f"naive full-frame JPEG ({naive_jpeg_fps:.1f} fps)",
            naive_jpeg,
            "<= 20 % of a core",
            ours["cpu"] <= 20.0,
            note=note,
            lower_is_better=True,
        ),
        Row(
            case,
            ours["cpu"],
            "% of a core",
            f"naive full-frame PNG ({naive_png_fps:.1f} fps)",
            naive_png,
            lower_is_better=True,
        ),
        *render_rows(shape, label),
    ]
