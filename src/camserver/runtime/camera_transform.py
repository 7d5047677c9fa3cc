"""A camera's transforms and axes, prepared once per config and raw frame size."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from camserver.errors import SourceError
from camserver.models.camera import CameraConfig
from camserver.processing import camera_axes, camera_geometry, transform_camera_image

__all__ = ["CameraTransform"]

logger = logging.getLogger("camserver.camera")

Array = np.ndarray[Any, Any]


class CameraTransform:
    """Applies CamServer's camera transforms (binning, mirror, rotate, ROI, background) and gives
    the calibrated axes, recomputing the axes only when the raw frame size changes."""

    def __init__(self, config: CameraConfig, background_file: str | None) -> None:
        self.config = config
        self.background_file = background_file
        self.background: Array | None = None
        if config.image_background and background_file:
            try:
                self.background = np.load(background_file, allow_pickle=False)
            except (OSError, ValueError) as error:
                raise SourceError(f"cannot load camera background {background_file}: {error}") from None
        self._raw_shape: tuple[int, ...] | None = None
        self._axes: tuple[Array, Array] | None = None

    def apply(self, raw: Array) -> tuple[Array, Array, Array]:
        """The transformed image and its x and y axes."""
        config = self.config
        if raw.ndim != 2:
            raise ValueError(f"the source delivered a {raw.ndim}-D frame, a 2-D image is needed")
        image = transform_camera_image(
            raw,
            binning_x=config.binning_x,
            binning_y=config.binning_y,
            binning_mean=config.binning_mean,
            mirror_x=config.mirror_x,
            mirror_y=config.mirror_y,
            rotate=config.rotate,
            roi=config.roi,
            background=self.background,
        )
        if config.dtype and image.dtype != np.dtype(config.dtype):
            image = image.astype(config.dtype)
        if self._axes is None or raw.shape != self._raw_shape:
            self._raw_shape = raw.shape
            width, height = camera_geometry(
                raw.shape[1],
                raw.shape[0],
                binning_x=config.binning_x,
                binning_y=config.binning_y,
                rotate=config.rotate,
            )
            calibration = config.camera_calibration.model_dump() if config.camera_calibration else None
            self._axes = camera_axes(width, height, calibration, roi=config.roi)
        x_axis, y_axis = self._axes
        return image, x_axis, y_axis
