"""Instances described under CamServer's keys, for ``/info``, ``/heartbeat`` and ``/api/v1/instances``."""

from __future__ import annotations

from camserver.models.instance import InstanceInfo, InstanceKind, InstanceState
from camserver.models.reports import CamServerStatistics, HeartbeatEntry, InstanceReport, InstanceSummary

__all__ = ["heartbeat_entry", "instance_report", "instance_summary"]


def _camera_name(info: InstanceInfo) -> str | None:
    if info.kind is InstanceKind.CAMERA:
        return info.instance_id
    camera = info.config.get("camera_name")
    return camera if isinstance(camera, str) else None


def instance_report(info: InstanceInfo) -> InstanceReport:
    """CamServer's ``instance_info`` of one instance, plus camserver's own fields."""
    statistics = info.statistics
    shape = statistics.frame_shape
    return InstanceReport(
        stream_address=info.stream_address,
        is_stream_active=info.state is InstanceState.RUNNING,
        last_start_time=info.last_start_time,
        camera_name=_camera_name(info),
        camera_geometry=shape[:2] if shape and info.kind is InstanceKind.CAMERA else None,
        config=info.config,
        statistics=CamServerStatistics.of(statistics),
        instance_id=info.instance_id,
        read_only=info.read_only,
        kind=info.kind,
        state=info.state,
        pid=info.pid,
        exit_code=info.exit_code,
        reason=info.reason,
        restarts=info.restarts,
        permanent=info.permanent,
        node=info.node,
        local_stream=info.local_stream,
        detail=statistics,
    )


def heartbeat_entry(info: InstanceInfo) -> HeartbeatEntry:
    """CamServer's heartbeat entry of one instance: figures as numbers, not formatted text."""
    statistics = info.statistics
    shape = statistics.frame_shape
    formatted = CamServerStatistics.of(statistics)
    return HeartbeatEntry(
        stream_address=info.stream_address,
        camera_name=_camera_name(info),
        simulation=info.config.get("source_type") == "simulation",
        last_start_time=info.last_start_time,
        read_only=info.read_only,
        geometry=shape[:2] if shape else None,
        total_bytes=formatted.total_bytes,
        clients=statistics.clients,
        throughput=statistics.throughput,
        time=formatted.time,
        pid=statistics.pid,
        cpu=statistics.cpu,
        memory=statistics.memory,
        header_changes=statistics.header_changes,
        frame_shape=formatted.frame_shape,
        rx=statistics.rx_rate,
        tx=statistics.tx_rate,
        state=info.state,
        input_drops=statistics.input_drops,
        output_drops=statistics.output_drops,
    )


def instance_summary(info: InstanceInfo) -> InstanceSummary:
    """One instance as the web page's list shows it."""
    return InstanceSummary(
        kind=info.kind,
        instance_id=info.instance_id,
        config_name=info.config_name,
        camera_name=_camera_name(info),
        state=info.state,
        active=info.active,
        stream_address=info.stream_address,
        permanent=info.permanent,
        read_only=info.read_only,
        reason=info.reason,
        exit_code=info.exit_code,
        restarts=info.restarts,
        last_start_time=info.last_start_time,
        end_time=info.end_time,
        node=info.node,
        statistics=info.statistics,
    )
