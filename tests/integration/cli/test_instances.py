"""``camserver instances``: list, info, stop, logs and the live table."""

from __future__ import annotations

import json

from camserver.client import Client
from camserver.testing.server import RunningServer
from tests.integration.cli.conftest import Invoke


def test_nothing_running(camserver: Invoke) -> None:
    listed = camserver("instances", "list")
    assert listed.exit_code == 0
    assert listed.stdout == ""
    assert listed.stderr == "no instances are running\n"
    assert json.loads(camserver("instances", "list", "--json").stdout) == []


def test_list_info_logs_stop(camserver: Invoke, served: RunningServer) -> None:
    with Client(served.url) as client:
        client.pipelines.create_from_name("sim_sp", instance_id="p1")
    listed = camserver("instances", "list")
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:4] == ["KIND", "ID", "STATE", "STREAM"]
    assert [line.split()[:3] for line in lines[1:]] == [["camera", "sim", "running"], ["pipeline", "p1", "running"]]
    reports = json.loads(camserver("instances", "list", "--json").stdout)
    assert [(report["kind"], report["instance_id"]) for report in reports] == [("camera", "sim"), ("pipeline", "p1")]
    info = camserver("instances", "info", "p1")
    assert info.exit_code == 0
    report = json.loads(info.stdout)
    assert (report["instance_id"], report["state"], report["camera_name"]) == ("p1", "running", "sim")
    assert "camera_name: sim" in camserver("instances", "info", "sim", "--camera", "--yaml").stdout
    logs = camserver("instances", "logs", "p1")
    assert logs.exit_code == 0
    assert "pipeline p1" in logs.stdout
    assert camserver("instances", "logs").exit_code == 0
    stopped = camserver("instances", "stop", "p1")
    assert (stopped.exit_code, stopped.stdout) == (0, "stopped pipeline instance 'p1'\n")
    assert camserver("instances", "stop", "sim").stdout == "stopped camera instance 'sim'\n"
    assert camserver("instances", "list").stdout == ""


def test_unknown_instances(camserver: Invoke) -> None:
    for command in (("stop", "ghost"), ("info", "ghost"), ("logs", "ghost")):
        result = camserver("instances", *command)
        assert result.exit_code == 1, command
        assert result.stderr == "error: Instance 'ghost' does not exist.\n", command
    both = camserver("instances", "stop", "ghost", "--camera", "--pipeline")
    assert both.exit_code == 2
    assert "not both" in both.stderr


def test_watch_refreshes_a_table(camserver: Invoke, served: RunningServer) -> None:
    with Client(served.url) as client:
        client.cameras.stream("sim")
    watched = camserver("instances", "watch", "--count", "2", "--interval", "0.05")
    assert watched.exit_code == 0
    tables = watched.stdout.split("\n\n")
    assert len(tables) == 2  # piped: one table per refresh
    for table in tables:
        header, *rows = table.strip().splitlines()
        assert header.split("  ")[0] == "KIND"
        for column in ("RX Hz", "TX Hz", "IN DROPS", "OUT DROPS", "ERRORS", "CPU %", "CLIENTS"):
            assert column in header
        assert [row.split()[:3] for row in rows] == [["camera", "sim", "running"]]
    assert camserver("instances", "watch", "--count", "0").exit_code == 2


def test_start_commands_start_a_pipeline_and_a_camera(camserver: Invoke, served: RunningServer) -> None:
    started = camserver("pipelines", "start", "sim_sp", "--instance-id", "p2", "--no-client-timeout", "0")
    assert started.exit_code == 0, started.stderr
    instance_id, stream = started.stdout.split()
    assert instance_id == "p2"
    assert stream.startswith("tcp://")
    info = served.services.pipelines.info("p2")
    assert info.active
    assert info.config["no_client_timeout"] == 0
    again = camserver("pipelines", "start", "sim_sp", "--instance-id", "p2")
    assert (again.exit_code, again.stderr) == (1, "error: Instance 'p2' is already running.\n")
    camera = camserver("cameras", "start", "sim")
    assert camera.exit_code == 0
    assert camera.stdout.strip() == served.services.cameras.instance("sim").stream_address
    missing = camserver("cameras", "start", "ghost")
    assert (missing.exit_code, missing.stderr) == (1, "error: Camera 'ghost' does not exist.\n")
    camserver("instances", "stop", "p2")
    camserver("instances", "stop", "sim")
