"""Each placement rule of servers.json on the three-node test cluster, the network capacity, the
ports, permanent instances restarting by themselves, and streams across nodes."""

from __future__ import annotations

import json
import os
import signal
import socket
from collections.abc import Iterator

import httpx
import pytest
from bsread import SUB, Source
from cam_server_client import CamClient, PipelineClient

from camserver.models.instance import InstanceState
from camserver.testing.ray_cluster import NODES
from camserver.testing.server import RunningServer
from camserver.transport import host_port
from tests.cluster.conftest import ray_server
from tests.system.conftest import SIMULATION
from tests.system.waiting import wait_for

pytestmark = [pytest.mark.system, pytest.mark.cluster]

#: claims 600 of a node's 1000 Mbit/s (1000 x 750 x 2 bytes x 50 Hz); one frame made once, sent again
HEAVY = {**SIMULATION, "size_x": 1000, "size_y": 750, "frame_rate": 50, "image_type": "static_raw"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, ray_cluster: object) -> Iterator[RunningServer]:
    with ray_server(tmp_path_factory.mktemp("placement"), "placement", camera_ports=(18640, 18660)) as running:
        for name in ("cam_a", "cam_b", "cam_c", "listed_cam", "fixed_cam", "kept_cam"):
            running.services.camera_store.set(name, SIMULATION)
        for name in ("heavy_1", "heavy_2", "heavy_3", "heavy_4"):
            running.services.camera_store.set(name, HEAVY)
        yield running


@pytest.fixture(autouse=True)
def clean(server: RunningServer) -> Iterator[None]:
    """Each test starts from no instances and no servers.json."""
    yield
    server.services.backend.stop_all()  # type: ignore[attr-defined]
    for kind in ("camera", "pipeline"):
        server.services.placer.set_config(kind, {})


def node_of(server: RunningServer, key: str) -> str:
    return server.services.backend.info(key).node


def rules(server: RunningServer, kind: str, data: dict[str, object]) -> None:
    prefix = server.url if kind == "camera" else server.pipeline_url
    answer = httpx.post(f"{prefix}/api/v1/proxy/config", json=data, timeout=10).json()
    assert answer["state"] == "ok", answer


def test_load_placement_spreads_over_the_least_loaded_nodes(server: RunningServer) -> None:
    client = CamClient(server.url)
    addresses = [client.get_instance_stream(name) for name in ("cam_a", "cam_b", "cam_c")]
    nodes = {node_of(server, f"camera/{name}") for name in ("cam_a", "cam_b", "cam_c")}
    assert nodes == {"srv1", "srv2", "srv3"}  # one each: the least loaded node takes the next
    hosts = {host_port(address)[0] for address in addresses}
    assert hosts == set(NODES.values())  # each stream on its node's address, never 127.0.0.1
    ports = [host_port(address)[1] for address in addresses]
    assert len(set(ports)) == 3  # one port range across the cluster
    assert all(18640 <= port < 18660 for port in ports)


def test_fixed_instance_runs_on_its_server_with_its_port(server: RunningServer) -> None:
    port = free_port()
    rules(server, "camera", {"http://srv3:8880": {"instances": [f"fixed_cam:{port}"]}})
    address = CamClient(server.url).get_instance_stream("fixed_cam")
    assert address == f"tcp://{NODES['srv3']}:{port}"
    assert node_of(server, "camera/fixed_cam") == "srv3"


def test_servers_that_are_disabled_or_do_not_expand_take_no_load(server: RunningServer) -> None:
    rules(server, "camera", {"srv1": {"expanding": False}, "srv2": {"enabled": False}, "srv3": {}})
    client = CamClient(server.url)
    for name in ("cam_a", "cam_b"):
        client.get_instance_stream(name)
        assert node_of(server, f"camera/{name}") == "srv3"


