"""The config commands of ``camserver cameras`` and ``camserver pipelines``: one factory, so both
nouns list, show, set and delete their configs the same way.

(No ``from __future__ import annotations`` here: Typer reads the commands' annotations, and the
argument type of the name is made per noun inside the factory.)
"""

from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from camserver.cli.connection import connection, reported_errors
from camserver.cli.documents import print_document, read_document

__all__ = ["config_commands"]

Noun = Literal["camera", "pipeline"]
AsYaml = Annotated[bool, typer.Option("--yaml", help="print YAML instead of JSON")]
ConfigFile = Annotated[
    Path, typer.Argument(help="JSON or YAML file with the complete config ('-': stdin)", show_default=False)
]


def _configs(client: Any, noun: Noun) -> Any:
    """``client.cameras`` or ``client.pipelines``: the same calls for configs."""
    return client.cameras if noun == "camera" else client.pipelines


def config_commands(noun: Noun, *, saved: str, deleted: str, more: str = "") -> typer.Typer:
    """``list``, ``show``, ``set`` and ``delete`` for the configs of ``noun``; ``saved`` and
    ``deleted`` say what happens to running instances; ``more`` names the commands the caller adds."""
    plural = f"{noun}s"
    also = f"; {more}" if more else ""
    app = typer.Typer(
        name=plural,
        help=f"{noun.capitalize()} configs on the server: list, show, set, delete{also}.",
        no_args_is_help=True,
    )
    Name = Annotated[str, typer.Argument(help=f"{noun} name", show_default=False)]  # noqa: N806 - a type

    @app.command("list")
    def list_configs(context: typer.Context) -> None:
        with reported_errors(), connection(context).client() as client:
            names = _configs(client, noun).list()
        for name in names:
            typer.echo(name)

    list_configs.__doc__ = f"Print the names of all {plural}, one per line."

    @app.command()
    def show(context: typer.Context, name: Name, as_yaml: AsYaml = False) -> None:
        with reported_errors(), connection(context).client() as client:
            config = _configs(client, noun).config(name)
        print_document(config.to_dict(), as_yaml=as_yaml)

    show.__doc__ = f"Print a {noun}'s config, every default filled in."

    @app.command("set")
    def set_config(context: typer.Context, name: Name, file: ConfigFile) -> None:
        document = read_document(file)
        with reported_errors(), connection(context).client() as client:
            config = _configs(client, noun).set_config(name, document)
        typer.echo(f"saved {noun} '{name}'")
        if config.unknown_keys():
            typer.echo(f"note: unknown keys kept but not used: {', '.join(config.unknown_keys())}", err=True)

    set_config.__doc__ = f"Save a {noun}'s config from a JSON or YAML file ({saved})."

    @app.command()
    def delete(context: typer.Context, name: Name) -> None:
        with reported_errors(), connection(context).client() as client:
            _configs(client, noun).delete_config(name)
        typer.echo(f"deleted {noun} '{name}'")

    delete.__doc__ = f"Delete a {noun}'s config ({deleted})."
    return app
