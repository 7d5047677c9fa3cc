"""Camera calibration axes (camserver-reference.md §6, CamServer's ``Camera.get_x_y_axis``).

Without calibration the axes are pixel indices. With one, the origin is the middle of the reference
marker ``[upper-left x, y, lower-right x, y]`` (pixels), the pixel size is the marker's width (height)
divided by its size in pixels times ``cos(angle)``, and the axes *decrease*:
``x = -(i - origin_x) * pixel_x``, ``y = -(j - origin_y) * pixel_y``. Axes are float32, then sliced by
the roi.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from camserver.errors import ConfigError
from camserver.processing.roi import clamp_roi

__all__ = ["DEFAULT_CALIBRATION", "camera_axes"]

Array = np.ndarray[Any, Any]
DEFAULT_CALIBRATION: Mapping[str, Any] = {
    "reference_marker": [0, 0, 100, 100],
    "reference_marker_width": 100.0,
    "reference_marker_height": 100.0,
    "angle_horizontal": 0.0,
    "angle_vertical": 0.0,
}


def _pixel_size(length: float, pixels: float, angle_degrees: float) -> float:
    try:
        return length / pixels * math.cos(math.radians(angle_degrees))
    except ZeroDivisionError:
        return 1.0


def camera_axes(
    width: int,
    height: int,
    calibration: Mapping[str, Any] | None = None,
    *,
    roi: Sequence[int] | None = None,
) -> tuple[Array, Array]:
    """``(x_axis, y_axis)`` (float32) for frames of ``width x height`` before the roi, sliced by ``roi``."""
    if calibration:
        values = {**DEFAULT_CALIBRATION, **{k: v for k, v in calibration.items() if v is not None}}
        try:
            upper_x, upper_y, lower_x, lower_y = (float(value) for value in values["reference_marker"])
            marker_width = float(values["reference_marker_width"])
            marker_height = float(values["reference_marker_height"])
            angle_x, angle_y = float(values["angle_horizontal"]), float(values["angle_vertical"])
        except (TypeError, ValueError) as error:
            raise ConfigError(f"invalid camera_calibration {dict(calibration)!r}: {error}") from error
        origin_x = int((lower_x - upper_x) / 2 + upper_x)
        origin_y = int((lower_y - upper_y) / 2 + upper_y)
        pixel_x = _pixel_size(marker_width, lower_x - upper_x, angle_x)
        pixel_y = _pixel_size(marker_height, lower_y - upper_y, angle_y)
        x_axis = (-(np.arange(width, dtype=np.float64) - origin_x) * pixel_x).astype(np.float32)
        y_axis = (-(np.arange(height, dtype=np.float64) - origin_y) * pixel_y).astype(np.float32)
    else:
        x_axis = np.arange(width, dtype=np.float32)
        y_axis = np.arange(height, dtype=np.float32)
    if roi:
        offset_x, size_x, offset_y, size_y = clamp_roi(roi, height, width)
        x_axis = x_axis[offset_x : offset_x + size_x]
        y_axis = y_axis[offset_y : offset_y + size_y]
    return x_axis, y_axis
