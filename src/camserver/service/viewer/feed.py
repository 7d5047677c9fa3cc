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
when, after connecting, it waited longer than one frame interval for a message. While a browser
follows channels in strip charts (``history``), a stream that brings no more than
:data:`HISTORY_BYTE_RATE` bytes a second is read whole all the same, so the charts get every
message; the ring of those values is :class:`~camserver.service.viewer.history.HistoryRing`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from camserver.errors import CamServerError, ConfigError
from camserver.models.instance import InstanceInfo
from camserver.protocol import Message
from camserver.service.viewer.digest import Axes, frame_digest
from camserver.service.viewer.history import HistoryRing
from camserver.service.viewer.messages import FrameMessage, PixelRequest, PixelsMessage
from camserver.service.viewer.picture import PictureRenderer, decimate
from camserver.service.viewer.settings import ViewSettings
from camserver.transport import Subscriber, SubscriberStatistics

__all__ = ["HISTORY_BYTE_RATE", "FeedSnapshot", "MessageSource", "RenderedFrame", "ViewerFeed"]

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
#: bytes a second a stream may bring to be read whole for the strip charts (a 640x480 uint16
#: pipeline at 100 Hz brings about 62 MB/s; a 2560x2160 camera at 100 Hz 1.1 GB/s, which is sampled)
HISTORY_BYTE_RATE = 80e6
#: messages taken at most from a socket's queue before a frame is published
_DRAIN_LIMIT = 16
#: messages kept for pixel requests about a frame already sent
_KEPT_SNAPSHOTS = 3


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
    meta: FrameMessage


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
        calibration: Callable[[int, int], Axes | None] | None = None,
    ) -> None:
        self.address = address
        self.name = name or address
        self._instance_info = instance_info
        self._calibration = calibration
        self._calibrated: tuple[tuple[int, int], Axes | None] | None = None
        self._open_source = open_source
        self._clock = clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._latest: FeedSnapshot | None = None
        self._wanted: dict[Hashable, float] = {}
        self._followed: dict[Hashable, tuple[str, ...]] = {}
        self._channels: tuple[str, ...] = ()
        self._kept: deque[FeedSnapshot] = deque(maxlen=_KEPT_SNAPSHOTS)
        self.history = HistoryRing()
        self._listeners: dict[int, Callable[[], None]] = {}
        self._next_listener = 0
        self._renderer = PictureRenderer()
        self._render_lock = threading.Lock()
        self._rendered: OrderedDict[tuple[Any, ...], RenderedFrame] = OrderedDict()
        # figures, written by the feed's thread
        self.mode = "continuous"
        self.received = 0
        self.connections = 0
        self.missed_pulses = 0
        self.decode_errors = 0
        self.byte_rate = 0.0
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

    def want(self, who: Hashable, fps: float, history: Iterable[str] = ()) -> None:
        """Ask for ``fps`` frames per second and the values of the ``history`` channels on behalf
        of ``who`` (a session)."""
        with self._lock:
            self._wanted[who] = fps
            self._followed[who] = tuple(history)
            self._channels = self._union()
        self._wake.set()

    def unwant(self, who: Hashable) -> None:
        """Forget what ``who`` asked for."""
        with self._lock:
            self._wanted.pop(who, None)
            self._followed.pop(who, None)
            self._channels = self._union()

    def _union(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for names in self._followed.values() for name in names))

    @property
    def follows_history(self) -> bool:
        """Whether any browser follows channels in strip charts."""
        return bool(self._channels)

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

    def pixels(self, request: PixelRequest) -> PixelsMessage:
        """The raw values of a region of the image of message ``request.seq`` (if still kept, else
        of the newest message), clamped into the image. Raises :class:`ConfigError` before the
        first message or for a message without a 2-D image."""
        with self._lock:
            kept = list(self._kept)
        if not kept:
            raise ConfigError(f"{self.name} has sent no frame yet")
        snapshot = next((item for item in kept if item.seq == request.seq), kept[-1])
        image = self._image(snapshot.message)
        height, width = image.shape
        x, y = min(request.x, width - 1), min(request.y, height - 1)
        part = image[y : y + request.height, x : x + request.width]
        values: list[list[float | int | None]]
        if part.dtype.kind == "f":
            values = [[value if math.isfinite(value) else None for value in row] for row in part.tolist()]
        else:
            values = part.tolist()
        return {
            "type": "pixels",
            "seq": snapshot.seq,
            "x": x,
            "y": y,
            "width": int(part.shape[1]),
            "height": int(part.shape[0]),
            "dtype": image.dtype.name,
            "values": values,
        }

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

    def _image(self, message: Message) -> Array:
        image = message.data.get("image")
        if not isinstance(image, np.ndarray) or image.ndim != 2:
            shape = getattr(image, "shape", None)
            raise ConfigError(
                f"the stream of {self.name} has no 2-D 'image' channel to show"
                + (f" (its image has shape {shape})" if shape is not None else "")
            )
        return image

    def _axes(self, width: int, height: int) -> Axes | None:
        """A camera's calibrated axes for images of this size (looked up once per size)."""
        if self._calibration is None:
            return None
        known = self._calibrated
        if known is None or known[0] != (width, height):
            try:
                axes = self._calibration(width, height)
            except CamServerError as error:
                logger.warning("viewer feed of %s: no calibrated axes: %s", self.name, error)
                axes = None
            known = ((width, height), axes)
            self._calibrated = known
        return known[1]

    def _render(self, snapshot: FeedSnapshot, settings: ViewSettings) -> RenderedFrame:
        message = snapshot.message
        image = self._image(message)
        picture = self._renderer.render(image, settings)
        region = picture.region
        contrast = picture.contrast
        digest = frame_digest(message.data, image, decimate(image, region), region, self._axes(*image.shape[::-1]))
        meta: FrameMessage = {
            "type": "frame",
            "seq": snapshot.seq,
            "pulse_id": message.pulse_id,
            "timestamp": _timestamp(message),
            "view": region.as_dict(),  # type: ignore[typeddict-item]
            "levels": {
                "min": contrast.low,
                "max": contrast.high,
                "auto": contrast.auto,
                "low_percentile": settings.low_percentile,
                "high_percentile": settings.high_percentile,
                "histogram": None if contrast.histogram is None else contrast.histogram.as_dict(),  # type: ignore[typeddict-item]
            },
            "colormap": settings.colormap,
            "image": digest["image"],
            "axes": digest["axes"],
            "profiles": digest["profiles"],
            "overlays": digest["overlays"],
            "scalars": digest["scalars"],
            "processing_parameters": digest["processing_parameters"],
            "history": {"pulse_id": [], "time": [], "values": {}, "lost": 0},
            "statistics": {},
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
                "subscriber_overflows": figures.subscriber_overflows,
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
            "byte_rate": round(self.byte_rate),
            "history_channels": list(self._channels),
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

    def _record(self, message: Message) -> None:
        """Keep the followed channels of a message read (published or not)."""
        channels = self._channels
        if channels:
            self.history.append(message.pulse_id, _timestamp(message), message.data, channels)

    def _publish(self, message: Message) -> None:
        with self._lock:
            seq = self._latest.seq + 1 if self._latest is not None else 1
            self._latest = FeedSnapshot(seq, message, self._clock())
            self._kept.append(self._latest)
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

    def _read_whole(self) -> bool:
        """Whether a stream that outruns the viewer is read whole all the same: while browsers
        follow channels and the stream brings few enough bytes."""
        return self.follows_history and self.byte_rate <= HISTORY_BYTE_RATE

    def _measure(self, source: MessageSource, window: list[float]) -> None:
        """Update :attr:`byte_rate` from ``source``'s byte count; ``window`` is ``[since, bytes]``."""
        now = self._clock()
        if now - window[0] >= 1.0:
            received = float(source.statistics.bytes_received)
            self.byte_rate = (received - window[1]) / (now - window[0])
            window[0], window[1] = now, received

    def _loop(self) -> None:
        sampling = False
        pending: Message | None = None
        since_published = 0
        next_due = self._clock()
        window = [self._clock(), 0.0]
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
                    self._record(message)
                    self._publish(message)
                    next_due = self._advance(next_due, interval)
                    if waited > interval or self._read_whole():  # slower than the viewer, or charted
                        sampling = False
                        self.mode = "continuous"
                    continue
                if self._source is None:
                    self._source = self._open_source(self.address)
                    self.connections += 1
                    window = [self._clock(), float(self._source.statistics.bytes_received)]
                wait = _RECEIVE_TIMEOUT if pending is None else max(0.0, next_due - self._clock())
                message = self._source.receive(wait)
                self._measure(self._source, window)
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
                self._record(message)
                if since_published > _BACKLOG_LIMIT and not self._read_whole():  # outrun: sample it
                    self.received += since_published
                    sampling, pending, since_published = True, None, 0
                    self.mode = "sampling"
                    self._retire(self._source)
                    continue
            if pending is not None and self._clock() >= next_due:
                pending, taken = self._newest(pending)  # what waited in the socket is newer
                since_published += taken
                self.received += since_published
                self._publish(pending)
                pending, since_published = None, 0
                next_due = self._advance(next_due, interval)

    def _newest(self, pending: Message) -> tuple[Message, int]:
        """``pending``, or a newer message already waiting in the socket (each one recorded for
        the charts), and how many were taken: a frame is never older than it must be."""
        source = self._source
        taken = 0
        while source is not None and taken < _DRAIN_LIMIT:
            try:
                message = source.receive(0)
            except CamServerError:
                break  # the next receive reports it
            if message is None:
                break
            self._record(message)
            pending, taken = message, taken + 1
        return pending, taken

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
            info = self._info
            if message is not None and info is not None:  # what reading it whole would cost
                self.byte_rate = source.statistics.bytes_received * info.statistics.tx_rate
        finally:
            self._retire(source)
        return message, self._clock() - started
