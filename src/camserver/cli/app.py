"""The ``camserver`` command."""

from __future__ import annotations

from typing import Annotated

import typer

from camserver.cli import background, cameras, instances, pipelines
from camserver.cli.check_config import check_config
from camserver.cli.connection import DEFAULT_SERVER, Connection
from camserver.cli.node import node
from camserver.cli.record import record
from camserver.cli.serve import serve
from camserver.cli.stream import stream

__all__ = ["app", "main"]

app = typer.Typer(
    name="camserver",
    help="Stream-processing server for facility cameras: run it, configure it, watch its streams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(serve)
app.add_typer(cameras.app)
app.add_typer(pipelines.app)
app.add_typer(instances.app)
app.command()(stream)
app.command()(record)
app.add_typer(background.app)
app.command("check-config")(check_config)
app.command()(node)


def _show_version(version: bool) -> None:
    """``--version``: print the version and exit, before click asks for a command."""
    if version:
        from camserver import __version__

        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    context: typer.Context,
    version: bool = typer.Option(
        False, "--version", help="print the version and exit", is_eager=True, callback=_show_version
    ),
    server: Annotated[
        str, typer.Option("--server", envvar="CAMSERVER_URL", help="the server's REST API", show_envvar=True)
    ] = DEFAULT_SERVER,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="CAMSERVER_TOKEN", help="bearer token for changes", show_envvar=True),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, envvar="CAMSERVER_TIMEOUT", help="seconds to wait for the server")
    ] = 10.0,
) -> None:
    """camserver: cameras and pipelines as bsread streams, managed over REST."""
    context.obj = Connection(url=server, token=token, timeout=timeout)


def main() -> None:
    """Entry point of the ``camserver`` console script."""
    app()
