"""Pixel-level adjustments: threshold (§5.2 step 6), then ``image_scale`` and ``image_offset`` (step 8)."""

from __future__ import annotations

from typing import Any

import numpy as np

from camserver.processing.kernels import pixel_pass

__all__ = ["apply_threshold", "scale_offset"]

Array = np.ndarray[Any, Any]


def apply_threshold(image: Array, threshold: float | None) -> Array:
    """A new array with pixels below ``threshold`` set to 0, compared as floats (CamServer truncated
    the threshold with ``int()``, so 0.5 did nothing). ``threshold`` None or <= 0: ``image`` itself."""
    if threshold is None or threshold <= 0:
        return image
    out = np.empty(image.shape, image.dtype)
    pixel_pass(image, threshold=float(threshold), out=out, profiles=False)
    return out


def scale_offset(image: Array, scale: float | None = None, offset: float | None = None) -> Array:
    """``image * scale`` then ``+ offset``, each only when given, with numpy's type rules (integer
    frames become float64, float32 frames stay float32); ``image`` itself when neither is given."""
    result = image
    if scale is not None:
        result = result * scale
    if offset is not None:
        result = result + offset
    return result
