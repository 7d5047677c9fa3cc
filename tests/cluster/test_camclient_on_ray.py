"""psi-camserver-client's CamClient against camserver on the Ray backend: the camera system tests,
run again (the CamClient module's tests, with a server on the three-node test cluster)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from camserver.testing.server import RunningServer
from tests.cluster.conftest import ray_server
from tests.system.conftest import SIMULATION
from tests.system.test_camclient_compat import *  # noqa: F403 (the tests, collected again here)

pytestmark = [pytest.mark.system, pytest.mark.cluster]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, ray_cluster: object) -> Iterator[RunningServer]:
    with ray_server(tmp_path_factory.mktemp("camclient-on-ray"), "camclient") as running:
        cameras = running.services.camera_store
        cameras.set("simulation", {**SIMULATION, "alias": ["sim"], "group": "test"})
        cameras.set("simulation2", {**SIMULATION, "size_x": 200, "size_y": 100, "rotate": 1, "group": "test"})
        running.services.pipeline_store.set("simulation_sp", {"camera_name": "simulation"})
        yield running
