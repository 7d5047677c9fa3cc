"""``camserver pipelines``: list, show, set and delete pipeline configs; start an instance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from camserver.cli.connection import connection, reported_errors
from camserver.cli.documents import print_document, read_document

__all__ = ["app"]

app = typer.Typer(
    name="pipelines",
    help="Pipeline configs on the server: list, show, set, delete; start an instance.",
    no_args_is_help=True,
)

Name = Annotated[str, typer.Argument(help="pipeline name", show_default=False)]
AsYaml = Annotated[bool, typer.Option("--yaml", help="print YAML instead of JSON")]
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
ConfigFile = Annotated[
    Path, typer.Argument(help="JSON or YAML file with the complete config ('-': stdin)", show_default=False)
]


@app.command("list")
def list_pipelines(context: typer.Context) -> None:
    """Print the names of all pipelines, one per line."""
    with reported_errors(), connection(context).client() as client:
        names = client.pipelines.list()
    for name in names:
        typer.echo(name)


@app.command()
def show(context: typer.Context, name: Name, as_yaml: AsYaml = False) -> None:
    """Print a pipeline's config, every default filled in."""
    with reported_errors(), connection(context).client() as client:
        config = client.pipelines.config(name)
    print_document(config.to_dict(), as_yaml=as_yaml)


@app.command("set")
def set_config(context: typer.Context, name: Name, file: ConfigFile) -> None:
    """Save a pipeline's config from a JSON or YAML file (validated by the server)."""
    document = read_document(file)
    with reported_errors(), connection(context).client() as client:
        config = client.pipelines.set_config(name, document)
    typer.echo(f"saved pipeline '{name}'")
    if config.unknown_keys():
        typer.echo(f"note: unknown keys kept but not used: {', '.join(config.unknown_keys())}", err=True)


@app.command()
def delete(context: typer.Context, name: Name) -> None:
    """Delete a pipeline's config (running instances keep running until stopped)."""
    with reported_errors(), connection(context).client() as client:
        client.pipelines.delete_config(name)
    typer.echo(f"deleted pipeline '{name}'")


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
