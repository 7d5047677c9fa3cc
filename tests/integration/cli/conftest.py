"""A real server for the CLI tests, and a runner of ``camserver`` commands against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from camserver.cli.app import app
from camserver.testing.server import RunningServer
from tests.integration.client.served import serving, stop_everything

Invoke = Callable[..., Result]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A real server with the camera ``sim`` and the pipeline ``sim_sp``."""
    with serving(tmp_path_factory.mktemp("data")) as server:
        yield server


def run_cli(*args: str, env: dict[str, str] | None = None, **options: Any) -> Result:
    """Run ``camserver ARGS`` in-process; a command must never end in a traceback."""
    result = CliRunner().invoke(app, list(args), env=env, **options)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def camserver(served: RunningServer) -> Iterator[Invoke]:
    """``camserver --server <served> ARGS``; instances are stopped after the test."""

    def invoke(*args: str, **options: Any) -> Result:
        return run_cli("--server", served.url, *args, **options)

    try:
        yield invoke
    finally:
        stop_everything(served)
