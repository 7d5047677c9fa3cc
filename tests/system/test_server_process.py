"""``camserver serve`` as a real process: the demo streams at once, SIGTERM and SIGINT stop it with
code 0 and no process left behind, a public host needs a token, and the token guards changes."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bsread import SUB, Source

from camserver.transport import host_port
from tests.system.server_process import ServerProcess, all_gone
from tests.system.streams import free_port
from tests.waiting import wait_until

pytestmark = pytest.mark.system


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[type[ServerProcess]]:
    started: list[ServerProcess] = []

    class Started(ServerProcess):
        def __init__(self, *arguments: str, environment: dict[str, str] | None = None) -> None:
            super().__init__(*arguments, "--data-dir", str(tmp_path / "data"), environment=environment)
            started.append(self)

    yield Started
    for server in started:
        server.kill()


def test_the_demo_streams_at_once_and_sigterm_stops_everything(serve: type[ServerProcess]) -> None:
    server = serve("--port", "0", "--demo")
    url = server.url()
    assert url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=url, timeout=60) as http:
        wait_until(lambda: http.get("/api/v1/pipeline/info").status_code == 200, "the API to answer")
        stream = http.get("/api/v1/pipeline/instance/simulation_sp").json()["stream"]
        host, port = host_port(stream)
        with Source(host=host, port=port, mode=SUB, receive_timeout=20_000) as source:
            message = source.receive()
        assert message is not None
        assert message.data.data["image"].value.shape == (480, 640)
        assert 0 < message.data.data["x_center_of_mass"].value < 640
        info = http.get("/api/v1/pipeline/info").json()["info"]["active_instances"]
        assert info["simulation_sp"]["permanent"] is True
    children = server.descendants()
    assert len(children) >= 4  # fork server, two cameras, two pipelines
    assert server.stop(signal.SIGTERM) == 0
    wait_until(lambda: all_gone(children), "every child process to end")
    assert "Finished server process" in server.output


def test_a_token_guards_changes_a_missing_ioc_is_reported_and_sigint_stops_everything(
    serve: type[ServerProcess],
) -> None:
    epics = {"EPICS_CA_ADDR_LIST": "127.0.0.1", "EPICS_CA_AUTO_ADDR_LIST": "NO",
             "EPICS_CA_SERVER_PORT": str(free_port())}  # fmt: skip
    server = serve("--port", "0", "--token", "s3cret", environment=epics)
    url = server.url()
    camera = {"source": "CAMSERVER-TEST:NO-IOC", "source_type": "epics"}
    with httpx.Client(base_url=url, timeout=60) as http:
        wait_until(lambda: http.get("/api/v1/cam").status_code == 200, "the API to answer")
        refused = http.post("/api/v1/cam/no_ioc/config", json=camera)
        assert refused.status_code == 403
        assert "Authorization: Bearer" in refused.json()["status"]
        wrong = http.post("/api/v1/cam/no_ioc/config", json=camera, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        token = {"Authorization": "Bearer s3cret"}
        assert http.post("/api/v1/cam/no_ioc/config", json=camera, headers=token).status_code == 200
        simulation = {"source": "", "source_type": "simulation", "size_x": 64, "size_y": 48, "frame_rate": 100}
        assert http.post("/api/v1/cam/tiny/config", json=simulation, headers=token).status_code == 200
        assert http.get("/api/v1/cam/no_ioc/config").status_code == 200  # reading needs no token
        failed = http.get("/api/v1/cam/no_ioc")
        assert failed.status_code == 503
        assert "Camera with prefix CAMSERVER-TEST:NO-IOC is offline" in failed.json()["status"]
        assert http.get("/api/v1/cam/tiny").status_code == 200
        assert http.delete("/api/v1/cam/tiny").status_code == 403
    children = server.descendants()
    assert server.stop(signal.SIGINT, group=True) == 0  # Ctrl-C
    wait_until(lambda: all_gone(children), "every child process to end")


def test_a_public_host_without_a_token_is_refused(serve: type[ServerProcess]) -> None:
    server = serve("--host", "0.0.0.0", "--port", "0")
    assert server.wait() == 2
    assert "give --token" in server.output
    assert "listening" not in server.output
