"""psi-camserver-client's ProxyClient against camserver on the Ray backend: every call again, with
the servers being the test cluster's nodes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from camserver.testing.server import RunningServer
from tests.cluster.conftest import ray_server
from tests.system.test_proxyclient_compat import *  # noqa: F403 (the tests, collected again here)
from tests.system.test_proxyclient_compat import populate

pytestmark = [pytest.mark.system, pytest.mark.cluster]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, ray_cluster: object) -> Iterator[RunningServer]:
    with ray_server(tmp_path_factory.mktemp("proxyclient-on-ray"), "proxyclient") as running:
        populate(running)
        yield running


def test_servers_are_the_clusters_nodes(server: RunningServer) -> None:
    assert sorted(ProxyClient(server.url).get_servers_info()) == ["srv1", "srv2", "srv3"]  # noqa: F405
