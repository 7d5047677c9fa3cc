"""The picture a browser gets: the shown region of an image, decimated, levelled, coloured, as JPEG.

The cost is bounded by the size of the picture, not of the frame: the region is decimated first by
a whole step (a strided view, no copy) to at most ``max_width`` x ``max_height`` pixels, and only
those pixels are read. Levels come from :mod:`~camserver.service.viewer.contrast`, colours from
:mod:`~camserver.service.viewer.colour`: for unsigned integer images up to 16 bits, levels and colour
map are one table of 4-byte RGBX words indexed by the pixel value, so colouring is a single gather.
The RGBX words go to libjpeg-turbo as they are (simplejpeg), with no copy to packed RGB.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from camserver.errors import ConfigError
from camserver.service.viewer.colour import PACKED, colour_indices, value_table
from camserver.service.viewer.contrast import Contrast, display_levels
from camserver.service.viewer.settings import ViewSettings

__all__ = ["PictureRenderer", "RenderedView", "ViewRegion", "decimate", "view_region"]

Array = np.ndarray[Any, Any]


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
    """One picture: JPEG bytes, the region they show, and the levels (with histogram) used."""

    jpeg: bytes
    region: ViewRegion
    contrast: Contrast


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


class PictureRenderer:
    """Renders pictures for one stream. Keeps the last value-to-colour table, which is reused while
    colour map, levels and pixel type stay the same (fixed contrast). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._table_key: tuple[Any, ...] | None = None
        self._table: Array | None = None

    def _colour_table(self, bits: int, low: float, high: float, colormap: str) -> Array:
        key = (bits, low, high, colormap)
        if self._table is None or self._table_key != key:
            self._table = PACKED[colormap][value_table(bits, low, high)]
            self._table_key = key
        return self._table

    def colour(self, pixels: Array, low: float, high: float, colormap: str) -> Array:
        """``pixels`` (2-D) as an RGBX uint8 picture of shape ``(height, width, 4)``."""
        packed_map = PACKED.get(colormap)
        if packed_map is None:
            raise ConfigError(f"unknown colormap {colormap!r}; available: {', '.join(sorted(PACKED))}")
        if pixels.dtype.kind == "u" and pixels.dtype.itemsize <= 2:
            with self._lock:
                table = self._colour_table(8 * pixels.dtype.itemsize, low, high, colormap)
            words = np.take(table, pixels)
        else:
            words = np.take(packed_map, colour_indices(pixels, low, high))
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
        contrast = display_levels(
            pixels,
            settings.min_value,
            settings.max_value,
            percentiles=(settings.low_percentile, settings.high_percentile),
            histogram=True,
        )
        picture = self.colour(pixels, contrast.low, contrast.high, settings.colormap)
        jpeg: bytes = simplejpeg.encode_jpeg(picture, quality=settings.quality, colorspace="RGBX")
        return RenderedView(jpeg, region, contrast)
