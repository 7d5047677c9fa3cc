"""A real server for the client and CLI integration tests, and a way to drive both client twins
with one test body."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from camserver.client import AsyncClient, Client
from camserver.testing.server import RunningServer, running_server

#: a small simulated camera: 64 x 48 pixels at 20 Hz
CAMERA = {
    "name": "sim",
    "source": "",
    "source_type": "simulation",
    "size_x": 64,
    "size_y": 48,
    "frame_rate": 20.0,
    "alias": ["simcam"],
    "group": "test",
    "unknown_thing": 1,
}
#: the default processing of that camera
PIPELINE = {"name": "sim_sp", "camera_name": "sim", "group": ["test"]}


def write_configs(data_dir: Path) -> Path:
    """A data directory with the camera ``sim`` and the pipeline ``sim_sp``."""
    (data_dir / "camera_config").mkdir(parents=True, exist_ok=True)
    (data_dir / "pipeline_config").mkdir(parents=True, exist_ok=True)
    (data_dir / "camera_config" / "sim.json").write_text(json.dumps(CAMERA))
    (data_dir / "pipeline_config" / "sim_sp.json").write_text(json.dumps(PIPELINE))
    return data_dir


@contextmanager
def serving(data_dir: Path, **settings: Any) -> Iterator[RunningServer]:
    """A server of ``data_dir`` that stops its instances when the block ends."""
    with running_server(write_configs(data_dir), **settings) as server:
        yield server


def stop_everything(server: RunningServer) -> None:
    """Stop every instance, so a test leaves no process behind."""
    with Client(server.url, timeout=30) as client:
        client.pipelines.stop_all()
        client.cameras.stop_all()


class _BlockingNoun:
    def __init__(self, noun: Any, runner: asyncio.Runner) -> None:
        self._noun = noun
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._noun, name)

        def run(*args: Any, **kwargs: Any) -> Any:
            return self._runner.run(method(*args, **kwargs))

        return run


class BlockingAsyncClient:
    """An :class:`AsyncClient` whose calls are run to completion on a private event loop, so the
    same test body checks both twins against the server."""

    def __init__(self, url: str, **options: Any) -> None:
        self._runner = asyncio.Runner()
        self._client = AsyncClient(url, **options)
        self.url = url

    def __getattr__(self, noun: str) -> Any:
        return _BlockingNoun(getattr(self._client, noun), self._runner)

    def close(self) -> None:
        self._runner.run(self._client.close())
        self._runner.close()
