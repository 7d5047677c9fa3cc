"""Images for people: colour maps, contrast, scaling, PNG and JPEG bytes."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from camserver.errors import ConfigError

__all__ = ["COLORMAPS", "colormap_table", "render_jpeg", "render_png", "to_rgb"]

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


COLORMAPS: dict[str, Array] = {
    "rainbow": _rainbow(),
    **{name: _interpolated(p) for name, p in _POINTS.items()},
}
COLORMAPS["grey"] = COLORMAPS["gray"]


def colormap_table(name: str) -> Array:
    """The 256x3 uint8 table of a colour map (CamServer's default is ``rainbow``)."""
    table = COLORMAPS.get(name.lower())
    if table is None:
        raise ConfigError(f"unknown colormap {name!r}; available: {sorted(COLORMAPS)}")
    return table


def _levels(image: Array, min_value: float | None, max_value: float | None) -> Array:
    """Map ``image`` to 0..255 between ``min_value`` and ``max_value`` (default: the range of its
    finite values); NaN maps to the low end, infinities to the nearest end."""
    floating = image.dtype.kind == "f"
    finite = image[np.isfinite(image)] if floating else image
    low = float(min_value) if min_value is not None else float(finite.min()) if finite.size else 0.0
    high = float(max_value) if max_value is not None else float(finite.max()) if finite.size else low
    span = high - low if high > low else 1.0
    if floating:  # in float64, so values near float32's limits cannot overflow on the way
        values = np.nan_to_num(image.astype(np.float64), nan=low, posinf=high, neginf=low)
    else:
        values = image.astype(np.float32)
    scaled = (values - low) * (255.0 / span)
    levels: Array = np.clip(scaled, 0, 255).astype(np.uint8)
    return levels


def to_rgb(
    image: Array, *, colormap: str = "rainbow", min_value: float | None = None, max_value: float | None = None
) -> Array:
    """An RGB uint8 image (height, width, 3) of a 2-D image through a colour map."""
    if image.ndim != 2:
        raise ConfigError(f"only 2-D images can be rendered, not {image.ndim}-D")
    rgb: Array = colormap_table(colormap)[_levels(image, min_value, max_value)]
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


def render_jpeg(rgb: Array, *, quality: int = 85) -> bytes:
    """JPEG bytes of an RGB uint8 image (the live viewer)."""
    import simplejpeg

    data: bytes = simplejpeg.encode_jpeg(np.ascontiguousarray(rgb), quality=quality, colorspace="RGB")
    return data
