"""``camserver cameras``: list, show, set and delete camera configs; start a camera."""

from __future__ import annotations

from typing import Annotated

import typer

from camserver.cli.config_commands import config_commands
from camserver.cli.connection import connection, reported_errors

__all__ = ["app"]

app = config_commands(
    "camera",
    saved="a running camera applies it",
    deleted="a running instance keeps running until stopped",
    more="start a camera",
)

Name = Annotated[str, typer.Argument(help="camera name", show_default=False)]


@app.command()
def start(context: typer.Context, name: Name) -> None:
    """Start a camera's instance (nothing happens if it runs) and print its stream address.

    A camera without clients stops itself after its ``no_client_timeout`` (10 s by default)."""
    with reported_errors(), connection(context).client() as client:
        stream = client.cameras.stream(name)
    typer.echo(stream)
