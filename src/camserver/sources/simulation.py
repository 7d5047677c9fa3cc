"""The simulation camera (``source_type: simulation``): a beam or noise at an exact frame rate.

Unlike CamServer's, it honours the configured ``frame_rate`` (1 to 100+ Hz, on an absolute
schedule) and the configured ``dtype`` (uint16 by default, never an int16 overflow). Pulse ids
count frame periods from 0, so frames a slow reader missed (counted in :attr:`dropped`) show as
gaps; timestamps are exactly one period apart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from camserver.models.camera import SimulationCamera
from camserver.sources.frame_clock import FrameClock
from camserver.sources.simulated_beam import SimulatedBeam
from camserver.sources.source import Frame

__all__ = ["SimulationSource"]

#: frames made and dropped at open: enough to touch the memory the first frames in flight use
_WARM_UP_FRAMES = 4


class SimulationSource:
    """A simulated camera. ``image_type``: ``beam`` and ``raw`` make a new image every frame,
    ``static_beam`` and ``static_raw`` make one at :meth:`open` and deliver it (read-only) again
    and again. ``clock``, ``sleep`` and ``seed`` are for tests."""

    def __init__(
        self,
        config: SimulationCamera,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
    ) -> None:
        self.config = config
        self.image_type = config.image_type
        self._frame_clock = FrameClock(config.frame_rate or 10.0, clock=clock, sleep=sleep)
        self._beam = SimulatedBeam(
            config.size_x,
            config.size_y,
            dtype=config.dtype or "uint16",
            beam=self.image_type in ("beam", "static_beam"),
            seed=seed,
        )
        self._static: np.ndarray[Any, Any] | None = None
        self._opened = False

    @property
    def geometry(self) -> tuple[int, int] | None:
        """``(size_x, size_y)``."""
        return self.config.size_x, self.config.size_y

    @property
    def dropped(self) -> int:
        """Frames skipped because the reader was a whole frame period or more late."""
        return self._frame_clock.skipped

    @property
    def frame_rate(self) -> float:
        """Frames per second."""
        return self._frame_clock.rate

    def open(self) -> None:
        """Start the frame schedule (the first frame is due at once).

        A camera that makes a new image every frame first makes a few and throws them away: the
        first frames a process writes land in memory it never touched, which costs up to twenty
        times a steady frame (2560x2160: about 20 ms instead of 1 ms, the page faults of fresh
        memory). Paid before the schedule starts, that cost delays the first frame instead of
        overrunning the clock's buffer a few frames later.
        """
        if self.image_type.startswith("static_"):
            image = self._beam.image()
            image.flags.writeable = False
            self._static = image
        else:
            warm_up = [self._beam.image() for _ in range(_WARM_UP_FRAMES)]
            del warm_up
        self._frame_clock.start()
        self._opened = True

    def read(self, timeout: float) -> Frame | None:
        """The next frame when it is due, or None if it is due later than ``timeout`` seconds."""
        if not self._opened:
            self.open()
        index = self._frame_clock.wait(timeout)
        if index is None:
            return None
        image = self._static if self._static is not None else self._beam.image()
        return Frame(image=image, pulse_id=index, timestamp=self._frame_clock.timestamp(index))

    def close(self) -> None:
        """Nothing to release; a closed simulation can be opened again."""
        self._opened = False
