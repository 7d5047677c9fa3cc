"""Mirroring and rotation of frames with their axes (§5.1 step 3, §5.2 steps 3-4).

Mirrors and orthogonal rotations return views (no pixel is copied); arbitrary angles interpolate
with ``scipy.ndimage.rotate`` (shape and axes kept), as CamServer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from camserver.processing.settings import Rotation

__all__ = ["mirror", "rotate", "rotate_orthogonal"]

Array = np.ndarray[Any, Any]


def mirror(
    image: Array, x_axis: Array, y_axis: Array, *, mirror_x: bool = False, mirror_y: bool = False
) -> tuple[Array, Array, Array]:
    """``mirror_x`` flips left-right (x axis reversed), ``mirror_y`` up-down (y axis reversed)."""
    if mirror_x:
        image, x_axis = image[:, ::-1], x_axis[::-1]
    if mirror_y:
        image, y_axis = image[::-1, :], y_axis[::-1]
    return image, x_axis, y_axis


def rotate_orthogonal(image: Array, x_axis: Array, y_axis: Array, turns: int) -> tuple[Array, Array, Array]:
    """``numpy.rot90(image, turns)`` (counter-clockwise) with the axes that follow the pixels."""
    turns %= 4
    if turns == 1:
        return np.rot90(image, 1), y_axis, x_axis[::-1]
    if turns == 2:
        return np.rot90(image, 2), x_axis[::-1], y_axis[::-1]
    if turns == 3:
        return np.rot90(image, 3), y_axis[::-1], x_axis
    return image, x_axis, y_axis


def rotate(image: Array, x_axis: Array, y_axis: Array, rotation: Rotation) -> tuple[Array, Array, Array]:
    """Rotate by ``rotation.angle`` degrees: exact ``rot90`` in "ortho" mode, else interpolation of
    ``rotation.order`` with the fill ``rotation.mode`` (a number = constant fill value)."""
    turns = rotation.orthogonal_turns
    if turns is not None:
        return rotate_orthogonal(image, x_axis, y_axis, turns)
    import scipy.ndimage  # only interpolated rotations need it: instances start without scipy's import

    fill = rotation.fill_value
    source = np.where(np.isnan(image), 0, image) if image.dtype.kind == "f" else image
    rotated = scipy.ndimage.rotate(
        source,
        rotation.angle,
        reshape=False,
        order=rotation.order,
        mode="constant" if fill is not None else rotation.mode,
        cval=fill if fill is not None else 0.0,
        prefilter=True,
    )
    return np.asarray(rotated), x_axis, y_axis
