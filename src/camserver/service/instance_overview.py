"""Every instance the backend knows, cameras and pipelines together, with their figures: what the
web page's management view lists (``GET /api/v1/instances``)."""

from __future__ import annotations

from typing import Any

from camserver.backends import Backend
from camserver.models.instance import InstanceInfo, InstanceKind

__all__ = ["instance_overview"]


def _entry(info: InstanceInfo) -> dict[str, Any]:
    camera = info.instance_id if info.kind is InstanceKind.CAMERA else info.config.get("camera_name")
    return {
        "kind": info.kind.value,
        "instance_id": info.instance_id,
        "config_name": info.config_name,
        "camera_name": camera,
        "state": info.state.value,
        "active": info.active,
        "stream_address": info.stream_address,
        "permanent": info.permanent,
        "read_only": info.read_only,
        "reason": info.reason,
        "exit_code": info.exit_code,
        "restarts": info.restarts,
        "last_start_time": info.last_start_time,
        "end_time": info.end_time,
        "node": info.node,
        "statistics": info.statistics.model_dump(mode="json"),
    }


def instance_overview(backend: Backend) -> list[dict[str, Any]]:
    """Running instances and the most recently ended ones (the server's ``instance_history``
    setting bounds how many), with their reason and exit code; cameras first, each kind by id."""
    infos = backend.instances(active_only=False)
    ordered = sorted(infos, key=lambda info: (info.kind is not InstanceKind.CAMERA, info.instance_id))
    return [_entry(info) for info in ordered]
