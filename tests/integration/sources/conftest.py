"""Bare pyzmq sockets bound on loopback, for senders of formats other than bsread."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import zmq

RawSocket = tuple[zmq.Socket[bytes], str]


@pytest.fixture
def bound_socket() -> Iterator[Callable[[int], RawSocket]]:
    """Bind bare sockets of a given kind on 127.0.0.1 (port 0); each is closed after the test."""
    sockets: list[zmq.Socket[bytes]] = []

    def bind(kind: int) -> RawSocket:
        socket: zmq.Socket[bytes] = zmq.Context.instance().socket(kind)
        socket.setsockopt(zmq.LINGER, 0)
        socket.bind("tcp://127.0.0.1:*")
        sockets.append(socket)
        return socket, socket.getsockopt(zmq.LAST_ENDPOINT).decode()

    yield bind
    for socket in sockets:
        socket.close(linger=0)
