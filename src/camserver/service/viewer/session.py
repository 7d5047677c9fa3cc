"""One browser watching one feed: its settings, its pace, its strip-chart values and its figures.

A session sends a frame only when all of these hold: the feed has a message newer than the last one
sent, one frame interval (``1 / fps``) has passed since the last send, and fewer than
``max_in_flight`` frames wait for the browser's acknowledgement. A browser that draws slowly (or
not at all) therefore gets fewer frames, never a queue of old ones, and never holds the feed back:
messages it did not get are counted as ``skipped``. Each frame also carries the values of the
channels the browser follows for every message the feed read since the previous frame.
"""

from __future__ import annotations

import json
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from camserver.service.viewer.feed import ViewerFeed
from camserver.service.viewer.messages import FrameMessage, PixelRequest, StatusMessage
from camserver.service.viewer.settings import ViewSettings

__all__ = ["ViewerFrame", "ViewerSession"]

_RATE_WINDOW = 2.0
#: the part of a frame interval that must pass between two sends (the feed itself keeps the pace;
#: this only stops a session from sending faster than asked when messages bunch)
_PACE = 0.9


_LENGTH = struct.Struct(">I")


@dataclass(frozen=True, slots=True)
class ViewerFrame:
    """What goes to the browser for one frame: its description (JSON text) and its JPEG."""

    seq: int
    text: str
    jpeg: bytes

    def message(self) -> bytes:
        """The frame as one binary websocket message: the length of the JSON description as a
        4-byte big-endian number, the description (UTF-8), then the JPEG.

        One message rather than a text and a binary one: a second small write right after the
        first waits for the browser's delayed TCP acknowledgement (about 40 ms on Linux) once the
        browser has sent its own acknowledgement of the previous frame."""
        description = self.text.encode()
        return _LENGTH.pack(len(description)) + description + self.jpeg


class ViewerSession:
    """See the module docstring. Its methods may be called from different threads (the websocket's
    loop acknowledges while a worker thread renders)."""

    def __init__(
        self,
        feed: ViewerFeed,
        settings: ViewSettings,
        *,
        max_in_flight: int = 2,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.feed = feed
        self.settings = settings
        self.max_in_flight = max(1, max_in_flight)
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._last_seq = 0
        self._last_sent_at: float | None = None
        self._in_flight: deque[int] = deque()
        self._sent_times: deque[float] = deque(maxlen=64)
        self.sent = 0
        self.skipped = 0
        self.latency: float | None = None
        self.history_lost = 0
        self._history_cursor = feed.history.last_index
        feed.want(self, settings.fps, settings.history)

    def update(self, changes: Mapping[str, Any]) -> ViewSettings:
        """Apply settings from the browser (raises :class:`ConfigError` and keeps the old ones)."""
        with self._lock:
            self.settings = self.settings.updated(changes)
            settings = self.settings
        self.feed.want(self, settings.fps, settings.history)
        return settings

    def pixels(self, request: PixelRequest) -> str:
        """A JSON ``pixels`` message: the raw values of a region (raises :class:`ConfigError`)."""
        return json.dumps(self.feed.pixels(request), allow_nan=False)

    def acknowledge(self, seq: int) -> None:
        """The browser has drawn the frame ``seq`` (and every frame before it)."""
        with self._lock:
            while self._in_flight and self._in_flight[0] <= seq:
                self._in_flight.popleft()

    @property
    def in_flight(self) -> int:
        """Frames sent and not yet acknowledged."""
        return len(self._in_flight)

    def wait_time(self) -> float | None:
        """0 when a frame can be sent now; seconds to wait for the next frame interval; None when
        waiting for something else (a newer message, or the browser's acknowledgement)."""
        snapshot = self.feed.latest()
        with self._lock:
            if len(self._in_flight) >= self.max_in_flight:
                return None
            if snapshot is None or snapshot.seq <= self._last_seq:
                return None
            if self._last_sent_at is None:
                return 0.0
            return max(0.0, self._last_sent_at + _PACE / self.settings.fps - self._clock())

    def next_frame(self) -> ViewerFrame | None:
        """The frame to send now (rendered from the feed's newest message), or None if there is
        nothing new. Raises :class:`ConfigError` when the stream has no image to show; that
        message is not tried again."""
        snapshot = self.feed.latest()
        started = self._clock()  # the pace counts from here, so rendering time does not add up
        with self._lock:
            if snapshot is None or snapshot.seq <= self._last_seq:
                return None
            if self._last_seq:
                self.skipped += snapshot.seq - self._last_seq - 1
            self._last_seq = snapshot.seq
            settings = self.settings
        rendered = self.feed.render(snapshot, settings)
        now = self._clock()
        with self._lock:
            self._last_sent_at = started
            self._in_flight.append(snapshot.seq)
            self._sent_times.append(now)
            self.sent += 1
            timestamp = rendered.meta["timestamp"]
            self.latency = None if timestamp is None else max(0.0, self._wall_clock() - timestamp)
            history, self._history_cursor = self.feed.history.since(self._history_cursor, settings.history)
            self.history_lost += history.lost
        meta: FrameMessage = {
            **rendered.meta,
            "history": history.as_dict(),  # type: ignore[typeddict-item]
            "statistics": self.statistics(),
        }
        return ViewerFrame(snapshot.seq, json.dumps(meta, allow_nan=False), rendered.jpeg)

    def rate(self) -> float:
        """Frames per second sent over the last two seconds."""
        now = self._clock()
        recent = [sent for sent in self._sent_times if now - sent <= _RATE_WINDOW]
        if len(recent) < 2 or recent[-1] <= recent[0]:
            return 0.0
        return (len(recent) - 1) / (recent[-1] - recent[0])

    def statistics(self) -> dict[str, Any]:
        """This browser's figures beside the feed's."""
        return {
            "fps": round(self.rate(), 2),
            "requested_fps": self.settings.fps,
            "sent": self.sent,
            "skipped": self.skipped,
            "in_flight": len(self._in_flight),
            "latency_ms": None if self.latency is None else round(self.latency * 1000, 1),
            "history_lost": self.history_lost,
            "feed": self.feed.statistics(),
        }

    def status(self) -> str:
        """A JSON ``status`` message: the figures, for when no frame is sent for a while."""
        status: StatusMessage = {"type": "status", "statistics": self.statistics()}
        return json.dumps(status, allow_nan=False)

    def close(self) -> None:
        """Stop asking the feed for frames."""
        self.feed.unwant(self)
