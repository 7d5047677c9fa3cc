"""Background subtraction (§5.2 step 2): clamp at 0 (dtype kept), ``signed`` (int32) or ``passive``."""

from __future__ import annotations

from typing import Any

import numpy as np

from camserver.errors import ProcessingError
from camserver.processing.kernels import MODE_SIGNED, MODE_SUBTRACT, pixel_pass
from camserver.processing.settings import BackgroundMode

__all__ = ["background_for", "subtract_background"]

Array = np.ndarray[Any, Any]


def background_for(background: Array, image_dtype: np.dtype[Any]) -> Array:
    """``background`` in the dtype the kernels subtract it in for frames of ``image_dtype``.

    Integer frames: uint16 when the background fits (CamServer stores backgrounds as uint16), else
    int64 (rounded); float frames: float64. The array is returned as is when already right. (A
    pipeline then prepares a uint16 background once as a :class:`~camserver.processing.kernels.Dark`.)
    """
    if image_dtype.kind == "f":
        return background if background.dtype == np.float64 else background.astype(np.float64)
    if background.dtype.kind in "ui" and background.dtype.itemsize <= 2:
        rounded = background
    else:
        rounded = np.rint(np.nan_to_num(np.asarray(background, dtype=np.float64)))
    if rounded is background:
        return background
    if rounded.size == 0 or (rounded.min() >= 0 and rounded.max() <= 65535):
        return rounded.astype(np.uint16)
    return rounded.astype(np.int64)


def subtract_background(image: Array, background: Array, mode: BackgroundMode | str = "subtract") -> Array:
    """A new array: ``image - background`` per ``mode``.

    ``"subtract"`` (CamServer's ``true``): pixels where the background is larger become 0, dtype kept;
    ``"signed"``: int32 result (float frames stay float) with negatives kept; ``"passive"``: the image
    itself, unchanged. Raises ProcessingError when the shapes differ.
    """
    chosen = BackgroundMode(mode) if isinstance(mode, str) else mode
    if chosen in (BackgroundMode.PASSIVE, BackgroundMode.OFF):
        return image
    if background.shape != image.shape:
        raise ProcessingError(f"Bad background image size: {background.shape} instead of {image.shape}")
    kernel_mode = MODE_SIGNED if chosen is BackgroundMode.SIGNED else MODE_SUBTRACT
    dtype = np.dtype(np.int32) if kernel_mode == MODE_SIGNED and image.dtype.kind != "f" else image.dtype
    out = np.empty(image.shape, dtype)
    pixel_pass(image, background_for(background, image.dtype), mode=kernel_mode, out=out, profiles=False)
    return out
