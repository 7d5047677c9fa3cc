"""Synthetic camera frames with known truth: Gaussian beams, tilted beams, noise, dead pixels."""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


def beam(
    shape: tuple[int, int] = (120, 160),
    *,
    center: tuple[float, float] = (80.0, 60.0),
    sigma: tuple[float, float] = (12.0, 8.0),
    amplitude: float = 1000.0,
    offset: float = 10.0,
    correlation: float = 0.0,
    noise: float = 0.0,
    dtype: Any = np.uint16,
    seed: int = 0,
) -> Array:
    """A 2-D Gaussian (centre and sigma in pixels, x first) with x-y ``correlation`` on a flat offset."""
    height, width = shape
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    dx, dy = (x - center[0]) / sigma[0], (y - center[1]) / sigma[1]
    rho = correlation
    exponent = -(dx**2 - 2 * rho * dx * dy + dy**2) / (2 * (1 - rho**2))
    image = offset + amplitude * np.exp(exponent)
    if noise:
        image = image + np.random.default_rng(seed).normal(0, noise, shape)
    if np.dtype(dtype).kind in "ui":
        info = np.iinfo(dtype)
        image = np.clip(np.rint(image), info.min, info.max)
    return image.astype(dtype)


def axes(shape: tuple[int, int]) -> tuple[Array, Array]:
    """Pixel-index axes (float32) as an uncalibrated camera sends them."""
    return np.arange(shape[1], dtype=np.float32), np.arange(shape[0], dtype=np.float32)
