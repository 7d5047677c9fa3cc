"""How much network capacity an instance's stream claims on its node: frame size x rate, after
compression where it is compressed, in Mbit/s (the unit of a node's ``camserver_bandwidth``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from camserver.models.camera import CameraConfig, SimulationCamera
from camserver.models.pipeline import PipelineConfig

__all__ = ["COMPRESSION_RATIO", "camera_bandwidth", "megabits", "pipeline_bandwidth"]

#: how much smaller a compressed beam image is on the wire (bitshuffle/LZ4 on beam images: about 2.5x)
COMPRESSION_RATIO = {"none": 1.0, "bitshuffle_lz4": 2.5}


def megabits(bytes_per_frame: float, rate: float, *, compression: str = "none") -> float:
    """Mbit/s of ``rate`` frames a second of ``bytes_per_frame`` each, after ``compression``."""
    return bytes_per_frame * rate * 8 / 1e6 / COMPRESSION_RATIO.get(compression, 1.0)


def _frame_bytes(config: CameraConfig) -> float | None:
    """Bytes of one image as the config says it will be (after binning and ROI), if it says."""
    if not isinstance(config, SimulationCamera):
        return None
    width, height = config.size_x // config.binning_x, config.size_y // config.binning_y
    if config.roi is not None:
        width, height = min(width, config.roi[1]), min(height, config.roi[3])
    return float(width * height * np.dtype(config.dtype or "uint16").itemsize)


def camera_bandwidth(config: CameraConfig, *, measured: Sequence[float] | None = None, default: float = 0.0) -> float:
    """Mbit/s the camera's stream needs.

    ``measured`` is ``(width, height, bytes per pixel, frames per second)`` of an earlier run of the
    camera, which wins over what the config says. When neither tells frame size and rate (an EPICS
    camera never run), ``default`` Mbit/s.
    """
    compression = config.image_compression
    if measured is not None and all(value > 0 for value in measured):
        width, height, depth, rate = measured
        return megabits(width * height * depth, rate, compression=compression)
    frame = _frame_bytes(config)
    if frame is None or not config.frame_rate:
        return default
    return megabits(frame, config.frame_rate, compression=compression)


def pipeline_bandwidth(config: PipelineConfig, camera: float) -> float:
    """Mbit/s a pipeline's output needs: as much as its input camera's stream (it publishes the
    image with its results), less where it compresses, nothing where it writes a file."""
    if config.effective_mode == "FILE":
        return 0.0
    return camera / COMPRESSION_RATIO.get(config.data_compression, 1.0)
