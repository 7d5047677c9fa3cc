"""How a :class:`Placement` reads in Ray: the options of an instance's actor, and the names camserver
gives its node label and resource. Pure: no Ray import.

- a server is a node label: ``camserver/server=<name>`` (``ray start --labels``);
- a node's network capacity is a custom resource: ``camserver_bandwidth`` in Mbit/s
  (``ray start --resources``), which each instance claims from;
- pinned: ``label_selector`` on its server only, so the actor waits for that node;
- not pinned: ``label_selector`` on the chosen server first, and a ``fallback_strategy`` to any
  server of its pool, which Ray takes when the chosen node is full or lost;
- every instance: a detached named actor (the server finds it again by its name after a restart),
  restarted when its process dies (``max_restarts=-1``), claiming no CPU (CPU is not what limits
  cameras and pipelines; a 16-core node would otherwise take only 16).
"""

from __future__ import annotations

from typing import Any

from camserver.backends.placement import Placement

__all__ = ["LABEL_SERVER", "RESOURCE_BANDWIDTH", "actor_options", "head_options"]

#: the node label naming a node's server (CamServer's ``servers.json`` entry)
LABEL_SERVER = "camserver/server"
#: the node resource holding its network capacity, in Mbit/s
RESOURCE_BANDWIDTH = "camserver_bandwidth"
#: concurrent calls an instance's actor answers (info while a stop or a config update waits)
_CONCURRENCY = 8


def _any_of(servers: tuple[str, ...]) -> dict[str, str]:
    return {LABEL_SERVER: f"in({','.join(servers)})"}


def actor_options(key: str, namespace: str, placement: Placement | None) -> dict[str, Any]:
    """The ``.options(...)`` of the actor running the instance ``key``."""
    options: dict[str, Any] = {
        "name": key,
        "namespace": namespace,
        "lifetime": "detached",
        "max_restarts": -1,
        "max_task_retries": 0,
        "num_cpus": 0,
        "max_concurrency": _CONCURRENCY,
    }
    if placement is None:
        return options
    if placement.node is not None:
        options["label_selector"] = {LABEL_SERVER: placement.node}
        if not placement.pinned:
            others = tuple(server for server in placement.pool or () if server != placement.node)
            if placement.pool is None:
                options["fallback_strategy"] = [{"label_selector": {}}]
            elif others:
                options["fallback_strategy"] = [{"label_selector": _any_of(others)}]
    elif placement.pool is not None:
        options["label_selector"] = _any_of(placement.pool)
    if placement.bandwidth > 0:
        options["resources"] = {RESOURCE_BANDWIDTH: round(placement.bandwidth, 3)}
    return options


def head_options(server: str, bandwidth: float, address: str | None) -> dict[str, Any]:
    """``ray.init`` arguments of a Ray head a server starts for itself: one node called ``server``
    with ``bandwidth`` Mbit/s, no dashboard, a small object store (instances send nothing
    through it), bound to ``address`` (None: the host's address)."""
    options: dict[str, Any] = {
        "num_cpus": 0,
        "resources": {RESOURCE_BANDWIDTH: bandwidth},
        "labels": {LABEL_SERVER: server},
        "include_dashboard": False,
        "object_store_memory": 100 * 1024 * 1024,
    }
    if address is not None:
        options["_node_ip_address"] = address
    return options
