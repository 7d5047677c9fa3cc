"""Cameras whose images arrive as a bsread stream: ``bsread``, ``bsread_simulation``, ``bschannel``, ``stream``.

* ``bsread``: the stream is ``url`` (PULL unless ``mode`` says otherwise); the image channel is
  ``<source>:FPICTURE`` unless ``channel`` names another. ``bsread_simulation``: the same on
  ``tcp://127.0.0.1:9999`` unless ``url`` is given. (CamServer can read the address from
  ``<source>:BSREADCONFIG`` over EPICS; here ``url`` is required.)
* ``bschannel`` / ``stream``: ``source`` is the stream address (SUB unless ``mode``), the image
  channel is ``channel`` or else the message's only 2-D channel.

Every other channel of a message goes into :attr:`Frame.extra`; pulse id and timestamp are the
message's. As in CamServer, only ``bsread`` and ``bsread_simulation`` cameras check the order:
``enforce_pid`` / ``enforce_timestamp`` drop messages whose pulse id / timestamp does not increase
and ``check_timestamp`` drops those with ``pid % 1e6 != ns % 1e6`` (all on by default);
``bschannel`` and ``stream`` cameras deliver every message whatever these keys say. The order
follows the stream again after :data:`~camserver.protocol.RESYNC_AFTER` rejections in a row, so one
wild pulse id cannot silence the camera. No message may declare more than ``max_message_size``
bytes of values. A ``timeout`` > 0 makes :meth:`BsreadSource.read` raise :class:`SourceError` after
that many seconds without a usable image (CamServer's format-error timeout).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from camserver.errors import ConfigError, SourceError
from camserver.models.camera import BsreadCamera
from camserver.protocol import DEFAULT_MAX_MESSAGE_BYTES, Message, Ordering, PulseOrder
from camserver.sources.source import DECODE_ERRORS, RESYNCS, Frame, InputCounter
from camserver.transport import SocketMode, Subscriber

__all__ = ["ORDER_CHECKS", "SKIP_KINDS", "BsreadSource"]

_SIMULATION_STREAM = "tcp://127.0.0.1:9999"
#: the source types that check the order of their messages (CamServer's ``process_bsread_camera``)
ORDER_CHECKS = ("bsread", "bsread_simulation")
#: the kinds of messages a bsread camera receives and skips
SKIP_KINDS = ("no_image", "not_2d", "pulse_id_order", "timestamp_order", "timestamp_check")
_CHECKS = ("enforce_pid", "enforce_timestamp", "check_timestamp")
_ORDER_KINDS = {Ordering.OLD_PULSE_ID: "pulse_id_order", Ordering.OLD_TIMESTAMP: "timestamp_order"}


class BsreadSource:
    """Images from a bsread stream, received with :class:`camserver.transport.Subscriber`."""

    def __init__(self, config: BsreadCamera, *, queue_size: int = 10) -> None:
        self.config = config
        kind = config.source_type
        camera = kind in ORDER_CHECKS
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
        self.checks = {name: camera and bool(getattr(config, name)) for name in _CHECKS}
        self.timeout = config.timeout if config.timeout > 0 else None
        self.max_message_bytes = config.max_message_size or DEFAULT_MAX_MESSAGE_BYTES
        self.counters = {kind: InputCounter() for kind in SKIP_KINDS}
        self.order = PulseOrder()
        self._resyncs = InputCounter()
        self._decode_errors = InputCounter()
        self.last_skip_reason = ""
        self._queue_size = queue_size
        self._subscriber: Subscriber | None = None
        self._geometry: tuple[int, int] | None = None
        self._last_frame_time = 0.0

    @property
    def geometry(self) -> tuple[int, int] | None:
        """``(width, height)`` of the last image delivered."""
        return self._geometry

    @property
    def dropped(self) -> int:
        """Messages skipped (see :attr:`counters`) plus messages that could not be decoded."""
        return sum(counter.count for counter in self.counters.values()) + self._decode_counter().count

    def _decode_counter(self) -> InputCounter:
        subscriber = self._subscriber
        if subscriber is not None:
            self._decode_errors.count = subscriber.statistics.decode_errors
            self._decode_errors.last_reason = subscriber.statistics.last_decode_error
        return self._decode_errors

    def input_counters(self) -> Mapping[str, InputCounter]:
        """Skipped messages by kind, decode errors and re-synchronisations (:class:`StreamSource`)."""
        return {**self.counters, DECODE_ERRORS: self._decode_counter(), RESYNCS: self._resyncs}

    def open(self) -> None:
        """Connect to the stream (a stream not yet there is not an error: frames come when it is)."""
        if self._subscriber is not None:
            return
        try:
            self._subscriber = Subscriber(
                self.address,
                mode=self.mode,
                queue_size=self._queue_size,
                receive_timeout=None,
                max_message_bytes=self.max_message_bytes,
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

    def _skip(self, kind: str, reason: str) -> None:
        """Count a skipped message; the camera logs the counts (at most every few seconds)."""
        self.counters[kind].add(reason)
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
        checks = self.checks
        if checks["check_timestamp"] and pulse_id % 1_000_000 != timestamp.ns % 1_000_000:
            self._skip(
                "timestamp_check",
                f"pulse id {pulse_id} does not match its timestamp {timestamp.sec}.{timestamp.ns:09d} "
                "(check_timestamp: pid % 1e6 must equal ns % 1e6; set it false for a sender without "
                "SwissFEL timing)",
            )
            return None
        if checks["enforce_pid"] or checks["enforce_timestamp"]:
            verdict = self.order.check(
                pulse_id, timestamp, pulse_ids=checks["enforce_pid"], timestamps=checks["enforce_timestamp"]
            )
            if verdict is Ordering.RESYNCED:
                self._resyncs.add(self.order.last_resync)
            elif verdict is not Ordering.IN_ORDER:
                self._skip(_ORDER_KINDS[verdict], self.order.last_rejection)
                return None
        self._geometry = (image.shape[1], image.shape[0])
        extra = {name: value for name, value in data.items() if name != channel and value is not None}
        return Frame(image=image, pulse_id=pulse_id, timestamp=timestamp, extra=extra)

    def close(self) -> None:
        """Close the socket."""
        subscriber, self._subscriber = self._subscriber, None
        if subscriber is not None:
            subscriber.close()
