"""Receive raw multipart messages (formats other than bsread) from a ZMQ SUB or PULL socket."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Self

import zmq

from camserver.errors import TransportError
from camserver.transport.address import SocketMode, attach, normalize_address
from camserver.transport.multipart import receive_frames

__all__ = ["FrameReceiver", "FrameReceiverStatistics"]


@dataclass(slots=True)
class FrameReceiverStatistics:
    """Messages and bytes received."""

    received: int = 0
    bytes_received: int = 0


class FrameReceiver:
    """Connects (or binds) a SUB or PULL socket and returns each message as its list of frames.

    For streams that are not bsread (std-daq's image stream, ``array-1.0``): the caller decodes the
    frames. Large frames are zero-copy buffers, valid until the caller drops them.
    """

    def __init__(
        self,
        address: str,
        *,
        mode: SocketMode | str = SocketMode.SUB,
        bind: bool = False,
        queue_size: int = 10,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
    ) -> None:
        self.mode = SocketMode.parse(mode) if isinstance(mode, str) else mode
        if self.mode not in (SocketMode.SUB, SocketMode.PULL):
            raise TransportError(f"a receiver receives with SUB or PULL, not {self.mode}")
        self.statistics = FrameReceiverStatistics()
        target = normalize_address(address)  # a ConfigError before any socket exists
        context = context or zmq.Context.instance()
        socket: zmq.Socket[bytes] = context.socket(zmq.SUB if self.mode is SocketMode.SUB else zmq.PULL)
        self._socket = socket
        try:
            socket.setsockopt(zmq.RCVHWM, max(1, queue_size))
            socket.setsockopt(zmq.LINGER, 0)
            if self.mode is SocketMode.SUB:
                socket.setsockopt(zmq.SUBSCRIBE, b"")
            self.address = attach(socket, target, bind=bind)
        except zmq.ZMQError as error:
            socket.close(linger=0)
            action = "bind" if bind else "connect"
            raise TransportError(f"cannot {action} a {self.mode} socket on {address}: {error}") from None
        self.closed = False

    def receive(self, timeout: float | None) -> list[Any] | None:
        """The frames of the next message (``bytes`` or buffers), or None if none arrives within
        ``timeout`` seconds (None or ``math.inf``: wait for one)."""
        socket = self._socket
        try:
            try:  # a message already waiting is taken without polling first
                frames = receive_frames(socket, zmq.NOBLOCK)
            except zmq.Again:
                wait_ms = None if timeout is None or math.isinf(timeout) else max(0, int(timeout * 1000))
                if not socket.poll(wait_ms):
                    return None
                frames = receive_frames(socket)
        except zmq.ZMQError as error:
            if self.closed:
                return None
            raise TransportError(f"cannot receive from {self.address}: {error}") from None
        statistics = self.statistics
        statistics.received += 1
        statistics.bytes_received += sum(len(frame) if isinstance(frame, bytes) else frame.nbytes for frame in frames)
        return frames

    def close(self) -> None:
        """Close the socket."""
        if not self.closed:
            self.closed = True
            self._socket.close(linger=0)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
