"""Overlay geometry for the viewer, read from a pipeline's output channels.

Pipelines report centres and widths in axis units (the camera's calibration, possibly descending);
the viewer draws in image pixels. Every position here is a pixel coordinate of the message's image
(fractional, pixel ``i`` spanning ``[i, i + 1)``), found by interpolating the message's ``x_axis``
and ``y_axis``; without axes, axis units are pixels. A channel that is missing, None or not finite
leaves its overlay out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from camserver.service.viewer.history import channel_number

__all__ = ["axis_to_pixel", "overlay_geometry", "sigma_in_pixels"]

Array = np.ndarray[Any, Any]

_SLICE = re.compile(r"^slice_(\d+)_center_x$")
_MAX_SLICES = 200


def _axis(data: Mapping[str, Any], name: str) -> Array | None:
    axis = data.get(name)
    if isinstance(axis, np.ndarray) and axis.ndim == 1 and axis.size >= 2 and axis.dtype.kind in "iuf":
        return axis
    return None


def axis_to_pixel(value: float | None, axis: Array | None) -> float | None:
    """The pixel coordinate of ``value`` on ``axis`` (index space ``[0, n)``, pixel centres at
    ``i + 0.5``); axis values are pixels when ``axis`` is None. Values beyond the axis are
    extrapolated linearly from its end points."""
    if value is None:
        return None
    if axis is None:
        return value + 0.5
    first, last = float(axis[0]), float(axis[-1])
    if not (math.isfinite(first) and math.isfinite(last)) or first == last:
        return None
    ascending = axis if last > first else axis[::-1]
    indices = np.arange(axis.size, dtype=np.float64)
    if last < first:
        indices = indices[::-1]
    low, high = float(ascending[0]), float(ascending[-1])
    if low <= value <= high:
        index = float(np.interp(value, ascending, indices))
    else:  # linear beyond the ends, with the mean spacing
        index = (value - first) / ((last - first) / (axis.size - 1))
    return index + 0.5


def sigma_in_pixels(sigma: float | None, axis: Array | None) -> float | None:
    """A width in axis units as pixels (the axis's mean spacing)."""
    if sigma is None:
        return None
    if axis is None:
        return abs(sigma)
    spacing = abs(float(axis[-1]) - float(axis[0])) / (axis.size - 1)
    return abs(sigma) / spacing if spacing > 0 else None


def _point(data: Mapping[str, Any], x_name: str, y_name: str, x_axis: Array | None, y_axis: Array | None) -> Any:
    x = axis_to_pixel(channel_number(data.get(x_name)), x_axis)
    y = axis_to_pixel(channel_number(data.get(y_name)), y_axis)
    return None if x is None or y is None else {"x": x, "y": y}


def _good_region(data: Mapping[str, Any]) -> dict[str, float] | None:
    region = data.get("good_region")
    if region is None:
        return None
    values = np.asarray(region).reshape(-1)
    if values.size != 4 or values.dtype.kind not in "iuf" or not np.all(np.isfinite(values)):
        return None
    x0, y0, x1, y1 = (float(value) for value in values)
    return {"x0": x0, "y0": y0, "x1": x1, "y1": y1}


def _slices(data: Mapping[str, Any], x_axis: Array | None, y_axis: Array | None) -> list[dict[str, Any]]:
    orientation = data.get("slice_orientation")
    orientation = orientation if orientation in ("vertical", "horizontal") else "vertical"
    indices = sorted(int(match.group(1)) for name in data if (match := _SLICE.match(name)))[:_MAX_SLICES]
    slices = []
    for index in indices:
        centre = _point(data, f"slice_{index}_center_x", f"slice_{index}_center_y", x_axis, y_axis)
        if centre is None:
            continue
        # vertical slices are bands of rows fitted along x; horizontal ones bands of columns fitted along y
        axis = x_axis if orientation == "vertical" else y_axis
        sigma = sigma_in_pixels(channel_number(data.get(f"slice_{index}_standard_deviation")), axis)
        slices.append({**centre, "sigma": sigma, "orientation": orientation})
    return slices


def overlay_geometry(data: Mapping[str, Any]) -> dict[str, Any]:
    """The overlays a pipeline message carries, in image pixels:

    ``center_of_mass`` ``{x, y}``; ``fit`` ``{x, y, sigma_x, sigma_y}`` (Gaussian fit means and
    standard deviations); ``good_region`` ``{x0, y0, x1, y1}`` (end exclusive) and its fit
    ``good_region_fit``; ``slices`` ``[{x, y, sigma, orientation}]``. Each is None (slices: empty)
    when the message does not carry it.
    """
    x_axis, y_axis = _axis(data, "x_axis"), _axis(data, "y_axis")

    def fit(prefix: str) -> dict[str, Any] | None:
        centre = _point(data, f"{prefix}x_fit_mean", f"{prefix}y_fit_mean", x_axis, y_axis)
        if centre is None:
            return None
        return {
            **centre,
            "sigma_x": sigma_in_pixels(channel_number(data.get(f"{prefix}x_fit_standard_deviation")), x_axis),
            "sigma_y": sigma_in_pixels(channel_number(data.get(f"{prefix}y_fit_standard_deviation")), y_axis),
        }

    return {
        "center_of_mass": _point(data, "x_center_of_mass", "y_center_of_mass", x_axis, y_axis),
        "fit": fit(""),
        "good_region": _good_region(data),
        "good_region_fit": fit("gr_"),
        "slices": _slices(data, x_axis, y_axis),
    }
