"""The ``camserver`` command itself: help without heavy imports, version, connection options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import camserver
from camserver.testing.server import RunningServer
from tests.integration.cli.conftest import run_cli
from tests.integration.client.served import serving

HEAVY = ("numpy", "numba", "scipy", "fastapi", "uvicorn", "zmq")


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import json, sys\n"
        "import typer.main\n"
        "from camserver.cli.app import app\n"
        "command = typer.main.get_command(app)\n"
        "for args in (['--help'], ['cameras', '--help'], ['instances', 'watch', '--help'],\n"
        "             ['stream', '--help'], ['record', '--help'], ['check-config', '--help'], ['serve', '--help']):\n"
        "    try:\n"
        "        command.main(args, prog_name='camserver', standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(json.dumps(sorted(name for name in {HEAVY!r} if name in sys.modules)))\n"
        "import camserver.client\n"  # what a command body imports: the same check sees it
        f"print(json.dumps(sorted(name for name in {HEAVY!r} if name in sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    *help_text, after_help, after_client = result.stdout.splitlines()
    assert json.loads(after_help) == []
    assert {"numpy", "zmq"} <= set(json.loads(after_client))
    assert "check-config" in "\n".join(help_text)


def test_version() -> None:
    shown = run_cli("--version")
    assert (shown.exit_code, shown.stdout) == (0, f"{camserver.__version__}\n")


def test_the_server_comes_from_the_environment(served: RunningServer) -> None:
    listed = run_cli("cameras", "list", env={"CAMSERVER_URL": served.url})
    assert (listed.exit_code, listed.stdout) == (0, "sim\n")


def test_an_unreachable_server() -> None:
    failed = run_cli("--server", "http://127.0.0.1:9", "--timeout", "2", "cameras", "list")
    assert failed.exit_code == 1
    assert failed.stderr.startswith("error: GET http://127.0.0.1:9/api/v1/cam: cannot reach the server")


def test_a_malformed_server_address_is_a_usage_error() -> None:
    failed = run_cli("--server", "ftp://127.0.0.1", "cameras", "list")
    assert failed.exit_code == 2
    assert failed.stderr.startswith("error: invalid server URL 'ftp://127.0.0.1'")


def test_the_token_comes_from_an_option_or_the_environment(tmp_path: Path) -> None:
    with serving(tmp_path, token="s3cret") as server:
        refused = run_cli("--server", server.url, "pipelines", "delete", "sim_sp")
        assert refused.exit_code == 1
        assert refused.stderr.startswith("error: this route needs 'Authorization: Bearer <token>'")
        by_option = run_cli("--server", server.url, "--token", "s3cret", "cameras", "delete", "sim")
        assert by_option.exit_code == 0
        by_environment = run_cli(
            "--server", server.url, "pipelines", "delete", "sim_sp", env={"CAMSERVER_TOKEN": "s3cret"}
        )
        assert by_environment.exit_code == 0
        assert run_cli("--server", server.url, "pipelines", "list").stdout == ""
