"""``camserver pipelines``: list, show, set and delete pipeline configs; start an instance."""

from __future__ import annotations

from typing import Annotated

import typer

from camserver.cli.config_commands import config_commands
from camserver.cli.connection import connection, reported_errors

__all__ = ["app"]

app = config_commands(
    "pipeline",
    saved="validated by the server",
    deleted="running instances keep running until stopped",
    more="start an instance",
)

Name = Annotated[str, typer.Argument(help="pipeline name", show_default=False)]
InstanceId = Annotated[
    str | None, typer.Option("--instance-id", help="the new instance's id (default: the server picks one)")
]
NoClientTimeout = Annotated[
    float | None,
    typer.Option(
        "--no-client-timeout",
        help="seconds the instance runs on without clients before it stops itself (0: until stopped)",
    ),
]


@app.command()
def start(
    context: typer.Context, name: Name, instance_id: InstanceId = None, no_client_timeout: NoClientTimeout = None
) -> None:
    """Start an instance of a saved pipeline and print its id and stream address.

    An instance without clients stops itself after its ``no_client_timeout`` (10 s by default);
    ``--no-client-timeout 0`` keeps it running until ``camserver instances stop``."""
    additional = None if no_client_timeout is None else {"no_client_timeout": no_client_timeout}
    with reported_errors(), connection(context).client() as client:
        started = client.pipelines.create_from_name(name, instance_id=instance_id, additional_config=additional)
    typer.echo(f"{started.instance_id} {started.stream}")
