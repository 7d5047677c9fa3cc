"""The images of the simulation camera: CamServer's narrow Gaussian beam on uniform noise.

The beam follows CamServer's formula, ``exp(-(x**2 + y**2))`` sampled on
``linspace(-100 + r1, 100 + r1, height)`` x ``linspace(-20 + r2, 20 + r2, width)`` with ``r1, r2``
uniform in [0, 1) each frame (so the beam jitters a few pixels), plus ``0.1 * U[0, 1)`` noise and
100 dead pixels, clipped to [0, 0.9] and scaled to counts. Two things differ on purpose: the scale
is 65535 for wide types but the type's maximum for narrow ones (int16 tops out at 32767, not an
overflow), and the noise comes from a bank of random rows drawn once and placed at a random offset
for every row of every frame, which keeps a 2560x2160 frame at a couple of milliseconds.

The beam is separable, so a frame is two 1-D profiles and one fused pass (numba, compiled once
and cached on disk) that adds them to the noise, clips, scales and casts.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

__all__ = ["SimulatedBeam", "full_scale"]

Array = np.ndarray[Any, Any]

_NOISE = 0.1
_CEILING = 0.9
_DEAD_PIXELS = 100
_BANK_ROWS = 64


def full_scale(dtype: np.dtype[Any]) -> float:
    """Counts that 1.0 maps to: 65535, or the type's maximum when that is smaller."""
    if np.issubdtype(dtype, np.integer):
        return float(min(65535, np.iinfo(dtype).max))
    return 65535.0


@numba.njit(cache=True, nogil=True)
def _render(out: Array, profile_y: Array, profile_x: Array, noise: Array, offsets: Array, scale: np.float32) -> None:
    """One pass: beam (outer product of the profiles) + a noise row, clipped, scaled, cast."""
    height, width = out.shape
    ceiling = np.float32(_CEILING)
    for y in range(height):
        row = out[y]
        noise_row = noise[offsets[y] : offsets[y] + width]
        weight = profile_y[y]
        for x in range(width):
            row[x] = min(weight * profile_x[x] + noise_row[x], ceiling) * scale


class SimulatedBeam:
    """Makes simulated frames of ``width`` x ``height`` in ``dtype``; ``beam=False`` gives noise only."""

    def __init__(self, width: int, height: int, *, dtype: str = "uint16", beam: bool = True, seed: int | None = None):
        self.width = width
        self.height = height
        self.dtype = np.dtype(dtype)
        self.beam = beam
        self.scale = full_scale(self.dtype)
        self._random = np.random.default_rng(seed)
        rows = min(_BANK_ROWS, height) + 1
        self._noise = (self._random.random(rows * width, dtype=np.float32) * np.float32(_NOISE)).astype(np.float32)
        self._dead = (
            self._random.integers(0, height, _DEAD_PIXELS),
            self._random.integers(0, width, _DEAD_PIXELS),
        )
        self._dead_value = np.array(_CEILING * self.scale).astype(self.dtype)
        self._grid_y = np.linspace(-100.0, 100.0, height)
        self._grid_x = np.linspace(-20.0, 20.0, width)
        self._flat = (np.zeros(height, np.float32), np.zeros(width, np.float32))

    def centre(self, jitter_y: float, jitter_x: float) -> tuple[float, float]:
        """Where the beam peaks (row, column) for the given jitters in [0, 1)."""
        row = (100.0 - jitter_y) / 200.0 * (self.height - 1)
        column = (20.0 - jitter_x) / 40.0 * (self.width - 1)
        return row, column

    def image(self) -> Array:
        """A new frame."""
        offsets = self._random.integers(0, self._noise.size - self.width + 1, self.height)
        out = np.empty((self.height, self.width), self.dtype)
        if self.beam:
            jitter_y, jitter_x = self._random.random(2)
            profile_y = np.exp(-np.square(self._grid_y + jitter_y)).astype(np.float32)
            profile_x = np.exp(-np.square(self._grid_x + jitter_x)).astype(np.float32)
        else:
            profile_y, profile_x = self._flat
        _render(out, profile_y, profile_x, self._noise, offsets, np.float32(self.scale))
        if self.beam:
            out[self._dead] = self._dead_value
        return out
