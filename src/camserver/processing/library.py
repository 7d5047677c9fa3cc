"""The built-in functions, under the names CamServer's ``function`` key uses.

Processing pipelines: ``default`` / ``processor`` (the standard beam metrics), ``transparent`` (the
image and its geometry only), ``merge`` (standard metrics updated with the extra stream data),
``psen`` (x profiles of two regions, :mod:`~camserver.processing.psen`) and ``psss`` (a spectrometer's
spectrum, :mod:`~camserver.processing.psss`; it reads and writes EPICS PVs, so the pipeline builds
it with its link: :data:`LINKED_FUNCTIONS`). Stream pipelines: ``propagate_stream`` (identity) and
``propagate_stream_with_prefix`` (channel names prefixed with ``parameters["prefix"]``). Custom
pipelines: ``custom_pipeline`` (CamServer's example: a scalar, a waveform, an image and a string).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import numpy as np

from camserver.processing import psen
from camserver.processing.metrics import process_image
from camserver.processing.provenance import processing_parameters, timestamp_seconds

__all__ = [
    "CUSTOM_FUNCTIONS",
    "LINKED_FUNCTIONS",
    "PROCESSING_FUNCTIONS",
    "STREAM_FUNCTIONS",
    "custom_pipeline",
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


def custom_pipeline(
    parameters: MutableMapping[str, Any], init: bool = False
) -> tuple[dict[str, Any], float, None, int]:
    """CamServer's example custom function: ``scalar`` 10.0, ``waveform`` (10 random uint16 in
    1..100), ``image`` (10x20 of them), ``str`` (whether this is the first call); stamped now, no
    pulse id (the pipeline numbers the messages)."""
    random = np.random.default_rng()
    image = random.integers(1, 101, size=(10, 20), dtype=np.uint16)
    data = {
        "scalar": 10.0,
        "waveform": random.integers(1, 101, size=10, dtype=np.uint16),
        "image": image,
        "str": str(init),
    }
    return data, time.time(), None, int(image.size)


PROCESSING_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "default": process_image,
    "processor": process_image,
    "transparent": transparent,
    "merge": merge,
    "psen": psen.process_image,
}
#: processing functions that read or write EPICS: the pipeline builds them with their link
LINKED_FUNCTIONS = frozenset({"psss"})
CUSTOM_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "custom_pipeline": custom_pipeline,
}
STREAM_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "propagate_stream": propagate_stream,
    "propagate_stream_with_prefix": propagate_stream_with_prefix,
}
