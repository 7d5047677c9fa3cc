"""``camserver record``: write the messages of a stream to an HDF5 file, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from camserver.cli.connection import connection, fail, reported_errors
from camserver.cli.stream import CameraFlag, PipelineFlag, Source, Timeout, check_channels, stream_kind

__all__ = ["record"]

#: exit code of a recording cut short with Ctrl-C (128 + SIGINT, as shells report it)
EXIT_INTERRUPTED = 130


def record(
    context: typer.Context,
    source: Source,
    file: Annotated[Path, typer.Argument(help="HDF5 file to write (replaced if it exists)", show_default=False)],
    channels: Annotated[list[str] | None, typer.Argument(help="channels to record (default: all)")] = None,
    count: Annotated[int | None, typer.Option(min=1, help="messages to record")] = None,
    seconds: Annotated[float | None, typer.Option(min=0.01, help="seconds to record")] = None,
    layout: Annotated[
        Literal["DEFAULT", "FLAT", "BSH5"], typer.Option(case_sensitive=False, help="file layout")
    ] = "DEFAULT",
    change: Annotated[bool, typer.Option("--change", help="start a new segment when channels change")] = False,
    localtime: Annotated[bool, typer.Option(help="write each channel's timestamps (CamServer's localtime)")] = True,
    timeout: Timeout = 10.0,
    camera: CameraFlag = False,
    pipeline: PipelineFlag = False,
) -> None:
    """Record a stream (or chosen channels) to HDF5 in CamServer's layouts, until --count messages or
    --seconds (or Ctrl-C)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from camserver.client import read_stream
    from camserver.runtime.recorder import Hdf5Recorder

    kind = stream_kind(camera, pipeline)
    wanted = list(channels or [])
    interrupted = False
    with reported_errors(), connection(context).client() as client:
        reader = read_stream(source, client=client, kind=kind, count=count, seconds=seconds, timeout=timeout)
        with reader:
            recorder = Hdf5Recorder(file, layout=layout, change=change, localtime=localtime)
            columns = (TextColumn("recording"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            try:
                with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
                    task = progress.add_task("record", total=count)
                    for message in reader:
                        check_channels(message, wanted, reader.address)
                        data = {name: message.data[name] for name in wanted} if wanted else message.data
                        recorder.send(data, pulse_id=message.pulse_id, timestamp=message.timestamp)
                        progress.advance(task)
            except KeyboardInterrupt:
                interrupted = True
            finally:
                recorder.close()
    statistics = recorder.statistics
    typer.echo(f"recorded {statistics.sent} messages to {file}")
    if statistics.dropped:
        typer.echo(
            f"note: {statistics.dropped} messages were left out: channels changed shape or type "
            "(record with --change to start a new segment instead, or name the channels to record)",
            err=True,
        )
    if interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if statistics.sent == 0:
        fail(f"no message from {reader.address} was recorded")
