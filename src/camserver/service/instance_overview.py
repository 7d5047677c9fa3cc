"""Every instance the backend knows, cameras and pipelines together, with their figures: what the
web page's management view lists (``GET /api/v1/instances``)."""

from __future__ import annotations

from camserver.backends import Backend
from camserver.models.instance import InstanceKind
from camserver.models.reports import InstanceSummary
from camserver.service.instance_report import instance_summary

__all__ = ["instance_overview"]


def instance_overview(backend: Backend) -> list[InstanceSummary]:
    """Running instances and the most recently ended ones (the server's ``instance_history``
    setting bounds how many), with their reason and exit code; cameras first, each kind by id."""
    infos = backend.instances(active_only=False)
    ordered = sorted(infos, key=lambda info: (info.kind is not InstanceKind.CAMERA, info.instance_id))
    return [instance_summary(info) for info in ordered]
