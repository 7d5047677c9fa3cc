"""``camserver node``: the ``ray start`` line it runs, and its usage errors."""

from __future__ import annotations

import shlex

from tests.integration.cli.conftest import run_cli


def test_dry_run_prints_the_ray_start_line_of_a_head() -> None:
    shown = run_cli("node", "--head", "--server-name", "srv1", "--bandwidth", "25000", "--dry-run", "--no-block")
    assert shown.exit_code == 0, shown.output
    command = shlex.split(shown.stdout)
    assert command[1:4] == ["start", "--head", "--port=6379"]
    assert "--labels=camserver/server=srv1" in command
    assert '--resources={"camserver_bandwidth": 25000.0}' in command
    assert "--block" not in command


def test_a_worker_joins_with_its_labels_and_worker_ports() -> None:
    shown = run_cli(
        "node", "--address", "10.0.0.1:6379", "--server-name", "srv2", "--label", "rack=b",
        "--worker-ports", "20000-20999", "--node-ip", "10.0.0.2", "--dry-run",
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    command = shlex.split(shown.stdout)
    assert "--address=10.0.0.1:6379" in command
    assert "--labels=camserver/server=srv2,rack=b" in command
    assert "--node-ip-address=10.0.0.2" in command
    assert command[-1] == "--block"


def test_usage_mistakes_are_refused() -> None:
    neither = run_cli("node", "--dry-run")
    assert neither.exit_code == 2
    assert "give either --head" in neither.stderr
    both = run_cli("node", "--head", "--address", "x:1", "--dry-run")
    assert both.exit_code == 2
    label = run_cli("node", "--head", "--label", "nolabel", "--dry-run")
    assert label.exit_code == 2
    assert "give key=value" in label.stderr
    ports = run_cli("node", "--head", "--worker-ports", "9-1", "--dry-run")
    assert ports.exit_code == 2
    assert "FIRST-LAST" in ports.stderr
