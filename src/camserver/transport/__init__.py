"""ZMQ transport for bsread streams: the only package that imports zmq.

:class:`Publisher` sends dictionaries of values as bsread messages (PUB or PUSH, whole-message
drops counted, connected clients from the socket monitor); :class:`Subscriber` receives and decodes
them (SUB or PULL, zero copy, decode errors and pulse-id gaps counted instead of raised).
A publisher's local stream (:mod:`~camserver.transport.local_stream`) serves readers on the same host
through shared memory (:mod:`~camserver.transport.frame_ring`).
"""

from camserver.transport.address import SocketMode, bind_endpoint, host_port, normalize_address
from camserver.transport.client_monitor import ClientMonitor
from camserver.transport.context import shutdown_context
from camserver.transport.frame_receiver import FrameReceiver, FrameReceiverStatistics
from camserver.transport.frame_ring import Lease, remove_stale_rings
from camserver.transport.local_stream import LocalSender, LocalSubscriber
from camserver.transport.publisher import Publisher, PublisherStatistics
from camserver.transport.subscriber import Subscriber, SubscriberStatistics

__all__ = [
    "ClientMonitor",
    "FrameReceiver",
    "FrameReceiverStatistics",
    "Lease",
    "LocalSender",
    "LocalSubscriber",
    "Publisher",
    "PublisherStatistics",
    "SocketMode",
    "Subscriber",
    "SubscriberStatistics",
    "bind_endpoint",
    "host_port",
    "normalize_address",
    "remove_stale_rings",
    "shutdown_context",
]
