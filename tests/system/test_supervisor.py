"""The supervisor: start failures with their reason, instances that stop by themselves, permanent
instances restarted after a kill, pipelines that find their camera again, stops that have to be
forced, instance logs, and the figures of ``/info`` and ``/heartbeat``."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from camserver.testing.server import RunningServer, running_server
from camserver.transport import Subscriber
from tests.system.rest import Rest
from tests.system.streams import read
from tests.waiting import wait_for, wait_until

pytestmark = pytest.mark.system

TINY = {"source": "", "source_type": "simulation", "size_x": 64, "size_y": 48, "frame_rate": 100}
CAMERAS = {
    "tiny": TINY,
    "tiny2": TINY,
    "perm_cam": {**TINY, "frame_rate": 50},
    "lonely": {**TINY, "no_client_timeout": 1},
}
PIPELINES = {
    "perm_sp": {"camera_name": "perm_cam", "function": "transparent"},
    "perm_crash": {"pipeline_type": "script", "pipeline_script": "crash"},
}
STUBBORN = """
import time

def run(stop_event, statistics, parameter_queue, logs_queue, cam_client, pipeline_config, output_stream_port,
        background_manager, user_scripts_manager):
    logs_queue.append("stubborn script running")
    while True:  # never looks at stop_event
        time.sleep(0.05)
"""
CRASH = """
def run(stop_event, statistics, parameter_queue, logs_queue, cam_client, pipeline_config, output_stream_port,
        background_manager, user_scripts_manager):
    raise RuntimeError("crash on purpose")
