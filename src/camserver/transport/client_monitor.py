"""Counts the peers connected to a socket, from ZMQ's socket monitor, without a thread."""

from __future__ import annotations

import contextlib
import time

import zmq
from zmq.utils.monitor import parse_monitor_message

__all__ = ["ClientMonitor"]

_EVENTS = zmq.EVENT_ACCEPTED | zmq.EVENT_CONNECTED | zmq.EVENT_DISCONNECTED


class ClientMonitor:
    """Connected-peer count of one socket.

    Events are drained whenever :attr:`clients` is read, so whoever owns the socket (one thread)
    keeps the count current by asking; nothing runs in the background. Peers are TCP connections
    (subscribers, pullers, viewers), as CamServer counts them.
    """

    def __init__(self, socket: zmq.Socket[bytes]) -> None:
        self._monitor: zmq.Socket[bytes] | None = socket.get_monitor_socket(_EVENTS)
        self._socket = socket
        self._count = 0
        self._zero_since = time.monotonic()

    def _drain(self) -> None:
        monitor = self._monitor
        if monitor is None:
            return
        # asked before every message a publisher sends: checking for events is a tenth of the
        # cost of a receive that raises zmq.Again
        while int(monitor.get(zmq.EVENTS)) & zmq.POLLIN:
            try:
                frames = monitor.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            event = parse_monitor_message(frames)["event"]
            if event in (zmq.EVENT_ACCEPTED, zmq.EVENT_CONNECTED):
                self._count += 1
            elif event == zmq.EVENT_DISCONNECTED:
                self._count = max(0, self._count - 1)
                if self._count == 0:
                    self._zero_since = time.monotonic()

    @property
    def clients(self) -> int:
        """Peers connected now."""
        self._drain()
        return self._count

    def seconds_without_clients(self) -> float:
        """Seconds since the last peer left (or since the socket opened); 0 while any is connected."""
        if self.clients:
            return 0.0
        return time.monotonic() - self._zero_since

    def close(self) -> None:
        """Stop monitoring (before the socket itself is closed)."""
        if self._monitor is not None:
            with contextlib.suppress(zmq.ZMQError):  # a closed socket has nothing left to detach
                self._socket.disable_monitor()
            self._monitor.close(linger=0)
            self._monitor = None
