"""Send bsread messages on a ZMQ PUB or PUSH socket."""

from __future__ import annotations

import errno
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq

from camserver.errors import PortInUse, TransportError
from camserver.protocol import (
    Compression,
    CompressionPolicy,
    Encoder,
    HeaderStrategy,
    Timestamp,
)
from camserver.transport.address import SocketMode, attach, normalize_address
from camserver.transport.client_monitor import ClientMonitor
from camserver.transport.compression_pool import CompressionPool, default_compression_threads
from camserver.transport.local_stream import LocalSender
from camserver.transport.multipart import send_frames

__all__ = ["Publisher", "PublisherStatistics"]

#: seconds between the messages a publisher nobody hears still encodes (to find unencodable values)
_CHECK_PERIOD = 1.0


@dataclass(slots=True)
class PublisherStatistics:
    """Counters of one publisher. ``dropped`` counts whole messages that could not be queued."""

    sent: int = 0
    #: messages of a PUB stream that nobody was connected to hear: neither encoded nor sent
    unheard: int = 0
    dropped: int = 0
    #: PUB: times a subscriber's queue was full when a message went out. That subscriber missed
    #: the message (the others got it) and misses the following ones too, uncounted, until its
    #: queue has room again: ZMQ tells a publisher that a queue is full, not how long it stays so.
    subscriber_overflows: int = 0
    bytes_sent: int = 0
    header_changes: int = 0
    withheld_values: int = 0


