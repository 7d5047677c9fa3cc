"""The live viewer's cost to the server: one browser watching a 2560x2160 camera at 100 Hz, one
following a pipeline's channels in strip charts, and a grid of four live views."""

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

TITLE = "Web viewer: server CPU of one live view, with history, and of a grid of four"
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
this process: camserver's (decimate to 1280x1080 by a stride, robust levels from a histogram of a
sample, one gather through a 65536-entry RGBX table, JPEG) beside the naive full-frame numpy scaling
and JPEG. Target (the web page issue): <= 20 % of one core at 10 fps.

Measured in the same run, the same way: (a) one browser at 10 fps with its strip charts following
the seven default channels, on the 2560x2160 camera (which the server samples: history at the
viewer's rate) and on a pipeline-like 640x480 stream at 100 Hz with 40 scalar channels (read whole:
history at the full 100 Hz); target <= 20 % of a core. (b) A grid of four live views, as the page's
"Side by side" shows them at 1400 px: two 640x480 cameras at 100 Hz and two 2560x2160 cameras at
10 Hz, each view at 5 fps with pictures of at most 640x480 and no strip charts; target <= 40 % of a
core for the four.
"""

FULL_SHAPE = (2160, 2560)
SMOKE_SHAPE = (64, 96)
SMALL_SHAPE = (480, 640)
#: the strip charts' default channels (camserver.service.viewer.settings.DEFAULT_HISTORY)
HISTORY = ",".join(
    (
        "x_center_of_mass",
        "y_center_of_mass",
        "x_fit_mean",
        "y_fit_mean",
        "x_fit_standard_deviation",
        "y_fit_standard_deviation",
        "intensity",
    )
)


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


def _scalars(pulse_id: int) -> dict[str, float]:
    """40 scalar channels as a pipeline sends them, the strip charts' seven among them."""
    values = dict.fromkeys(HISTORY.split(","), 300.0 + pulse_id % 17)
    values.update({f"extra_{index}": float(index + pulse_id % 5) for index in range(40 - len(values))})
    return values


def _camera(port: int, shape: tuple[int, int], rate: float, seconds: float, ready: Any, scalars: bool = False) -> None:
    """Publish frames at ``rate`` for ``seconds``, like a camera instance (or, with ``scalars``, a
    pipeline's output)."""
    from camserver.transport import Publisher

    frames = beam_frames(shape)
    with Publisher(f"tcp://127.0.0.1:{port}", queue_size=100) as publisher:
        ready.put("ready")
        start = time.monotonic()
        for pulse_id in range(1, int(seconds * rate) + 1):
            frame = frames[pulse_id % len(frames)]
            data: dict[str, Any] = {"image": frame, "width": shape[1], "height": shape[0]}
            if scalars:
                data.update(_scalars(pulse_id))
            publisher.send(data, pulse_id=pulse_id)
            delay = start + pulse_id / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def _server(addresses: dict[str, str], ports: Any) -> None:
    """camserver's viewer route under uvicorn, each view's name resolved to a stream address."""
    import uvicorn
    from fastapi import FastAPI

    from camserver.api import viewer
    from camserver.service.viewer.hub import StreamTarget, ViewerHub, ViewKind

    def resolve(kind: ViewKind, name: str) -> StreamTarget:
        return StreamTarget(kind, name, addresses[name], lambda: None)

    app = FastAPI()
    app.state.viewer_hub = ViewerHub(resolve)
    app.include_router(viewer.router)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    ports.put(listener.getsockname()[1])
    # as `camserver serve` runs it: JPEG frames do not compress, so no per-message deflate
    config = uvicorn.Config(app, log_level="warning", access_log=False, ws_per_message_deflate=False)
    uvicorn.Server(config).run(sockets=[listener])


def _naive(address: str, fps: float, seconds: float, encoding: str, results: Any) -> None:
    """The naive viewer: read every frame, render the newest full frame ``fps`` times a second."""
    import simplejpeg

    from camserver.service.image_renderer import render_png, to_rgb
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
                simplejpeg.encode_jpeg(to_rgb(image), quality=80, colorspace="RGB")
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


