"""The ``ray start`` line of a camserver node: its server name as a label, its network capacity as
a resource, no CPU for Ray to hand out (instances claim none), no dashboard. Pure: builds the
command, ``camserver node`` runs it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from camserver.backends.ray_options import LABEL_SERVER, RESOURCE_BANDWIDTH

__all__ = ["ray_start_command"]


def ray_start_command(
    *,
    server: str,
    bandwidth: float,
    head: bool = False,
    address: str | None = None,
    port: int = 6379,
    node_ip: str | None = None,
    labels: dict[str, str] | None = None,
    worker_ports: tuple[int, int] | None = None,
    object_store_mb: int = 200,
    block: bool = True,
) -> list[str]:
    """``ray start`` for a head (``head``, listening on ``port``) or a worker joining ``address``."""
    executable = Path(sys.executable).with_name("ray")
    command = [str(executable) if executable.exists() else "ray", "start"]
    if head:
        command += ["--head", f"--port={port}", "--include-dashboard=false"]
    else:
        if not address:
            raise ValueError("a worker node joins a head: give its address (host:port)")
        command += [f"--address={address}"]
    all_labels = {LABEL_SERVER: server, **(labels or {})}
    command += [
        "--num-cpus=0",
        f"--resources={json.dumps({RESOURCE_BANDWIDTH: bandwidth})}",
        "--labels=" + ",".join(f"{key}={value}" for key, value in all_labels.items()),
        f"--object-store-memory={object_store_mb * 1024 * 1024}",
    ]
    if node_ip:
        command.append(f"--node-ip-address={node_ip}")
    if worker_ports:
        command += [f"--min-worker-port={worker_ports[0]}", f"--max-worker-port={worker_ports[1]}"]
    if block:
        command.append("--block")
    return command
