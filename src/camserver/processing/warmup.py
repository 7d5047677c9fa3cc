"""Compile every numba kernel ahead of the first frame (``warm_up``), so no pipeline waits on a compiler.

The kernels are cached on disk (``cache=True``): the first call in a fresh environment compiles
(seconds), later processes load the cache (milliseconds). ``warm_up`` runs the real code paths on tiny
frames of every dtype images arrive in, with and without background, threshold, mirror/rotation/roi
views (non-contiguous layouts), good region, slices and the camera transform.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from camserver.processing.camera_transform import transform_camera_image
from camserver.processing.image_processor import ImageProcessor

__all__ = ["IMAGE_DTYPES", "warm_up"]

IMAGE_DTYPES = ("uint8", "uint16", "uint32", "int16", "int32", "float32", "float64")

_CONFIGS: tuple[dict[str, Any], ...] = (
    {},
    {"image_threshold": 1.0, "image_good_region": {}, "image_slices": {"number_of_slices": 3}},
    {"image_background_enable": True, "image_threshold": 1.0},
    {"image_background_enable": "signed"},
    {"image_background_enable": True, "mirror_x": True, "image_region_of_interest": [1, 12, 1, 10]},
    {"mirror_y": True, "rotation": {"angle": 90, "mode": "ortho"}},
    {
        "image_region_of_interest": [2, 10, 2, 8],
        "image_good_region": {},
        "image_slices": {"orientation": "horizontal"},
    },
    {"binning_x": 2, "binning_y": 2},
)


def _frame(dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    y, x = np.mgrid[0:16, 0:20]
    beam = 5 + 100 * np.exp(-((x - 10.0) ** 2) / 8 - ((y - 8.0) ** 2) / 6)
    frame: np.ndarray[Any, Any] = beam.astype(dtype)
    return frame


def warm_up() -> None:
    """Compile (or load from the cache) every kernel for every supported frame dtype."""
    x_axis, y_axis = np.arange(20, dtype=np.float32), np.arange(16, dtype=np.float32)
    background = np.full((16, 20), 3, np.uint16)
    bright = np.full((16, 20), 300, np.uint16)  # 8-bit levels above an offset (kernels.Dark)
    spread = np.arange(320, dtype=np.uint16).reshape(16, 20) * 100  # not 8-bit levels: 16 bits
    for name in IMAGE_DTYPES:
        image = _frame(np.dtype(name))
        image.flags.writeable = False
        for config in _CONFIGS:
            processor = ImageProcessor(config, background)
            processor.process(image, 0, (0, 0), x_axis, y_axis)
            if config.get("image_background_enable"):
                ImageProcessor(config, bright).process(image, 0, (0, 0), x_axis, y_axis)
                ImageProcessor(config, spread).process(image, 0, (0, 0), x_axis, y_axis)
        transform_camera_image(image, mirror_x=True, rotate=1, roi=[1, 10, 1, 12], background=background.T)
        transform_camera_image(image, background=background)
        transform_camera_image(image, binning_x=2, binning_y=2)
