"""The picture a browser gets: the shown region of an image, decimated, levelled, coloured, as JPEG.

The cost is bounded by the size of the picture, not of the frame: the region is decimated first by
a whole step (a strided view, no copy) to at most ``max_width`` x ``max_height`` pixels, and only
those pixels are read. For unsigned integer images up to 16 bits, levels and colour map are one
table of 4-byte RGBX words indexed by the pixel value, so colouring is a single gather; other types
are scaled to 0..255 on the decimated pixels, then coloured. The RGBX words go to libjpeg-turbo as
they are (simplejpeg), with no copy to packed RGB.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from camserver.errors import ConfigError
from camserver.service.image_renderer import COLORMAPS
from camserver.service.view_settings import ViewSettings

__all__ = ["RenderedView", "ViewRegion", "ViewRenderer", "decimate", "display_levels", "view_region"]

Array = np.ndarray[Any, Any]

#: each colour map as 256 little-endian RGBX words (X = 0), ready to be gathered into a picture
_PACKED: dict[str, Array] = {
    name: np.ascontiguousarray(np.column_stack([table, np.zeros(256, np.uint8)])).view("<u4").reshape(256)
    for name, table in COLORMAPS.items()
}


@dataclass(frozen=True, slots=True)
class ViewRegion:
    """The part of an image shown, in image pixels, and the decimation step applied to it."""

    x: int
    y: int
    width: int
    height: int
    step: int

    @property
    def picture_width(self) -> int:
        """Width of the decimated picture."""
        return -(-self.width // self.step)

    @property
    def picture_height(self) -> int:
        """Height of the decimated picture."""
        return -(-self.height // self.step)

    def as_dict(self) -> dict[str, int]:
        """The region for the browser."""
        return {
            "x": self.x,
            "y": self.y,
            "width": self.width,
            "height": self.height,
            "step": self.step,
            "picture_width": self.picture_width,
            "picture_height": self.picture_height,
        }


@dataclass(frozen=True, slots=True)
class RenderedView:
    """One picture: JPEG bytes, the region they show, and the levels used."""

    jpeg: bytes
    region: ViewRegion
    low: float
    high: float


def view_region(
    width: int,
    height: int,
    zoom: tuple[int, int, int, int] | None = None,
    *,
    max_width: int = 1280,
    max_height: int = 1280,
) -> ViewRegion:
    """The region of a ``width`` x ``height`` image to show: ``zoom`` (``x, y, w, h``) clamped into
    the image (the whole image if None), with the smallest whole step that fits it into
    ``max_width`` x ``max_height``."""
    if width < 1 or height < 1:
        raise ConfigError(f"cannot show an empty image ({width}x{height})")
    if zoom is None:
        x, y, w, h = 0, 0, width, height
    else:
        x, y, w, h = zoom
        x = min(max(0, x), width - 1)
        y = min(max(0, y), height - 1)
        w = min(max(1, w), width - x)
        h = min(max(1, h), height - y)
    step = max(1, math.ceil(w / max_width), math.ceil(h / max_height))
    return ViewRegion(x, y, w, h, step)


def decimate(image: Array, region: ViewRegion) -> Array:
    """Every ``step``-th pixel of the region in both directions: a view, nothing is copied."""
    step = region.step
    return image[region.y : region.y + region.height : step, region.x : region.x + region.width : step]


def display_levels(
    pixels: Array, min_value: float | None = None, max_value: float | None = None
) -> tuple[float, float]:
    """The values shown as the darkest and brightest colour: those given, else the range of the
    finite ``pixels`` (0..1 when there is none). The result always has ``low < high``."""
    low, high = min_value, max_value
    if low is None or high is None:
        finite = pixels[np.isfinite(pixels)] if pixels.dtype.kind == "f" else pixels
        found_low = float(finite.min()) if finite.size else 0.0
        found_high = float(finite.max()) if finite.size else 1.0
        low = found_low if low is None else low
        high = found_high if high is None else high
    if not high > low:
        high = low + 1.0
    return float(low), float(high)


def _index_table(bits: int, low: float, high: float) -> Array:
    """0..255 for every value an unsigned ``bits``-bit pixel can take."""
    values = np.arange(1 << bits, dtype=np.float32)
    scaled = (values - np.float32(low)) * np.float32(255.0 / (high - low))
    table: Array = np.clip(scaled, 0, 255).astype(np.uint8)
    return table


def _scaled_indices(pixels: Array, low: float, high: float) -> Array:
    """0..255 for each of ``pixels`` (any numeric type; NaN shows as ``low``)."""
    values = pixels.astype(np.float32)
    if pixels.dtype.kind == "f":
        np.nan_to_num(values, copy=False, nan=low, posinf=high, neginf=low)
    values -= np.float32(low)
    values *= np.float32(255.0 / (high - low))
    np.clip(values, 0, 255, out=values)
    indices: Array = values.astype(np.uint8)
    return indices


class ViewRenderer:
    """Renders pictures for one stream. Keeps the last value-to-colour table, which is reused while
    colour map, levels and pixel type stay the same (fixed contrast). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._table_key: tuple[Any, ...] | None = None
        self._table: Array | None = None

    def _colour_table(self, bits: int, low: float, high: float, colormap: str) -> Array:
        key = (bits, low, high, colormap)
        if self._table is None or self._table_key != key:
            self._table = _PACKED[colormap][_index_table(bits, low, high)]
            self._table_key = key
        return self._table

    def colour(self, pixels: Array, low: float, high: float, colormap: str) -> Array:
        """``pixels`` (2-D) as an RGBX uint8 picture of shape ``(height, width, 4)``."""
        packed_map = _PACKED.get(colormap)
        if packed_map is None:
            raise ConfigError(f"unknown colormap {colormap!r}; available: {', '.join(sorted(_PACKED))}")
        if pixels.dtype.kind == "u" and pixels.dtype.itemsize <= 2:
            with self._lock:
                table = self._colour_table(8 * pixels.dtype.itemsize, low, high, colormap)
            words = np.take(table, pixels)
        else:
            words = np.take(packed_map, _scaled_indices(pixels, low, high))
        picture: Array = words.view(np.uint8).reshape(*pixels.shape, 4)
        return picture

    def render(self, image: Array, settings: ViewSettings) -> RenderedView:
        """The JPEG picture of ``image`` (2-D) as ``settings`` ask for it."""
        import simplejpeg

        if image.ndim != 2:
            raise ConfigError(f"the viewer shows 2-D images, not an array of shape {image.shape}")
        height, width = image.shape
        region = view_region(width, height, settings.zoom, max_width=settings.max_width, max_height=settings.max_height)
        pixels = decimate(image, region)
        low, high = display_levels(pixels, settings.min_value, settings.max_value)
        picture = self.colour(pixels, low, high, settings.colormap)
        jpeg: bytes = simplejpeg.encode_jpeg(picture, quality=settings.quality, colorspace="RGBX")
        return RenderedView(jpeg, region, low, high)
