"""kill -9 of a camera, a pipeline, the fork server and the server itself, against ``camserver
serve`` in its own process: permanent instances stream again on the same address (the time it
took is printed, and recorded in docs/RELIABILITY.md, never asserted); on-demand instances are
reported with exit code, reason and logs; after a restart of the server its configs, backgrounds
and permanent instances are back. Also: a bsread source that stops and comes back, and a stalled
client of a PUB stream."""

from __future__ import annotations

import io
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
import pytest

from camserver.errors import TransportError
from camserver.protocol import Timestamp
from camserver.testing import IocProcess
from camserver.transport import Publisher, Subscriber
from tests.system.server_process import ServerProcess, all_gone
from tests.system.streams import free_port
from tests.system.waiting import wait_for, wait_until

pytestmark = pytest.mark.system

SIMULATION = {"source": "", "source_type": "simulation", "size_x": 64, "size_y": 48, "frame_rate": 50}
#: stream ports apart from the defaults: another server on the machine may take a port of the
#: default ranges while an instance restarts (the address would then change, rightly)
PORTS = {"CAMSERVER_CAMERA_PORTS": "[18420, 18440]", "CAMSERVER_PIPELINE_PORTS": "[18440, 18460]"}


def populate(data: Path) -> None:
    """A permanent camera and pipeline, and an on-demand camera."""
    (data / "camera_config").mkdir(parents=True)
    (data / "pipeline_config").mkdir(parents=True)
    for name in ("perm_cam", "demand_cam"):
        (data / "camera_config" / f"{name}.json").write_text(json.dumps(SIMULATION))
    (data / "pipeline_config" / "perm_sp.json").write_text(json.dumps({"camera_name": "perm_cam"}))
    (data / "camera_config" / "permanent_instances.json").write_text(json.dumps({"perm_cam": ""}))
    (data / "pipeline_config" / "permanent_instances.json").write_text(json.dumps({"perm_sp": ""}))


