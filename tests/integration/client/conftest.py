"""One server for the module's client tests; each test gets a sync or an async client of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from camserver.client import Client
from camserver.testing.server import RunningServer
from tests.integration.client.served import BlockingAsyncClient, serving, stop_everything


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A real server (user scripts allowed) with the camera ``sim`` and the pipeline ``sim_sp``."""
    with serving(tmp_path_factory.mktemp("data"), allow_user_scripts=True) as server:
        yield server


@pytest.fixture(params=["sync", "async"])
def client(request: pytest.FixtureRequest, served: RunningServer) -> Iterator[Any]:
    """A :class:`Client`, or an :class:`AsyncClient` driven to completion; instances are stopped
    after the test."""
    twin: Any = Client(served.url) if request.param == "sync" else BlockingAsyncClient(served.url)
    try:
        yield twin
    finally:
        twin.close()
        stop_everything(served)
