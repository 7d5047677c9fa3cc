"""A Ray cluster of simulated nodes on this machine, for tests and benchmarks of the ray backend.

Each node is a raylet on a loopback address of its own (``127.0.0.2``, ``127.0.0.3``, ...) named
by the label ``camserver/server`` (``srv1``, ``srv2``, ...) with a network capacity, as
``camserver node`` would start it on a real machine. It needs the ``cluster`` extra. The calling
process becomes the cluster's driver (``ray.init``): a server started in it with the ray backend
(``camserver.testing.running_server(..., backend="ray")``) joins the cluster.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from camserver.backends.ray_options import LABEL_SERVER, RESOURCE_BANDWIDTH

__all__ = ["NODES", "RayTestCluster"]

#: the simulated nodes: server name -> loopback address
NODES = {"srv1": "127.0.0.2", "srv2": "127.0.0.3", "srv3": "127.0.0.4"}
#: a node is declared dead after about 3 missed health checks of 0.5 s (Ray's default: about 15 s)
_FAST_FAILURE = {"health_check_period_ms": 500, "health_check_timeout_ms": 500, "health_check_failure_threshold": 3}


@dataclass
class RayTestCluster:
    """The cluster; worker nodes can be removed (as a crash would) and added back."""

    cluster: Any
    bandwidth: float
    temporary: str
    nodes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(cls, names: tuple[str, ...] = ("srv1", "srv2", "srv3"), *, bandwidth: float = 1000.0) -> RayTestCluster:
        """Start the nodes ``names`` (the first is the head), each with ``bandwidth`` Mbit/s, and
        connect this process. Ray's files go to a folder of their own (``RAY_TMPDIR``)."""
        temporary = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # short: Ray's socket paths have a length limit
        os.environ.update(RAY_TMPDIR=temporary, RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0")
        import ray
        from ray.cluster_utils import Cluster

        head = {**_node_args(names[0], bandwidth), "include_dashboard": False, "_system_config": _FAST_FAILURE}
        cluster = Cluster(initialize_head=True, head_node_args=head)
        started = cls(cluster, bandwidth, temporary, {names[0]: cluster.head_node})
        for name in names[1:]:
            started.add(name)
        ray.init(address=cluster.address, log_to_driver=False, logging_level=logging.WARNING)
        return started

    def add(self, name: str) -> None:
        """Start node ``name`` (again) and wait until the cluster has it."""
        self.nodes[name] = self.cluster.add_node(**_node_args(name, self.bandwidth))
        self.cluster.wait_for_nodes()

    def remove(self, name: str) -> None:
        """Kill node ``name`` as a crash would (no graceful shutdown)."""
        self.cluster.remove_node(self.nodes.pop(name), allow_graceful=False)

    def wait_dead(self, name: str, *, timeout: float = 30.0) -> None:
        """Wait until Ray declared node ``name`` dead."""
        import ray

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            nodes = ray.nodes()  # type: ignore[no-untyped-call]
            if not any(node["NodeManagerAddress"] == NODES[name] and node["Alive"] for node in nodes):
                return
            time.sleep(0.2)  # polling Ray's node table
        raise TimeoutError(f"node {name} still alive after {timeout:g} s")

    def shutdown(self) -> None:
        """Disconnect this process, stop every node, remove Ray's files."""
        import ray

        ray.shutdown()
        self.cluster.shutdown()
        shutil.rmtree(self.temporary, ignore_errors=True)


def _node_args(name: str, bandwidth: float) -> dict[str, Any]:
    return {
        "num_cpus": 0,
        "node_ip_address": NODES[name],
        "labels": {LABEL_SERVER: name},
        "resources": {RESOURCE_BANDWIDTH: bandwidth},
        "object_store_memory": 80 * 1024 * 1024,
    }
