"""Region of interest ``[offset_x, size_x, offset_y, size_y]`` clamped to the frame (§5.2 step 5)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["clamp_roi", "crop"]

Array = np.ndarray[Any, Any]


def clamp_roi(roi: Sequence[int], height: int, width: int) -> tuple[int, int, int, int]:
    """CamServer's clamping: sizes limited to the frame, then offsets to ``[0, dimension - size]``."""
    offset_x, size_x, offset_y, size_y = (int(value) for value in roi)
    size_x, size_y = max(0, min(size_x, width)), max(0, min(size_y, height))
    offset_x = max(0, min(offset_x, width - size_x))
    offset_y = max(0, min(offset_y, height - size_y))
    return offset_x, size_x, offset_y, size_y


def crop(image: Array, x_axis: Array, y_axis: Array, roi: Sequence[int]) -> tuple[Array, Array, Array]:
    """The clamped ``roi`` of ``image`` (a view) with the matching slices of the axes."""
    offset_x, size_x, offset_y, size_y = clamp_roi(roi, image.shape[0], image.shape[1])
    return (
        image[offset_y : offset_y + size_y, offset_x : offset_x + size_x],
        x_axis[offset_x : offset_x + size_x],
        y_axis[offset_y : offset_y + size_y],
    )
