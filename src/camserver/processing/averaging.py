"""Frame averaging buffers, owned by the pipeline's processor (never module-global).

* early ``averaging = +N`` (§5.1 step 4): collect N frames, emit their mean, start again (rate / N);
* early ``averaging = -N`` and late ``image_averaging = N``: the running mean of the last N frames,
  emitted on every frame.

Means are float64 and propagate NaN like ``numpy.mean``. A frame of another shape restarts the
buffer with that frame. The running sum is rebuilt from the kept frames every N frames, so rounding
never accumulates.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import numpy as np

__all__ = ["FrameAverager"]

Array = np.ndarray[Any, Any]


class FrameAverager:
    """Mean of frames: blocks of ``size`` (``rolling=False``) or the last ``size`` (``rolling=True``)."""

    def __init__(self, size: int, *, rolling: bool) -> None:
        if size < 1:
            raise ValueError(f"averaging size must be >= 1, not {size}")
        self.size = size
        self.rolling = rolling
        self._frames: deque[tuple[Array, bool]] = deque()
        self._sum: Array | None = None
        self._count = 0
        self._since_rebuild = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Frames currently held."""
        return self._count

    def reset(self) -> None:
        """Forget every collected frame."""
        with self._lock:
            self._frames.clear()
            self._sum = None
            self._count = 0

    def add(self, frame: Array) -> Array | None:
        """Add ``frame``; return the mean to emit now, or None while a block is still being collected."""
        with self._lock:
            if self._sum is None or self._sum.shape != frame.shape:
                self._frames.clear()
                self._count = 0
                self._since_rebuild = 0
                self._sum = np.zeros(frame.shape, np.float64)
            np.add(self._sum, frame, out=self._sum)
            self._count += 1
            if not self.rolling:
                if self._count < self.size:
                    return None
                mean = self._sum / self._count
                self._sum, self._count = None, 0
                return mean
            finite = frame.dtype.kind != "f" or bool(np.isfinite(frame).all())
            self._frames.append((np.array(frame, dtype=np.float64), finite))
            if self._count > self.size:
                oldest, oldest_finite = self._frames.popleft()
                self._count -= 1
                self._since_rebuild += 1
                if self._since_rebuild >= self.size or not oldest_finite:
                    self._rebuild()
                else:
                    np.subtract(self._sum, oldest, out=self._sum)
            return self._sum / self._count

    def _rebuild(self) -> None:
        assert self._sum is not None
        self._sum[...] = 0.0
        for kept, _ in self._frames:
            self._sum += kept
        self._since_rebuild = 0
