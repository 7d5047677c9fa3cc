"""psi-camserver-client's CamClient, unchanged, against camserver; psi-bsread receives the stream."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import httpx
import numpy as np
import pytest
from bsread import SUB, Source
from cam_server_client import CamClient
from PIL import Image

from camserver.testing.server import RunningServer
from camserver.transport import host_port

pytestmark = pytest.mark.system

CAMERA_CHANNELS = {"image", "timestamp", "width", "height", "x_axis", "y_axis"}


@pytest.fixture
def client(server: RunningServer) -> CamClient:
    return CamClient(server.url)


def test_lists_aliases_groups_and_version(client: CamClient) -> None:
    assert {"simulation", "simulation2"} <= set(client.get_cameras())
    assert client.get_camera_aliases()["sim"] == "simulation"
    assert set(client.get_camera_groups()["test"]) == {"simulation", "simulation2"}
    assert client.get_version()
    assert "simulation" in client.get_config_names()


def test_config_round_trip_and_errors(client: CamClient) -> None:
    config = client.get_camera_config("simulation")
    assert config["source_type"] == "simulation"
    assert config["mirror_x"] is False  # defaults filled in, as CamServer expands them
    saved = client.set_camera_config("extra_camera", {**config, "name": "extra_camera", "mirror_x": True})
    assert saved["mirror_x"] is True
    assert client.get_camera_config("extra_camera")["mirror_x"] is True
    client.delete_camera_config("extra_camera")
    with pytest.raises(ValueError, match="does not exist"):
        client.get_camera_config("extra_camera")
    with pytest.raises(ValueError, match="'source' not specified"):
        client.set_camera_config("broken", {"source_type": "simulation"})


def test_stream_is_received_by_psi_bsread(client: CamClient) -> None:
    address = client.get_instance_stream("simulation")
    host, port = host_port(address)
    with Source(host=host, port=port, mode=SUB, receive_timeout=10000) as source:
        message = source.receive()
        assert message is not None
        data = message.data.data
        assert set(data) == CAMERA_CHANNELS
        image = data["image"].value
        assert image.shape == (240, 320)
        assert image.dtype == np.uint16
        assert data["width"].value == 320
        assert data["height"].value == 240
        assert data["x_axis"].value.shape == (320,)
        first = message.data.pulse_id
        second = source.receive()
        assert second is not None
        assert second.data.pulse_id > first
    assert client.get_instance_stream("simulation") == address  # the same running instance


def test_alias_starts_the_aliased_camera(client: CamClient) -> None:
    assert client.get_instance_stream("sim") == client.get_instance_stream("simulation")


def test_geometry_online_image_and_bytes(client: CamClient) -> None:
    assert client.get_camera_geometry("simulation2") == [100, 200]  # rotated by 90 degrees
    assert client.is_camera_online("simulation") is True
    response = client.get_camera_image("simulation")
    assert response.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (320, 240)
    array = client.get_camera_array("simulation")
    assert array.shape == (240, 320)
    assert array.dtype == np.uint16
    assert client.get_camera_image_bytes("simulation")["dtype"] == "<u2"


def test_info_stop_and_logs(client: CamClient) -> None:
    client.get_instance_stream("simulation2")
    assert client.is_instance_running("simulation2")
    info = client.get_server_info()
    entry = info["active_instances"]["simulation2"]
    assert entry["camera_name"] == "simulation2"
    assert entry["is_stream_active"] is True
    assert "rx" in entry["statistics"]
    client.stop_instance("simulation2")
    assert not client.is_instance_running("simulation2")
    logs = client.get_instance_logs("simulation2")
    assert any("started process" in record[3] for record in logs)
    assert "started process" in client.get_instance_logs("simulation2", txt=True)
    assert isinstance(client.get_logs(), list)


def test_delete_and_stop_all(client: CamClient) -> None:
    client.get_instance_stream("simulation2")
    client.delete_instance("simulation2")
    assert not client.is_instance_running("simulation2")
    client.get_instance_stream("simulation2")
    client.stop_all_instances()
    assert client.get_server_info()["active_instances"] == {}


def test_pickled_background_upload_is_stored(client: CamClient, server: RunningServer) -> None:
    image = np.arange(12, dtype=np.uint16).reshape(3, 4)
    client.set_background_image_array("uploaded_background", image)
    np.testing.assert_array_equal(server.services.backgrounds.load("uploaded_background"), image)


def test_hostile_pickle_upload_is_refused_and_nothing_runs(server: RunningServer, tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    class Hostile:
        def __reduce__(self) -> tuple[object, ...]:
            return (os.system, (f"touch {marker}",))

    response = httpx.put(f"{server.url}/api/v1/cam/background/hostile/image_bytes",
                         content=pickle.dumps(Hostile(), protocol=0), timeout=30)  # fmt: skip
    assert response.status_code == 400
    assert "refused: the pickle refers to" in response.json()["status"]
    assert not marker.exists()
    assert httpx.get(f"{server.url}/api/v1/cam/version", timeout=30).status_code == 200


def test_unknown_camera_is_an_error_with_the_name(client: CamClient) -> None:
    with pytest.raises(ValueError, match="Camera 'no_such_camera' does not exist"):
        client.get_instance_stream("no_such_camera")


def test_config_change_applies_to_the_running_stream(client: CamClient) -> None:
    config = client.get_camera_config("simulation")
    address = client.get_instance_stream("simulation")
    host, port = host_port(address)
    try:
        client.set_camera_config("simulation", {**config, "rotate": 1})
        with Source(host=host, port=port, mode=SUB, receive_timeout=10000) as source:
            for _ in range(200):  # the change applies from the next frame; bounded wait for it
                message = source.receive()
                assert message is not None
                if message.data.data["image"].value.shape == (320, 240):
                    break
        assert message.data.data["image"].value.shape == (320, 240)
        assert message.data.data["width"].value == 240
        assert client.get_instance_stream("simulation") == address  # the same instance, not a restart
    finally:
        client.set_camera_config("simulation", config)
