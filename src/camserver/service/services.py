"""All managers of one server, built from its settings, started and closed together."""

from __future__ import annotations

import logging
import platform
import socket
import time
from pathlib import Path

import psutil

from camserver import __version__
from camserver.backends import Backend, LocalBackend
from camserver.errors import CameraNotFound, InstanceNotFound, PipelineNotFound
from camserver.models.instance import InstanceKind, instance_key
from camserver.models.node import NodeList
from camserver.models.reports import HeartbeatEntry, HostLoad, LogRecord, ServerReport
from camserver.service.backgrounds import BackgroundStore
from camserver.service.cameras import CameraManager
from camserver.service.config_store import FileConfigStore
from camserver.service.demo import install_demo
from camserver.service.instance_report import heartbeat_entry, instance_report
from camserver.service.log_ring import LogRing
from camserver.service.pipelines import PipelineManager
from camserver.service.placer import Placer
from camserver.service.ports import PortAllocator
from camserver.service.proxy import ProxyService
from camserver.service.scripts import ScriptStore
from camserver.service.settings import ServerSettings

__all__ = ["DataLayout", "Services", "make_backend"]

logger = logging.getLogger("camserver.server")

#: the address of the Ray head a server on loopback starts for itself (Linux routes all of 127/8 to lo)
_LOOPBACK_HEAD = "127.0.0.2"


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
        self.camera_servers = self.cameras / "servers.json"
        self.pipeline_servers = self.pipelines / "servers.json"
        #: the stream ports instances had, so they get them back after a restart of the server
        self.camera_ports = root / "camera_ports.json"
        self.pipeline_ports = root / "pipeline_ports.json"


def make_backend(settings: ServerSettings) -> Backend:
    """The backend ``settings`` ask for: the local supervisor, or a Ray cluster (joined at
    ``ray_address``, or a Ray head started in this process)."""
    if settings.backend == "local":
        return LocalBackend(history=settings.instance_history)
    from camserver.backends.ray_backend import RayBackend
    from camserver.backends.ray_options import head_options

    address: str | None = settings.host
    if settings.host in ("0.0.0.0", "::", ""):
        address = None  # Ray's choice: the host's network address
    elif settings.loopback_only and platform.system() == "Linux":
        # Ray replaces 127.0.0.1 by the host's network address, which would open its daemons and the
        # instances' streams to the network; another loopback address keeps all of it on this host
        address = _LOOPBACK_HEAD
    head = head_options(settings.node_name or socket.gethostname(), settings.node_bandwidth, address)
    return RayBackend(address=settings.ray_address, namespace=settings.ray_namespace, head=head)


class Services:
    """The server's managers. ``start`` warms the backend up; ``close`` stops every instance."""

    def __init__(self, settings: ServerSettings, *, backend: Backend | None = None) -> None:
        self.settings = settings
        self.layout = DataLayout(settings.data_dir)
        self.log_ring = LogRing()
        self.backend: Backend = backend or make_backend(settings)
        self.placer = Placer(
            self.backend, {"camera": self.layout.camera_servers, "pipeline": self.layout.pipeline_servers}
        )
        self.camera_store = FileConfigStore(self.layout.cameras, not_found=CameraNotFound, kind="camera")
        self.pipeline_store = FileConfigStore(self.layout.pipelines, not_found=PipelineNotFound, kind="pipeline")
        self.backgrounds = BackgroundStore(self.layout.backgrounds)
        user_scripts = self.layout.user_scripts if settings.allow_user_scripts else None
        # on a cluster a port is checked on every interface of this host (simulated nodes share it)
        probe_host = settings.host if self.backend.name == "local" else ""
        self.camera_ports = PortAllocator(*settings.camera_ports, host=probe_host, memory=self.layout.camera_ports)
        self.pipeline_ports = PortAllocator(
            *settings.pipeline_ports, host=probe_host, memory=self.layout.pipeline_ports
        )
        self.cameras = CameraManager(
            store=self.camera_store,
            backend=self.backend,
            ports=self.camera_ports,
            backgrounds=self.backgrounds,
            settings=settings,
            placer=self.placer,
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
            placer=self.placer,
            user_scripts=user_scripts,
        )
        self.proxies = {
            InstanceKind.CAMERA: ProxyService(self, InstanceKind.CAMERA),
            InstanceKind.PIPELINE: ProxyService(self, InstanceKind.PIPELINE),
        }
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
        logger.info(
            "camserver %s serving data from %s (%s backend)", __version__, self.settings.data_dir, self.backend.name
        )
        self._claim_ports()
        self.cameras.start_permanent(self.layout.permanent_cameras)
        self.pipelines.start_permanent(self.layout.permanent_pipelines, extra={name: name for name in demo})

    def _claim_ports(self) -> None:
        """Hold the ports of instances that run already (a cluster's, found again after a restart
        of the server), so no new instance is given one of them."""
        for info in self.backend.instances():
            port = info.stream_address.rsplit(":", 1)[-1] if info.stream_address else ""
            if port.isdigit():
                ports = self.camera_ports if info.kind is InstanceKind.CAMERA else self.pipeline_ports
                ports.claim(info.key, int(port))

    def close(self) -> None:
        """Stop every instance and the backend (on a cluster joined at an address, the instances
        keep running: a server started again finds them)."""
        self.backend.close(timeout=self.settings.stop_timeout)
        camserver_log = logging.getLogger("camserver")
        camserver_log.removeHandler(self.log_ring)
        camserver_log.setLevel(self._log_level)

    # -- reports ------------------------------------------------------------------------------

    def host_load(self) -> HostLoad:
        """CPU, memory and network rates of this host (rates since the previous call)."""
        counters = psutil.net_io_counters()
        now = time.monotonic()
        tx = rx = None
        if self._net_last is not None:
            elapsed = max(now - self._net_last[0], 1e-6)
            tx = (counters.bytes_sent - self._net_last[1]) / elapsed
            rx = (counters.bytes_recv - self._net_last[2]) / elapsed
        self._net_last = (now, counters.bytes_sent, counters.bytes_recv)
        return HostLoad(cpu=psutil.cpu_percent(None), memory=psutil.virtual_memory().used, tx=tx, rx=rx)

    def node_list(self) -> NodeList:
        """The backend's nodes with their load (``GET /api/v1/nodes``)."""
        return NodeList(backend=self.backend.name, nodes=self.backend.nodes())

    def server_info(self, kind: InstanceKind) -> ServerReport:
        """CamServer's ``/info``: version, active instances of ``kind``, host load."""
        instances = {info.instance_id: instance_report(info) for info in self.backend.instances() if info.kind is kind}
        load = self.host_load()
        return ServerReport(version=__version__, active_instances=instances, **load.model_dump())

    def heartbeat(self, kind: InstanceKind) -> dict[str, HeartbeatEntry]:
        """CamServer's ``/heartbeat`` entries of active instances of ``kind``, by name."""
        entries = {info.instance_id: heartbeat_entry(info) for info in self.backend.instances() if info.kind is kind}
        return dict(sorted(entries.items()))

    def instance_logs(self, name: str) -> list[LogRecord]:
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
        return [LogRecord(*record) for record in sorted(records, key=lambda record: record[0])]
