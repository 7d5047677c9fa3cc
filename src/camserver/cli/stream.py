"""``camserver stream``: print the channels of a stream live, one line per message."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

import typer

from camserver.cli.connection import EXIT_USAGE, connection, fail, reported_errors

if TYPE_CHECKING:
    from camserver.client import Message

__all__ = ["check_channels", "describe_value", "stream", "stream_kind"]

Source = Annotated[
    str, typer.Argument(help="stream address (tcp://host:port) or a camera or pipeline name", show_default=False)
]
CameraFlag = Annotated[bool, typer.Option("--camera", help="SOURCE is a camera name")]
PipelineFlag = Annotated[bool, typer.Option("--pipeline", help="SOURCE is a pipeline (or instance) name")]
Timeout = Annotated[float, typer.Option(min=0.01, help="seconds to wait for a message before giving up")]

_TEXT_WIDTH = 60


def stream_kind(camera: bool, pipeline: bool) -> Any:
    """The ``kind`` of :func:`camserver.client.read_stream` the flags choose."""
    if camera and pipeline:
        fail("give --camera or --pipeline, not both", EXIT_USAGE)
    return "camera" if camera else "pipeline" if pipeline else None


def describe_value(value: Any) -> str:
    """A channel value in a few characters: arrays by dtype, shape, min and max."""
    import numpy as np

    if value is None:
        return "null"
    if isinstance(value, np.ndarray) and value.ndim > 0:
        shape = "x".join(str(size) for size in value.shape)
        if value.size and value.dtype.kind in "biuf":
            return f"{value.dtype}[{shape}] min={value.min():g} max={value.max():g}"
        return f"{value.dtype}[{shape}]"
    if isinstance(value, str):
        return repr(value if len(value) <= _TEXT_WIDTH else value[: _TEXT_WIDTH - 1] + "…")
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    if isinstance(value, np.ndarray):
        return describe_value(value.item())
    return str(value.item() if isinstance(value, np.generic) else value)


def check_channels(message: Message, wanted: list[str], address: str) -> None:
    """Fail (exit 1) if the stream lacks a channel the user asked for, naming the ones it has."""
    missing = [name for name in wanted if name not in message.data]
    if missing:
        known = ", ".join(message.data) or "none"
        fail(f"no channel {', '.join(map(repr, missing))} in {address} (channels: {known})")


def _line(message: Message, channels: list[str]) -> str:
    names = channels or list(message.data)
    values = "  ".join(f"{name}={describe_value(message.data.get(name))}" for name in names)
    return f"{message.pulse_id}  {values}"


def stream(
    context: typer.Context,
    source: Source,
    channels: Annotated[list[str] | None, typer.Argument(help="channels to print (default: all)")] = None,
    count: Annotated[int | None, typer.Option(min=1, help="stop after this many messages")] = None,
    seconds: Annotated[float | None, typer.Option(min=0.01, help="stop after this many seconds")] = None,
    timeout: Timeout = 10.0,
    camera: CameraFlag = False,
    pipeline: PipelineFlag = False,
) -> None:
    """Print chosen channels of a stream live: pulse id, then name=value (arrays summarised)."""
    from camserver.client import read_stream

    kind = stream_kind(camera, pipeline)
    wanted = list(channels or [])
    with reported_errors(), connection(context).client() as client:
        reader = read_stream(source, client=client, kind=kind, count=count, seconds=seconds, timeout=timeout)
        with reader:
            try:
                for message in reader:
                    check_channels(message, wanted, reader.address)
                    typer.echo(_line(message, wanted))
            except KeyboardInterrupt:
                pass
    if seconds is not None and math.isfinite(seconds) and reader.received == 0:
        fail(f"no message from {reader.address} in {seconds:g} s")
