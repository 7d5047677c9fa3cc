"""Instances described under CamServer's keys, for ``/info`` and ``/heartbeat``."""

from __future__ import annotations

from typing import Any

from camserver.models.instance import InstanceInfo, InstanceKind, InstanceState

__all__ = ["heartbeat_entry", "instance_report"]


def instance_report(info: InstanceInfo) -> dict[str, Any]:
    """CamServer's ``instance_info`` of one instance, plus camserver's own fields."""
    statistics = info.statistics
    report: dict[str, Any] = {
        "stream_address": info.stream_address,
        "is_stream_active": info.state is InstanceState.RUNNING,
        "last_start_time": info.last_start_time,
        "statistics": statistics.camserver_format(),
        "config": info.config,
        # camserver's additions
        "state": info.state.value,
        "pid": info.pid,
        "exit_code": info.exit_code,
        "reason": info.reason,
        "restarts": info.restarts,
        "permanent": info.permanent,
        "node": info.node,
        "local_stream": info.local_stream,
        "detail": statistics.model_dump(mode="json"),
    }
    if info.kind is InstanceKind.CAMERA:
        shape = statistics.frame_shape
        report["camera_name"] = info.instance_id
        report["camera_geometry"] = shape[:2] if shape else None
    else:
        report["camera_name"] = info.config.get("camera_name")
        report["instance_id"] = info.instance_id
        report["read_only"] = info.read_only
    return report


def heartbeat_entry(info: InstanceInfo) -> dict[str, Any]:
    """CamServer's heartbeat entry of one instance: figures as numbers, not formatted text."""
    statistics = info.statistics
    shape = statistics.frame_shape
    formatted = statistics.camserver_format()
    return {
        "stream_address": info.stream_address,
        "camera_name": info.instance_id if info.kind is InstanceKind.CAMERA else info.config.get("camera_name"),
        "simulation": info.config.get("source_type") == "simulation",
        "last_start_time": info.last_start_time,
        "read_only": info.read_only,
        "geometry": shape[:2] if shape else None,
        "total_bytes": formatted["total_bytes"],
        "clients": statistics.clients,
        "throughput": statistics.throughput,
        "time": formatted["time"],
        "pid": statistics.pid,
        "cpu": statistics.cpu,
        "memory": statistics.memory,
        "header_changes": statistics.header_changes,
        "frame_shape": formatted["frame_shape"],
        "rx": statistics.rx_rate,
        "tx": statistics.tx_rate,
        "state": info.state.value,
        "input_drops": statistics.input_drops,
        "output_drops": statistics.output_drops,
    }
