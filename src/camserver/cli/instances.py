"""``camserver instances``: running cameras and pipelines: list, info, stop, logs, watch."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from camserver.cli.connection import EXIT_USAGE, connection, fail, reported_errors
from camserver.cli.documents import print_document

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rich.console import Console
    from rich.table import Table

    from camserver.client import Client, InstanceReport

__all__ = ["app"]

app = typer.Typer(
    name="instances", help="Running cameras and pipelines: list, info, stop, logs, watch.", no_args_is_help=True
)

Kind = Literal["camera", "pipeline"]
InstanceId = Annotated[str, typer.Argument(help="instance id (a camera's name, or a pipeline instance id)")]
CameraFlag = Annotated[bool, typer.Option("--camera", help="the id is a camera instance")]
PipelineFlag = Annotated[bool, typer.Option("--pipeline", help="the id is a pipeline instance")]
AsYaml = Annotated[bool, typer.Option("--yaml", help="print YAML instead of JSON")]

#: columns of a table written to a pipe or a file (a terminal gives its own width)
_PIPED_WIDTH = 240


def _chosen_kind(camera: bool, pipeline: bool) -> Kind | None:
    if camera and pipeline:
        fail("give --camera or --pipeline, not both", EXIT_USAGE)
    return "camera" if camera else "pipeline" if pipeline else None


def _all_instances(client: Client) -> list[InstanceReport]:
    reports = [*client.cameras.instances().values(), *client.pipelines.instances().values()]
    return sorted(reports, key=lambda report: (str(report.kind), report.instance_id))


def _locate(client: Client, instance_id: str, kind: Kind | None) -> Kind:
    """Whether ``instance_id`` is a camera or a pipeline instance (running ones first)."""
    from camserver.errors import InstanceNotFound, NotFound

    if kind is not None:
        return kind
    camera = instance_id in client.cameras.instances()
    pipeline = instance_id in client.pipelines.instances()
    if camera and pipeline:
        fail(
            f"a camera and a pipeline instance are both called '{instance_id}': choose with --camera or --pipeline",
            EXIT_USAGE,
        )
    if camera or pipeline:
        return "camera" if camera else "pipeline"
    try:  # an ended instance the server still knows
        client.pipelines.info(instance_id)
    except NotFound:
        pass
    else:
        return "pipeline"
    try:
        client.cameras.info(instance_id)
    except NotFound:
        raise InstanceNotFound(f"Instance '{instance_id}' does not exist.") from None
    return "camera"


def _console() -> Console:
    """A console for tables: a terminal's width, or room for whole lines when piped."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=_PIPED_WIDTH)


def _hz(value: float) -> str:
    return f"{value:.1f}"


def _instance_table(reports: list[InstanceReport], *, figures: bool) -> Table:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("KIND")
    table.add_column("ID", overflow="fold")
    table.add_column("STATE")
    if figures:
        for column in ("RX Hz", "TX Hz", "IN DROPS", "OUT DROPS", "ERRORS", "CPU %", "CLIENTS"):
            table.add_column(column, justify="right")
    else:
        table.add_column("STREAM", overflow="fold")
        for column in ("RX Hz", "TX Hz", "CLIENTS"):
            table.add_column(column, justify="right")
    for report in reports:
        detail = report.detail
        state = report.state.value if report.state is not None else ("running" if report.active else "-")
        row = [str(report.kind or "-"), report.instance_id, state]
        if figures:
            row += [
                _hz(detail.rx_rate),
                _hz(detail.tx_rate),
                str(detail.input_drops),
                str(detail.output_drops),
                str(detail.processing_errors),
                f"{detail.cpu:.0f}",
                str(detail.clients),
            ]
        else:
            row += [report.stream_address or "-", _hz(detail.rx_rate), _hz(detail.tx_rate), str(detail.clients)]
        table.add_row(*row)
    return table


@app.command("list")
def list_instances(
    context: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print the full reports as JSON")] = False,
) -> None:
    """List running camera and pipeline instances."""
    with reported_errors(), connection(context).client() as client:
        reports = _all_instances(client)
    if as_json:
        print_document([report.model_dump(mode="json") for report in reports])
        return
    if not reports:
        typer.echo("no instances are running", err=True)
        return
    _console().print(_instance_table(reports, figures=False))


@app.command()
def info(
    context: typer.Context,
    instance_id: InstanceId,
    camera: CameraFlag = False,
    pipeline: PipelineFlag = False,
    as_yaml: AsYaml = False,
) -> None:
    """Print an instance's report: state, statistics, config."""
    kind = _chosen_kind(camera, pipeline)
    with reported_errors(), connection(context).client() as client:
        found = _locate(client, instance_id, kind)
        nouns = client.cameras if found == "camera" else client.pipelines
        report = nouns.info(instance_id)
    print_document(report.model_dump(mode="json"), as_yaml=as_yaml)


@app.command()
def stop(
    context: typer.Context,
    instance_id: InstanceId,
    camera: CameraFlag = False,
    pipeline: PipelineFlag = False,
) -> None:
    """Stop an instance (a pipeline instance is then forgotten, as in CamServer)."""
    kind = _chosen_kind(camera, pipeline)
    with reported_errors(), connection(context).client() as client:
        found = _locate(client, instance_id, kind)
        if found == "camera":
            client.cameras.stop(instance_id)
        else:
            client.pipelines.stop(instance_id)
    typer.echo(f"stopped {found} instance '{instance_id}'")


@app.command()
def logs(
    context: typer.Context,
    instance_id: Annotated[str | None, typer.Argument(help="instance id; none: the server's own log")] = None,
) -> None:
    """Print an instance's recent log records (or the server's), oldest first."""
    with reported_errors(), connection(context).client() as client:
        records = client.server.logs() if instance_id is None else client.pipelines.logs(instance_id)
    for record in records:
        typer.echo(str(record))


@app.command()
def watch(
    context: typer.Context,
    count: Annotated[int | None, typer.Option(min=1, help="stop after this many refreshes")] = None,
    interval: Annotated[float, typer.Option(min=0.05, help="seconds between refreshes")] = 1.0,
) -> None:
    """A live table of every instance: rates, drops, errors, CPU and clients, until Ctrl-C.

    On a terminal the table updates in place; piped, each refresh prints a new table.
    """
    from rich.live import Live

    console = _console()
    with reported_errors(), connection(context).client() as client:
        try:
            table = _instance_table(_all_instances(client), figures=True)
            if console.is_terminal:
                with Live(table, console=console, auto_refresh=False) as live:
                    for _ in _refreshes(count, interval):
                        live.update(_instance_table(_all_instances(client), figures=True), refresh=True)
            else:
                console.print(table)
                for _ in _refreshes(count, interval):
                    console.print()
                    console.print(_instance_table(_all_instances(client), figures=True))
        except KeyboardInterrupt:
            pass


def _refreshes(count: int | None, interval: float) -> Iterator[int]:
    """The refreshes after the first, ``interval`` seconds apart: ``count - 1`` of them, or endless."""
    shown = 1
    while count is None or shown < count:
        time.sleep(interval)  # the refresh period of a live display
        shown += 1
        yield shown