def _view(port: int, query: str, stop_at: list[float], counts: dict[str, Any], key: str) -> None:
    """One browser's side of a view until ``stop_at[0]`` (monotonic): acknowledge every frame,
    count frames, bytes, latencies and strip-chart values from ``stop_at[1]`` on."""
    from websockets.sync.client import connect

    address = f"ws://127.0.0.1:{port}/api/v1/viewer/ws?{query}"
    figures = {"frames": 0, "bytes": 0, "latencies": [], "history": 0}
    counts[key] = figures
    with connect(address, max_size=None, open_timeout=30) as viewer:
        while time.monotonic() < stop_at[0]:
            message = viewer.recv(timeout=30)
            if isinstance(message, str):
                continue  # figures while no frame is sent
            length = int.from_bytes(message[:4], "big")
            meta = json.loads(message[4 : 4 + length])
            viewer.send(json.dumps({"ack": meta["seq"]}))
            if time.monotonic() < stop_at[1]:
                continue
            figures["frames"] += 1
            figures["bytes"] += len(message) - 4 - length
            figures["history"] += len(meta["history"]["pulse_id"])
            if meta["timestamp"] is not None:
                figures["latencies"].append(time.time() - meta["timestamp"])


def _watch(port: int, queries: list[str], warmup: float, seconds: float, server_pid: int) -> dict[str, float]:
    """Watch the views ``queries`` for ``seconds`` after ``warmup``: the server's CPU and what arrived."""
    import threading

    import psutil

    server = psutil.Process(server_pid)
    start = time.monotonic()
    stop_at = [start + warmup + seconds + 60, start + warmup]  # the end is set once measured
    counts: dict[str, Any] = {}
    threads = [
        threading.Thread(target=_view, args=(port, query, stop_at, counts, str(index)), daemon=True)
        for index, query in enumerate(queries)
    ]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, stop_at[1] - time.monotonic()))  # the warm-up: views connect and settle
    times = server.cpu_times()
    cpu_start, measured_from = times.user + times.system, time.monotonic()
    time.sleep(seconds)  # the measurement runs in the server and the view threads
    times = server.cpu_times()
    elapsed = time.monotonic() - measured_from
    stop_at[0] = time.monotonic()
    for thread in threads:
        thread.join(timeout=35)
    frames = sum(view["frames"] for view in counts.values())
    latencies = [latency for view in counts.values() for latency in view["latencies"]]
    return {
        "cpu": 100.0 * (times.user + times.system - cpu_start) / elapsed,
        "fps": frames / elapsed / max(1, len(queries)),
        "kilobytes": sum(view["bytes"] for view in counts.values()) / max(frames, 1) / 1000,
        "latency_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "history_rate": sum(view["history"] for view in counts.values()) / elapsed / max(1, len(queries)),
    }


