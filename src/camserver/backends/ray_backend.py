"""The Ray backend: every instance is a detached named actor on a node of a Ray cluster.

The server is a plain Ray driver. It names each actor by the instance's key (``camera/<id>``,
``pipeline/<id>``) in its namespace, so a restarted server finds the running instances again by
name; stopping the server leaves them running. Ray places each actor by the options its
:class:`Placement` reads as (``ray_options``), accounts for the nodes' network capacity, restarts
an actor whose process died, and moves an unpinned one to another node when its node is lost.

One thread polls every actor once a second for its state, figures and node, so listing instances
never waits on the cluster; it also reaps instances that ended by themselves (their actor is
killed, what they reported is kept until the server forgets them).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayError

from camserver.backends.placement import Placement
from camserver.backends.ray_instance import InstanceActor
from camserver.backends.ray_options import LABEL_SERVER, RESOURCE_BANDWIDTH, actor_options
from camserver.errors import ConfigError, Conflict, InstanceNotFound
from camserver.models.instance import InstanceInfo, InstanceKind, InstanceSpec, InstanceState
from camserver.models.node import NodeInfo

__all__ = ["RayBackend"]

logger = logging.getLogger("camserver.backend")

_CALL_TIMEOUT = 5.0  #: seconds a call to an actor may take beyond its own wait
_ACTIVE = (InstanceState.STARTING, InstanceState.RUNNING, InstanceState.RESTARTING)


@dataclass
class _Record:
    """What the server knows of one instance's actor."""

    info: InstanceInfo
    handle: Any | None  #: the actor; None once reaped
    bandwidth: float = 0.0
    node_id: str | None = None
    reads_local: bool = True
    host: dict[str, Any] = field(default_factory=dict)
    logs: list[list[str]] = field(default_factory=list)  #: kept when reaped
    pid: int | None = None
    restarts: int = 0


def _waiting(spec: InstanceSpec, reason: str) -> InstanceInfo:
    return InstanceInfo(
        instance_id=spec.instance_id,
        kind=spec.kind,
        config_name=spec.config_name,
        state=InstanceState.STARTING,
        reason=reason,
        permanent=spec.permanent,
        read_only=spec.read_only,
        config=spec.config,
        node="",
    )


