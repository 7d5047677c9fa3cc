"""Ended instances: a bounded history with exit codes and reasons, and a server log that tells
every instance's life, including a forced stop, after the instance is gone."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from camserver.service.json_log import JsonLogFormatter
from camserver.testing.server import RunningServer, running_server
from tests.system.rest import Rest
from tests.system.waiting import wait_for, wait_until

pytestmark = pytest.mark.system

HISTORY = 3
BRIEF = {"source": "", "source_type": "simulation", "size_x": 32, "size_y": 24, "frame_rate": 50,
         "no_client_timeout": 0.2}  # fmt: skip
STUBBORN = """
import time

def run(stop_event, statistics, parameter_queue, logs_queue, cam_client, pipeline_config, output_stream_port,
        background_manager, user_scripts_manager):
    while True:  # never looks at stop_event
        time.sleep(0.05)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data = tmp_path_factory.mktemp("history")
    with running_server(data, instance_history=HISTORY, stop_timeout=1.0, allow_user_scripts=True) as running:
        for index in range(6):
            running.services.camera_store.set(f"brief{index}", BRIEF)
        yield running


@pytest.fixture(scope="module")
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    client.upload_script("stubborn.py", STUBBORN)
    yield client
    client.close()


def server_log(rest: Rest) -> str:
    return "\n".join(record[3] for record in rest.call("GET", "/api/v1/logs")["logs"])


def test_ended_instances_are_kept_up_to_the_history_size(rest: Rest) -> None:
    for index in range(6):
        rest.camera_stream(f"brief{index}")
        # each ends by itself 0.2 s after it started, as nobody reads it
        wait_for(lambda index=index: rest.camera_info(f"brief{index}")["state"], lambda state: state == "stopped",
                 f"brief{index} to end")  # fmt: skip
    listed = [entry for entry in rest.call("GET", "/api/v1/instances")["instances"] if entry["kind"] == "camera"]
    assert [entry["instance_id"] for entry in listed] == ["brief3", "brief4", "brief5"]
    for entry in listed:
        assert entry["exit_code"] == 0
        assert "no client" in entry["reason"]
        assert entry["end_time"]
    rest.call("GET", "/api/v1/cam/brief0/info", status=404)  # the oldest are gone from the list...
    log = server_log(rest)
    for index in range(6):  # ... not from the server's log
        assert f"camera/brief{index}: started process " in log
        assert f"camera/brief{index}: running, streaming on tcp://" in log
    assert log.count("ended (stopped) with exit code 0: no client connected for 0.2 s") >= 6


def test_a_forced_stop_stays_in_the_server_log_after_the_instance_is_gone(rest: Rest) -> None:
    instance_id, _ = rest.create({"pipeline_type": "script", "pipeline_script": "stubborn"})
    rest.call("DELETE", f"/api/v1/pipeline/{instance_id}/del")  # stop, terminated after 1 s, forgotten
    rest.call("GET", f"/api/v1/pipeline/instance/{instance_id}/info", status=404)
    log = server_log(rest)
    assert f"pipeline/{instance_id}: stop requested" in log
    assert f"pipeline/{instance_id}: forced stop: did not stop within 1 s: terminated" in log


def test_json_log_records_carry_the_instance(rest: Rest) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keeper = Keep()
    backend_log = logging.getLogger("camserver.backend")
    backend_log.addHandler(keeper)
    try:
        rest.camera_stream("brief1")
        wait_until(lambda: any("ended" in record.getMessage() for record in records), "brief1 to end")
    finally:
        backend_log.removeHandler(keeper)
    lines = [json.loads(JsonLogFormatter().format(record)) for record in records]
    assert {line["instance"] for line in lines} == {"camera/brief1"}
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any(line["message"].startswith("camera/brief1: started process") for line in lines)
