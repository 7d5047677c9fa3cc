"""psi-camserver-client's PipelineClient, unchanged, against camserver; psi-bsread receives."""

from __future__ import annotations

import json

import numpy as np
import pytest
from bsread import PULL, SUB, Source
from cam_server_client import PipelineClient

from camserver.testing.server import RunningServer
from camserver.transport import host_port

pytestmark = pytest.mark.system


@pytest.fixture
def client(server: RunningServer) -> PipelineClient:
    return PipelineClient(server.url)


def receive(address: str, *, mode: int = SUB, count: int = 1) -> list[object]:
    host, port = host_port(address)
    received = []
    with Source(host=host, port=port, mode=mode, receive_timeout=10000) as source:
        for _ in range(count):
            message = source.receive()
            assert message is not None, f"nothing received from {address}"
            received.append(message)
    return received


def test_named_configs_groups_and_cameras(client: PipelineClient) -> None:
    assert "simulation_sp" in client.get_pipelines()
    assert "simulation" in client.get_cameras()
    saved = client.save_pipeline_config(
        "roi_sp", {"camera_name": "simulation", "image_region_of_interest": [0, 100, 0, 50]}
    )
    assert saved["image_region_of_interest"] == [0, 100, 0, 50]
    assert client.get_pipeline_config("roi_sp")["camera_name"] == "simulation"
    client.delete_pipeline_config("roi_sp")
    with pytest.raises(ValueError, match="does not exist"):
        client.get_pipeline_config("roi_sp")
    with pytest.raises(ValueError, match="Camera name not specified"):
        client.save_pipeline_config("broken", {"pipeline_type": "processing"})


def test_create_from_name_with_instance_id_and_additional_config(client: PipelineClient) -> None:
    instance_id, address = client.create_instance_from_name(
        "simulation_sp", instance_id="named_instance", additional_config={"image_threshold": 10}
    )
    assert instance_id == "named_instance"
    assert client.get_instance_config(instance_id)["image_threshold"] == 10
    [message] = receive(address)
    data = message.data.data
    assert data["image"].value.shape == (240, 320)
    parameters = json.loads(data["processing_parameters"].value)
    assert parameters["image_threshold"] == 10
    assert 0 < data["x_center_of_mass"].value < 320
    client.stop_instance(instance_id)


def test_create_from_config_and_live_update(client: PipelineClient) -> None:
    instance_id, address = client.create_instance_from_config({"camera_name": "simulation"})
    assert len(instance_id) == 36  # a uuid, as CamServer generates
    config = client.set_instance_config(instance_id, {"image_region_of_interest": [10, 200, 20, 100]})
    assert config["image_region_of_interest"] == [10, 200, 20, 100]
    host, port = host_port(address)
    with Source(host=host, port=port, mode=SUB, receive_timeout=10000) as source:
        for _ in range(200):  # the update applies from the next frame; bounded wait for it
            message = source.receive()
            assert message is not None
            if message.data.data["image"].value.shape == (100, 200):
                break
        parameters = json.loads(message.data.data["processing_parameters"].value)
    assert parameters["image_region_of_interest"] == [10, 200, 20, 100]
    assert message.data.data["image"].value.shape == (100, 200)
    with pytest.raises(ValueError, match="Cannot change the camera name"):
        client.set_instance_config(instance_id, {"camera_name": "simulation2"})
    with pytest.raises(ValueError, match="Config updates cannot be empty"):
        client.set_instance_config(instance_id, {})
    info = client.get_instance_info(instance_id)
    assert info["instance_id"] == instance_id
    assert info["camera_name"] == "simulation"
    client.stop_instance(instance_id)


# psi-camserver-client's get_instance_message calls psi-bsread's deprecated source()
@pytest.mark.filterwarnings(r"ignore:source\(\) is deprecated:DeprecationWarning")
def test_get_instance_stream_starts_a_saved_pipeline(client: PipelineClient) -> None:
    address = client.get_instance_stream("simulation_sp")
    assert client.is_instance_running("simulation_sp")
    message = client.get_instance_message("simulation_sp")
    assert message.data.data["image"].value.shape == (240, 320)
    assert client.get_instance_stream("simulation_sp") == address
    client.stop_instance("simulation_sp")


def test_read_only_instance_from_config_is_shared(client: PipelineClient) -> None:
    first_id, first = client.get_instance_stream_from_config({"camera_name": "simulation", "image_threshold": 5})
    second_id, second = client.get_instance_stream_from_config({"camera_name": "simulation", "image_threshold": 5})
    assert (first_id, first) == (second_id, second)
    with pytest.raises(ValueError, match="read only"):
        client.set_instance_config(first_id, {"image_threshold": 6})
    client.stop_instance(first_id)


def test_backgrounds(client: PipelineClient) -> None:
    background_id = client.collect_background("simulation", n_images=3)
    assert background_id.startswith("simulation_")
    assert client.get_latest_background("simulation") == background_id
    assert background_id in client.get_backgrounds("simulation")
    array = client.get_background_image_array(background_id)
    assert array.shape == (240, 320)
    assert client.get_background_image(background_id).headers["content-type"] == "image/png"
    assert client.set_background("flat_background", np.full((240, 320), 7)) == "ok"
    assert client.get_background_image_array("flat_background").max() == 7
    instance_id, address = client.create_instance_from_config(
        {"camera_name": "simulation", "image_background_enable": True, "image_background": "flat_background"}
    )
    [message] = receive(address)
    parameters = json.loads(message.data.data["processing_parameters"].value)
    assert parameters["image_background_ok"] is True
    with pytest.raises(ValueError, match="does not exist"):
        client.set_instance_config(instance_id, {"image_background": "no_such_background"})
    client.stop_instance(instance_id)


def test_missing_background_notifies_instead_of_dying(client: PipelineClient) -> None:
    instance_id, address = client.create_instance_from_config(
        {"camera_name": "simulation", "image_background_enable": True, "image_background": "missing",
         "notify_on_error": True}
    )  # fmt: skip
    [message] = receive(address)
    data = message.data.data
    assert "Invalid background image file" in json.loads(data["processing_parameters"].value)["processing_error"]
    assert not data["image"].value.any()
    assert client.is_instance_running(instance_id)
    client.stop_instance(instance_id)


def test_store_and_transparent_outputs(client: PipelineClient) -> None:
    store_id, store = client.create_instance_from_config({"camera_name": "simulation", "pipeline_type": "store"})
    [message] = receive(store, mode=PULL)
    assert message.data.data["simulation:FPICTURE"].value.shape == (240, 320)
    client.stop_instance(store_id)
    transparent_id, transparent = client.create_instance_from_config(
        {"camera_name": "simulation", "function": "transparent"}
    )
    [message] = receive(transparent)
    assert set(message.data.data) == {
        "x_axis", "y_axis", "width", "height", "image", "processing_parameters", "timestamp"
    }  # fmt: skip
    client.stop_instance(transparent_id)


def test_pid_range_ends_with_exit_code_zero(client: PipelineClient) -> None:
    instance_id, _ = client.create_instance_from_config({"camera_name": "simulation", "pid_range": [1, 2]})
    client.wait_instance_completed(instance_id, timeout=30)
    assert client.get_instance_exit_code(instance_id) == 0


def test_user_functions_are_refused_unless_allowed(client: PipelineClient) -> None:
    with pytest.raises(ValueError, match="user scripts are not allowed"):
        client.create_instance_from_config({"camera_name": "simulation", "function": "my_function"})


def test_exit_code_of_an_unknown_instance_is_none_as_in_camserver(client: PipelineClient) -> None:
    assert client.get_instance_exit_code("never_existed") is None
