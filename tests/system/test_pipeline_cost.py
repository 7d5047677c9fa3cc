"""A pipeline process costs about what its processing costs: CPU time per frame of a real pipeline
instance beside CPU time per frame of ``ImageProcessor`` on the same frames in this process.

A ratio of CPU times, not a wall-clock bound: it holds on a busy machine. It catches a pipeline
process that does work the engine does not (an extra pass over every pixel, a copy, a kernel that
runs slower in the forked process than in a test), which no in-process test can see.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import psutil
import pytest

from camserver.processing import ImageProcessor
from camserver.testing.server import RunningServer, running_server
from tests.system.rest import Rest
from tests.system.streams import Feed
from tests.waiting import wait_until

pytestmark = pytest.mark.system

WIDTH, HEIGHT = 2560, 2160
FRAMES = 100
#: the pipeline's CPU per frame may be this many times the engine's, plus :data:`TRANSPORT_MS`
RATIO = 2.0
#: receiving an 11 MB frame over TCP (the kernel's copy), decoding and sending: a fixed cost per frame
TRANSPORT_MS = 4.0
CONFIGS = {
    "default": {},
    "standard": {"image_threshold": 150, "image_good_region": {"threshold": 0.3}, "image_slices": {}},
}


def _frames() -> list[np.ndarray[Any, Any]]:
    y, x = np.ogrid[:HEIGHT, :WIDTH]
    frames = []
    for index in range(4):
        beam = 3000 * np.exp(-((x - 1200 - index) ** 2) / 2 / 80**2 - ((y - 1000) ** 2) / 2 / 60**2)
        noise = np.random.default_rng(index).normal(100, 10, (HEIGHT, WIDTH))
        frames.append((beam + noise).clip(0, 65535).astype(np.uint16))
    return frames


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("cost")) as running:
        yield running


@pytest.fixture(scope="module")
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    yield client
    client.close()


def _engine_ms(config: dict[str, Any], frames: list[np.ndarray[Any, Any]]) -> float:
    processor = ImageProcessor(config)
    x_axis, y_axis = np.arange(WIDTH, dtype=np.float32), np.arange(HEIGHT, dtype=np.float32)
    for frame in frames:
        processor.process(frame, 0, (1, 0), x_axis, y_axis)
    started = time.process_time()
    for index in range(FRAMES):
        processor.process(frames[index % len(frames)], index, (1, 0), x_axis, y_axis)
    return 1e3 * (time.process_time() - started) / FRAMES


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_the_pipeline_process_costs_about_what_its_processing_costs(rest: Rest, name: str) -> None:
    frames = _frames()
    with Feed() as feed:
        config = {"input_stream": feed.address, "input_mode": "PULL", "no_client_timeout": 0, **CONFIGS[name]}
        instance_id, _ = rest.create(config)
        try:
            feed.send([0, 1, 2, 3], data=lambda pulse: {"image": frames[pulse % len(frames)]})
            rest.wait_figure(instance_id, "rx_count", 4)  # started, every kernel loaded
            process = psutil.Process(rest.info(instance_id)["detail"]["pid"])
            before = _cpu_seconds(process)
            feed.send(range(4, 4 + FRAMES), data=lambda pulse: {"image": frames[pulse % len(frames)]})
            rest.wait_figure(instance_id, "rx_count", 4 + FRAMES)
            pipeline_ms = 1e3 * (_cpu_seconds(process) - before) / FRAMES
            wait_until(lambda: rest.statistics(instance_id)["tx_count"] >= 4 + FRAMES, "every frame processed")
        finally:
            rest.stop(instance_id)
    engine_ms = _engine_ms(CONFIGS[name], frames)
    assert pipeline_ms <= RATIO * engine_ms + TRANSPORT_MS, (
        f"the pipeline process spends {pipeline_ms:.2f} ms of CPU per frame, the processing engine "
        f"{engine_ms:.2f} ms on the same frames"
    )
