"""A three-node Ray cluster on this machine for the cluster tests: nodes on the loopback addresses
127.0.0.2-4, named srv1-srv3 (label ``camserver/server``), 1000 Mbit/s of network capacity each."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

#: the simulated nodes: server name -> loopback address
NODES = {"srv1": "127.0.0.2", "srv2": "127.0.0.3", "srv3": "127.0.0.4"}
#: each node's network capacity, Mbit/s
BANDWIDTH = 1000.0
#: a node is declared dead after about 3 missed health checks of 0.5 s
_FAST_FAILURE = {"health_check_period_ms": 500, "health_check_timeout_ms": 500, "health_check_failure_threshold": 3}


def _node_args(name: str) -> dict[str, Any]:
    return {
        "num_cpus": 0,
        "node_ip_address": NODES[name],
        "labels": {"camserver/server": name},
        "resources": {"camserver_bandwidth": BANDWIDTH},
        "object_store_memory": 80 * 1024 * 1024,
    }


@dataclass
class RayTestCluster:
    """The cluster, and removing and adding back its worker nodes (srv2, srv3)."""

    cluster: Any
    nodes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(cls) -> RayTestCluster:
        os.environ.update(RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0")
        import ray
        from ray.cluster_utils import Cluster

        cluster = Cluster(
            initialize_head=True,
            head_node_args={**_node_args("srv1"), "include_dashboard": False, "_system_config": _FAST_FAILURE},
        )
        started = cls(cluster, {"srv1": cluster.head_node})
        for name in ("srv2", "srv3"):
            started.add(name)
        ray.init(address=cluster.address, log_to_driver=False, logging_level=logging.WARNING)
        return started

    def add(self, name: str) -> None:
        """Start node ``name`` (again) and wait until the cluster has it."""
        self.nodes[name] = self.cluster.add_node(**_node_args(name))
        self.cluster.wait_for_nodes()

    def remove(self, name: str) -> None:
        """Kill node ``name`` as a crash would (no graceful shutdown)."""
        self.cluster.remove_node(self.nodes.pop(name), allow_graceful=False)

    def wait_dead(self, name: str, *, timeout: float = 30.0) -> None:
        """Wait until Ray declared the node ``name`` dead."""
        import ray

        deadline = time.monotonic() + timeout
        address = NODES[name]
        while time.monotonic() < deadline:
            alive = [node for node in ray.nodes() if node["NodeManagerAddress"] == address and node["Alive"]]
            if not alive:
                return
            time.sleep(0.2)  # polling Ray's node table
        raise TimeoutError(f"node {name} still alive after {timeout:g} s")

    def shutdown(self) -> None:
        import ray

        ray.shutdown()
        self.cluster.shutdown()
