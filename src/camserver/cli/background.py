"""``camserver background``: collect and list a camera's background images."""

from __future__ import annotations

from typing import Annotated

import typer

from camserver.cli.connection import connection, reported_errors

__all__ = ["app"]

app = typer.Typer(name="background", help="Background images of cameras: collect, list.", no_args_is_help=True)

Camera = Annotated[str, typer.Argument(help="camera name", show_default=False)]


@app.command()
def collect(
    context: typer.Context,
    camera: Camera,
    n_images: Annotated[int, typer.Option("-n", "--n-images", min=1, max=10000, help="frames to average")] = 10,
) -> None:
    """Average N frames of a camera into a new background; print its id."""
    with reported_errors(), connection(context).client() as client:
        background_id = client.backgrounds.collect(camera, n_images)
    typer.echo(background_id)


@app.command("list")
def list_backgrounds(context: typer.Context, camera: Camera) -> None:
    """Print the ids of a camera's backgrounds, oldest first."""
    with reported_errors(), connection(context).client() as client:
        ids = client.backgrounds.list(camera)
    for background_id in ids:
        typer.echo(background_id)
