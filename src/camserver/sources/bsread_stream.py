"""Cameras whose images arrive as a bsread stream: ``bsread``, ``bsread_simulation``, ``bschannel``, ``stream``.

* ``bsread``: the stream is ``url`` (PULL unless ``mode`` says otherwise); the image channel is
  ``<source>:FPICTURE`` unless ``channel`` names another. ``bsread_simulation``: the same on
  ``tcp://127.0.0.1:9999`` unless ``url`` is given. (CamServer can read the address from
  ``<source>:BSREADCONFIG`` over EPICS; here ``url`` is required.)
* ``bschannel`` / ``stream``: ``source`` is the stream address (SUB unless ``mode``), the image
  channel is ``channel`` or else the message's only 2-D channel.

Every other channel of a message goes into :attr:`Frame.extra`; pulse id and timestamp are the
message's. For ``bsread`` cameras ``enforce_pid`` / ``enforce_timestamp`` drop messages whose pulse
id / timestamp does not increase and ``check_timestamp`` drops those with ``pid % 1e6 != ns % 1e6``
(CamServer's defaults: all on); for ``bschannel`` / ``stream`` these checks run only when the
config sets them. A ``timeout`` > 0 makes :meth:`BsreadSource.read` raise :class:`SourceError` after
that many seconds without a usable image (CamServer's format-error timeout).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from camserver.errors import ConfigError, SourceError
from camserver.models.camera import BsreadCamera
from camserver.protocol import Message, Timestamp
from camserver.sources.source import Frame
from camserver.transport import SocketMode, Subscriber

__all__ = ["BsreadCounters", "BsreadSource"]

logger = logging.getLogger("camserver.sources.bsread")

_SIMULATION_STREAM = "tcp://127.0.0.1:9999"
_CHECKS = ("enforce_pid", "enforce_timestamp", "check_timestamp")


@dataclass(slots=True)
class BsreadCounters:
    """Messages received but not delivered, by reason."""

    no_image: int = 0
    not_2d: int = 0
    pulse_id_order: int = 0
    timestamp_order: int = 0
    timestamp_check: int = 0

    @property
    def total(self) -> int:
        """All skipped messages."""
        return self.no_image + self.not_2d + self.pulse_id_order + self.timestamp_order + self.timestamp_check


class BsreadSource:
    """Images from a bsread stream, received with :class:`camserver.transport.Subscriber`."""

    def __init__(self, config: BsreadCamera, *, queue_size: int = 10) -> None:
        self.config = config
        kind = config.source_type
        camera = kind in ("bsread", "bsread_simulation")
        if kind == "bsread":
            if not config.url:
                raise ConfigError(
                    f"camera {config.name or config.source!r}: source_type 'bsread' needs 'url' (the stream "
                    "address); reading it from the <prefix>:BSREADCONFIG PV is not supported"
                )
            self.address = config.url
        elif kind == "bsread_simulation":
            self.address = config.url or _SIMULATION_STREAM
        else:
            self.address = config.source
        self.mode = SocketMode.parse(config.mode) if config.mode else (SocketMode.PULL if camera else SocketMode.SUB)
        self.channel = config.channel or (f"{config.source}:FPICTURE" if camera else None)
        given = config.model_fields_set
        self.checks = {name: bool(getattr(config, name)) and (camera or name in given) for name in _CHECKS}
        self.timeout = config.timeout if config.timeout > 0 else None
        self.counters = BsreadCounters()
        self.last_skip_reason = ""
        self._queue_size = queue_size
        self._subscriber: Subscriber | None = None
        self._geometry: tuple[int, int] | None = None
        self._last_pulse_id: int | None = None
        self._last_timestamp: Timestamp | None = None
        self._last_frame_time = 0.0

    @property
    def geometry(self) -> tuple[int, int] | None:
        """``(width, height)`` of the last image delivered."""
        return self._geometry

    @property
    def dropped(self) -> int:
        """Messages skipped (see :attr:`counters`) plus messages that could not be decoded."""
        decode_errors = self._subscriber.statistics.decode_errors if self._subscriber is not None else 0
        return self.counters.total + decode_errors

    def open(self) -> None:
        """Connect to the stream (a stream not yet there is not an error: frames come when it is)."""
        if self._subscriber is not None:
            return
        try:
            self._subscriber = Subscriber(
                self.address, mode=self.mode, queue_size=self._queue_size, receive_timeout=None
            )
        except (ConfigError, OSError) as error:
            raise SourceError(f"cannot receive the stream {self.address}: {error}") from None
        self._last_frame_time = time.monotonic()

    def read(self, timeout: float) -> Frame | None:
        """The next usable image, or None if none arrives within ``timeout`` seconds."""
        if self._subscriber is None:
            self.open()
        assert self._subscriber is not None
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            message = self._subscriber.receive(max(0.0, deadline - time.monotonic()))
            if message is not None:
                frame = self._frame(message)
                if frame is not None:
                    self._last_frame_time = time.monotonic()
                    return frame
            if self.timeout is not None and time.monotonic() - self._last_frame_time > self.timeout:
                raise SourceError(
                    f"no usable image from {self.address} for {self.timeout:g} s"
                    + (f" (last message skipped: {self.last_skip_reason})" if self.last_skip_reason else "")
                )
            if message is None or time.monotonic() >= deadline:
                return None

    def _skip(self, counter: str, reason: str) -> None:
        setattr(self.counters, counter, getattr(self.counters, counter) + 1)
        if reason != self.last_skip_reason:
            logger.warning("%s: message skipped: %s", self.address, reason)
        self.last_skip_reason = reason

    def _image_channel(self, data: dict[str, Any]) -> str | None:
        if self.channel is not None:
            return self.channel if self.channel in data else None
        images = [name for name, value in data.items() if isinstance(value, np.ndarray) and value.ndim == 2]
        return images[0] if len(images) == 1 else None

    def _frame(self, message: Message) -> Frame | None:
        data = message.data
        channel = self._image_channel(data)
        if channel is None:
            expected = repr(self.channel) if self.channel else "exactly one 2-D channel"
            self._skip("no_image", f"pulse id {message.pulse_id} has no image channel ({expected})")
            return None
        image = data[channel]
        if not isinstance(image, np.ndarray) or image.ndim != 2:
            shape = getattr(image, "shape", None)
            self._skip("not_2d", f"channel {channel!r} is not a 2-D image (shape {shape})")
            return None
        pulse_id, timestamp = message.pulse_id, message.timestamp
        if self.checks["enforce_pid"] and self._last_pulse_id is not None and pulse_id <= self._last_pulse_id:
            self._skip("pulse_id_order", f"pulse id {pulse_id} after {self._last_pulse_id}")
            return None
        if self.checks["enforce_timestamp"] and self._last_timestamp is not None and timestamp <= self._last_timestamp:
            self._skip("timestamp_order", f"timestamp {timestamp} after {self._last_timestamp}")
            return None
        if self.checks["check_timestamp"] and pulse_id % 1_000_000 != timestamp.ns % 1_000_000:
            self._skip("timestamp_check", f"pulse id {pulse_id} does not match timestamp {timestamp}")
            return None
        self._last_pulse_id, self._last_timestamp = pulse_id, timestamp
        self._geometry = (image.shape[1], image.shape[0])
        extra = {name: value for name, value in data.items() if name != channel and value is not None}
        return Frame(image=image, pulse_id=pulse_id, timestamp=timestamp, extra=extra)

    def close(self) -> None:
        """Close the socket."""
        subscriber, self._subscriber = self._subscriber, None
        if subscriber is not None:
            subscriber.close()