"""


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data = tmp_path_factory.mktemp("supervisor")
    for name, config in CAMERAS.items():
        write_json(data / "camera_config" / f"{name}.json", config)
    for name, config in PIPELINES.items():
        write_json(data / "pipeline_config" / f"{name}.json", config)
    write_json(data / "camera_config" / "permanent_instances.json", {"perm_cam": "", "#tiny": ""})
    permanent = {"perm_sp": "", "#off_sp": "perm_sp", "perm_crash": ""}
    write_json(data / "pipeline_config" / "permanent_instances.json", permanent)
    (data / "user_scripts").mkdir()
    (data / "user_scripts" / "stubborn.py").write_text(STUBBORN)
    (data / "user_scripts" / "crash.py").write_text(CRASH)
    with running_server(data, allow_user_scripts=True, stop_timeout=2.0) as running:
        yield running


@pytest.fixture(scope="module")
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    yield client
    client.close()


def active(rest: Rest, prefix: str) -> dict[str, Any]:
    instances: dict[str, Any] = rest.call("GET", f"{prefix}/info")["info"]["active_instances"]
    return instances


def restarted(restarts: int) -> Callable[[dict[str, Any]], bool]:
    return lambda info: info["restarts"] == restarts and info["state"] == "running"


def running(info: dict[str, Any]) -> bool:
    return info["state"] == "running"


def stopped(info: dict[str, Any]) -> bool:
    return info["state"] == "stopped"


def test_permanent_instances_start_with_the_server(rest: Rest) -> None:
    pipelines = active(rest, "/api/v1/pipeline")
    cameras = active(rest, "/api/v1/cam")
    assert "perm_sp" in pipelines
    assert "off_sp" not in pipelines
    assert "#off_sp" not in pipelines
    assert "perm_cam" in cameras
    assert "tiny" not in cameras
    info = rest.info("perm_sp")
    assert info["permanent"] is True
    assert info["config"]["no_client_timeout"] == 0  # kept running with nobody reading
    assert rest.camera_info("perm_cam")["permanent"] is True


def test_an_instance_of_a_permanent_pipeline_s_config_under_another_id_is_on_demand(rest: Rest) -> None:
    started = rest.call("POST", "/api/v1/pipeline/perm_sp")  # as psi-camserver-client's create_instance_from_name
    instance_id = started["instance_id"]
    assert instance_id != "perm_sp"
    assert rest.info(instance_id)["permanent"] is False  # it ends for good when stopped or idle
    assert rest.info("perm_sp")["permanent"] is True
    rest.call("DELETE", f"/api/v1/pipeline/{instance_id}")


def test_a_killed_permanent_pipeline_is_restarted_on_the_same_stream(rest: Rest) -> None:
    rest.update("perm_sp", {"image_threshold": 3})  # a permanent instance's update is saved too
    assert rest.call("GET", "/api/v1/pipeline/perm_sp/config")["config"]["image_threshold"] == 3
    before = rest.info("perm_sp")
    os.kill(before["pid"], signal.SIGKILL)
    after = wait_for(lambda: rest.info("perm_sp"), restarted(before["restarts"] + 1), "perm_sp to be restarted")
    assert after["stream_address"] == before["stream_address"]
    assert after["pid"] != before["pid"]
    assert after["config"]["image_threshold"] == 3
    with Subscriber(after["stream_address"], receive_timeout=20) as output:
        assert read(output, 1)[0].data["image"].shape == (48, 64)
    logs = rest.log_text("perm_sp")
    assert "killed by signal 9" in logs  # the supervisor's notes
    assert "permanent instance: restarting now (restart 1)" in logs
    assert "pipeline perm_sp (processing) running" in logs  # the instance's own records
    server_logs = " ".join(record[3] for record in rest.call("GET", "/api/v1/logs")["logs"])
    assert "pipeline/perm_sp: permanent instance: restarting" in server_logs


def test_a_permanent_instance_that_keeps_failing_is_restarted_at_once_then_with_growing_delays(rest: Rest) -> None:
    wait_until(lambda: "restarting in 2 s (restart 3, backoff)" in rest.log_text("perm_crash"), "a third restart")
    logs = rest.log_text("perm_crash")
    assert "crash on purpose" in logs
    assert logs.index("restarting now (restart 1)") < logs.index("restarting in 1 s (restart 2, backoff)")


def test_a_killed_permanent_camera_is_restarted_and_its_pipeline_resumes(rest: Rest) -> None:
    before = rest.camera_info("perm_cam")
    pipeline = rest.info("perm_sp")
    with Subscriber(pipeline["stream_address"], receive_timeout=20) as output:
        last = read(output, 1)[0].pulse_id
        os.kill(before["pid"], signal.SIGKILL)
        after = wait_for(lambda: rest.camera_info("perm_cam"), restarted(before["restarts"] + 1), "perm_cam to restart")
        # the new camera counts pulse ids from 0 again; the pipeline reconnects to the same address by itself
        wait_until(lambda: read(output, 1)[0].pulse_id < last, "frames of the restarted camera through the pipeline")
    assert after["stream_address"] == before["stream_address"]
    assert rest.info("perm_sp")["restarts"] == pipeline["restarts"]  # it never stopped


def test_a_pipeline_on_a_missing_camera_is_404(rest: Rest) -> None:
    body = rest.call("POST", "/api/v1/pipeline", json={"camera_name": "ghost"}, status=404)
    assert body["status"] == "Camera 'ghost' does not exist."
    assert rest.call("GET", "/api/v1/cam/ghost", status=404)["status"] == "Camera 'ghost' does not exist."


def test_a_pipeline_on_a_missing_camera_is_refused_when_saved_and_named_when_started(
    rest: Rest, server: RunningServer
) -> None:
    body = rest.call("POST", "/api/v1/pipeline/ghost_sp/config", json={"camera_name": "ghost"}, status=400)
    assert body["status"] == (
        "pipeline 'ghost_sp' reads camera 'ghost', which does not exist (no camera config or alias of that name): "
        "save the camera first, or correct camera_name"
    )
    assert "ghost_sp" not in rest.call("GET", "/api/v1/pipeline")["pipelines"]
    # one saved before the camera went away (or copied in as a file) says what is missing when started
    server.services.pipeline_store.set("orphan_sp", {"camera_name": "ghost"})
    body = rest.call("GET", "/api/v1/pipeline/instance/orphan_sp", status=404)
    assert body["status"] == "Pipeline 'orphan_sp' reads camera 'ghost', which does not exist."
    assert body["error"] == "CameraNotFound"
    server.services.pipeline_store.delete("orphan_sp")


def test_on_demand_instances_stop_when_nobody_reads(rest: Rest) -> None:
    instance_id, _ = rest.create({"camera_name": "lonely", "no_client_timeout": 1})
    assert rest.camera_info("lonely")["state"] == "running"  # started on demand for the pipeline
    assert rest.wait_exit(instance_id) == 0
    assert rest.info(instance_id)["reason"] == "no client connected for 1 s"
    camera = wait_for(lambda: rest.camera_info("lonely"), stopped, "the camera to stop after its pipeline")
    assert (camera["exit_code"], camera["reason"]) == (0, "no client connected for 1 s")
    assert "lonely" not in active(rest, "/api/v1/cam")


def test_a_pipeline_asks_for_its_camera_again_after_camera_timeout(rest: Rest) -> None:
    instance_id, stream = rest.create({"camera_name": "tiny2", "function": "transparent", "camera_timeout": 1,
                                       "no_client_timeout": 0})  # fmt: skip
    with Subscriber(stream, receive_timeout=20) as output:
        rest.wait_figure(instance_id, "rx_count", 50)
        last = read(output, 1)[0].pulse_id
        first_camera = rest.camera_info("tiny2")
        rest.call("DELETE", "/api/v1/cam/tiny2")
        assert rest.camera_info("tiny2")["state"] == "stopped"
        camera = wait_for(lambda: rest.camera_info("tiny2"), running, "the pipeline to start its camera again")
        assert camera["pid"] != first_camera["pid"]
        # the new camera counts pulse ids from 0 again: a smaller pulse id is a frame of the new camera
        wait_until(lambda: read(output, 1)[0].pulse_id < last, "frames of the restarted camera")
    assert "no camera message for" in rest.log_text(instance_id)
    rest.stop(instance_id)


def test_an_instance_that_ignores_stop_is_terminated_with_a_reason(rest: Rest) -> None:
    instance_id, _ = rest.create({"pipeline_type": "script", "pipeline_script": "stubborn"})
    pid = rest.info(instance_id)["pid"]
    wait_until(lambda: "stubborn script running" in rest.log_text(instance_id), "the script to run")
    rest.stop(instance_id)  # returns once the process is gone
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    server_logs = [record[3] for record in rest.call("GET", "/api/v1/logs")["logs"]]
    assert f"pipeline/{instance_id}: did not stop within 2 s: terminating" in server_logs


def test_info_and_heartbeat_report_rates_drops_cpu_and_clients(rest: Rest) -> None:
    instance_id, stream = rest.create({"camera_name": "tiny", "no_client_timeout": 0})
    with Subscriber(stream, receive_timeout=20) as output:
        read(output, 1)
        rest.wait_figure(instance_id, "clients", 1)
        rest.wait_figure(instance_id, "tx_count", 20)
        entry = active(rest, "/api/v1/pipeline")[instance_id]
        statistics = entry["statistics"]
        assert statistics["clients"] == 1
        assert int(statistics["rx"].split(" - ")[1]) >= 20
        assert float(statistics["tx"].split("Hz")[0]) > 0
        assert statistics["cpu"] >= 0
        assert entry["detail"]["input_drops"] >= 0
        assert entry["detail"]["output_drops"] == 0
        beat = rest.call("GET", "/api/v1/pipeline/heartbeat")["instances"][instance_id]
        assert beat["clients"] == 1
        assert beat["rx"] > 0
        assert beat["tx"] > 0
        assert beat["cpu"] > 0
        assert beat["output_drops"] == 0
        assert beat["input_drops"] >= 0
        camera = rest.call("GET", "/api/v1/cam/heartbeat")["instances"]["tiny"]
        assert camera["clients"] == 1  # the pipeline
        assert camera["tx"] > 0
        assert camera["geometry"] == [64, 48]
    rest.stop(instance_id)
