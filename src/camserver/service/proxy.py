"""What CamServer's proxy routes (``/api/v1/proxy/...``) do, for the cameras or the pipelines.

CamServer's proxy stands in front of a pool of worker servers; camserver's "servers" are the nodes
instances run on: the one host on the local backend (``local``), each node of a Ray cluster (by
its server name) on the ray backend, and the servers ``servers.json`` names that no node serves
now (reported as CamServer reports a worker it cannot reach: no status, load 1000).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from camserver import __version__
from camserver.errors import InstanceNotFound, NotFound
from camserver.models.camera import CameraConfig
from camserver.models.instance import InstanceInfo, InstanceKind
from camserver.models.node import NodeInfo
from camserver.models.pipeline import PipelineConfig
from camserver.models.reports import (
    ActiveDiag,
    CameraDiag,
    Databuffer,
    IdleDiag,
    InstanceReport,
    LogRecord,
    ProxyInfo,
    ProxyInstanceReport,
    ProxyServerReport,
)
from camserver.service.info_path import navigate
from camserver.service.instance_report import instance_report
from camserver.service.log_ring import LogRing

if TYPE_CHECKING:
    from camserver.service.services import Services

__all__ = ["UNREACHABLE_LOAD", "ProxyService"]

#: CamServer's load of a server it cannot reach
UNREACHABLE_LOAD = 1000


def _compact(key: str) -> str:
    """CamServer's compact server name: its URL without ``http``, ``/`` and ``:``."""
    return key.replace("http", "").replace("/", "").replace(":", "")


