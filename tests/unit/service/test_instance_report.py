"""Instances described under CamServer's keys (``/info`` entries and ``/heartbeat`` entries)."""

from __future__ import annotations

import json
from typing import Any

from camserver.models.instance import InstanceInfo, InstanceKind, InstanceState, InstanceStatistics
from camserver.service.instance_report import heartbeat_entry as heartbeat_model
from camserver.service.instance_report import instance_report as report_model

CAMERA_INFO_KEYS = {
    "stream_address",
    "is_stream_active",
    "camera_geometry",
    "camera_name",
    "last_start_time",
    "statistics",
    "config",
}
PIPELINE_INFO_KEYS = {
    "stream_address",
    "is_stream_active",
    "camera_name",
    "config",
    "instance_id",
    "read_only",
    "last_start_time",
    "statistics",
}


def instance_report(info: InstanceInfo) -> dict[str, Any]:
    return report_model(info).model_dump(mode="json")


def heartbeat_entry(info: InstanceInfo) -> dict[str, Any]:
    return heartbeat_model(info).model_dump(mode="json")


HEARTBEAT_KEYS = {
    "stream_address",
    "camera_name",
    "simulation",
    "last_start_time",
    "read_only",
    "geometry",
    "total_bytes",
    "clients",
    "throughput",
    "time",
    "pid",
    "cpu",
    "memory",
    "header_changes",
    "frame_shape",
    "rx",
    "tx",
}


def statistics() -> InstanceStatistics:
    return InstanceStatistics(
        pid=4321,
        rx_count=345,
        rx_rate=12.0,
        tx_count=345,
        tx_rate=12.0,
        bytes_sent=2_000_000,
        clients=3,
        frame_shape=[1280, 960, 2],
        header_changes=1,
    )


def camera_info(state: InstanceState = InstanceState.RUNNING) -> InstanceInfo:
    return InstanceInfo(
        instance_id="simulation",
        kind=InstanceKind.CAMERA,
        config_name="simulation",
        state=state,
        stream_address="tcp://cams.example.org:10100",
        pid=4321,
        last_start_time="2024-03-20 14:43:34",
        config={"name": "simulation", "source": "", "source_type": "simulation"},
        statistics=statistics(),
    )


def pipeline_info(state: InstanceState = InstanceState.RUNNING) -> InstanceInfo:
    return InstanceInfo(
        instance_id="simulation_sp",
        kind=InstanceKind.PIPELINE,
        config_name="simulation_sp",
        state=state,
        stream_address="tcp://cams.example.org:11100",
        read_only=True,
        permanent=True,
        config={"name": "simulation_sp", "camera_name": "simulation"},
        statistics=statistics(),
    )


def test_camera_report_has_camservers_keys_and_values() -> None:
    report = instance_report(camera_info())

    assert set(report) >= CAMERA_INFO_KEYS
    assert report["camera_name"] == "simulation"
    assert report["camera_geometry"] == [1280, 960]
    assert report["stream_address"] == "tcp://cams.example.org:10100"
    assert report["is_stream_active"] is True
    assert report["last_start_time"] == "2024-03-20 14:43:34"
    assert report["config"]["source_type"] == "simulation"
    assert report["statistics"]["rx"] == "12.00Hz - 345"
    assert report["statistics"]["frame_shape"] == "1280x960x2"
    assert report["instance_id"] == "simulation"  # one report model for both kinds: the id is the camera
    json.dumps(report)


def test_pipeline_report_has_camservers_keys_and_values() -> None:
    report = instance_report(pipeline_info())

    assert set(report) >= PIPELINE_INFO_KEYS
    assert report["instance_id"] == "simulation_sp"
    assert report["camera_name"] == "simulation"
    assert report["read_only"] is True
    assert report["permanent"] is True
    assert report["statistics"]["tx"] == "12.00Hz - 345"
    assert report["camera_geometry"] is None
    json.dumps(report)


def test_report_carries_camservers_additions() -> None:
    info = pipeline_info(InstanceState.FAILED).model_copy(
        update={"exit_code": 2, "reason": "processing failed", "restarts": 1}
    )

    report = instance_report(info)

    assert report["state"] == "failed"
    assert (report["exit_code"], report["reason"], report["restarts"]) == (2, "processing failed", 1)
    assert report["node"] == "local"
    assert report["detail"]["rx_count"] == 345
    assert report["detail"]["frame_shape"] == [1280, 960, 2]


def test_only_a_running_instance_has_an_active_stream() -> None:
    for state in InstanceState:
        assert instance_report(camera_info(state))["is_stream_active"] is (state is InstanceState.RUNNING)


def test_camera_without_a_frame_yet_has_no_geometry() -> None:
    info = camera_info(InstanceState.STARTING).model_copy(update={"statistics": InstanceStatistics()})

    report = instance_report(info)

    assert report["camera_geometry"] is None
    assert report["statistics"]["frame_shape"] is None


def test_pipeline_without_a_camera_reports_none() -> None:
    info = pipeline_info().model_copy(update={"config": {"pipeline_type": "stream"}})

    assert instance_report(info)["camera_name"] is None
    assert heartbeat_entry(info)["camera_name"] is None


def test_heartbeat_has_camservers_keys_and_numbers() -> None:
    entry = heartbeat_entry(camera_info())

    assert set(entry) >= HEARTBEAT_KEYS
    assert entry["camera_name"] == "simulation"
    assert entry["simulation"] is True
    assert entry["geometry"] == [1280, 960]
    assert (entry["rx"], entry["tx"]) == (12.0, 12.0)
    assert entry["pid"] == 4321
    assert entry["clients"] == 3
    assert entry["total_bytes"] == 2_000_000
    assert entry["frame_shape"] == "1280x960x2"
    assert entry["state"] == "running"
    json.dumps(entry)


def test_heartbeat_of_a_pipeline() -> None:
    entry = heartbeat_entry(pipeline_info())

    assert entry["camera_name"] == "simulation"
    assert entry["simulation"] is False
    assert entry["read_only"] is True
    assert entry["stream_address"] == "tcp://cams.example.org:11100"


def test_heartbeat_of_a_camera_that_is_not_simulated() -> None:
    info = camera_info().model_copy(update={"config": {"source": "SARES20-CAM", "source_type": "epics"}})

    assert heartbeat_entry(info)["simulation"] is False