def viewer_cost(
    cameras: dict[str, tuple[tuple[int, int], float, bool]], queries: list[str], warmup: float, seconds: float
) -> dict[str, float]:
    """The server's CPU while websocket clients watch ``queries`` of the ``cameras`` (name: shape,
    rate, scalars), each camera a process of its own."""
    context = multiprocessing.get_context("spawn")
    ready, ports = context.Queue(), context.Queue()
    addresses: dict[str, str] = {}
    processes = []
    for name, (shape, rate, scalars) in cameras.items():
        port = free_port()
        addresses[name] = f"tcp://127.0.0.1:{port}"
        camera = context.Process(
            target=_camera, args=(port, shape, rate, warmup + seconds + 30, ready, scalars), daemon=True
        )
        camera.start()
        processes.append(camera)
    server = context.Process(target=_server, args=(addresses, ports), daemon=True)
    try:
        for _ in cameras:
            ready.get(timeout=60)
        server.start()
        processes.insert(0, server)
        port = ports.get(timeout=60)
        assert server.pid is not None
        return _watch(port, queries, warmup, seconds, server.pid)
    finally:
        for process in processes:
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
    import simplejpeg

    from camserver.service.image_renderer import to_rgb
    from camserver.service.viewer.picture import PictureRenderer
    from camserver.service.viewer.settings import ViewSettings

    frame = beam_frames(shape, count=1)[0]
    renderer = PictureRenderer()
    settings = ViewSettings(quality=80)
    ours = timed(lambda: renderer.render(frame, settings))
    naive = timed(lambda: simplejpeg.encode_jpeg(to_rgb(frame), quality=80, colorspace="RGB"))
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
    small = SMOKE_SHAPE if smoke else SMALL_SHAPE
    label = f"{shape[1]}x{shape[0]} uint16"
    rate, fps = (20.0, 5.0) if smoke else (100.0, 10.0)
    fast, slow = (20.0, 5.0) if smoke else (100.0, 10.0)
    warmup, seconds = (0.5, 1.0) if smoke else (3.0, 10.0)
    plain = f"kind=camera&name=bench&fps={fps:g}&history=none"
    charted = f"kind=camera&name=bench&fps={fps:g}&history={HISTORY}"
    ours = viewer_cost({"bench": (shape, rate, False)}, [plain], warmup, seconds)
    history = viewer_cost({"bench": (shape, rate, False)}, [charted], warmup, seconds)
    pipeline = viewer_cost({"bench": (small, fast, True)}, [charted], warmup, seconds)
    grid_cameras = {
        "small_1": (small, fast, False),
        "small_2": (small, fast, False),
        "large_1": (shape, slow, False),
        "large_2": (shape, slow, False),
    }
    grid_views = [f"kind=camera&name={name}&fps=5&history=none&max_width=640&max_height=480" for name in grid_cameras]
    grid = viewer_cost(grid_cameras, grid_views, warmup, seconds)
    naive_jpeg, naive_jpeg_fps = naive_cost(shape, rate, fps, seconds, "jpeg")
    naive_png, naive_png_fps = naive_cost(shape, rate, fps, seconds, "png")

    def note(figures: dict[str, float]) -> str:
        return (
            f"{figures['fps']:.1f} fps delivered per view, {figures['kilobytes']:.0f} kB per picture, "
            f"median latency {figures['latency_ms']:.0f} ms"
        )

    case = f"{label} at {rate:g} Hz, {fps:g} fps to one browser: server CPU"
    small_label = f"{small[1]}x{small[0]} uint16"
    return [
        Row(
            case,
            ours["cpu"],
            "% of a core",
            f"naive full-frame JPEG ({naive_jpeg_fps:.1f} fps)",
            naive_jpeg,
            "<= 20 % of a core",
            ours["cpu"] <= 20.0,
            note=note(ours),
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
        Row(
            f"{label} at {rate:g} Hz, {fps:g} fps with strip charts of 7 channels: server CPU",
            history["cpu"],
            "% of a core",
            "the same view without charts",
            ours["cpu"],
            "<= 20 % of a core",
            history["cpu"] <= 20.0,
            note=f"{note(history)}; sampled: chart values at {history['history_rate']:.0f} per second",
            lower_is_better=True,
        ),
        Row(
            f"{small_label} + 40 scalars at {fast:g} Hz, {fps:g} fps with strip charts of 7 channels: server CPU",
            pipeline["cpu"],
            "% of a core",
            "",
            None,
            "<= 20 % of a core",
            pipeline["cpu"] <= 20.0,
            note=f"{note(pipeline)}; read whole: chart values at {pipeline['history_rate']:.0f} per second",
            lower_is_better=True,
        ),
        Row(
            f"grid of 4 views at 5 fps (2x {small_label} at {fast:g} Hz, 2x {label} at {slow:g} Hz): server CPU",
            grid["cpu"],
            "% of a core",
            "",
            None,
            "<= 40 % of a core",
            grid["cpu"] <= 40.0,
            note=note(grid),
            lower_is_better=True,
        ),
        *render_rows(shape, label),
    ]
