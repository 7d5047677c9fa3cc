"""The ``camserver`` command."""

from __future__ import annotations

import typer

from camserver.cli.serve import serve

__all__ = ["app", "main"]

app = typer.Typer(
    name="camserver",
    help="Stream-processing server for facility cameras: run it, configure it, watch its streams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(serve)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="print the version and exit", is_eager=True),
) -> None:
    """camserver: cameras and pipelines as bsread streams, managed over REST."""
    if version:
        from camserver import __version__

        typer.echo(__version__)
        raise typer.Exit()


def main() -> None:
    """Entry point of the ``camserver`` console script."""
    app()
