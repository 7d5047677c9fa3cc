"""Fixtures of the system tests: a real server with simulated cameras, on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from camserver.testing.server import RunningServer, running_server
from tests.conftest import check_no_leaks

SIMULATION = {"source": "", "source_type": "simulation", "size_x": 320, "size_y": 240, "frame_rate": 50}


@pytest.fixture(scope="module", autouse=True)
def no_leaked_processes() -> Iterator[None]:
    """System tests share a server per module: its instances may outlive one test, not the module."""
    yield from check_no_leaks()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server whose data folder holds CamServer's example configs and two simulated cameras."""
    data = tmp_path_factory.mktemp("camserver-data")
    with running_server(data) as running:
        cameras = running.services.camera_store
        cameras.set("simulation", {**SIMULATION, "alias": ["sim"], "group": "test"})
        cameras.set("simulation2", {**SIMULATION, "size_x": 200, "size_y": 100, "rotate": 1, "group": "test"})
        running.services.pipeline_store.set("simulation_sp", {"camera_name": "simulation"})
        yield running


@pytest.fixture
def data_root(server: RunningServer) -> Path:
    return server.settings.data_dir