class ProxyService:
    """The proxy routes of one kind (``camera`` or ``pipeline``)."""

    def __init__(self, services: Services, kind: InstanceKind) -> None:
        self.services = services
        self.kind = kind
        self.noun = kind.value

    @property
    def _manager(self) -> Any:
        return self.services.cameras if self.kind is InstanceKind.CAMERA else self.services.pipelines

    @property
    def _permanent_file(self) -> Any:
        layout = self.services.layout
        return layout.permanent_cameras if self.kind is InstanceKind.CAMERA else layout.permanent_pipelines

    # -- servers ------------------------------------------------------------------------------

    def _instances(self) -> list[InstanceInfo]:
        return [info for info in self.services.backend.instances() if info.kind is self.kind]

    def servers(self) -> list[tuple[str, NodeInfo | None]]:
        """``(server name, node)`` of every server, in ``servers.json``'s order first; ``node`` is
        None (or not alive) for a server that is not in the cluster now."""
        nodes = self.services.backend.nodes()
        if not self.services.placer.clustered:
            return [(node.name, node) for node in nodes]
        alive = {node.name: node for node in nodes if node.alive}
        lost = {node.name: node for node in nodes if not node.alive}
        found: list[tuple[str, NodeInfo | None]] = []
        for server in self.services.placer.pool(self.noun).enabled:
            found.append((server.name, alive.get(server.name) or lost.get(server.name)))
        listed = {name for name, _ in found}
        found += [(node.name, node) for node in nodes if node.name not in listed]
        return found

    def resolve_server(self, index_or_name: str) -> tuple[str, NodeInfo | None]:
        """A server by its index in :meth:`servers`, its name, its ``servers.json`` key or
        CamServer's compact form of that key (``localhost8881``)."""
        servers = self.servers()
        pool = self.services.placer.pool(self.noun)
        for name, node in servers:
            rules = pool.named(name)
            keys = {name, *((rules.key, _compact(rules.key)) if rules else ())}
            if index_or_name in keys:
                return name, node
        if index_or_name.isdigit() and int(index_or_name) < len(servers):
            return servers[int(index_or_name)]
        known = ", ".join(name for name, _ in servers)
        raise NotFound(f"Server '{index_or_name}' does not exist (servers: {known}).")

    def _host_figures(self, node: NodeInfo | None) -> dict[str, Any]:
        if node is None or not node.alive:
            return {"version": None, "cpu": None, "memory": None, "tx": None, "rx": None}
        if not self.services.placer.clustered:  # this host: what psutil measures
            return {"version": __version__, **self.services.host_load().model_dump()}
        return {"version": __version__, "cpu": node.cpu, "memory": node.memory, "tx": None, "rx": None}

    def status(self) -> dict[str, dict[str, InstanceReport] | None]:
        """CamServer's ``/proxy/status``: ``{server: {instance: report} or None}``."""
        instances = self._instances()
        status: dict[str, dict[str, InstanceReport] | None] = {}
        for name, node in self.servers():
            if node is None or not node.alive:
                status[name] = None
                continue
            status[name] = {info.instance_id: instance_report(info) for info in instances if info.node == name}
        return status

    def info(self) -> ProxyInfo:
        """CamServer's manager ``/info``: every active instance (with its ``host``: its server) and
        every server with its instances, load and figures."""
        instances = self._instances()
        active = {
            info.instance_id: ProxyInstanceReport(**dict(instance_report(info)), host=info.node) for info in instances
        }
        servers: dict[str, ProxyServerReport] = {}
        for name, node in self.servers():
            here = sorted(info.instance_id for info in instances if info.node == name)
            reachable = node is not None and node.alive
            servers[name] = ProxyServerReport(
                instances=here, load=len(here) if reachable else UNREACHABLE_LOAD, **self._host_figures(node)
            )
        return ProxyInfo(active_instances=active, servers=servers)

    def nested_info(self, path: str) -> Any:
        """The part of :meth:`info` a CamServer nested path names (``active_instances/_keys``)."""
        return navigate(self.info().model_dump(mode="json"), path)

    def stop_server(self, index_or_name: str) -> str:
        """Stop every instance of this kind on one server; the server's name."""
        name, _ = self.resolve_server(index_or_name)
        for info in self._instances():
            if info.node == name:
                self._manager.stop(info.instance_id)
        return name

    def server_logs(self, index_or_name: str) -> list[LogRecord]:
        """The log records of this kind's instances on one server, in time order."""
        name, _ = self.resolve_server(index_or_name)
        records: list[list[str]] = []
        for info in self._instances():
            if info.node == name:
                records += self.services.backend.logs(info.key)
        return [LogRecord(*record) for record in sorted(records, key=lambda record: record[0])]

    def instance_logs(self, index_or_name: str, instance: str) -> list[LogRecord]:
        """An instance's log records, if it is on that server."""
        name, _ = self.resolve_server(index_or_name)
        info = self._manager.instance(instance) if self.kind is InstanceKind.CAMERA else self._manager.info(instance)
        if info.node != name:
            raise InstanceNotFound(f"Instance '{instance}' is not on server '{name}' (it is on '{info.node}').")
        return [LogRecord(*record) for record in self.services.backend.logs(info.key)]

    @staticmethod
    def as_text(records: list[LogRecord]) -> str:
        """Log records as CamServer's ``/txt`` routes write them."""
        return LogRing.as_text(records)

    # -- instances ----------------------------------------------------------------------------

    def stop(self, instance: str, *, delete: bool = False) -> None:
        """Stop (and forget) an instance of this kind."""
        if delete:
            self._manager.delete(instance)
        else:
            self._manager.stop(instance)

    def diag(self, name: str) -> ActiveDiag | IdleDiag | CameraDiag:
        """CamServer's diagnostics of an instance (``camera:<name>``: of a camera's pipelines)."""
        if self.kind is InstanceKind.PIPELINE and name.startswith("camera:"):
            return self._camera_diag(name.removeprefix("camera:"))
        return self._instance_diag(name)

    def nested_diag(self, name: str, path: str) -> Any:
        """The part of :meth:`diag` a CamServer nested path names."""
        return navigate(self.diag(name).model_dump(mode="json"), path)

    def _instance_diag(self, name: str) -> ActiveDiag | IdleDiag:
        permanent = self._is_permanent(name)
        info = next((info for info in self._instances() if info.instance_id == name), None)
        if info is None:
            return IdleDiag(permanent=permanent, status="inactive" if name in self._manager.names() else "invalid")
        statistics = info.statistics
        shape = statistics.frame_shape
        mode = PipelineConfig.load(info.config).effective_mode if self.kind is InstanceKind.PIPELINE else "PUB"
        return ActiveDiag(
            permanent=permanent,
            status="active",
            clients=statistics.clients,
            forwards=None,
            rx=f"{statistics.rx_rate:1.2f}",
            tx=f"{statistics.tx_rate:1.2f}",
            cpu=statistics.cpu,
            memory=statistics.memory,
            header_changes=statistics.header_changes,
            frame_shape=f"{shape[0]}x{shape[1]}x{shape[2]}" if shape else None,
            node=info.node,
            mode=mode,
            databuffer=self._databuffer(permanent, mode, statistics.clients),
        )

    def _databuffer(self, permanent: bool, mode: str, clients: int) -> Databuffer:
        """Whether DataBuffer reads a running instance: a permanent pipeline pushing to more than
        CamServer's four readers of its own. A camera is read through a forwarder, whose readers
        camserver does not count apart (CamServer's ``forwards``): never known here."""
        if not permanent or self.kind is InstanceKind.CAMERA or mode != "PUSH":
            return "invalid"
        return "active" if clients > 4 else "inactive"

    def _camera_diag(self, camera: str) -> CameraDiag:
        pipelines = {
            info.instance_id: self._instance_diag(info.instance_id)
            for info in self._instances()
            if info.config.get("camera_name") == camera
        }
        read = {diag.databuffer for diag in pipelines.values()} - {"invalid"}  # of those DataBuffer should read
        databuffer: Literal["invalid", "inactive", "active", "all_active"] = "invalid"
        if read == {"active"}:
            databuffer = "all_active"
        elif read:
            databuffer = "inactive" if read == {"inactive"} else "active"
        return CameraDiag(pipelines=pipelines, databuffer=databuffer)

    # -- configs ------------------------------------------------------------------------------

    def servers_config(self) -> dict[str, Any]:
        """This kind's ``servers.json``."""
        return self.services.placer.config(self.noun)

    def set_servers_config(self, data: Any) -> dict[str, Any]:
        """Replace this kind's ``servers.json``; placements from now on follow it."""
        return self.services.placer.set_config(self.noun, data)

    def _is_permanent(self, name: str) -> bool:
        return name in self.permanent()

    def permanent(self) -> dict[str, str]:
        """The permanent instances file: ``{instance: config}`` (``#`` entries switched off)."""
        path = self._permanent_file
        if not path.is_file():
            return {}
        data = json.loads(path.read_bytes())
        return {str(key): str(value) for key, value in data.items()} if isinstance(data, dict) else {}

    def set_permanent(self, entries: Any) -> dict[str, str]:
        """Replace the permanent instances, stopping and starting instances to match."""
        result: dict[str, str] = self._manager.set_permanent(self._permanent_file, entries)
        return result

    def config_names(self) -> list[str]:
        """Names of this kind's configs."""
        names: list[str] = self._manager.names()
        return names

    def named_config_text(self, name: str) -> str:
        """A named config as its file's JSON text (CamServer's proxy hands it out as text)."""
        store = self.services.camera_store if self.kind is InstanceKind.CAMERA else self.services.pipeline_store
        return json.dumps(store.get(name), indent=4)

    def set_named_config(self, name: str, data: Any) -> dict[str, Any]:
        """Validate and save a named config (CamServer saved it unchecked)."""
        if self.kind is InstanceKind.CAMERA:
            config: CameraConfig | PipelineConfig = self.services.cameras.set_config(name, data)
        else:
            config = self.services.pipelines.set_config(name, data)
        return config.to_dict(expanded=False)

    def delete_named_config(self, name: str) -> None:
        """Delete a named config."""
        self._manager.delete_config(name)
