"""A node is lost and comes back: what is not pinned moves to another node within seconds, what
is pinned waits for its node and comes back on it, with its port."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from cam_server_client import PipelineClient

from camserver.models.instance import InstanceState
from camserver.testing.ray_cluster import NODES, RayTestCluster
from camserver.testing.server import RunningServer
from tests.cluster.conftest import ray_server
from tests.cluster.test_placement_on_ray import free_port
from tests.system.conftest import SIMULATION
from tests.system.waiting import wait_for

pytestmark = [pytest.mark.system, pytest.mark.cluster]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, ray_cluster: RayTestCluster) -> Iterator[RunningServer]:
    with ray_server(tmp_path_factory.mktemp("node-loss"), "node-loss") as running:
        running.services.camera_store.set("pinned_cam", {**SIMULATION, "no_client_timeout": 0})
        yield running


def test_lost_node_moves_the_unpinned_and_keeps_the_pinned_waiting(
    server: RunningServer, ray_cluster: RayTestCluster
) -> None:
    port = free_port()
    rules = {"srv1": {}, "srv2": {}, "srv3": {"instances": [f"pinned_cam:{port}"]}}
    assert httpx.post(f"{server.url}/api/v1/proxy/config", json=rules, timeout=10).json()["state"] == "ok"
    permanent = httpx.post(f"{server.url}/api/v1/proxy/permanent", json={"pinned_cam": ""}, timeout=60).json()
    assert permanent["permanent_instances"] == {"pinned_cam": ""}
    backend = server.services.backend
    camera = wait_for(
        lambda: backend.info("camera/pinned_cam"), lambda info: info.state is InstanceState.RUNNING, "the camera"
    )
    assert (camera.node, camera.stream_address) == ("srv3", f"tcp://{NODES['srv3']}:{port}")
    instance_id, _ = PipelineClient(server.url).create_instance_from_config(
        {"camera_name": "pinned_cam", "no_client_timeout": 0, "camera_timeout": 1}
    )
    key = f"pipeline/{instance_id}"
    assert backend.info(key).node == "srv3"  # beside its camera, but not pinned there

    ray_cluster.remove("srv3")
    lost = time.monotonic()
    try:
        moved = wait_for(
            lambda: backend.info(key),
            lambda info: info.state is InstanceState.RUNNING and info.node in ("srv1", "srv2"),
            "the pipeline to move to another node",
            timeout=60,
        )
        moved_after = time.monotonic() - lost
        assert moved.restarts >= 1
        assert backend.details(key)["reads_local"] is False  # type: ignore[attr-defined]  # its camera is elsewhere
        waiting = backend.info("camera/pinned_cam")
        assert waiting.state is not InstanceState.RUNNING  # pinned: it waits for srv3
        nodes = {node.name: node for node in backend.nodes()}
        assert nodes["srv3"].alive is False
    finally:
        ray_cluster.add("srv3")
    back = wait_for(
        lambda: backend.info("camera/pinned_cam"),
        lambda info: info.state is InstanceState.RUNNING and info.pid != camera.pid,
        "the pinned camera to come back on srv3",
        timeout=60,
    )
    assert (back.node, back.stream_address) == ("srv3", camera.stream_address)
    counted = backend.info(key).statistics.rx_count
    wait_for(
        lambda: backend.info(key).statistics.rx_count,
        lambda count: count > counted,
        "the moved pipeline to read the camera again (over TCP, at the camera's unchanged address)",
        timeout=60,
    )
    print(f"pipeline running on another node {moved_after:.1f} s after its node was lost")
    httpx.post(f"{server.url}/api/v1/proxy/permanent", json={}, timeout=60)
