"""``camserver cameras``: list, show, set and delete camera configs; start a camera."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from camserver.cli.connection import connection, reported_errors
from camserver.cli.documents import print_document, read_document

__all__ = ["app"]

app = typer.Typer(
    name="cameras", help="Camera configs on the server: list, show, set, delete; start a camera.", no_args_is_help=True
)

Name = Annotated[str, typer.Argument(help="camera name", show_default=False)]
AsYaml = Annotated[bool, typer.Option("--yaml", help="print YAML instead of JSON")]
ConfigFile = Annotated[
    Path, typer.Argument(help="JSON or YAML file with the complete config ('-': stdin)", show_default=False)
]


@app.command("list")
def list_cameras(context: typer.Context) -> None:
    """Print the names of all cameras, one per line."""
    with reported_errors(), connection(context).client() as client:
        names = client.cameras.list()
    for name in names:
        typer.echo(name)


@app.command()
def show(context: typer.Context, name: Name, as_yaml: AsYaml = False) -> None:
    """Print a camera's config, every default filled in."""
    with reported_errors(), connection(context).client() as client:
        config = client.cameras.config(name)
    print_document(config.to_dict(), as_yaml=as_yaml)


@app.command("set")
def set_config(context: typer.Context, name: Name, file: ConfigFile) -> None:
    """Save a camera's config from a JSON or YAML file (a running camera applies it)."""
    document = read_document(file)
    with reported_errors(), connection(context).client() as client:
        config = client.cameras.set_config(name, document)
    typer.echo(f"saved camera '{name}'")
    if config.unknown_keys():
        typer.echo(f"note: unknown keys kept but not used: {', '.join(config.unknown_keys())}", err=True)


@app.command()
def delete(context: typer.Context, name: Name) -> None:
    """Delete a camera's config (a running instance keeps running until stopped)."""
    with reported_errors(), connection(context).client() as client:
        client.cameras.delete_config(name)
    typer.echo(f"deleted camera '{name}'")


@app.command()
def start(context: typer.Context, name: Name) -> None:
    """Start a camera's instance (nothing happens if it runs) and print its stream address.

    A camera without clients stops itself after its ``no_client_timeout`` (10 s by default)."""
    with reported_errors(), connection(context).client() as client:
        stream = client.cameras.stream(name)
    typer.echo(stream)
