"""The in-memory twin of :class:`camserver.sources.Source`, for tests and documentation.

>>> import numpy as np
>>> from camserver.testing import MemorySource
>>> source = MemorySource([np.zeros((2, 3), np.uint16)])
>>> source.open()
>>> frame = source.read(0.1)
>>> frame.image.shape, frame.pulse_id, source.geometry
((2, 3), 0, (3, 2))
>>> source.read(0.0) is None
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from camserver.errors import SourceError
from camserver.sources.source import Frame

__all__ = ["MemorySource"]


class MemorySource:
    """Delivers the given frames (images or :class:`Frame` objects) in order, at once.

    Images get pulse ids counting from 0. With ``loop=True`` the frames repeat for ever (pulse
    ids keep counting); otherwise :meth:`read` returns None once they are used up. ``dropped``
    can be set by a test to simulate losses; ``fail_open`` makes :meth:`open` raise it.
    """

    def __init__(
        self,
        frames: Iterable[Frame | np.ndarray[Any, Any]],
        *,
        loop: bool = False,
        fail_open: SourceError | None = None,
    ) -> None:
        self.frames = [item if isinstance(item, Frame) else Frame(image=item) for item in frames]
        if loop and not self.frames:
            raise ValueError("a looping MemorySource needs at least one frame")
        self.loop = loop
        self.fail_open = fail_open
        self.dropped = 0
        self.opened = False
        self.closed = False
        self.delivered = 0
        self._geometry: tuple[int, int] | None = None

    @property
    def geometry(self) -> tuple[int, int] | None:
        """``(width, height)`` of the last frame delivered (of the first before that)."""
        if self._geometry is None and self.frames:
            height, width = self.frames[0].image.shape[:2]
            return width, height
        return self._geometry

    def open(self) -> None:
        """Mark the source open (or raise ``fail_open``)."""
        if self.fail_open is not None:
            raise self.fail_open
        self.opened = True
        self.closed = False

    def read(self, timeout: float) -> Frame | None:
        """The next frame, or None when there are no more (never waits)."""
        if not self.opened:
            raise SourceError("MemorySource.read() before open()")
        if not self.frames or (self.delivered >= len(self.frames) and not self.loop):
            return None
        item = self.frames[self.delivered % len(self.frames)]
        pulse_id = item.pulse_id if item.pulse_id is not None and not self.loop else self.delivered
        frame = Frame(image=item.image, pulse_id=pulse_id, timestamp=item.timestamp, extra=dict(item.extra))
        self.delivered += 1
        height, width = frame.image.shape[:2]
        self._geometry = (width, height)
        return frame

    def close(self) -> None:
        """Mark the source closed."""
        self.opened = False
        self.closed = True
