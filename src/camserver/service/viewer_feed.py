"""One stream watched by browsers: a background thread keeps only its newest message.

A :class:`ViewerFeed` is shared by every browser watching the same camera or pipeline instance. Its
thread takes one message per frame interval (the highest rate any of its browsers asks for) and
never queues: the newest message replaces the previous one, and each browser's session renders
from whatever is newest when it is ready for a frame.

Taking a message costs what receiving it costs (an 11 MB frame is a copy out of the kernel), so a
feed does not read a fast stream whole. It works in one of two modes and switches by itself:

* **continuous** for streams no faster than about the viewer: the subscriber stays connected and
  reads every message as it arrives; the newest is published once the frame is due, at once if it
  already is, so a slow stream's frames are shown as soon as they arrive. Pulse-id gaps counted
  here are frames the stream lost.
* **sampling** for faster streams: the feed connects, takes the first message (the newest, as a
  PUB socket only sends what is published after the connection), and disconnects until the next
  frame is due. Frames published meanwhile never reach this process; they cost the server
  nothing, and the publisher does not wait for the viewer (PUB drops for it).

The feed switches to sampling when more than three messages arrived for one frame shown, and back
when, after connecting, it waited longer than one frame interval for a message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from camserver.errors import CamServerError, ConfigError
from camserver.models.instance import InstanceInfo
from camserver.protocol import Message
from camserver.service.frame_digest import frame_digest
from camserver.service.view_renderer import ViewRenderer, decimate
from camserver.service.view_settings import ViewSettings
from camserver.transport import Subscriber, SubscriberStatistics

__all__ = ["FeedSnapshot", "MessageSource", "RenderedFrame", "ViewerFeed"]

logger = logging.getLogger("camserver.viewer")

Array = np.ndarray[Any, Any]

#: messages read per frame shown in continuous mode; more means the stream outruns the viewer
_BACKLOG_LIMIT = 3
#: seconds one receive waits before the feed notes that the stream is silent
_RECEIVE_TIMEOUT = 0.5
#: seconds between reconnection attempts after a transport error
_RETRY_DELAY = 1.0
#: the frame rate of a feed nobody asks anything of (between a browser leaving and the feed closing)
_IDLE_FPS = 1.0
#: renderings kept per feed (one per distinct browser setting for the newest messages)
_RENDER_CACHE = 8
_INFO_INTERVAL = 1.0


class MessageSource(Protocol):
    """What a feed reads from: :class:`~camserver.transport.Subscriber` or a test's fake."""

    statistics: SubscriberStatistics

    def receive(self, timeout: float | None = None) -> Message | None: ...

    def close(self) -> None: ...


def _subscribe(address: str) -> MessageSource:
    return Subscriber(address, queue_size=2, receive_timeout=_RECEIVE_TIMEOUT)


@dataclass(frozen=True, slots=True)
class FeedSnapshot:
    """The newest message of a feed: ``seq`` counts messages the feed took, from 1."""

    seq: int
    message: Message
    received_at: float  #: monotonic seconds


@dataclass(frozen=True, slots=True)
class RenderedFrame:
    """One message rendered for a setting: the JPEG and what the browser needs to draw it."""

    seq: int
    jpeg: bytes
    meta: dict[str, Any]


def _timestamp(message: Message) -> float | None:
    stamp = message.timestamp
    seconds = stamp.sec + stamp.ns / 1e9
    return seconds if seconds > 0 else None


