"""Colour maps, and the one path from pixel values to colours that every picture of camserver takes.

A picture is coloured in two steps: :func:`colour_indices` maps each pixel to 0..255 between the
display levels (NaN shows as the low level, infinities as the nearest level), then a colour map's
table turns the index into a colour. For unsigned integer pixels up to 16 bits both steps are one
table indexed by the pixel value (:func:`value_table`), so colouring is a single gather. The live
viewer gathers 4-byte RGBX words (:data:`PACKED`), which libjpeg-turbo takes as they are; the PNG of
the ``/image`` routes gathers RGB triplets.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from camserver.errors import ConfigError

__all__ = ["COLORMAPS", "PACKED", "colormap_table", "colour_indices", "value_table"]

Array = np.ndarray[Any, Any]

# Control points (position, r, g, b) of each colour map; tables are interpolated from them.
_POINTS: dict[str, list[tuple[float, float, float, float]]] = {
    "gray": [(0, 0, 0, 0), (1, 1, 1, 1)],
    "jet": [(0, 0, 0, 0.5), (0.11, 0, 0, 1), (0.125, 0, 0, 1), (0.34, 0, 0.85, 1), (0.35, 0, 0.9, 0.97),
            (0.64, 1, 1, 0), (0.91, 1, 0, 0), (1, 0.5, 0, 0)],
    "hot": [(0, 0.0416, 0, 0), (0.365, 1, 0, 0), (0.746, 1, 1, 0), (1, 1, 1, 1)],
    "viridis": [(0, 0.267, 0.005, 0.329), (0.125, 0.283, 0.141, 0.458), (0.25, 0.254, 0.265, 0.530),
                (0.375, 0.207, 0.372, 0.553), (0.5, 0.164, 0.471, 0.558), (0.625, 0.128, 0.567, 0.551),
                (0.75, 0.267, 0.679, 0.480), (0.875, 0.535, 0.772, 0.297), (1, 0.993, 0.906, 0.144)],
    "inferno": [(0, 0.001, 0, 0.014), (0.25, 0.342, 0.062, 0.429), (0.5, 0.735, 0.216, 0.330),
                (0.75, 0.978, 0.557, 0.035), (1, 0.988, 0.998, 0.645)],
}  # fmt: skip


def _rainbow() -> Array:
    position = np.linspace(0.0, 1.0, 256)
    red = np.abs(2 * position - 0.5)
    green = np.sin(np.pi * position)
    blue = np.cos(np.pi * position / 2)
    table: Array = (np.clip(np.stack([red, green, blue], axis=1), 0, 1) * 255).round().astype(np.uint8)
    return table


def _interpolated(points: list[tuple[float, float, float, float]]) -> Array:
    position = np.linspace(0.0, 1.0, 256)
    stops = np.array(points)
    channels = [np.interp(position, stops[:, 0], stops[:, channel]) for channel in (1, 2, 3)]
    return (np.stack(channels, axis=1) * 255).round().astype(np.uint8)


#: every colour map as a 256x3 uint8 table (CamServer's default is ``rainbow``)
COLORMAPS: dict[str, Array] = {
    "rainbow": _rainbow(),
    **{name: _interpolated(p) for name, p in _POINTS.items()},
}
COLORMAPS["grey"] = COLORMAPS["gray"]

#: each colour map as 256 little-endian RGBX words (X = 0), ready to be gathered into a picture
PACKED: dict[str, Array] = {
    name: np.ascontiguousarray(np.column_stack([table, np.zeros(256, np.uint8)])).view("<u4").reshape(256)
    for name, table in COLORMAPS.items()
}


def colormap_table(name: str) -> Array:
    """The 256x3 uint8 table of a colour map; raises :class:`ConfigError` for an unknown name."""
    table = COLORMAPS.get(name.strip().lower())
    if table is None:
        raise ConfigError(f"unknown colormap {name!r}; available: {', '.join(sorted(COLORMAPS))}")
    return table


def colormap_colours() -> dict[str, list[str]]:
    """Every colour map as 256 CSS colours ``#rrggbb`` (the page draws its colour bar with them)."""
    return {name: [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in table.tolist()] for name, table in COLORMAPS.items()}


def value_table(bits: int, low: float, high: float) -> Array:
    """The colour index 0..255 of every value an unsigned ``bits``-bit pixel can take."""
    values = np.arange(1 << bits, dtype=np.float64)
    scaled = (values - low) * 255.0 / (high - low)
    table: Array = np.clip(scaled, 0, 255).astype(np.uint8)
    return table


def colour_indices(pixels: Array, low: float, high: float) -> Array:
    """0..255 for each of ``pixels`` (any numeric type) between ``low`` and ``high`` (``low <
    high``); NaN shows as ``low``, infinities as the nearest level."""
    if pixels.dtype.kind == "u" and pixels.dtype.itemsize <= 2:
        gathered: Array = np.take(value_table(8 * pixels.dtype.itemsize, low, high), pixels)
        return gathered
    floating = pixels.dtype.kind == "f"
    # floats in float64, so values near float32's limits cannot overflow on the way
    values: Array = pixels.astype(np.float64 if floating or pixels.dtype.itemsize > 2 else np.float32)
    if floating:
        np.nan_to_num(values, copy=False, nan=low, posinf=high, neginf=low)
    np.subtract(values, low, out=values)
    np.multiply(values, 255.0, out=values)  # then divide: the high level itself gives exactly 255
    np.divide(values, high - low, out=values)
    np.clip(values, 0, 255, out=values)
    indices: Array = values.astype(np.uint8)
    return indices
