"""Which stream a source names: an address as it is, a name through the client."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from camserver.client import Client, is_stream_address, resolve_stream
from camserver.errors import CameraNotFound, ConfigError, InstanceNotFound, NotFound
from camserver.transport import SocketMode


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("tcp://127.0.0.1:9999", True),
        ("127.0.0.1:9999", True),
        ("localhost:9999", True),
        ("[::1]:9999", True),
        ("ipc:///tmp/feed", True),
        ("simulation", False),
        ("SARES20-CAM:FPICTURE", False),
        ("simulation_sp", False),
    ],
)
def test_addresses_and_names(source: str, expected: bool) -> None:
    assert is_stream_address(source) is expected


def _routes(answers: dict[str, tuple[int, dict[str, Any]]]) -> tuple[Client, list[str]]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        status, body = answers.get(
            request.url.path, (404, {"state": "error", "status": "Not found.", "error": "NotFound"})
        )
        return httpx.Response(status, content=json.dumps(body).encode(), headers={"content-type": "application/json"})

    return Client("http://127.0.0.1:8888", transport=httpx.MockTransport(handler)), seen


def _ok(**fields: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"state": "ok", "status": "ok", **fields}


NO_INSTANCE = (404, {"state": "error", "status": "Instance 'x' does not exist.", "error": "InstanceNotFound"})
NO_CAMERA = (404, {"state": "error", "status": "Camera 'x' does not exist.", "error": "CameraNotFound"})


def test_an_address_needs_no_client() -> None:
    assert resolve_stream("127.0.0.1:9999") == ("tcp://127.0.0.1:9999", SocketMode.SUB)


def test_a_name_needs_a_client() -> None:
    with pytest.raises(ConfigError, match="needs a client"):
        resolve_stream("simulation")


def test_a_pipeline_comes_first_and_its_mode_decides_the_socket() -> None:
    client, seen = _routes(
        {
            "/api/v1/pipeline/instance/fan": _ok(stream="tcp://127.0.0.1:11100"),
            "/api/v1/pipeline/instance/fan/info": _ok(info={"config": {"pipeline_type": "fanout"}}),
        }
    )
    assert resolve_stream("fan", client=client) == ("tcp://127.0.0.1:11100", SocketMode.PULL)
    assert seen == ["GET /api/v1/pipeline/instance/fan", "GET /api/v1/pipeline/instance/fan/info"]


def test_a_name_that_is_no_pipeline_is_a_camera() -> None:
    client, seen = _routes(
        {
            "/api/v1/pipeline/instance/sim": NO_INSTANCE,
            "/api/v1/cam/sim": _ok(stream="tcp://127.0.0.1:10100"),
        }
    )
    assert resolve_stream("sim", client=client) == ("tcp://127.0.0.1:10100", SocketMode.SUB)
    assert seen == ["GET /api/v1/pipeline/instance/sim", "GET /api/v1/cam/sim"]


def test_kind_chooses_without_guessing() -> None:
    client, seen = _routes({"/api/v1/cam/sim": _ok(stream="tcp://127.0.0.1:10100")})
    assert resolve_stream("sim", client=client, kind="camera")[0] == "tcp://127.0.0.1:10100"
    assert seen == ["GET /api/v1/cam/sim"]
    with pytest.raises(InstanceNotFound):
        resolve_stream("sim", client=_routes({"/api/v1/pipeline/instance/sim": NO_INSTANCE})[0], kind="pipeline")
    with pytest.raises(CameraNotFound):
        resolve_stream("sim", client=_routes({"/api/v1/cam/sim": NO_CAMERA})[0], kind="camera")


def test_an_unknown_name_says_what_was_looked_for() -> None:
    client, _ = _routes({"/api/v1/pipeline/instance/x": NO_INSTANCE, "/api/v1/cam/x": NO_CAMERA})
    with pytest.raises(NotFound, match="no pipeline instance, pipeline or camera is called 'x'"):
        resolve_stream("x", client=client)


def test_a_pipeline_writing_a_file_has_no_stream() -> None:
    client, _ = _routes(
        {
            "/api/v1/pipeline/instance/rec": _ok(stream=""),
            "/api/v1/pipeline/instance/rec/info": _ok(info={"config": {"mode": "FILE"}}),
        }
    )
    with pytest.raises(ConfigError, match="writes to a file"):
        resolve_stream("rec", client=client)


def test_a_saved_pipeline_whose_camera_is_missing_says_so() -> None:
    orphan = (
        404,
        {
            "state": "error",
            "status": "Pipeline 'orphan_sp' reads camera 'ghost', which does not exist.",
            "error": "CameraNotFound",
        },
    )
    client, seen = _routes({"/api/v1/pipeline/instance/orphan_sp": orphan})
    with pytest.raises(CameraNotFound, match="Pipeline 'orphan_sp' reads camera 'ghost', which does not exist."):
        resolve_stream("orphan_sp", client=client)
    assert seen == ["GET /api/v1/pipeline/instance/orphan_sp"]  # not taken for "no such pipeline"
