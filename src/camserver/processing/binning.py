"""Binning: blocks of pixels summed or averaged into uint16, axes averaged per block (§5.2 step 1)."""

from __future__ import annotations

from typing import Any

import numpy as np

from camserver.errors import ConfigError
from camserver.processing.kernels import bin_frame

__all__ = ["bin_axis", "bin_image"]

Array = np.ndarray[Any, Any]


def bin_axis(axis: Array, factor: int) -> Array:
    """Mean of each block of ``factor`` axis values (trailing values that fill no block are dropped)."""
    if factor == 1:
        return axis
    count = axis.shape[0] // factor
    blocks = np.asarray(axis[: count * factor], dtype=np.float64).reshape(count, factor)
    binned: Array = blocks.mean(axis=1).astype(axis.dtype)
    return binned


def bin_image(
    image: Array, x_axis: Array, y_axis: Array, *, binning_x: int = 1, binning_y: int = 1, mean: bool = False
) -> tuple[Array, Array, Array]:
    """CamServer's binning: the frame cropped to whole blocks, each block summed (clipped to 0..65535)
    or averaged (``mean``), cast to uint16; NaN pixels count as 0. Returns ``(image, x_axis, y_axis)``.
    """
    if binning_x < 1 or binning_y < 1:
        raise ConfigError(f"binning must be >= 1, not {binning_x} x {binning_y}")
    if binning_x == 1 and binning_y == 1:
        return image, x_axis, y_axis
    return (
        bin_frame(image, binning_x, binning_y, mean),
        bin_axis(x_axis, binning_x),
        bin_axis(y_axis, binning_y),
    )
