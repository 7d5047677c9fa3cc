"""All managers of one server, built from its settings, started and closed together."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import psutil

from camserver import __version__
from camserver.backends import Backend, LocalBackend
from camserver.errors import CameraNotFound, InstanceNotFound, PipelineNotFound
from camserver.models.instance import InstanceKind, instance_key
from camserver.service.backgrounds import BackgroundStore
from camserver.service.cameras import CameraManager
from camserver.service.config_store import FileConfigStore
from camserver.service.demo import install_demo
from camserver.service.instance_report import heartbeat_entry, instance_report
from camserver.service.log_ring import LogRing
from camserver.service.pipelines import PipelineManager
from camserver.service.ports import PortAllocator
from camserver.service.scripts import ScriptStore
from camserver.service.settings import ServerSettings

__all__ = ["DataLayout", "Services"]

logger = logging.getLogger("camserver.server")


class DataLayout:
    """Folders of the data directory, named as in a CamServer ``configuration`` folder so one can
    be used as it is."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cameras = root / "camera_config"
        self.pipelines = root / "pipeline_config"
        self.backgrounds = root / "background_config"
        self.user_scripts = root / "user_scripts"
        self.recordings = root / "recordings"
        self.permanent_pipelines = self.pipelines / "permanent_instances.json"
        self.permanent_cameras = self.cameras / "permanent_instances.json"
        #: the stream ports instances had, so they get them back after a restart of the server
        self.camera_ports = root / "camera_ports.json"
        self.pipeline_ports = root / "pipeline_ports.json"


class Services:
    """The server's managers. ``start`` warms the backend up; ``close`` stops every instance."""

    def __init__(self, settings: ServerSettings, *, backend: Backend | None = None) -> None:
        self.settings = settings
        self.layout = DataLayout(settings.data_dir)
        self.log_ring = LogRing()
        self.backend: Backend = backend or LocalBackend(history=settings.instance_history)
        self.camera_store = FileConfigStore(self.layout.cameras, not_found=CameraNotFound, kind="camera")
        self.pipeline_store = FileConfigStore(self.layout.pipelines, not_found=PipelineNotFound, kind="pipeline")
        self.backgrounds = BackgroundStore(self.layout.backgrounds)
        user_scripts = self.layout.user_scripts if settings.allow_user_scripts else None
        self.camera_ports = PortAllocator(*settings.camera_ports, host=settings.host, memory=self.layout.camera_ports)
        self.pipeline_ports = PortAllocator(
            *settings.pipeline_ports, host=settings.host, memory=self.layout.pipeline_ports
        )
        self.cameras = CameraManager(
            store=self.camera_store,
            backend=self.backend,
            ports=self.camera_ports,
            backgrounds=self.backgrounds,
            settings=settings,
            user_scripts=user_scripts,
        )
        self.scripts = ScriptStore(self.layout.user_scripts, allowed=settings.allow_user_scripts)
        self.pipelines = PipelineManager(
            store=self.pipeline_store,
            backend=self.backend,
            ports=self.pipeline_ports,
            cameras=self.cameras,
            backgrounds=self.backgrounds,
            settings=settings,
            recordings=self.layout.recordings,
            user_scripts=user_scripts,
        )
        self.started_at = time.time()
        self._log_level = logging.NOTSET
        self._net_last: tuple[float, int, int] | None = None

    def start(self, *, server_url: str | None = None) -> None:
        """Attach the log ring, warm the backend up (imports and compiled kernels), install the
        demo if asked, start the permanent instances. ``server_url`` is where instances reach the
        REST API (pipelines ask it for their camera's stream after a camera restart)."""
        camserver_log = logging.getLogger("camserver")
        camserver_log.addHandler(self.log_ring)
        self._log_level = camserver_log.level
        if camserver_log.getEffectiveLevel() > logging.getLevelName(self.settings.log_level):
            camserver_log.setLevel(self.settings.log_level)  # the log ring keeps what the setting asks for
        self.pipelines.server_url = server_url
        warm_up = getattr(self.backend, "warm_up", None)
        if callable(warm_up):
            warm_up()
        demo = install_demo(self.camera_store, self.pipeline_store) if self.settings.demo else []
        logger.info("camserver %s serving data from %s", __version__, self.settings.data_dir)
        self.cameras.start_permanent(self.layout.permanent_cameras)
        self.pipelines.start_permanent(self.layout.permanent_pipelines, extra={name: name for name in demo})

    def close(self) -> None:
        """Stop every instance and the backend."""
        self.backend.close(timeout=self.settings.stop_timeout)
        camserver_log = logging.getLogger("camserver")
        camserver_log.removeHandler(self.log_ring)
        camserver_log.setLevel(self._log_level)

    # -- reports ------------------------------------------------------------------------------

    def host_load(self) -> dict[str, Any]:
        """CPU, memory and network rates of this host (rates since the previous call)."""
        counters = psutil.net_io_counters()
        now = time.monotonic()
        tx = rx = None
        if self._net_last is not None:
            elapsed = max(now - self._net_last[0], 1e-6)
            tx = (counters.bytes_sent - self._net_last[1]) / elapsed
            rx = (counters.bytes_recv - self._net_last[2]) / elapsed
        self._net_last = (now, counters.bytes_sent, counters.bytes_recv)
        return {"cpu": psutil.cpu_percent(None), "memory": psutil.virtual_memory().used, "tx": tx, "rx": rx}

    def server_info(self, kind: InstanceKind) -> dict[str, Any]:
        """CamServer's ``/info``: version, active instances of ``kind``, host load."""
        instances = {info.instance_id: instance_report(info) for info in self.backend.instances() if info.kind is kind}
        return {"version": __version__, "active_instances": instances, **self.host_load()}

    def heartbeat(self, kind: InstanceKind) -> dict[str, Any]:
        """CamServer's ``/heartbeat`` entries of active instances of ``kind``, by name."""
        entries = {info.instance_id: heartbeat_entry(info) for info in self.backend.instances() if info.kind is kind}
        return dict(sorted(entries.items()))

    def instance_logs(self, name: str) -> list[list[str]]:
        """Log records of the camera and/or pipeline instance called ``name``."""
        records: list[list[str]] = []
        found = False
        for kind in (InstanceKind.CAMERA, InstanceKind.PIPELINE):
            try:
                records += self.backend.logs(instance_key(kind, name))
                found = True
            except InstanceNotFound:
                continue
        if not found:
            raise InstanceNotFound(f"Instance '{name}' does not exist.")
        return sorted(records, key=lambda record: record[0])
