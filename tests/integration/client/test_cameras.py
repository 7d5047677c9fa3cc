"""``client.cameras`` against a real server, with the sync and the async client."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from camserver.errors import CameraNotFound, ConfigError, InstanceNotFound
from camserver.models import CameraConfig, SimulationCamera
from camserver.models.instance import InstanceKind, InstanceState
from tests.integration.client.served import CAMERA


def test_names_aliases_and_groups(client: Any) -> None:
    assert client.cameras.list() == ["sim"]
    assert client.cameras.aliases() == {"simcam": "sim"}
    assert client.cameras.groups() == {"test": ["sim"]}


def test_config_round_trip(client: Any) -> None:
    config = client.cameras.config("sim")
    assert isinstance(config, SimulationCamera)
    assert (config.size_x, config.size_y, config.binning_x) == (64, 48, 1)
    assert config.unknown_keys() == ["unknown_thing"]
    saved = client.cameras.set_config("copy", {**CAMERA, "name": "copy", "mirror_x": True})
    assert isinstance(saved, CameraConfig)
    assert saved.mirror_x is True
    assert sorted(client.cameras.list()) == ["copy", "sim"]
    model = client.cameras.config("copy")
    assert client.cameras.set_config("copy", model.updated({"rotate": 1})).rotate == 1
    client.cameras.delete_config("copy")
    assert client.cameras.list() == ["sim"]
    with pytest.raises(CameraNotFound, match="'copy'"):
        client.cameras.config("copy")


def test_invalid_configs_are_config_errors(client: Any) -> None:
    with pytest.raises(ConfigError, match="mirror_x"):
        client.cameras.set_config("bad", {**CAMERA, "mirror_x": "sideways"})
    with pytest.raises(ConfigError, match="source"):
        client.cameras.set_config("bad", {"source_type": "simulation"})
    assert client.cameras.list() == ["sim"]


def test_images_without_a_stream(client: Any) -> None:
    assert client.cameras.is_online("sim") is True
    assert client.cameras.geometry("sim") == (64, 48)
    image = client.cameras.array("sim")
    assert image.shape == (48, 64)
    assert image.dtype == np.uint16
    png = client.cameras.image("sim", scale=0.5, colormap="gray")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_an_instance_from_start_to_stop(client: Any) -> None:
    address = client.cameras.stream("sim")
    assert address.startswith("tcp://127.0.0.1:")
    assert client.cameras.stream("sim") == address  # running: the same instance
    report = client.cameras.info("sim")
    assert report.instance_id == "sim"
    assert report.kind is InstanceKind.CAMERA
    assert report.state is InstanceState.RUNNING
    assert report.stream_address == address
    assert report.config["size_x"] == 64
    assert set(client.cameras.instances()) == {"sim"}
    assert any("sim" in record.message for record in client.cameras.logs("sim"))
    client.cameras.stop("sim")
    assert client.cameras.info("sim").state is InstanceState.STOPPED
    assert client.cameras.instances() == {}
    client.cameras.delete("sim")
    with pytest.raises(InstanceNotFound):
        client.cameras.info("sim")


def test_an_alias_starts_the_camera(client: Any) -> None:
    assert client.cameras.stream("simcam").startswith("tcp://")
    client.cameras.stop_all()
    assert client.cameras.instances() == {}


def test_unknown_cameras(client: Any) -> None:
    with pytest.raises(CameraNotFound, match="Camera 'nothing' does not exist."):
        client.cameras.stream("nothing")
    with pytest.raises(KeyError):
        client.cameras.geometry("nothing")
    with pytest.raises(InstanceNotFound):
        client.cameras.logs("nothing")
