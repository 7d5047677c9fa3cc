"""A real server for the viewer's websocket tests, and a small websocket client for them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from camserver.testing.server import RunningServer, running_server
from tests.waiting import wait_until

#: a small simulated camera at 50 Hz, and the standard metrics on it
CAMERA = {"source": "", "source_type": "simulation", "size_x": 128, "size_y": 96, "frame_rate": 50, "alias": ["simcam"]}
PIPELINE = {"camera_name": "sim", "image_good_region": {"threshold": 0.3, "gfscale": 1.8}}
DEADLINE = 30.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data = tmp_path_factory.mktemp("viewer-data")
    for folder, name, config in (("camera_config", "sim", CAMERA), ("pipeline_config", "sim_sp", PIPELINE)):
        (data / folder).mkdir(exist_ok=True)
        (data / folder / f"{name}.json").write_text(json.dumps(config))
    with running_server(Path(data)) as running:
        yield running


@pytest.fixture(autouse=True)
def stop_instances(server: RunningServer) -> Iterator[None]:
    """Every test leaves no instance running (the leak check runs after this)."""
    yield
    server.services.pipelines.stop_all()
    server.services.cameras.stop_all()


def server_feeds(server: RunningServer) -> list[dict[str, Any]]:
    """The feeds the server runs now."""
    response = httpx.get(f"{server.url}/api/v1/viewer", timeout=10)
    assert response.status_code == 200
    feeds: list[dict[str, Any]] = response.json()["feeds"]
    return feeds


class Viewer:
    """A browser's side of the viewer's websocket."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    def message(self) -> dict[str, Any]:
        """The next message as a dict; a frame (binary) has its JPEG under ``"jpeg"``."""
        data = self.connection.recv(timeout=DEADLINE)
        if isinstance(data, str):
            text: dict[str, Any] = json.loads(data)
            assert text["type"] in ("status", "error", "pixels"), text
            return text
        length = int.from_bytes(data[:4], "big")
        frame: dict[str, Any] = json.loads(data[4 : 4 + length])
        assert frame["type"] == "frame", frame
        frame["jpeg"] = data[4 + length :]
        return frame

    def frame(self, *, ack: bool = True) -> tuple[dict[str, Any], bytes]:
        """The next frame's description and JPEG, skipping status messages; acknowledged."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            message = self.message()
            if message["type"] == "frame":
                if ack:
                    self.send({"ack": message["seq"]})
                return message, message.pop("jpeg")
        pytest.fail("no frame arrived in time")

    def send(self, message: dict[str, Any]) -> None:
        self.connection.send(json.dumps(message))


@pytest.fixture
def open_viewer(server: RunningServer) -> Iterator[Any]:
    """``open_viewer(kind=..., name=..., fps=...)``: a connected :class:`Viewer`, closed after the test."""
    with ExitStack() as connections:

        def opened(**query: Any) -> Viewer:
            text = "&".join(f"{key}={value}" for key, value in query.items())
            address = f"{server.url.replace('http', 'ws', 1)}/api/v1/viewer/ws?{text}"
            return Viewer(connections.enter_context(connect(address, max_size=None)))

        yield opened
    # the server notices the browsers leaving on its own time: the next test starts with no feed
    wait_until(lambda: not server_feeds(server), "the viewer feeds to close after their browsers left")
