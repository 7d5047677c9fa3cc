"""What the sources of non-bsread image streams share (std-daq's ``stream``, ``array10``).

A subclass turns the frames of one ZMQ message into a :class:`Frame` (:meth:`RawImageStream._decode`);
this class owns the socket, the wait for the next image, and counts and logs the messages that are
not images of its kind (:attr:`RawImageStream.dropped`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from camserver.errors import ConfigError, SourceError
from camserver.models.camera import CameraConfig
from camserver.sources.source import Frame
from camserver.transport import FrameReceiver, SocketMode

__all__ = ["RawImageStream"]


class RawImageStream:
    """Images from a stream of ``config.source``, SUB unless ``config.mode`` says PULL.

    ``kind`` names the format in messages; ``logger`` is the subclass's.
    """

    kind = "image"
    logger = logging.getLogger("camserver.sources")

    def __init__(self, config: CameraConfig, *, queue_size: int = 10) -> None:
        self.config = config
        self.address = config.source
        mode = getattr(config, "mode", None)
        self.mode = SocketMode.parse(mode) if mode else SocketMode.SUB
        self.unusable = 0
        self.last_error = ""
        self._queue_size = queue_size
        self._receiver: FrameReceiver | None = None
        self._geometry: tuple[int, int] | None = None

    @property
    def geometry(self) -> tuple[int, int] | None:
        """``(width, height)`` of the last image delivered."""
        return self._geometry

    @property
    def dropped(self) -> int:
        """Messages that were not images of this stream's kind."""
        return self.unusable

    def open(self) -> None:
        """Connect to the stream (a stream not yet there is not an error: images come when it is)."""
        if self._receiver is not None:
            return
        try:
            self._receiver = FrameReceiver(self.address, mode=self.mode, queue_size=self._queue_size)
        except (ConfigError, OSError) as error:
            raise SourceError(f"cannot receive the {self.kind} stream {self.address}: {error}") from None

    def _decode(self, frames: list[Any]) -> Frame | None:
        """The image of one message (None: it waits for a following message); ValueError if unusable."""
        raise NotImplementedError

    def _reset(self) -> None:
        """Forget a message in the middle of its arrival (after an unusable one, and on close)."""

    def read(self, timeout: float) -> Frame | None:
        """The next image, or None if none arrives within ``timeout`` seconds."""
        if self._receiver is None:
            self.open()
        assert self._receiver is not None
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            frames = self._receiver.receive(max(0.0, deadline - time.monotonic()))
            if frames is None:
                return None
            try:
                frame = self._decode(frames)
            except ValueError as error:
                self._reset()
                self.unusable += 1
                if str(error) != self.last_error:
                    self.logger.warning("%s: message skipped: %s", self.address, error)
                self.last_error = str(error)
                frame = None
            if frame is not None:
                self._geometry = (frame.image.shape[1], frame.image.shape[0])
                return frame
            if time.monotonic() >= deadline:
                return None

    def close(self) -> None:
        """Close the socket."""
        receiver, self._receiver = self._receiver, None
        self._reset()
        if receiver is not None:
            receiver.close()