class ViewerFeed:
    """The newest message of the stream at ``address``; see the module docstring.

    ``instance_info`` tells the state and statistics of the instance behind the stream (polled at
    most once a second); ``open_source`` makes the subscriber (tests pass a fake).
    """

    def __init__(
        self,
        address: str,
        *,
        name: str = "",
        instance_info: Callable[[], InstanceInfo | None] | None = None,
        open_source: Callable[[str], MessageSource] = _subscribe,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.address = address
        self.name = name or address
        self._instance_info = instance_info
        self._open_source = open_source
        self._clock = clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._latest: FeedSnapshot | None = None
        self._wanted: dict[Hashable, float] = {}
        self._listeners: dict[int, Callable[[], None]] = {}
        self._next_listener = 0
        self._renderer = ViewRenderer()
        self._render_lock = threading.Lock()
        self._rendered: OrderedDict[tuple[Any, ...], RenderedFrame] = OrderedDict()
        # figures, written by the feed's thread
        self.mode = "continuous"
        self.received = 0
        self.connections = 0
        self.missed_pulses = 0
        self.decode_errors = 0
        self.error: str | None = None
        self.last_message_at: float | None = None
        self.started_at = clock()
        self._info: InstanceInfo | None = None
        self._info_at: float | None = None
        self._source: MessageSource | None = None
        self._thread = threading.Thread(target=self._run, name=f"viewer-feed {self.name}", daemon=True)

    # -- life ---------------------------------------------------------------------------------

    def start(self) -> ViewerFeed:
        """Start the feed's thread."""
        self._thread.start()
        return self

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread and disconnect."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._stop.is_set()

    # -- what browsers ask --------------------------------------------------------------------

    def want(self, who: Hashable, fps: float) -> None:
        """Ask for ``fps`` frames per second on behalf of ``who`` (a session)."""
        with self._lock:
            self._wanted[who] = fps
        self._wake.set()

    def unwant(self, who: Hashable) -> None:
        """Forget what ``who`` asked for."""
        with self._lock:
            self._wanted.pop(who, None)

    def fps(self) -> float:
        """The frame rate the feed takes messages at: the highest any browser asks for."""
        with self._lock:
            return max(self._wanted.values(), default=_IDLE_FPS)

    def add_listener(self, listener: Callable[[], None]) -> int:
        """Call ``listener()`` (from the feed's thread; it must be quick) after each new message."""
        with self._lock:
            self._next_listener += 1
            self._listeners[self._next_listener] = listener
            return self._next_listener

    def remove_listener(self, token: int) -> None:
        """Stop calling the listener registered as ``token``."""
        with self._lock:
            self._listeners.pop(token, None)

    def latest(self) -> FeedSnapshot | None:
        """The newest message, or None before the first."""
        return self._latest

    def instance(self) -> InstanceInfo | None:
        """The instance behind the stream, as last polled (None if unknown or gone)."""
        return self._info

    # -- rendering ----------------------------------------------------------------------------

    def render(self, snapshot: FeedSnapshot, settings: ViewSettings) -> RenderedFrame:
        """The picture and digest of ``snapshot`` for ``settings``; browsers asking for the same
        picture of the same message share one rendering. Raises :class:`ConfigError` for a
        message without a 2-D image."""
        key = (snapshot.seq, *settings.render_key())
        with self._render_lock:
            cached = self._rendered.get(key)
            if cached is not None:
                return cached
            rendered = self._render(snapshot, settings)
            self._rendered[key] = rendered
            while len(self._rendered) > _RENDER_CACHE:
                self._rendered.popitem(last=False)
            return rendered

    def _render(self, snapshot: FeedSnapshot, settings: ViewSettings) -> RenderedFrame:
        message = snapshot.message
        image = message.data.get("image")
        if not isinstance(image, np.ndarray) or image.ndim != 2:
            shape = getattr(image, "shape", None)
            raise ConfigError(
                f"the stream of {self.name} has no 2-D 'image' channel to show"
                + (f" (its image has shape {shape})" if shape is not None else "")
            )
        picture = self._renderer.render(image, settings)
        digest = frame_digest(message.data, image, decimate(image, picture.region), picture.region)
        meta = {
            "type": "frame",
            "seq": snapshot.seq,
            "pulse_id": message.pulse_id,
            "timestamp": _timestamp(message),
            "view": picture.region.as_dict(),
            "levels": {
                "min": picture.low,
                "max": picture.high,
                "auto": settings.min_value is None or settings.max_value is None,
            },
            "colormap": settings.colormap,
            **digest,
        }
        return RenderedFrame(snapshot.seq, picture.jpeg, meta)

    # -- figures ------------------------------------------------------------------------------

    def statistics(self) -> dict[str, Any]:
        """The feed's figures: how it reads, what it received and missed, the instance's own."""
        now = self._clock()
        info = self._info
        instance: dict[str, Any] | None = None
        if info is not None:
            figures = info.statistics
            instance = {
                "state": info.state.value,
                "reason": info.reason,
                "rate": figures.tx_rate,
                "input_drops": figures.input_drops,
                "output_drops": figures.output_drops,
                "processing_errors": figures.processing_errors,
                "skipped": figures.skipped,
                "cpu": figures.cpu,
                "clients": figures.clients,
                "latency_mean": figures.latency_mean,
            }
        with self._lock:
            watchers = len(self._wanted)
        return {
            "name": self.name,
            "stream": self.address,
            "mode": self.mode,
            "fps": self.fps(),
            "watchers": watchers,
            "received": self.received,
            "connections": self.connections,
            "missed_pulses": self.missed_pulses,
            "decode_errors": self.decode_errors,
            "silent_for": None if self.last_message_at is None else round(now - self.last_message_at, 3),
            "error": self.error,
            "instance": instance,
        }

    # -- the thread ---------------------------------------------------------------------------

    def _poll_instance(self) -> None:
        now = self._clock()
        if self._instance_info is None or (self._info_at is not None and now - self._info_at < _INFO_INTERVAL):
            return
        self._info_at = now
        try:
            self._info = self._instance_info()
        except CamServerError:
            self._info = None

    def _publish(self, message: Message) -> None:
        with self._lock:
            seq = self._latest.seq + 1 if self._latest is not None else 1
            self._latest = FeedSnapshot(seq, message, self._clock())
            listeners = list(self._listeners.values())
        self.last_message_at = self._clock()
        self.error = None
        for listener in listeners:
            listener()

    def _retire(self, source: MessageSource | None) -> None:
        """Close ``source``, keeping its figures."""
        if source is None:
            return
        if source is self._source:
            self._source = None
        statistics = source.statistics
        self.missed_pulses += statistics.missed_pulses
        self.decode_errors += statistics.decode_errors
        source.close()

    def _wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` (a changed frame rate or :meth:`close` wakes it); True to stop."""
        if seconds > 0:
            self._wake.wait(seconds)
        self._wake.clear()
        return self._stop.is_set()

    def _run(self) -> None:
        try:
            self._loop()
        except Exception:  # the thread must not die silently; the browsers see the error
            logger.exception("viewer feed of %s failed", self.name)
            self.error = "the viewer feed failed; see the server log"
        finally:
            self._retire(self._source)

    def _loop(self) -> None:
        sampling = False
        pending: Message | None = None
        since_published = 0
        next_due = self._clock()
        while not self._stop.is_set():
            self._poll_instance()
            interval = 1.0 / self.fps()
            next_due = min(next_due, self._clock() + interval)  # a faster rate applies at once
            try:
                if sampling:
                    if self._wait(next_due - self._clock()):
                        return
                    if self._clock() < next_due:
                        continue  # woken early by a new frame rate: wait again with it
                    message, waited = self._sample()
                    if message is None:
                        continue  # silent for now
                    self.received += 1
                    self._publish(message)
                    next_due = self._advance(next_due, interval)
                    if waited > interval:  # the stream is slower than the viewer: read it all
                        sampling = False
                        self.mode = "continuous"
                    continue
                if self._source is None:
                    self._source = self._open_source(self.address)
                    self.connections += 1
                wait = _RECEIVE_TIMEOUT if pending is None else max(0.0, next_due - self._clock())
                message = self._source.receive(wait)
            except CamServerError as error:
                self.error = str(error)
                logger.warning("viewer feed of %s: %s", self.name, error)
                self._retire(self._source)
                pending = None
                if self._wait(_RETRY_DELAY):
                    return
                continue
            if message is not None:
                pending = message
                since_published += 1
                if since_published > _BACKLOG_LIMIT:  # the stream outruns the viewer: sample it
                    self.received += since_published
                    sampling, pending, since_published = True, None, 0
                    self.mode = "sampling"
                    self._retire(self._source)
                    continue
            if pending is not None and self._clock() >= next_due:
                self.received += since_published
                self._publish(pending)
                pending, since_published = None, 0
                next_due = self._advance(next_due, interval)

    def _advance(self, due: float, interval: float) -> float:
        """The next due time: one interval on, but never so far behind that frames would bunch."""
        return max(due + interval, self._clock() + interval / 2)

    def _sample(self) -> tuple[Message | None, float]:
        """Connect, take the first message, disconnect: ``(message, seconds waited)``."""
        source = self._open_source(self.address)
        self.connections += 1
        self._source = source
        started = self._clock()
        try:
            message = source.receive(_RECEIVE_TIMEOUT)
        finally:
            self._retire(source)
        return message, self._clock() - started
