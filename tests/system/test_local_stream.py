"""Camera -> pipeline on one host through shared memory, as the server sets it up: the camera offers
a local stream, its pipelines read it, everyone else still gets bsread over TCP, and nothing is
left in shared memory when the camera ends (or is killed). With ``shared_memory`` off, pipelines
read the camera's bsread stream as before."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from camserver.testing.server import RunningServer, running_server
from camserver.transport import Subscriber
from camserver.transport.frame_ring import RING_PREFIX, ring_folder
from tests.system.rest import Rest
from tests.system.streams import pulse_ids, read
from tests.waiting import wait_for, wait_until

pytestmark = pytest.mark.system

CAMERA = {"source": "", "source_type": "simulation", "size_x": 320, "size_y": 240, "frame_rate": 100}
STATIC = {**CAMERA, "image_type": "static_beam"}
#: for the tests that count every frame: at 20 Hz a ring of 32 frames covers 1.6 s of a process
#: starved of CPU on a busy machine; the last pipeline PUSHes to the test's PULL, so the test's own
#: reading loses nothing either (a PUB drops for a slow reader, by design)
COUNTED = {**STATIC, "frame_rate": 20}
LOSSLESS_OUTPUT = {"mode": "PUSH", "no_client_timeout": 0}


def camera_rings(pid: int) -> list[Path]:
    return sorted(ring_folder().glob(f"{RING_PREFIX}{pid}-*"))


def mapped_rings(pid: int) -> set[str]:
    """The frame rings process ``pid`` has mapped (a reader that fell back to TCP maps none)."""
    with open(f"/proc/{pid}/maps") as maps:
        return {line.split()[-1].rsplit("/", 1)[-1] for line in maps if RING_PREFIX in line}


def start(rest: Rest, name: str, config: dict[str, object]) -> None:
    rest.call("POST", f"/api/v1/cam/{name}/config", json=config)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("local-stream")) as running:
        yield running


@pytest.fixture
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    yield client
    client.close()


def test_a_pipeline_reads_its_camera_through_shared_memory(rest: Rest) -> None:
    start(rest, "shm_cam", COUNTED)
    answer = rest.call("GET", "/api/v1/cam/shm_cam")
    assert answer["stream"].startswith("tcp://")
    assert answer["local_stream"].startswith(("ipc://@camserver-", "tcp://127.0.0.1:"))
    camera = rest.camera_info("shm_cam")
    assert camera["local_stream"] == answer["local_stream"]
    pid = camera["pid"]
    assert camera_rings(pid) == [], "no ring before a local reader"
    instance_id, stream = rest.create({"camera_name": "shm_cam", "function": "transparent", **LOSSLESS_OUTPUT})
    with (
        Subscriber(stream, mode="PULL", receive_timeout=20) as output,
        Subscriber(answer["stream"], receive_timeout=20) as camera,
    ):
        messages = read(output, 100)
        # the camera's TCP stream serves other clients all the while, with the same images
        from_camera = read(camera, 1)[0]
    wait_until(lambda: camera_rings(pid), "the camera's frame ring")
    ids = pulse_ids(messages)
    assert ids == list(range(ids[0], ids[0] + 100)), "consecutive frames, none lost"
    image = messages[-1]["image"]
    assert image.shape == (240, 320)
    np.testing.assert_array_equal(image, from_camera["image"])  # a static beam: every frame is the same
    assert rest.statistics(instance_id)["input_drops"] == 0
    rest.stop(instance_id)
    rest.call("DELETE", "/api/v1/cam/shm_cam")
    assert camera_rings(pid) == [], "the camera removed its ring"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract socket names and /proc are Linux's")
def test_a_pipeline_reads_an_upstream_pipeline_through_shared_memory(rest: Rest) -> None:
    start(rest, "chain_cam", COUNTED)
    upstream, upstream_stream = rest.create(
        {"camera_name": "chain_cam", "function": "transparent", "no_client_timeout": 0}, instance_id="chain_up"
    )
    upstream_info = rest.info(upstream)
    assert upstream_info["local_stream"].startswith("ipc://@camserver-")
    assert upstream_info["local_stream"].endswith("-pipeline-chain_up")
    pid = upstream_info["pid"]
    assert camera_rings(pid) == [], "no ring before a local reader"
    downstream, stream = rest.create({"input_pipeline": upstream, "function": "transparent", **LOSSLESS_OUTPUT})
    with (
        Subscriber(stream, mode="PULL", receive_timeout=20) as output,
        Subscriber(upstream_stream, receive_timeout=20) as direct,
    ):
        messages = read(output, 100)
        from_upstream = read(direct, 1)[0]  # the upstream's TCP stream serves other clients all the while
        rings = wait_until(lambda: camera_rings(pid), "the upstream pipeline's frame ring")
        # the downstream reads the upstream's ring itself, not the TCP fallback
        assert {ring.name for ring in rings} <= mapped_rings(rest.info(downstream)["pid"])
    ids = pulse_ids(messages)
    assert ids == list(range(ids[0], ids[0] + 100)), "consecutive frames, none lost"
    np.testing.assert_array_equal(messages[-1]["image"], from_upstream["image"])
    assert rest.statistics(downstream)["input_drops"] == 0
    rest.stop(downstream)
    rest.stop(upstream)
    rest.call("DELETE", "/api/v1/cam/chain_cam")
    assert camera_rings(pid) == [], "the upstream pipeline removed its ring"


def test_a_pipeline_that_pushes_or_sends_elsewhere_offers_no_local_stream(rest: Rest) -> None:
    start(rest, "push_cam", STATIC)
    pushing, _ = rest.create({"camera_name": "push_cam", "function": "transparent", "mode": "PUSH"})
    assert rest.info(pushing)["local_stream"] is None
    publishing, stream = rest.create({"camera_name": "push_cam", "function": "transparent"})
    assert rest.info(publishing)["local_stream"] is not None
    sending, _ = rest.create({"camera_name": "push_cam", "function": "transparent", "output_stream": stream})
    assert rest.info(sending)["local_stream"] is None
    for instance_id in (pushing, publishing, sending):
        rest.stop(instance_id)
    rest.call("DELETE", "/api/v1/cam/push_cam")


def test_a_killed_camera_leaves_no_shared_memory(rest: Rest) -> None:
    start(rest, "killed_cam", CAMERA)
    instance_id, stream = rest.create({"camera_name": "killed_cam", "function": "transparent"})
    pid = rest.camera_info("killed_cam")["pid"]
    with Subscriber(stream, receive_timeout=20) as output:
        read(output, 5)
    wait_until(lambda: camera_rings(pid), "the camera's frame ring")
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: rest.camera_info("killed_cam"), lambda info: info["state"] != "running", "the camera to end")
    assert camera_rings(pid) == [], "the supervisor removed the ring of the killed camera"
    rest.stop(instance_id)


def test_the_local_stream_counts_as_a_client_of_the_camera(rest: Rest) -> None:
    start(rest, "counted_cam", {**CAMERA, "no_client_timeout": 1})
    instance_id, stream = rest.create({"camera_name": "counted_cam", "function": "transparent", "no_client_timeout": 0})
    with Subscriber(stream, receive_timeout=20) as output:
        read(output, 5)
        wait_until(lambda: rest.camera_info("counted_cam")["statistics"]["clients"] == 1, "the pipeline counted")
        read(output, 150)  # 1.5 s: longer than the camera's no_client_timeout
    assert rest.camera_info("counted_cam")["state"] == "running"
    rest.stop(instance_id)
    rest.call("DELETE", "/api/v1/cam/counted_cam")


def test_without_shared_memory_pipelines_read_the_bsread_stream(tmp_path: Path) -> None:
    with running_server(tmp_path, shared_memory=False) as server:
        rest = Rest(server.url)
        start(rest, "tcp_cam", STATIC)
        answer = rest.call("GET", "/api/v1/cam/tcp_cam")
        assert "local_stream" not in answer
        instance_id, stream = rest.create({"camera_name": "tcp_cam", "function": "transparent"})
        with Subscriber(stream, receive_timeout=20) as output:
            messages = read(output, 20)
        assert messages[-1]["image"].shape == (240, 320)
        camera = rest.camera_info("tcp_cam")
        assert camera["local_stream"] is None
        assert camera_rings(camera["pid"]) == []
        rest.stop(instance_id)
        rest.close()
