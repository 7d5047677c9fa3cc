"""The camera-side transform and geometry (camserver-reference.md §6).

Order: binning -> mirror_x (left-right) -> mirror_y (up-down) -> ``rot90(image, rotate)`` -> roi crop
-> camera background subtraction with clamp at 0 -> C-contiguous. Geometry: raw (w, h) divided by the
binning, swapped for odd ``rotate``, replaced by the (clamped) roi size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from camserver.errors import ProcessingError
from camserver.processing.background import background_for
from camserver.processing.kernels import MODE_NONE, MODE_SUBTRACT, bin_frame, pixel_pass
from camserver.processing.roi import clamp_roi

__all__ = ["camera_geometry", "transform_camera_image"]

Array = np.ndarray[Any, Any]


def camera_geometry(
    width: int,
    height: int,
    *,
    binning_x: int = 1,
    binning_y: int = 1,
    rotate: int = 0,
    roi: Sequence[int] | None = None,
) -> tuple[int, int]:
    """``(width, height)`` of the frames :func:`transform_camera_image` makes from ``width x height``."""
    width, height = width // max(binning_x, 1), height // max(binning_y, 1)
    if rotate % 2:
        width, height = height, width
    if roi:
        _, width, _, height = clamp_roi(roi, height, width)
    return width, height


def transform_camera_image(
    image: Array,
    *,
    binning_x: int = 1,
    binning_y: int = 1,
    binning_mean: bool = False,
    mirror_x: bool = False,
    mirror_y: bool = False,
    rotate: int = 0,
    roi: Sequence[int] | None = None,
    background: Array | None = None,
) -> Array:
    """A camera frame transformed as CamServer's cameras do; the input is never modified.

    ``background`` has the geometry before the roi (it is cropped like the frame) or after it, and is
    subtracted with negative results clamped at 0. Without any transform a C-contiguous ``image`` is
    returned as is; otherwise one pass writes the new C-contiguous frame.
    """
    if binning_x > 1 or binning_y > 1:
        image = bin_frame(image, binning_x, binning_y, binning_mean)
    if mirror_x:
        image = image[:, ::-1]
    if mirror_y:
        image = image[::-1, :]
    if rotate % 4:
        image = np.rot90(image, rotate % 4)
    full_shape = image.shape
    if roi:
        offset_x, size_x, offset_y, size_y = clamp_roi(roi, image.shape[0], image.shape[1])
        image = image[offset_y : offset_y + size_y, offset_x : offset_x + size_x]
    if background is not None:
        if roi and background.shape == full_shape:
            background = background[offset_y : offset_y + size_y, offset_x : offset_x + size_x]
        if background.shape != image.shape:
            raise ProcessingError(f"Bad background image size: {background.shape} for camera frames of {full_shape}")
    elif image.flags.c_contiguous:
        return image
    out = np.empty(image.shape, image.dtype)
    mode = MODE_NONE if background is None else MODE_SUBTRACT
    prepared = None if background is None else background_for(background, image.dtype)
    pixel_pass(image, prepared, mode=mode, out=out, profiles=False)
    return out
