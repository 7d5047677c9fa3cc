"""The server on Ray is a plain driver: it ends, its instances keep streaming, and a server started
again finds them by name instead of starting them twice."""

from __future__ import annotations

import json

import pytest
from bsread import SUB, Source
from cam_server_client import CamClient, PipelineClient

from camserver.models.instance import InstanceState
from camserver.testing.ray_cluster import RayTestCluster
from camserver.testing.server import running_server
from camserver.transport import host_port
from tests.cluster.conftest import ray_server
from tests.system.conftest import SIMULATION

pytestmark = [pytest.mark.system, pytest.mark.cluster]


def receive_one(address: str) -> int:
    host, port = host_port(address)
    with Source(host=host, port=port, mode=SUB, receive_timeout=20000) as source:
        message = source.receive()
    assert message is not None, f"nothing from {address}"
    pulse_id: int = message.data.pulse_id
    return pulse_id


def test_instances_outlive_the_server_and_are_found_again(
    tmp_path_factory: pytest.TempPathFactory, ray_cluster: RayTestCluster
) -> None:
    data = tmp_path_factory.mktemp("restart")
    (data / "camera_config").mkdir()
    (data / "pipeline_config").mkdir()
    (data / "camera_config" / "kept.json").write_text(json.dumps({**SIMULATION, "no_client_timeout": 0}))
    (data / "pipeline_config" / "kept_sp.json").write_text(json.dumps({"camera_name": "kept", "no_client_timeout": 0}))
    (data / "pipeline_config" / "permanent_instances.json").write_text(json.dumps({"always_sp": "kept_sp"}))

    with running_server(data, backend="ray", ray_namespace="restart") as first:
        camera = CamClient(first.url).get_instance_stream("kept")
        instance_id, pipeline = PipelineClient(first.url).create_instance_from_name("kept_sp", "on_demand_sp")
        before = {info.key: info for info in first.services.backend.instances()}
    assert set(before) == {"camera/kept", "pipeline/on_demand_sp", "pipeline/always_sp"}

    receive_one(camera)  # no server now: the instances stream on
    receive_one(pipeline)

    with ray_server(data, "restart") as second:
        found = {info.key: info for info in second.services.backend.instances()}
        assert set(found) == set(before)
        for key, info in found.items():
            assert info.state is InstanceState.RUNNING
            assert (info.pid, info.stream_address, info.node) == (
                before[key].pid,
                before[key].stream_address,
                before[key].node,
            )
        assert CamClient(second.url).get_instance_stream("kept") == camera  # found, not started again
        assert PipelineClient(second.url).get_instance_stream(instance_id) == pipeline
        assert second.services.backend.info("pipeline/always_sp").permanent is True
        assert second.services.backend.info("pipeline/always_sp").pid == before["pipeline/always_sp"].pid
        PipelineClient(second.url).stop_instance(instance_id)  # the second server controls them
        assert not PipelineClient(second.url).is_instance_running(instance_id)
