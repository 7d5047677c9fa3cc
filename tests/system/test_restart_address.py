"""A restarted camera keeps its stream address, so a psi-bsread client connected to it keeps
receiving: stopped and requested again, killed and requested again, and (permanent) killed and
restarted by the server. The old instance's connections are in TIME-WAIT when the new one binds."""

from __future__ import annotations

import json
import os
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bsread import SUB, Source
from cam_server_client import CamClient

from camserver.testing.server import RunningServer, running_server
from tests.system.rest import Rest
from tests.system.waiting import wait_for, wait_until

pytestmark = pytest.mark.system

TINY = {"source": "", "source_type": "simulation", "size_x": 64, "size_y": 48, "frame_rate": 50, "no_client_timeout": 0}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data: Path = tmp_path_factory.mktemp("restarts")
    (data / "camera_config").mkdir()
    for name in ("stopped_cam", "killed_cam", "permanent_cam", "raced_cam"):
        (data / "camera_config" / f"{name}.json").write_text(json.dumps(TINY))
    (data / "camera_config" / "permanent_instances.json").write_text(json.dumps({"permanent_cam": ""}))
    with running_server(data) as running:
        yield running


@pytest.fixture(scope="module")
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    yield client
    client.close()


def _connected(address: str) -> Source:
    host, port = address.removeprefix("tcp://").rsplit(":", 1)
    return Source(host=host, port=int(port), mode=SUB, receive_timeout=1000)


def _last_pulse_id(source: Source) -> int:
    """Receive until the camera's pulse ids are well past where a restarted camera starts (0)."""
    pulse_id = -1
    for _ in range(500):  # 50 frames a second; receive_timeout bounds each wait
        message = source.receive()
        if message is not None:
            pulse_id = message.data.pulse_id
            if pulse_id >= 25:
                return pulse_id
    pytest.fail(f"the psi-bsread client received no pulse id beyond {pulse_id}")


def _receives_the_new_instance(source: Source, last: int) -> None:
    """The client gets frames of the restarted camera: its pulse ids count from 0 again."""
    previous = last

    def restarted() -> bool:
        nonlocal previous
        message = source.receive()
        if message is None:
            return False
        pulse_id: int = message.data.pulse_id
        went_back = pulse_id < previous  # the old camera's pulse ids only ever increase
        previous = pulse_id
        return went_back

    wait_until(restarted, "frames of the restarted camera at the old address")


def _restart(rest: Rest, name: str, end: Callable[[dict[str, object]], None]) -> None:
    address = rest.camera_stream(name)
    with _connected(address) as source:
        last = _last_pulse_id(source)
        before = rest.camera_info(name)
        end(before)
        again = rest.camera_stream(name)  # requested again, as a client does (CamClient.get_instance_stream)
        assert again == address
        assert rest.camera_info(name)["pid"] != before["pid"]
        _receives_the_new_instance(source, last)
    rest.call("DELETE", f"/api/v1/cam/{name}")


def test_a_stopped_camera_requested_again_keeps_its_address(rest: Rest) -> None:
    def stop(info: dict[str, object]) -> None:
        rest.call("DELETE", "/api/v1/cam/stopped_cam")

    _restart(rest, "stopped_cam", stop)


def test_a_killed_camera_requested_again_keeps_its_address(rest: Rest) -> None:
    def kill(info: dict[str, object]) -> None:
        pid = info["pid"]
        assert isinstance(pid, int)
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: rest.camera_info("killed_cam"), lambda now: now["state"] == "failed", "the kill to be seen")

    _restart(rest, "killed_cam", kill)


def test_a_killed_permanent_camera_comes_back_at_its_address_for_camclient_and_psi_bsread(
    rest: Rest, server: RunningServer
) -> None:
    client = CamClient(server.url)
    address = client.get_instance_stream("permanent_cam")
    with _connected(address) as source:
        last = _last_pulse_id(source)
        before = rest.camera_info("permanent_cam")
        os.kill(before["pid"], signal.SIGKILL)
        after = wait_for(lambda: rest.camera_info("permanent_cam"),
                         lambda info: info["restarts"] == before["restarts"] + 1 and info["state"] == "running",
                         "the server to restart the permanent camera")  # fmt: skip
        assert after["stream_address"] == address
        assert client.get_instance_stream("permanent_cam") == address
        _receives_the_new_instance(source, last)


def test_a_port_taken_between_allocation_and_bind_is_replaced_by_another(
    rest: Rest, server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = server.services.camera_ports
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)  # another program's port, which the allocator's probe is made to miss once
        taken = other.getsockname()[1]
        real_free = ports._free
        missed: list[int] = []

        def free(port: int) -> bool:
            if not missed:
                missed.append(port)
                return True
            return real_free(port) and port != taken

        monkeypatch.setattr(ports, "_free", free)
        monkeypatch.setattr(ports, "_next", taken)
        address = rest.camera_stream("raced_cam")
    assert missed == [taken]
    assert not address.endswith(f":{taken}")
    with _connected(address) as source:
        _last_pulse_id(source)
    assert f"port {taken} was taken before it could bind; trying another" in " ".join(
        record[3] for record in rest.call("GET", "/api/v1/logs")["logs"]
    )
    rest.call("DELETE", "/api/v1/cam/raced_cam")