class Publisher:
    """A bsread sender: encodes dictionaries of values and sends each as one multipart message.

    * ``mode`` PUB (fan-out; the default, as CamServer) or PUSH (load-balanced, lossless when
      blocking). ``bind=True`` binds ``address`` (port 0 = any free port; see :attr:`address`),
      otherwise connects to it.
    * ``queue_size`` is the send high-water mark. A non-blocking send (``block=False``) that finds
      the queue full drops the *whole* message and counts it; a message is never sent in part.
      ``block=True`` waits, for at most ``send_timeout`` seconds if given, then drops and counts.
    * ``linger`` is how long a closing socket keeps trying to deliver queued messages (None: until
      they are delivered).
    * A PUB publisher with no peer connected (on the socket or the local stream) neither encodes
      nor sends (counted in ``unheard``): a subscriber's subscription arrives after its connection
      is seen, so it could not have received those messages anyway. One such message a second is
      still encoded, so values that cannot be encoded raise while nobody listens too.
    * PUB never waits for slow subscribers: ZMQ drops their messages at the high-water mark, and
      each subscriber sees (and camserver's :class:`Subscriber` counts) the gap in pulse ids. The
      publisher counts each time a subscriber's queue is full (``subscriber_overflows``): every
      message is first offered with ``ZMQ_XPUB_NODROP``, and only one that a full queue refuses
      is sent again without it, to the subscribers that have room.
      ``nodrop=True`` makes a PUB behave like PUSH instead: a full subscriber queue holds the
      publisher back (blocking) or drops the whole message, counted here.
    * Values are passed without copying: do not modify an array after sending it.
    * ``local`` (an address, normally ``tcp://127.0.0.1:0``) also opens a local stream for readers
      on this host (:class:`~camserver.transport.local_stream.LocalSender`): while one is
      connected, every message also goes there, its large values through shared memory, never
      compressed (memory is no network to save: a local reader should not pay for decompressing).
      :attr:`local_address` is where to find it; :attr:`clients` counts its readers too.
    * ``compression_threads``: large compressed values are compressed in that many pieces at once
      (None: :func:`~camserver.transport.compression_pool.default_compression_threads`).
    """

    def __init__(
        self,
        address: str,
        *,
        mode: SocketMode | str = SocketMode.PUB,
        bind: bool = True,
        queue_size: int = 10,
        block: bool = False,
        send_timeout: float | None = None,
        linger: float | None = 1.0,
        nodrop: bool = False,
        header_strategy: HeaderStrategy = HeaderStrategy.ON_CHANGE,
        allow_type_changes: bool = True,
        allow_shape_changes: bool = True,
        compression: CompressionPolicy | None = None,
        header_compression: Compression = Compression.NONE,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
        local: str | None = None,
        local_name: str = "stream",
        local_folder: Path | None = None,
        compression_threads: int | None = None,
    ) -> None:
        self.mode = SocketMode.parse(mode) if isinstance(mode, str) else mode
        if self.mode not in (SocketMode.PUB, SocketMode.PUSH):
            raise TransportError(f"a publisher sends with PUB or PUSH, not {self.mode}")
        self.block = block
        self.statistics = PublisherStatistics()
        threads = default_compression_threads() if compression_threads is None else compression_threads
        self._pool = CompressionPool(threads) if threads > 1 else None
        self._encoder = Encoder(
            strategy=header_strategy,
            allow_type_changes=allow_type_changes,
            allow_shape_changes=allow_shape_changes,
            compression=compression,
            header_compression=header_compression,
            spreader=self._pool,
        )
        # what local readers get while the stream is compressed
        self._local_encoder = Encoder(
            strategy=header_strategy, allow_type_changes=allow_type_changes, allow_shape_changes=allow_shape_changes
        )
        target = normalize_address(address)  # a ConfigError before any socket exists
        context = context or zmq.Context.instance()
        socket: zmq.Socket[bytes] = context.socket(zmq.PUB if self.mode is SocketMode.PUB else zmq.PUSH)
        self._socket = socket
        monitor: ClientMonitor | None = None
        try:
            socket.setsockopt(zmq.SNDHWM, max(1, queue_size))
            socket.setsockopt(zmq.LINGER, -1 if linger is None else int(linger * 1000))
            if send_timeout is not None:
                socket.setsockopt(zmq.SNDTIMEO, int(send_timeout * 1000))
            if self.mode is SocketMode.PUB:  # lossy PUB offers each message this way first, to see overflows
                socket.setsockopt(zmq.XPUB_NODROP, 1)
            self._monitor = monitor = ClientMonitor(socket)
            self.address = attach(socket, target, bind=bind)
        except zmq.ZMQError as error:
            if monitor is not None:
                monitor.close()
            socket.close(linger=0)
            action = "bind" if bind else "connect"
            kind = PortInUse if bind and error.errno == errno.EADDRINUSE else TransportError
            raise kind(f"cannot {action} a {self.mode} socket on {address}: {error}") from None
        self._flags = 0 if block else zmq.NOBLOCK
        self._pub = self.mode is SocketMode.PUB
        self._probe = self._pub and not nodrop
        self._next_check = 0.0
        self._local: LocalSender | None = None
        if local is not None:
            try:
                self._local = LocalSender(local, name=local_name, folder=local_folder, context=context)
            except TransportError:
                monitor.close()
                socket.close(linger=0)
                raise
        self.closed = False

    @property
    def local_address(self) -> str | None:
        """Where readers on this host find the local stream (None without one)."""
        return self._local.address if self._local is not None else None

    @property
    def clients(self) -> int:
        """Peers connected now (to this socket, and to the local stream)."""
        local = self._local.clients if self._local is not None else 0
        return self._monitor.clients + local

    def seconds_without_clients(self) -> float:
        """Seconds since the last peer left (or since opening); 0 while any peer is connected."""
        without = self._monitor.seconds_without_clients()
        if self._local is not None:
            without = min(without, self._local.seconds_without_clients())
        return without

    def set_compression(self, compression: CompressionPolicy, header_compression: Compression) -> None:
        """Compress from the next message on (the data header, and so its hash, changes)."""
        tracker = self._encoder.tracker
        if (tracker.compression, tracker.header_compression) == (compression, header_compression):
            return
        tracker.compression = compression
        tracker.header_compression = header_compression
        tracker.forget()

    def send(self, data: Mapping[str, Any], *, pulse_id: int, timestamp: Timestamp | None = None) -> bool:
        """Send one message; False if it was dropped (and counted). Raises :class:`EncodeError`
        for values that cannot be encoded."""
        local = self._local
        readers = local is not None and local.clients > 0
        unheard = self._pub and not readers and not self._monitor.clients
        if unheard and time.monotonic() < self._next_check:
            self.statistics.unheard += 1
            return True
        timestamp = timestamp or Timestamp.now()
        encoded = self._encoder.encode(data, pulse_id=pulse_id, timestamp=timestamp)
        if unheard:  # encoded only to find values that cannot be: once a second
            self._next_check = time.monotonic() + _CHECK_PERIOD
            self.statistics.unheard += 1
            return True
        tracker = self._encoder.tracker
        self.statistics.header_changes = tracker.header_changes
        self.statistics.withheld_values = tracker.withheld
        if local is not None and readers:
            compressed = tracker.compression.active or tracker.header_compression is not Compression.NONE
            if compressed:
                local.send(self._local_encoder.encode(data, pulse_id=pulse_id, timestamp=timestamp).frames)
            else:
                local.send(encoded.frames)
        try:
            if self._probe:
                self._send_lossy(encoded.frames)
            else:
                send_frames(self._socket, encoded.frames, self._flags)
        except zmq.Again:
            self.statistics.dropped += 1
            return False
        except zmq.ZMQError as error:
            raise TransportError(f"cannot send on {self.address}: {error}") from None
        self.statistics.sent += 1
        self.statistics.bytes_sent += encoded.nbytes
        return True

    def _send_lossy(self, frames: list[Any]) -> None:
        """PUB as ZMQ sends it (a full subscriber queue misses the message), counting the overflow."""
        socket = self._socket
        try:
            send_frames(socket, frames, zmq.NOBLOCK)  # refused whole if any subscriber's queue is full
            return
        except zmq.Again:
            pass
        self.statistics.subscriber_overflows += 1
        socket.setsockopt(zmq.XPUB_NODROP, 0)
        try:
            send_frames(socket, frames, zmq.NOBLOCK)
        finally:
            socket.setsockopt(zmq.XPUB_NODROP, 1)

    def close(self) -> None:
        """Close the socket (pending messages get ``linger`` seconds to leave)."""
        if not self.closed:
            self.closed = True
            self._monitor.close()
            self._socket.close()
            if self._local is not None:
                self._local.close()
            if self._pool is not None:
                self._pool.close()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
