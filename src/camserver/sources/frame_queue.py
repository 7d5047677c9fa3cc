"""A bounded hand-over of frames from a callback thread to the reading thread."""

from __future__ import annotations

import threading
import time
from collections import deque

from camserver.sources.source import Frame

__all__ = ["FrameQueue"]


class FrameQueue:
    """Frames put by one thread (e.g. EPICS monitor callbacks) and read by another.

    When the reader is slow and the queue is full, the *oldest* frame is dropped (the reader
    gets the newest images) and counted in :attr:`dropped`.
    """

    def __init__(self, maxsize: int = 4) -> None:
        if maxsize < 1:
            raise ValueError("a frame queue holds at least one frame")
        self.maxsize = maxsize
        self.dropped = 0
        self._frames: deque[Frame] = deque()
        self._ready = threading.Condition()

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, frame: Frame) -> None:
        """Add a frame, dropping the oldest if the queue is full."""
        with self._ready:
            if len(self._frames) >= self.maxsize:
                self._frames.popleft()
                self.dropped += 1
            self._frames.append(frame)
            self._ready.notify()

    def get(self, timeout: float) -> Frame | None:
        """The oldest frame, waiting up to ``timeout`` seconds for one; None if none came."""
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._ready:
            while not self._frames:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._ready.wait(remaining)
            return self._frames.popleft()

    def clear(self) -> None:
        """Forget queued frames (not counted as dropped)."""
        with self._ready:
            self._frames.clear()
