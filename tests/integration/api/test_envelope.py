"""Errors of the HTTP layer itself come back in CamServer's envelope with a camserver class."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from camserver.api import build_app
from camserver.errors import error_class
from camserver.service import ServerSettings, Services


def request(tmp_path: Path, method: str, path: str, **options: Any) -> httpx.Response:
    settings = ServerSettings(data_dir=tmp_path)
    app = build_app(settings, services=Services(settings))

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            return await client.request(method, path, **options)

    return asyncio.run(send())


def test_unknown_route_is_404_not_found(tmp_path: Path) -> None:
    response = request(tmp_path, "GET", "/api/v1/nothing")
    assert response.status_code == 404
    body = response.json()
    assert body["state"] == "error"
    assert "/api/v1/nothing" in body["status"]
    assert error_class(body["error"]).__name__ == "NotFound"


def test_wrong_method_is_405_with_a_known_class(tmp_path: Path) -> None:
    response = request(tmp_path, "PUT", "/api/v1/cam")
    assert response.status_code == 405
    assert response.json()["error"] == "ConfigError"


def test_invalid_parameter_is_400_saying_which(tmp_path: Path) -> None:
    response = request(tmp_path, "GET", "/api/v1/cam/x/image", params={"scale": "big"})
    assert response.status_code == 400
    assert "scale" in response.json()["status"]


def test_a_config_body_that_is_not_an_object_is_400(tmp_path: Path) -> None:
    response = request(tmp_path, "POST", "/api/v1/cam/x/config", json=[1, 2])
    assert response.status_code == 400
    assert response.json()["state"] == "error"
