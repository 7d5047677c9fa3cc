"""The built-in functions, under the names CamServer's ``function`` key uses.

Processing pipelines: ``default`` / ``processor`` (the standard beam metrics), ``transparent`` (the
image and its geometry only) and ``merge`` (standard metrics updated with the extra stream data).
Stream pipelines: ``propagate_stream`` (identity) and ``propagate_stream_with_prefix`` (channel names
prefixed with ``parameters["prefix"]``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import numpy as np

from camserver.processing.metrics import process_image
from camserver.processing.provenance import processing_parameters, timestamp_seconds

__all__ = [
    "PROCESSING_FUNCTIONS",
    "STREAM_FUNCTIONS",
    "merge",
    "propagate_stream",
    "propagate_stream_with_prefix",
    "transparent",
]

Array = np.ndarray[Any, Any]


def transparent(
    image: Array,
    pulse_id: int,
    timestamp: Any,
    x_axis: Array,
    y_axis: Array,
    parameters: MutableMapping[str, Any],
    bsdata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The pre-processed image and its geometry: x_axis, y_axis, width, height, image, timestamp and
    processing_parameters."""
    return {
        "x_axis": x_axis,
        "y_axis": y_axis,
        "width": int(image.shape[1]),
        "height": int(image.shape[0]),
        "image": image,
        "processing_parameters": processing_parameters(parameters),
        "timestamp": timestamp_seconds(timestamp),
    }


def merge(
    image: Array,
    pulse_id: int,
    timestamp: Any,
    x_axis: Array,
    y_axis: Array,
    parameters: MutableMapping[str, Any],
    bsdata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The standard metrics, updated with the extra stream channels in ``bsdata``."""
    result = process_image(image, pulse_id, timestamp, x_axis, y_axis, parameters, bsdata)
    if bsdata:
        result.update(bsdata)
    return result


def propagate_stream(
    stream_data: Mapping[str, Any], pulse_id: int, timestamp: Any, parameters: MutableMapping[str, Any]
) -> dict[str, Any]:
    """The stream's channels unchanged."""
    return dict(stream_data)


def propagate_stream_with_prefix(
    stream_data: Mapping[str, Any], pulse_id: int, timestamp: Any, parameters: MutableMapping[str, Any]
) -> dict[str, Any]:
    """The stream's channels, each name prefixed with ``parameters["prefix"]`` (empty by default)."""
    prefix = str(parameters.get("prefix") or "")
    return {f"{prefix}{name}": value for name, value in stream_data.items()}


PROCESSING_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "default": process_image,
    "processor": process_image,
    "transparent": transparent,
    "merge": merge,
}
STREAM_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "propagate_stream": propagate_stream,
    "propagate_stream_with_prefix": propagate_stream_with_prefix,
}
