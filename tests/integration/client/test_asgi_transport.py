"""The async client over ``httpx.ASGITransport``: the server's app in this process, no socket."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from camserver.api import build_app
from camserver.client import AsyncClient
from camserver.errors import CameraNotFound, ConfigError
from camserver.service import ServerSettings, Services
from tests.integration.client.served import write_configs


def test_the_async_client_runs_the_app_in_process(tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=write_configs(tmp_path), port=0)
    services = Services(settings)
    app = build_app(settings, services=services)

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with AsyncClient("http://localhost", transport=transport) as client:
            assert await client.cameras.list() == ["sim"]
            assert (await client.pipelines.config("sim_sp")).camera_name == "sim"
            assert (await client.cameras.set_config("two", {"source": "", "source_type": "simulation"})).name == "two"
            assert await client.cameras.list() == ["sim", "two"]
            with pytest.raises(CameraNotFound):
                await client.cameras.config("three")
            with pytest.raises(ConfigError, match="binning_x"):
                await client.cameras.set_config("two", {"source": "", "binning_x": 0})

    services.start()
    try:
        asyncio.run(run())
    finally:
        services.close()
