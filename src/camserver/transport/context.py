"""The process's ZMQ context, and closing it before the process exits."""

from __future__ import annotations

import zmq

__all__ = ["shutdown_context"]


def shutdown_context(*, linger: float = 1.0) -> None:
    """Terminate the shared ZMQ context, giving queued messages ``linger`` seconds to leave.

    Call it once before a process exits: zero-copy frames still queued would otherwise be read by
    ZMQ's I/O thread after Python freed their memory.
    """
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    for socket in list(getattr(context, "_sockets", ())):
        if not socket.closed:
            socket.close(linger=int(linger * 1000))
    context.term()
