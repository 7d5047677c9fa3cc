"""``camserver pipelines``: list, show, set and delete pipeline configs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from camserver.cli.connection import connection, reported_errors
from camserver.cli.documents import print_document, read_document

__all__ = ["app"]

app = typer.Typer(
    name="pipelines", help="Pipeline configs on the server: list, show, set, delete.", no_args_is_help=True
)

Name = Annotated[str, typer.Argument(help="pipeline name", show_default=False)]
AsYaml = Annotated[bool, typer.Option("--yaml", help="print YAML instead of JSON")]
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
