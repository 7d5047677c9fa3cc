"""What the viewer tells a browser about one message besides the picture, as plain JSON values:
axes, profiles, overlay geometry, scalar channels and the pipeline's ``processing_parameters``.

Profiles come from the pipeline's ``x_profile``/``y_profile`` channels (with its Gaussian fits)
when it sends them, else from the decimated pixels shown. Either way they are cut to the shown
region and reduced to at most :data:`MAX_PROFILE_POINTS` points, so a browser never gets more
numbers than it can draw.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from camserver.service.viewer.messages import AxisMessage
from camserver.service.viewer.overlay import overlay_geometry
from camserver.service.viewer.picture import ViewRegion

__all__ = [
    "MAX_PROFILE_POINTS",
    "Axes",
    "axes_for_region",
    "frame_digest",
    "plain_numbers",
    "profile_for_region",
    "scalar_channels",
]

#: the axes of an image: one value per pixel along x and along y
Axes = tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]

Array = np.ndarray[Any, Any]

#: the most points a profile sent to a browser has
MAX_PROFILE_POINTS = 512
#: channels never listed as scalars (they are shown otherwise)
_NOT_SCALARS = frozenset({"processing_parameters", "image"})
_MAX_TEXT = 200
#: rows (columns) summed at most for a profile of a camera stream
_PROFILE_LINES = 256
_SIGNIFICANT = 6


def plain_numbers(values: Array) -> list[float | None]:
    """A 1-D array as JSON numbers, rounded to about 6 significant digits; NaN and infinities as None."""
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    finite = np.isfinite(array)
    if not finite.any():
        return [None] * array.size
    largest = float(np.max(np.abs(array[finite])))
    decimals = 0 if largest == 0 else max(0, _SIGNIFICANT - 1 - math.floor(math.log10(largest)))
    rounded = np.round(np.where(finite, array, 0.0), decimals).tolist()
    return [value if ok else None for value, ok in zip(rounded, finite.tolist(), strict=True)]


def _reduce(values: Array, points: int) -> tuple[Array, int]:
    """``values`` averaged over bins of a whole number of samples, to at most ``points`` values."""
    bin_size = max(1, math.ceil(values.size / points))
    if bin_size == 1:
        return values, 1
    usable = values.size // bin_size * bin_size
    reduced = values[:usable].astype(np.float64).reshape(-1, bin_size).mean(axis=1)
    if usable < values.size:
        reduced = np.append(reduced, float(np.mean(values[usable:])))
    return reduced, bin_size


def profile_for_region(values: Array, start: int, length: int, *, points: int = MAX_PROFILE_POINTS) -> dict[str, Any]:
    """The part ``[start, start + length)`` of a full-image profile, reduced for the browser:
    ``{"start", "step", "values"}`` where value ``i`` stands for pixels from ``start + i * step``."""
    part = np.asarray(values).reshape(-1)[start : start + length]
    reduced, bin_size = _reduce(part, points)
    return {"start": start, "step": bin_size, "values": plain_numbers(reduced)}


def _scalar(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        if value.size != 1:
            return _NOT_A_SCALAR
        value = value.reshape(-1)[0]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + "…"
    return _NOT_A_SCALAR


_NOT_A_SCALAR = object()


def scalar_channels(data: Mapping[str, Any]) -> dict[str, Any]:
    """Channels holding one number, flag or text, by name (arrays and the image are left out)."""
    scalars = {}
    for name, value in data.items():
        if name in _NOT_SCALARS:
            continue
        plain = _scalar(value)
        if plain is not _NOT_A_SCALAR:
            scalars[name] = plain
    return scalars


def _processing_parameters(data: Mapping[str, Any]) -> dict[str, Any] | None:
    text = data.get("processing_parameters")
    if not isinstance(text, str):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return {"unreadable": text[:_MAX_TEXT]}
    return parsed if isinstance(parsed, dict) else {"value": parsed}


def _channel_profile(data: Mapping[str, Any], name: str, size: int) -> Array | None:
    values = data.get(name)
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.size == size and values.dtype.kind in "iuf":
        return values
    return None


def _pixel_sums(pixels: Array, axis: int, step: int) -> Array:
    """Sums of ``pixels`` along ``axis`` (0: one per column) from every few lines only, scaled up to
    sums over whole lines of the image (the pixels are every ``step``-th): a browser gets a few
    hundred points of a profile, which this estimates well at a fraction of the cost."""
    lines = pixels.shape[axis]
    stride = max(1, lines // _PROFILE_LINES)
    chosen = pixels[::stride] if axis == 0 else pixels[:, ::stride]
    sums: Array = chosen.sum(axis=axis, dtype=np.float64) * (step * lines / chosen.shape[axis])
    return sums


def _profiles(data: Mapping[str, Any], image: Array, pixels: Array, region: ViewRegion) -> dict[str, Any]:
    height, width = image.shape
    x_values = _channel_profile(data, "x_profile", width)
    y_values = _channel_profile(data, "y_profile", height)
    source = "channels"
    if x_values is None or y_values is None:
        # a camera stream: profiles of the pixels shown
        source = "pixels"
        step = region.step
        x_sums = _pixel_sums(pixels, 0, step)
        y_sums = _pixel_sums(pixels, 1, step)
        x = profile_for_region(x_sums, 0, pixels.shape[1])
        y = profile_for_region(y_sums, 0, pixels.shape[0])
        x["start"], x["step"] = region.x, x["step"] * step
        y["start"], y["step"] = region.y, y["step"] * step
        return {"source": source, "x": x, "y": y}
    profiles: dict[str, Any] = {
        "source": source,
        "x": profile_for_region(x_values, region.x, region.width),
        "y": profile_for_region(y_values, region.y, region.height),
    }
    for axis, size, start, length in (("x", width, region.x, region.width), ("y", height, region.y, region.height)):
        fit = _channel_profile(data, f"{axis}_fit_gauss_function", size)
        if fit is not None:
            profiles[axis]["fit"] = profile_for_region(fit, start, length)["values"]
    return profiles


def _is_pixel_axis(axis: Array) -> bool:
    """Whether ``axis`` counts pixels (uncalibrated: consecutive whole numbers, ascending)."""
    steps = np.diff(axis.astype(np.float64))
    return bool(np.all(steps == 1.0)) and float(axis[0]) == round(float(axis[0]))


def _axis(values: Array | None, start: int, length: int, size: int) -> AxisMessage:
    if values is None or values.size != size or size < 2:
        return {"start": float(start), "end": float(start + length), "unit": "px", "calibrated": False}
    first, last = float(values[start]), float(values[start + length - 1])
    spacing = (last - first) / (length - 1) if length > 1 else float(values[1]) - float(values[0])
    calibrated = not _is_pixel_axis(values)
    # values belong to pixel centres; the region's edges lie half a pixel further out
    return {
        "start": first - spacing / 2 if calibrated else float(start),
        "end": last + spacing / 2 if calibrated else float(start + length),
        "unit": "mm" if calibrated else "px",
        "calibrated": calibrated,
    }


def axes_for_region(
    data: Mapping[str, Any], width: int, height: int, region: ViewRegion, calibration: Axes | None = None
) -> dict[str, AxisMessage]:
    """The x and y axes of the shown region: from the message's ``x_axis``/``y_axis`` (a pipeline's,
    in millimetres when its camera is calibrated), else from ``calibration`` (a camera's), else
    pixels."""
    x_values = _channel_profile(data, "x_axis", width)
    y_values = _channel_profile(data, "y_axis", height)
    if (x_values is None or y_values is None) and calibration is not None:
        x_values, y_values = calibration
    return {
        "x": _axis(x_values, region.x, region.width, width),
        "y": _axis(y_values, region.y, region.height, height),
    }


def frame_digest(
    data: Mapping[str, Any], image: Array, pixels: Array, region: ViewRegion, calibration: Axes | None = None
) -> dict[str, Any]:
    """The JSON part of one viewer frame: ``image`` (size and type), ``axes``, ``profiles``,
    ``overlays``, ``scalars`` and ``processing_parameters`` (None for streams without them).
    ``pixels`` are the decimated pixels of ``region`` that the picture shows; ``calibration`` the
    axes of a camera's images."""
    height, width = image.shape
    return {
        "image": {"width": int(width), "height": int(height), "dtype": image.dtype.name},
        "axes": axes_for_region(data, width, height, region, calibration),
        "profiles": _profiles(data, image, pixels, region),
        "overlays": overlay_geometry(data),
        "scalars": scalar_channels(data),
        "processing_parameters": _processing_parameters(data),
    }