class RayBackend:
    """Starts, stops and watches instance actors on a Ray cluster."""

    name = "ray"

    def __init__(
        self,
        *,
        address: str | None = None,
        namespace: str = "camserver",
        head: dict[str, Any] | None = None,
        log_size: int = 1000,
        poll_interval: float = 1.0,
    ) -> None:
        """Join the cluster at ``address`` (``host:port`` of its head); without one, start a Ray head
        in this process with the ``ray.init`` arguments ``head`` (it ends with the server). A process
        already connected to Ray (a test's cluster) is used as it is."""
        self.namespace = namespace
        self._log_size = log_size
        self._poll_interval = poll_interval
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            common: dict[str, Any] = {"namespace": namespace, "log_to_driver": False, "logging_level": logging.WARNING}
            # "local": a new head, never a cluster named by RAY_ADDRESS or a stale file of Ray's
            ray.init(address=address or "local", **common, **({} if address else head or {}))
        self._remote: Any = ray.remote(InstanceActor)
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._refresh()
        self._thread = threading.Thread(target=self._poll, name="camserver-ray-backend", daemon=True)
        self._thread.start()

    # -- the Backend interface ---------------------------------------------------------------

    def start(self, spec: InstanceSpec, *, timeout: float = 30.0, placement: Placement | None = None) -> InstanceInfo:
        key = spec.key
        self._clear(key)
        bandwidth = placement.bandwidth if placement is not None else 0.0
        options = actor_options(key, self.namespace, placement)
        handle: Any = self._remote.options(**options).remote(spec.model_dump_json(), bandwidth, self._log_size)
        waiting = placement is not None and placement.pinned and spec.permanent and not self._has_node(placement.node)
        record = _Record(_waiting(spec, placement.reason if placement else "starting"), handle, bandwidth)
        with self._lock:
            self._records[key] = record
        if waiting:
            logger.warning("%s waits for its node: %s", key, record.info.reason)
            return record.info
        try:
            self._update(record, ray.get(handle.wait_started.remote(timeout), timeout=timeout + _CALL_TIMEOUT))
        except GetTimeoutError:
            where = f" ({placement.reason}, {bandwidth:.0f} Mbit/s)" if placement else ""
            self._fail(record, f"not started within {timeout:g} s: no node took it in time{where}")
        except RayError as error:
            self._fail(record, f"its actor failed: {error}")
        if record.info.state is InstanceState.STARTING:  # the actor runs, its instance did not start in time
            self._fail(record, f"did not start within {timeout:g} s")
        if record.info.state is InstanceState.FAILED:
            self._reap(record)
        return record.info

    def stop(self, key: str, *, timeout: float = 10.0) -> InstanceInfo:
        record = self._get(key)
        handle = record.handle
        if handle is not None and record.node_id is None:  # never placed (waiting for its node): nothing to stop
            self._reap(record)
        elif handle is not None:
            try:
                handle.stop.remote()
                self._update(record, ray.get(handle.wait_ended.remote(timeout), timeout=timeout + _CALL_TIMEOUT))
            except RayError as error:
                logger.warning("%s did not answer its stop (%s): killing its actor", key, error)
            self._reap(record)
        if record.info.state in _ACTIVE or record.info.state is InstanceState.STOPPING:
            record.info = record.info.model_copy(update={"state": InstanceState.STOPPED})
        return record.info

    def update_config(
        self, key: str, config: dict[str, Any], resources: dict[str, Any] | None = None, *, timeout: float = 5.0
    ) -> None:
        record = self._get(key)
        if record.handle is None or not record.info.active:
            raise InstanceNotFound(f"Instance '{record.info.instance_id}' is not running.")
        try:
            error = ray.get(
                record.handle.update_config.remote(config, dict(resources or {}), timeout),
                timeout=timeout + _CALL_TIMEOUT,
            )
        except RayError as failure:
            raise InstanceNotFound(f"Instance '{record.info.instance_id}' cannot be reached: {failure}") from None
        if error is not None:
            raise ConfigError(f"the instance refused the config: {error}")
        record.info = record.info.model_copy(update={"config": config})

    def info(self, key: str) -> InstanceInfo:
        return self._get(key).info

    def instances(self, *, active_only: bool = True) -> list[InstanceInfo]:
        with self._lock:
            records = list(self._records.values())
        return [record.info for record in records if not active_only or record.info.active]

    def logs(self, key: str) -> list[list[str]]:
        record = self._get(key)
        if record.handle is not None:
            with contextlib.suppress(RayError):
                record.logs = ray.get(record.handle.log_records.remote(), timeout=_CALL_TIMEOUT)
        return list(record.logs)

    def forget(self, key: str) -> None:
        with self._lock:
            record = self._records.get(key)
            if record is not None and record.handle is None:
                del self._records[key]

    def nodes(self) -> list[NodeInfo]:
        with self._lock:
            records = [record for record in self._records.values() if record.info.state in _ACTIVE]
        found = []
        for node in ray.nodes():  # type: ignore[no-untyped-call]
            labels = {str(k): str(v) for k, v in (node.get("Labels") or {}).items() if not str(k).startswith("ray.io/")}
            node_id = node.get("NodeID")
            address = str(node.get("NodeManagerAddress", ""))
            name = labels.get(LABEL_SERVER) or address
            here = [record for record in records if record.node_id == node_id]
            capacity = (node.get("Resources") or {}).get(RESOURCE_BANDWIDTH)
            host = next((record.host for record in here if record.host), {})
            found.append(
                NodeInfo(
                    name=name,
                    address=address,
                    alive=bool(node.get("Alive")),
                    node_id=node_id,
                    labels=labels,
                    bandwidth=float(capacity) if capacity is not None else 0.0,
                    bandwidth_used=sum(record.bandwidth for record in here),
                    instances=len(here),
                    cameras=sorted(r.info.instance_id for r in here if r.info.kind is InstanceKind.CAMERA),
                    pipelines=sorted(r.info.instance_id for r in here if r.info.kind is InstanceKind.PIPELINE),
                    cpu=host.get("cpu"),
                    memory=host.get("memory"),
                )
            )
        alive = {node.name for node in found if node.alive}  # a node that rejoined is listed twice by Ray
        return sorted(
            (node for node in found if node.alive or node.name not in alive), key=lambda node: (node.name, node.address)
        )

    def details(self, key: str) -> dict[str, Any]:
        """What the backend knows beyond :class:`InstanceInfo`: node id, claimed bandwidth, whether
        the instance reads its input's local stream, its stream port."""
        record = self._get(key)
        return {"node_id": record.node_id, "bandwidth": record.bandwidth, "reads_local": record.reads_local}

    def close(self, *, timeout: float = 10.0) -> None:
        """Stop watching; the instances keep running (a server started again finds them), unless this
        server started its own Ray head: then they end with it."""
        self._closing.set()
        self._thread.join(timeout=5.0)
        if self._owns_ray:
            ray.shutdown()

    def stop_all(self, *, timeout: float = 10.0) -> None:
        """Stop every instance of this server's namespace."""
        for info in self.instances(active_only=False):
            with contextlib.suppress(InstanceNotFound):
                self.stop(info.key, timeout=timeout)

    # -- internals ----------------------------------------------------------------------------

    def _get(self, key: str) -> _Record:
        with self._lock:
            record = self._records.get(key)
        if record is None:
            record = self._adopt(key)
        if record is None:
            raise InstanceNotFound(f"Instance '{key.split('/', 1)[-1]}' does not exist.")
        return record

    def _adopt(self, key: str) -> _Record | None:
        """The record of an actor of that name this server did not know of (started by an earlier
        server, or by another one)."""
        try:
            handle: Any = ray.get_actor(key, namespace=self.namespace)
        except ValueError:
            return None
        try:
            reported: dict[str, Any] = ray.get(handle.info.remote(), timeout=_CALL_TIMEOUT)
        except RayError as error:
            logger.warning("instance actor %s does not answer: %s", key, error)
            return None
        info = InstanceInfo.model_validate_json(reported["info"])
        record = _Record(info, handle)
        self._update(record, reported)
        with self._lock:
            return self._records.setdefault(key, record)

    def _exists(self, key: str) -> bool:
        try:
            ray.get_actor(key, namespace=self.namespace)
        except ValueError:
            return False
        return True

    def _has_node(self, name: str | None) -> bool:
        return any(node.name == name and node.alive for node in self.nodes())

    def _clear(self, key: str) -> None:
        """Make way for a new instance ``key``: refuse while one runs, reap an ended one."""
        record = self._get_or_none(key)
        if record is None:
            return
        if record.info.state in _ACTIVE and record.handle is not None:
            raise Conflict(f"Instance '{record.info.instance_id}' is already running.")
        self._reap(record)

    def _get_or_none(self, key: str) -> _Record | None:
        try:
            return self._get(key)
        except InstanceNotFound:
            return None

    def _update(self, record: _Record, reported: dict[str, Any]) -> None:
        info = InstanceInfo.model_validate_json(reported["info"])
        if record.pid is not None and info.pid != record.pid:
            record.restarts += 1  # Ray started the actor again (its process died, or its node)
        record.pid = info.pid
        record.node_id = reported.get("node_id")
        record.bandwidth = float(reported.get("bandwidth") or 0.0)
        record.reads_local = bool(reported.get("reads_local", True))
        record.host = dict(reported.get("host") or {})
        record.info = info.model_copy(update={"restarts": record.restarts})

    def _fail(self, record: _Record, reason: str) -> None:
        record.info = record.info.model_copy(update={"state": InstanceState.FAILED, "reason": reason})

    def _reap(self, record: _Record) -> None:
        """Kill an instance's actor (keeping what it reported)."""
        handle, record.handle = record.handle, None
        if handle is None:
            return
        with contextlib.suppress(RayError):
            record.logs = ray.get(handle.log_records.remote(), timeout=1.0)
        with contextlib.suppress(RayError, ValueError):
            ray.kill(handle, no_restart=True)

    def _poll(self) -> None:
        while not self._closing.wait(self._poll_interval):
            try:
                self._refresh()
            except Exception:  # the watcher must outlive a bad moment of the cluster
                logger.exception("polling the instance actors failed")

    def _refresh(self) -> None:
        """Find actors of this namespace, ask each for its state, reap the ended ones."""
        for entry in ray.util.list_named_actors(all_namespaces=True):
            if entry.get("namespace") == self.namespace:
                name = str(entry.get("name"))
                with self._lock:
                    known = name in self._records
                if not known and not self._closing.is_set():
                    self._adopt(name)
        with self._lock:
            handles = [(record, record.handle) for record in self._records.values() if record.handle is not None]
        calls = {handle.info.remote(): record for record, handle in handles}
        ready, _ = ray.wait(list(calls), num_returns=len(calls), timeout=2.0) if calls else ([], [])
        for ref, record in calls.items():
            if ref not in ready:
                if record.info.state is InstanceState.RUNNING:  # restarting, or its node is lost
                    record.info = record.info.model_copy(update={"state": InstanceState.RESTARTING})
                continue
            try:
                self._update(record, ray.get(ref))
            except RayActorError as error:
                if self._exists(record.info.key):  # it died and Ray starts it again
                    record.info = record.info.model_copy(update={"state": InstanceState.RESTARTING})
                else:
                    self._fail(record, f"its actor is gone: {error}")
                    record.handle = None
                continue
            except RayError:
                continue
            if record.info.state in (InstanceState.STOPPED, InstanceState.FAILED) and not record.info.permanent:
                self._reap(record)