class Served:
    """A server process, and its REST API."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.process = ServerProcess("--port", "0", "--data-dir", str(data), environment=PORTS)
        try:
            self.http = httpx.Client(base_url=self.process.url(), timeout=60)
            # a server's start includes its fork server's imports: slow on a busy machine
            wait_until(self._permanent_running, "the permanent instances to run", timeout=120)
        except BaseException:
            self.process.kill()
            raise

    def _permanent_running(self) -> bool:
        try:
            instances = self.http.get("/api/v1/instances").json()["instances"]
        except httpx.TransportError:
            return False
        return sum(1 for entry in instances if entry["permanent"] and entry["state"] == "running") == 2

    def get(self, path: str, **options: Any) -> Any:
        answer = self.http.get(path, **options)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def camera(self, name: str) -> dict[str, Any]:
        info: dict[str, Any] = self.get(f"/api/v1/cam/{name}/info")["info"]
        return info

    def pipeline(self, name: str) -> dict[str, Any]:
        info: dict[str, Any] = self.get(f"/api/v1/pipeline/instance/{name}/info")["info"]
        return info

    def close(self) -> None:
        self.http.close()
        self.process.kill()
        if os.environ.get("CAMSERVER_TEST_SERVER_LOG"):
            print(self.process.output)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    populate(tmp_path / "data")
    server = Served(tmp_path / "data")
    yield server
    server.close()


def streaming_again(
    info: Callable[[], dict[str, Any]], old_pid: int, moment: float, *, timeout: float = 60.0
) -> tuple[float, dict[str, Any]]:
    """Seconds from ``moment`` until a new process of the instance runs and a frame of it arrives
    on the instance's address, and the instance's info then."""
    running = wait_for(info, lambda entry: entry["state"] == "running" and entry["pid"] not in (None, old_pid),
                       "a new process of the instance", timeout=timeout)  # fmt: skip
    deadline = time.monotonic() + timeout
    new_frames_from = time.time()
    with Subscriber(running["stream_address"], receive_timeout=1.0) as subscriber:
        while time.monotonic() < deadline:
            message = subscriber.receive()
            if message is not None and message.timestamp.seconds >= new_frames_from - 0.05:
                return time.time() - moment, running
    pytest.fail(f"no frame on {running['stream_address']} within {timeout:g} s")


def report(what: str, seconds: float) -> None:
    print(f"\nRECOVERY {what}: {seconds:.2f} s")  # figures for docs/RELIABILITY.md (pytest -s)


def test_a_killed_permanent_camera_and_pipeline_stream_again_on_their_addresses(served: Served) -> None:
    for kind, info in (("camera", served.camera), ("pipeline", served.pipeline)):
        name = "perm_cam" if kind == "camera" else "perm_sp"
        before = info(name)
        killed_at = time.time()
        os.kill(before["pid"], signal.SIGKILL)
        seconds, after = streaming_again(lambda info=info, name=name: info(name), before["pid"], killed_at)
        report(f"kill -9 of a permanent {kind}", seconds)
        assert after["stream_address"] == before["stream_address"]
        assert after["restarts"] == before["restarts"] + 1
    log = " ".join(record[3] for record in served.get("/api/v1/logs")["logs"])
    assert "camera/perm_cam: process" in log
    assert "ended (failed) with exit code -9: killed by signal 9" in log
    assert "camera/perm_cam: permanent instance: restarting now (restart 1)" in log


def test_killed_on_demand_instances_are_reported_with_exit_code_reason_and_logs(served: Served) -> None:
    served.get("/api/v1/cam/demand_cam")
    created = served.http.post("/api/v1/pipeline", json={"camera_name": "demand_cam"}).json()
    for pid in (served.camera("demand_cam")["pid"], served.pipeline(created["instance_id"])["pid"]):
        os.kill(pid, signal.SIGKILL)
    camera = wait_for(lambda: served.camera("demand_cam"), lambda info: info["state"] == "failed", "the camera's end")
    assert camera["exit_code"] == -9
    assert camera["reason"] == "killed by signal 9"
    instance = created["instance_id"]
    code = wait_for(lambda: served.get(f"/api/v1/pipeline/instance/{instance}/exitcode")["exitcode"],
                    lambda value: value is not None, "the pipeline's exit code")  # fmt: skip
    assert code == -9
    assert served.pipeline(instance)["reason"] == "killed by signal 9"
    logs = served.http.get("/api/v1/logs/instance/demand_cam/txt").text
    assert "ended (failed) with exit code -9: killed by signal 9" in logs
    assert "camera demand_cam streaming on" in logs  # the instance's own records are kept too


def fork_server(served: Served) -> psutil.Process:
    for child in psutil.Process(served.process.pid).children():
        if "multiprocessing.forkserver" in " ".join(child.cmdline()):
            return child
    pytest.fail("the server has no fork server")


def test_a_killed_fork_server_is_started_again_and_permanent_instances_come_back(served: Served) -> None:
    served.get("/api/v1/cam/demand_cam")
    camera, pipeline = served.camera("perm_cam"), served.pipeline("perm_sp")
    killed_at = time.time()
    fork_server(served).kill()
    seconds, after = streaming_again(lambda: served.pipeline("perm_sp"), pipeline["pid"], killed_at)
    report("kill -9 of the fork server (permanent pipeline)", seconds)
    assert after["stream_address"] == pipeline["stream_address"]
    assert served.camera("perm_cam")["stream_address"] == camera["stream_address"]
    demand = wait_for(lambda: served.camera("demand_cam"), lambda info: info["state"] == "failed", "demand_cam's end")
    assert "fork server" in demand["reason"]
    served.get("/api/v1/cam/demand_cam")  # on-demand instances start again: a new fork server forks them
    assert served.camera("demand_cam")["state"] == "running"


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def test_after_kill_9_of_the_server_a_restart_brings_everything_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    populate(data)
    first = Served(data)
    try:
        assert first.http.post("/api/v1/cam/added/config", json=SIMULATION).status_code == 200
        background = np.arange(48 * 64, dtype=np.uint16).reshape(48, 64)
        assert first.http.put("/api/v1/pipeline/background/perm_cam_x/image_bytes", content=npy(background)).is_success
        camera, pipeline = first.camera("perm_cam"), first.pipeline("perm_sp")
        children = first.process.descendants()
        first.process.process.kill()
        first.process.wait()
        wait_until(lambda: all_gone(children), "the instances and the fork server to end with their server")
    finally:
        first.close()
    restarted_at = time.time()
    second = Served(data)
    try:
        seconds, _ = streaming_again(lambda: second.pipeline("perm_sp"), pipeline["pid"], restarted_at)
        report("restart of the server after kill -9, until the permanent pipeline streams", seconds)
        assert second.camera("perm_cam")["stream_address"] == camera["stream_address"]
        assert second.pipeline("perm_sp")["stream_address"] == pipeline["stream_address"]
        assert second.get("/api/v1/cam/added/config")["config"]["size_x"] == 64
        kept = second.get("/api/v1/pipeline/background/perm_cam_x/image_bytes")["image"]
        assert kept["shape"] == [48, 64]
    finally:
        second.close()


# -- sources and clients that misbehave ---------------------------------------------------------


def bound(address: str) -> Publisher | None:
    try:
        return Publisher(address, mode="PUB")
    except TransportError:
        return None


def test_a_bsread_source_that_stops_and_returns_is_read_again(served: Served) -> None:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    camera = {"source": address, "source_type": "bschannel", "mode": "SUB", "channel": "image", "no_client_timeout": 0,
              "check_timestamp": False}  # fmt: skip
    assert served.http.post("/api/v1/cam/relay/config", json=camera).status_code == 200

    def send(publisher: Publisher, pulse_id: int) -> None:
        image = np.full((8, 10), pulse_id % 60000, np.uint16)
        publisher.send({"image": image}, pulse_id=pulse_id, timestamp=Timestamp.now())

    pulse = iter(range(1, 100_000))
    with Publisher(address, mode="PUB") as sender:
        stream = served.get("/api/v1/cam/relay")["stream"]
        with Subscriber(stream, receive_timeout=0.2) as output:
            wait_until(lambda: send(sender, next(pulse)) or output.receive() is not None, "frames through the camera")
    # the sender is gone; the camera keeps running and waits for it
    assert served.camera("relay")["state"] == "running"
    # ZMQ closes the first sender's socket in the background: bind again once the port is free
    sender = wait_until(lambda: bound(address), "the sender's port to be free again")
    with sender, Subscriber(stream, receive_timeout=0.2) as output:
        pulse = iter(range(100_000, 200_000))

        def relayed() -> bool:
            send(sender, next(pulse))
            message = output.receive()
            return message is not None and message.pulse_id >= 100_000

        wait_until(relayed, "frames of the returned sender through the camera")
    assert served.camera("relay")["restarts"] == 0


def test_an_epics_camera_reconnects_when_its_ioc_returns(tmp_path: Path) -> None:
    ioc = IocProcess("FAULT:CAM", rate=20, width=64, height=48)
    ioc.start()
    server = ServerProcess("--port", "0", "--data-dir", str(tmp_path), environment={**PORTS, **ioc.environment})
    try:
        with httpx.Client(base_url=server.url(), timeout=60) as http:
            camera = {"source": "FAULT:CAM", "source_type": "epics", "no_client_timeout": 0}
            wait_until(lambda: http.post("/api/v1/cam/epics_cam/config", json=camera).status_code == 200,
                       "the API to answer")  # fmt: skip
            stream = http.get("/api/v1/cam/epics_cam").json()["stream"]
            with Subscriber(stream, receive_timeout=1.0) as output:
                wait_until(output.receive, "a frame from the IOC")
                ioc.stop()
                wait_until(lambda: output.receive(timeout=2.0) is None, "the frames to stop with the IOC")
                assert http.get("/api/v1/cam/epics_cam/info").json()["info"]["state"] == "running"
                returned_at = time.time()
                ioc.start()

                def fresh() -> bool:
                    message = output.receive()
                    return message is not None and message.timestamp.seconds > returned_at

                wait_until(fresh, "frames of the returned IOC")
            info = http.get("/api/v1/cam/epics_cam/info").json()["info"]
            assert info["restarts"] == 0  # the same process reconnected
            assert info["state"] == "running"
    finally:
        server.kill()
        ioc.stop()


def test_a_stalled_client_loses_frames_without_slowing_the_pipeline(served: Served) -> None:
    big = {**SIMULATION, "size_x": 640, "size_y": 480, "no_client_timeout": 0}
    assert served.http.post("/api/v1/cam/big_cam/config", json=big).status_code == 200
    answer = served.http.post("/api/v1/pipeline", json={"camera_name": "big_cam", "no_client_timeout": 0})
    assert answer.status_code == 200, answer.text
    created = answer.json()
    instance = created["instance_id"]
    with Subscriber(created["stream"], queue_size=2, receive_timeout=20) as stalled:
        assert stalled.receive() is not None  # connected; then it reads nothing while 150 frames go out
        start = served.pipeline(instance)["detail"]
        figures = wait_for(lambda: served.pipeline(instance)["detail"],
                           lambda figures: figures["tx_count"] >= start["tx_count"] + 150,
                           "150 more frames out of the pipeline")  # fmt: skip
        for _ in range(1000):  # what the socket buffers held, then the gap
            assert stalled.receive() is not None
            if stalled.statistics.missed_pulses:
                break
    assert stalled.statistics.missed_pulses > 0  # the stalled reader counts what it lost
    assert figures["output_drops"] == 0  # PUB never waits for a reader
    assert figures["rx_count"] - figures["tx_count"] <= 2  # and sent every one it received
    # and the pipeline saw the reader's queue overflow (90 MB went out to a queue of two)
    wait_for(lambda: served.pipeline(instance)["detail"], lambda figures: figures["subscriber_overflows"] >= 1,
             "the overflow in the pipeline's statistics")  # fmt: skip
    served.http.delete(f"/api/v1/pipeline/{instance}")