def test_pipelines_of_a_listed_camera_go_to_its_server_with_the_camera(server: RunningServer) -> None:
    rules(server, "pipeline", {"srv2": {"cameras": ["listed_cam"]}})
    assert server.pipeline_url is not None
    instance_id, _ = PipelineClient(server.pipeline_url).create_instance_from_config({"camera_name": "listed_cam"})
    assert node_of(server, f"pipeline/{instance_id}") == "srv2"
    assert node_of(server, "camera/listed_cam") == "srv2"  # the camera went where its pipeline is fixed
    assert server.services.backend.details(f"pipeline/{instance_id}")["reads_local"] is True  # type: ignore[attr-defined]


def test_a_pipeline_reads_its_camera_through_shared_memory_on_its_node_and_tcp_across(server: RunningServer) -> None:
    client = PipelineClient(server.url)
    rules(server, "camera", {"srv1": {"instances": ["cam_a"]}})
    beside, _ = client.create_instance_from_config({"camera_name": "cam_a"})
    assert node_of(server, f"pipeline/{beside}") == "srv1"  # beside its camera
    assert server.services.backend.details(f"pipeline/{beside}")["reads_local"] is True  # type: ignore[attr-defined]
    rules(server, "pipeline", {"srv3": {"instances": ["across_sp"]}})
    across, address = client.create_instance_from_config({"camera_name": "cam_a", "name": "across_sp"})
    assert node_of(server, f"pipeline/{across}") == "srv3"
    assert server.services.backend.details(f"pipeline/{across}")["reads_local"] is False  # type: ignore[attr-defined]
    host, port = host_port(address)
    assert host == NODES["srv3"]
    with Source(host=host, port=port, mode=SUB, receive_timeout=20000) as source:  # psi-bsread, across nodes
        first = source.receive()
        second = source.receive()
    assert first is not None and second is not None
    assert first.data.data["image"].value.shape == (240, 320)
    assert second.data.pulse_id > first.data.pulse_id


def test_no_capacity_left_is_a_clear_error_not_a_wait(server: RunningServer) -> None:
    client = CamClient(server.url)
    for name in ("heavy_1", "heavy_2", "heavy_3"):
        client.get_instance_stream(name)
    assert {node_of(server, f"camera/heavy_{n}") for n in (1, 2, 3)} == {"srv1", "srv2", "srv3"}
    answer = httpx.get(f"{server.url}/api/v1/cam/heavy_4", timeout=30)
    assert answer.status_code == 503
    body = answer.json()
    assert body["error"] == "PlacementError"
    assert "no node has 600 Mbit/s of network capacity left for camera 'heavy_4'" in body["status"]
    assert "srv1: 400 of 1000 Mbit/s free" in body["status"]
    nodes = httpx.get(f"{server.url}/api/v1/nodes", timeout=10).json()["nodes"]
    assert sorted(node["bandwidth_used"] for node in nodes) == [600.0, 600.0, 600.0]


def test_a_permanent_instance_comes_back_by_itself(server: RunningServer) -> None:
    permanent = server.settings.data_dir / "camera_config" / "permanent_instances.json"
    answer = httpx.post(f"{server.url}/api/v1/proxy/permanent", json={"kept_cam": "kept_cam"}, timeout=60).json()
    assert answer["permanent_instances"] == {"kept_cam": "kept_cam"}
    assert json.loads(permanent.read_text()) == {"kept_cam": "kept_cam"}
    before = wait_for(
        lambda: server.services.backend.info("camera/kept_cam"),
        lambda info: info.state is InstanceState.RUNNING,
        "the permanent camera to run",
    )
    assert before.pid is not None
    os.kill(before.pid, signal.SIGKILL)  # its process dies (the simulated nodes share this host)
    after = wait_for(
        lambda: server.services.backend.info("camera/kept_cam"),
        lambda info: info.pid != before.pid and info.state is InstanceState.RUNNING,
        "Ray to start the permanent camera again",
        timeout=60,
    )
    assert after.stream_address == before.stream_address  # same node, same port: clients reconnect
    assert after.restarts >= 1
    httpx.post(f"{server.url}/api/v1/proxy/permanent", json={}, timeout=60)
