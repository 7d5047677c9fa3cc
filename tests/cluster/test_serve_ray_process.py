"""``camserver serve --backend ray`` as a real process, without a cluster: one command starts a
Ray head in the server, the demo streams from it on a loopback address, the pipeline proxy port
answers for pipelines, and SIGTERM ends the server, its Ray head and every instance."""

from __future__ import annotations

import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bsread import SUB, Source
from cam_server_client import ProxyClient

from camserver.transport import host_port
from tests.system.test_server_process import ServerProcess, all_gone
from tests.system.waiting import wait_until

pytestmark = [pytest.mark.system, pytest.mark.cluster]


@pytest.fixture
def ray_files() -> Iterator[str]:
    """A folder of Ray's own for the server's head (not the test cluster's)."""
    with tempfile.TemporaryDirectory(prefix="rs", dir="/tmp") as folder:
        yield folder


def test_one_command_runs_the_demo_on_a_ray_head_of_its_own(tmp_path: Path, ray_files: str) -> None:
    environment = {"RAY_TMPDIR": ray_files, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    server = ServerProcess(
        "--port", "0", "--pipeline-port", "0", "--demo", "--backend", "ray", "--data-dir", str(tmp_path / "data"),
        environment=environment,
    )  # fmt: skip
    try:
        url = server.url()
        pipeline_url = wait_until(
            lambda: next((line.split()[-1] for line in server.lines if "pipeline proxy on" in line), None),
            "the pipeline proxy's address",
        )
        with httpx.Client(base_url=url, timeout=60) as http:
            wait_until(lambda: http.get("/api/v1/pipeline/info").status_code == 200, "the API to answer", timeout=120)
            assert http.get("/api/v1/nodes").json()["backend"] == "ray"
            stream = http.get("/api/v1/pipeline/instance/simulation_sp").json()["stream"]
            host, port = host_port(stream)
            assert host == "127.0.0.2"  # loopback: Ray would have taken the host's network address
            with Source(host=host, port=port, mode=SUB, receive_timeout=30_000) as source:
                message = source.receive()
            assert message is not None
            assert message.data.data["image"].value.shape == (480, 640)
        assert "simulation_sp" in ProxyClient(pipeline_url).get_instances_info()
        assert "simulation_sp" not in ProxyClient(url).get_instances_info()  # the cameras' proxy
        children = server.descendants()
        assert server.stop(signal.SIGTERM) == 0
        wait_until(lambda: all_gone(children), "the Ray head and every instance to end", timeout=60)
    finally:
        server.kill()
