"""A server without user scripts (the default) refuses every way of running user code: 403 and why."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from camserver.testing.server import RunningServer, running_server
from camserver.transport import Publisher
from tests.system.rest import Rest

pytestmark = pytest.mark.system

NOT_ALLOWED = "user scripts are not allowed on this server"
FUNCTION = "def process(stream_data, pulse_id, timestamp, parameters):\n    return stream_data\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("no-user-code")) as running:
        running.services.camera_store.set("scripted", {"source": "x", "source_type": "script", "class": "MySource"})
        yield running


@pytest.fixture(scope="module")
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    yield client
    client.close()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/v1/pipeline/script/mine.py/script_bytes"),
        ("PUT", "/api/v1/cam/script/mine.py/script_bytes"),
        ("PUT", "/api/v1/pipeline/lib/mine.py/lib_bytes"),
    ],
)
def test_uploads_are_refused(rest: Rest, method: str, path: str) -> None:
    body = rest.call(method, path, content=FUNCTION.encode(), status=403)
    assert NOT_ALLOWED in body["status"]
    assert "--allow-user-scripts" in body["status"]
    assert body["error"] == "PermissionDenied"
    assert rest.call("GET", "/api/v1/pipeline/script")["scripts"] == []
    assert rest.call("GET", "/api/v1/pipeline/lib")["libs"] == []


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"pipeline_type": "stream", "input_stream": "tcp://127.0.0.1:1", "function": "mine"}, "function 'mine'"),
        ({"camera_name": "scripted", "function": "mine"}, "function 'mine'"),
        ({"pipeline_type": "custom", "function": "mine"}, "user code"),
        ({"pipeline_type": "script", "pipeline_script": "mine"}, "script pipelines"),
        ({"pipeline_type": "stream", "input_stream": "tcp://127.0.0.1:1", "function": "/etc/passwd"}, "user code"),
    ],
)
def test_pipelines_running_user_code_are_refused(rest: Rest, config: dict[str, object], reason: str) -> None:
    body = rest.call("POST", "/api/v1/pipeline", json=config, status=403)
    assert reason in body["status"]
    assert "not allowed" in body["status"]
    assert rest.call("GET", "/api/v1/pipeline/info")["info"]["active_instances"] == {}


@pytest.mark.parametrize(
    ("config", "suggestion"),
    [
        ({"camera_name": "scripted", "function": "transparant"}, "transparent"),
        ({"camera_name": "scripted", "function": "Default"}, "default"),
        (
            {"pipeline_type": "stream", "input_stream": "tcp://127.0.0.1:1", "function": "propagate_streams"},
            "propagate_stream",
        ),
    ],
)
def test_a_misspelled_built_in_function_is_no_such_function_not_user_code(
    rest: Rest, config: dict[str, object], suggestion: str
) -> None:
    body = rest.call("POST", "/api/v1/pipeline", json=config, status=400)
    assert body["status"].startswith(f"no such function '{config['function']}' (did you mean '{suggestion}'?)")
    assert "the built-in functions of" in body["status"]
    assert body["error"] == "ConfigError"


def test_a_saved_pipeline_with_a_user_function_is_refused_when_started(rest: Rest) -> None:
    rest.call("POST", "/api/v1/pipeline/mine_sp/config", json={"camera_name": "scripted", "function": "mine"})
    body = rest.call("GET", "/api/v1/pipeline/instance/mine_sp", status=403)
    assert NOT_ALLOWED in body["status"]


def test_a_running_pipeline_cannot_be_switched_to_user_code(rest: Rest) -> None:
    with Publisher("tcp://127.0.0.1:0") as source:
        instance_id, _ = rest.create({"pipeline_type": "stream", "input_stream": source.address,
                                      "function": "propagate_stream"})  # fmt: skip
        body = rest.call("POST", f"/api/v1/pipeline/instance/{instance_id}/config", json={"function": "mine"},
                         status=403)  # fmt: skip
        assert NOT_ALLOWED in body["status"]
        info = rest.info(instance_id)
        assert info["state"] == "running"
        assert info["config"]["function"] == "propagate_stream"
        rest.stop(instance_id)


def test_a_script_camera_is_refused(rest: Rest) -> None:
    body = rest.call("GET", "/api/v1/cam/scripted", status=403)
    assert NOT_ALLOWED in body["status"]
    assert "scripted" in body["status"]
