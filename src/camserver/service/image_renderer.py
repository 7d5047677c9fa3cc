"""PNG images for CamServer's ``/image`` routes, coloured as the live viewer colours its pictures."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from camserver.errors import ConfigError
from camserver.service.viewer.colour import COLORMAPS, colormap_table, colour_indices
from camserver.service.viewer.contrast import full_range

__all__ = ["COLORMAPS", "colormap_table", "render_png", "to_rgb"]

Array = np.ndarray[Any, Any]


def to_rgb(
    image: Array, *, colormap: str = "rainbow", min_value: float | None = None, max_value: float | None = None
) -> Array:
    """An RGB uint8 image (height, width, 3) of a 2-D image through a colour map, between the
    levels given (default: the range of its finite values)."""
    if image.ndim != 2:
        raise ConfigError(f"only 2-D images can be rendered, not {image.ndim}-D")
    table = colormap_table(colormap)
    low, high = full_range(image, min_value, max_value)
    rgb: Array = table[colour_indices(image, low, high)]
    return rgb


def _scaled(rgb: Array, scale: float | None) -> Image.Image:
    picture = Image.fromarray(rgb, "RGB")
    if scale is not None and scale != 1.0:
        if not 0 < scale <= 16:
            raise ConfigError(f"scale must be in (0, 16], not {scale}")
        width = max(1, round(picture.width * scale))
        height = max(1, round(picture.height * scale))
        picture = picture.resize((width, height), Image.Resampling.BILINEAR)
    return picture


def render_png(
    image: Array,
    *,
    colormap: str = "rainbow",
    scale: float | None = None,
    min_value: float | None = None,
    max_value: float | None = None,
) -> bytes:
    """PNG bytes of a 2-D image (CamServer's ``/image`` routes)."""
    picture = _scaled(to_rgb(image, colormap=colormap, min_value=min_value, max_value=max_value), scale)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
