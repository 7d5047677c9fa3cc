"""``client.pipelines`` against a real server, with the sync and the async client."""

from __future__ import annotations

from typing import Any

import pytest

from camserver.errors import ConfigError, Conflict, InstanceNotFound, PipelineNotFound, ReadOnlyInstance
from camserver.models import PipelineConfig
from camserver.models.instance import InstanceKind, InstanceState


def test_names_groups_and_config_round_trip(client: Any) -> None:
    assert client.pipelines.list() == ["sim_sp"]
    assert client.pipelines.groups() == {"test": ["sim_sp"]}
    config = client.pipelines.config("sim_sp")
    assert isinstance(config, PipelineConfig)
    assert (config.camera_name, config.pipeline_type) == ("sim", "processing")
    saved = client.pipelines.set_config("other", {"camera_name": "sim", "image_threshold": 3})
    assert saved.image_threshold == 3
    assert client.pipelines.list() == ["other", "sim_sp"]
    client.pipelines.delete_config("other")
    with pytest.raises(PipelineNotFound):
        client.pipelines.config("other")
    with pytest.raises(ConfigError, match="Camera name not specified"):
        client.pipelines.set_config("other", {"pipeline_type": "processing"})


def test_an_instance_from_a_name(client: Any) -> None:
    started = client.pipelines.create_from_name("sim_sp", instance_id="named", additional_config={"image_threshold": 7})
    assert started.instance_id == "named"
    assert started.stream.startswith("tcp://127.0.0.1:")
    assert started.config["image_threshold"] == 7
    assert client.pipelines.stream("named") == started.stream
    report = client.pipelines.info("named")
    assert (report.kind, report.state, report.camera_name) == (InstanceKind.PIPELINE, InstanceState.RUNNING, "sim")
    assert client.pipelines.exit_code("named") is None
    assert client.pipelines.instance_config("named").image_threshold == 7
    assert client.pipelines.update_config("named", {"image_threshold": 9}).image_threshold == 9
    assert client.pipelines.instance_config("named").image_threshold == 9
    with pytest.raises(Conflict, match="camera name"):
        client.pipelines.update_config("named", {"camera_name": "other"})
    assert set(client.pipelines.instances()) == {"named"}
    assert any("named" in record.message for record in client.pipelines.logs("named"))
    with pytest.raises(Conflict, match="already running"):
        client.pipelines.create_from_name("sim_sp", instance_id="named")
    client.pipelines.stop("named")
    with pytest.raises(InstanceNotFound):
        client.pipelines.info("named")


def test_instances_from_configs(client: Any) -> None:
    started = client.pipelines.create_from_config({"camera_name": "sim", "image_threshold": 1}, instance_id="free")
    assert started.instance_id == "free"
    shared = client.pipelines.stream_from_config({"camera_name": "sim", "image_threshold": 2})
    assert client.pipelines.stream_from_config({"camera_name": "sim", "image_threshold": 2}) == shared
    assert client.pipelines.info(shared.instance_id).read_only is True
    with pytest.raises(ReadOnlyInstance):
        client.pipelines.update_config(shared.instance_id, {"image_threshold": 3})
    assert set(client.pipelines.instances()) == {"free", shared.instance_id}
    client.pipelines.delete(shared.instance_id)
    client.pipelines.stop_all()
    assert client.pipelines.instances() == {}


def test_a_saved_pipeline_starts_by_its_name(client: Any) -> None:
    address = client.pipelines.stream("sim_sp")
    assert client.pipelines.info("sim_sp").stream_address == address


def test_unknown_pipelines(client: Any) -> None:
    with pytest.raises(PipelineNotFound):
        client.pipelines.create_from_name("nothing")
    with pytest.raises(InstanceNotFound):
        client.pipelines.stream("nothing")
    assert client.pipelines.exit_code("nothing") is None  # as CamServer answers for unknown instances
    with pytest.raises(ConfigError, match="pipeline_type"):
        client.pipelines.create_from_config({"pipeline_type": "magic", "camera_name": "sim"})
