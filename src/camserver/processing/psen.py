"""CamServer's ``psen`` function (the photon arrival-time monitor): x profiles of two regions of the image.

``roi_signal`` and ``roi_background`` are ``[offset_x, size_x, offset_y, size_y]`` (either may be
missing). The output channels are named after the camera: ``<camera>.processing_parameters``
(the two regions, JSON), ``<camera>.roi_signal_x_profile`` and ``<camera>.roi_background_x_profile``
(the sums over the rows of each region, one value per column; only for the regions given).
A region reaching past the image is cut at its edge, as numpy slicing does in CamServer's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, MutableMapping
from typing import Any

import numpy as np

from camserver.errors import ProcessingError

__all__ = ["process_image", "roi_x_profile"]

Array = np.ndarray[Any, Any]


def _region(value: Any, key: str) -> tuple[int, int, int, int]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 4
        or not all(isinstance(item, int | float) and not isinstance(item, bool) and int(item) == item for item in value)
    ):
        raise ProcessingError(f"psen: {key} must be [offset_x, size_x, offset_y, size_y], not {value!r}")
    offset_x, size_x, offset_y, size_y = (int(item) for item in value)
    if min(offset_x, offset_y) < 0 or min(size_x, size_y) <= 0:
        raise ProcessingError(f"psen: {key} {list(value)} needs offsets >= 0 and sizes > 0")
    return offset_x, size_x, offset_y, size_y


def roi_x_profile(image: Array, roi: tuple[int, int, int, int]) -> Array:
    """The sum over the rows of ``image[offset_y:offset_y+size_y, offset_x:offset_x+size_x]``
    (int64 for integer images, float64 otherwise)."""
    offset_x, size_x, offset_y, size_y = roi
    region = image[offset_y : offset_y + size_y, offset_x : offset_x + size_x]
    dtype = np.int64 if image.dtype.kind in "biu" else np.float64
    profile: Array = region.sum(axis=0, dtype=dtype)
    return profile


def process_image(
    image: Array,
    pulse_id: int,
    timestamp: Any,
    x_axis: Array,
    y_axis: Array,
    parameters: MutableMapping[str, Any],
    bsdata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The psen channels of one frame; see the module docstring."""
    camera = parameters.get("camera_name")
    if not camera:
        raise ProcessingError("psen: the pipeline needs camera_name (its channels are named after it)")
    signal, background = parameters.get("roi_signal"), parameters.get("roi_background")
    result: dict[str, Any] = {
        f"{camera}.processing_parameters": json.dumps({"roi_signal": signal, "roi_background": background})
    }
    if signal:
        result[f"{camera}.roi_signal_x_profile"] = roi_x_profile(image, _region(signal, "roi_signal"))
    if background:
        result[f"{camera}.roi_background_x_profile"] = roi_x_profile(image, _region(background, "roi_background"))
    return result
