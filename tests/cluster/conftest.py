"""Fixtures of the cluster tests: one three-node Ray cluster for all of them, and servers on it.

Every module here is marked ``cluster``: ``pytest -m "not cluster"`` leaves them out. They share
one cluster (10-30 s to start on two cores); each module gets servers of its own namespace.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from camserver.testing.ray_cluster import RayTestCluster
from camserver.testing.server import RunningServer, running_server

pytest.importorskip("ray")


def _actor_processes() -> set[int]:
    """Processes of instance actors under this test process (Ray names them ``ray::InstanceActor``)."""
    found = set()
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "ray::InstanceActor" in " ".join(child.cmdline()):
                found.add(child.pid)
    return found


@pytest.fixture(scope="package")
def ray_cluster() -> Iterator[RayTestCluster]:
    """Nodes srv1-srv3 on 127.0.0.2-4, 1000 Mbit/s each; stopped after the last cluster test (its
    gigabyte of memory is not kept for the rest of the run)."""
    cluster = RayTestCluster.start()
    try:
        yield cluster
    finally:
        cluster.shutdown()


@pytest.fixture(scope="module", autouse=True)
def no_leaked_processes(ray_cluster: RayTestCluster) -> Iterator[None]:
    """A module of cluster tests stops every instance it started: no instance actor outlives it
    (Ray's own processes are the cluster's, not the module's)."""
    before = _actor_processes()
    yield
    deadline = time.monotonic() + 15.0
    leaked = _actor_processes() - before
    while leaked and time.monotonic() < deadline:
        time.sleep(0.1)  # polling the process table while Ray ends killed actors
        leaked = _actor_processes() - before
    if leaked:
        pytest.fail(f"instance actors left running: {sorted(leaked)}")


@contextlib.contextmanager
def ray_server(data_dir: Path, namespace: str, **settings: Any) -> Iterator[RunningServer]:
    """A server on the test cluster; its instances are stopped when the block ends (a server on
    Ray leaves them running when it closes)."""
    with running_server(data_dir, backend="ray", ray_namespace=namespace, pipeline_port=0, **settings) as running:
        try:
            yield running
        finally:
            running.services.backend.stop_all()  # type: ignore[attr-defined]
