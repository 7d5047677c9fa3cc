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


def test_wrong_method_is_405_with_allow_naming_every_method_of_the_path(tmp_path: Path) -> None:
    response = request(tmp_path, "PUT", "/api/v1/cam")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET"
    body = response.json()
    assert body["error"] == "MethodNotAllowed"
    assert body["status"] == "PUT is not a method of /api/v1/cam; it takes DELETE, GET"
    # the methods of a path come from several routes: POST starts, DELETE stops
    response = request(tmp_path, "PUT", "/api/v1/pipeline/some_instance")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, POST"


def test_get_of_an_unknown_pipeline_says_it_does_not_exist(tmp_path: Path) -> None:
    response = request(tmp_path, "GET", "/api/v1/pipeline/no_such_pipeline")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "PipelineNotFound"
    assert body["status"].startswith("No pipeline config or instance is called 'no_such_pipeline'.")


def test_get_of_a_saved_pipeline_names_the_routes_to_use(tmp_path: Path) -> None:
    (tmp_path / "pipeline_config").mkdir(parents=True, exist_ok=True)
    (tmp_path / "pipeline_config" / "saved_sp.json").write_text('{"camera_name": "simulation"}')
    response = request(tmp_path, "GET", "/api/v1/pipeline/saved_sp")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, POST"
    body = response.json()
    assert body["error"] == "MethodNotAllowed"
    assert "GET /api/v1/pipeline/instance/saved_sp" in body["status"]
    assert "GET /api/v1/pipeline/saved_sp/config" in body["status"]


def test_invalid_parameter_is_400_saying_which(tmp_path: Path) -> None:
    response = request(tmp_path, "GET", "/api/v1/cam/x/image", params={"scale": "big"})
    assert response.status_code == 400
    assert "scale" in response.json()["status"]


def test_a_config_body_that_is_not_an_object_is_400(tmp_path: Path) -> None:
    response = request(tmp_path, "POST", "/api/v1/cam/x/config", json=[1, 2])
    assert response.status_code == 400
    assert response.json()["state"] == "error"
