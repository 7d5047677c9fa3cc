"""Instance models: CamServer's statistics formats, instance keys, specs as JSON."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from pydantic import ValidationError

from camserver.models.instance import (
    InstanceInfo,
    InstanceKind,
    InstanceSpec,
    InstanceState,
    InstanceStatistics,
    instance_key,
)
from camserver.models.reports import CamServerStatistics

CAMSERVER_STATISTICS_KEYS = {
    "total_bytes",
    "clients",
    "throughput",
    "time",
    "rx",
    "tx",
    "pid",
    "cpu",
    "memory",
    "header_changes",
    "frame_shape",
}


def formatted_as_camserver(statistics: InstanceStatistics) -> dict[str, Any]:
    return CamServerStatistics.of(statistics).model_dump()


def busy_statistics() -> InstanceStatistics:
    return InstanceStatistics(
        time=time.mktime((2024, 3, 20, 14, 43, 34, 0, 0, -1)),
        pid=4321,
        rx_count=345,
        rx_rate=12.0,
        tx_count=340,
        tx_rate=11.996,
        bytes_received=1_000_000,
        bytes_sent=900_000,
        throughput=2.5e6,
        clients=2,
        cpu=12.5,
        memory=123_456_789,
        frame_shape=[1280, 960, 2],
        header_changes=1,
    )


def test_camserver_format_has_camservers_keys() -> None:
    assert set(formatted_as_camserver(busy_statistics())) == CAMSERVER_STATISTICS_KEYS


def test_camserver_format_values() -> None:
    formatted = formatted_as_camserver(busy_statistics())

    assert formatted["rx"] == "12.00Hz - 345"
    assert formatted["tx"] == "12.00Hz - 340"
    assert formatted["frame_shape"] == "1280x960x2"
    assert formatted["pid"] == "4321"
    assert formatted["time"] == "14:43:34"
    assert formatted["total_bytes"] == 1_000_000
    assert (formatted["clients"], formatted["throughput"]) == (2, 2.5e6)
    assert (formatted["cpu"], formatted["memory"], formatted["header_changes"]) == (12.5, 123_456_789, 1)
    json.dumps(formatted)


@pytest.mark.parametrize(
    ("rate", "count", "text"),
    [
        (0.0, 0, "0.00Hz - 0"),
        (1.005, 7, "1.00Hz - 7"),
        (99.999, 12, "100.00Hz - 12"),
        (2.5, 10**9, "2.50Hz - 1000000000"),
    ],
)
def test_rates_are_formatted_as_camserver_does(rate: float, count: int, text: str) -> None:
    formatted = formatted_as_camserver(InstanceStatistics(rx_rate=rate, rx_count=count, tx_rate=rate, tx_count=count))

    assert formatted["rx"] == text
    assert formatted["tx"] == text


def test_fresh_statistics_format_without_a_frame() -> None:
    formatted = formatted_as_camserver(InstanceStatistics())

    assert formatted["frame_shape"] is None
    assert formatted["pid"] == ""
    assert formatted["rx"] == "0.00Hz - 0"
    assert formatted["total_bytes"] == 0


def test_total_bytes_of_a_camera_are_the_bytes_it_sent() -> None:
    assert formatted_as_camserver(InstanceStatistics(bytes_sent=5000))["total_bytes"] == 5000


@pytest.mark.parametrize("shape", [[1280, 960], [1, 2, 3, 4], []])
def test_frame_shape_is_width_height_bytes(shape: list[int]) -> None:
    with pytest.raises(ValidationError, match="frame_shape"):
        InstanceStatistics(frame_shape=shape)


@pytest.mark.parametrize(
    ("kind", "instance_id", "key"),
    [
        (InstanceKind.CAMERA, "simulation", "camera/simulation"),
        ("pipeline", "simulation_sp", "pipeline/simulation_sp"),
        (InstanceKind.PIPELINE, "3f2a-uuid", "pipeline/3f2a-uuid"),
    ],
)
def test_instance_key(kind: InstanceKind | str, instance_id: str, key: str) -> None:
    assert instance_key(kind, instance_id) == key


def test_instance_key_refuses_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="'source'"):
        instance_key("source", "x")


def test_cameras_and_pipelines_of_one_name_have_different_keys() -> None:
    assert instance_key("camera", "simulation") != instance_key("pipeline", "simulation")


def full_spec() -> InstanceSpec:
    return InstanceSpec(
        instance_id="simulation_sp",
        kind=InstanceKind.PIPELINE,
        config={"camera_name": "simulation", "image_good_region": {"threshold": 0.3}, "include": ["x"]},
        config_name="simulation_sp",
        port=11100,
        server_url="http://127.0.0.1:8888",
        camera_stream="tcp://127.0.0.1:10100",
        input_streams={"input_stream": "tcp://127.0.0.1:11101"},
        background_file="/data/background_config/simulation_20240320_144334_156830.npy",
        permanent=True,
        log_level="DEBUG",
    )


@pytest.mark.parametrize("spec", [full_spec(), InstanceSpec(instance_id="cam", kind="camera", config={})])
def test_spec_json_round_trip(spec: InstanceSpec) -> None:
    text = spec.model_dump_json()

    again = InstanceSpec.model_validate_json(text)

    assert again == spec
    assert again.kind is spec.kind
    assert InstanceSpec.model_validate(json.loads(text)) == spec


def test_spec_key_and_safe_defaults() -> None:
    spec = InstanceSpec(instance_id="cam", kind="camera", config={"source": "x"})

    assert spec.key == "camera/cam"
    assert (spec.bind_host, spec.advertised_host) == ("127.0.0.1", "127.0.0.1")
    assert spec.user_scripts_dir is None
    assert spec.port is None
    assert (spec.permanent, spec.read_only) == (False, False)


def test_spec_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="bind_hots"):
        InstanceSpec.model_validate({"instance_id": "cam", "kind": "camera", "config": {}, "bind_hots": "x"})


def test_info_key_and_activity() -> None:
    info = InstanceInfo(instance_id="cam", kind="camera", state=InstanceState.STARTING)

    assert info.key == "camera/cam"
    assert info.active
    assert info.model_copy(update={"state": InstanceState.RUNNING}).active
    for state in (InstanceState.STOPPING, InstanceState.STOPPED, InstanceState.FAILED, InstanceState.RESTARTING):
        assert not info.model_copy(update={"state": state}).active


def test_info_json_round_trip_keeps_statistics() -> None:
    info = InstanceInfo(
        instance_id="x_sp", kind="pipeline", state="running", statistics=busy_statistics(), exit_code=None
    )

    again = InstanceInfo.model_validate_json(info.model_dump_json())

    assert again == info
    assert formatted_as_camserver(again.statistics) == formatted_as_camserver(info.statistics)
