"""Stream addresses and socket kinds."""

from __future__ import annotations

import re
from enum import StrEnum

import zmq

from camserver.errors import ConfigError

__all__ = ["SocketMode", "attach", "bind_endpoint", "host_port", "normalize_address"]

_TCP = re.compile(r"^tcp://(?P<host>\[[0-9a-fA-F:]+\]|[^:/\s]+):(?P<port>\*|\d{1,5})$")


class SocketMode(StrEnum):
    """ZMQ socket kinds used for bsread streams."""

    PUB = "PUB"
    PUSH = "PUSH"
    SUB = "SUB"
    PULL = "PULL"

    @classmethod
    def parse(cls, value: str) -> SocketMode:
        """Accept any case (CamServer configs write ``"PUB"``, psi-bsread ``"sub"``)."""
        try:
            return cls(value.upper())
        except ValueError:
            raise ConfigError(f"unknown socket mode {value!r}; use PUB, PUSH, SUB or PULL") from None


def normalize_address(address: str) -> str:
    """``tcp://host:port`` (``tcp://`` added when missing) or ``ipc://path`` / ``inproc://name``.

    Raises :class:`ConfigError` for anything else.
    """
    address = address.strip()
    if address.startswith(("ipc://", "inproc://")):
        if len(address.split("://", 1)[1]) == 0:
            raise ConfigError(f"stream address {address!r} has no path")
        return address
    if "://" not in address:
        address = "tcp://" + address
    match = _TCP.match(address)
    if match is None:
        raise ConfigError(f"stream address {address!r} is not tcp://host:port, ipc://path or inproc://name")
    port = match["port"]
    if port != "*" and not 0 <= int(port) <= 65535:
        raise ConfigError(f"stream address {address!r} has port {port} outside 0..65535")
    return address


def bind_endpoint(address: str) -> str:
    """The endpoint to bind for ``address``: port 0 means any free port (ZMQ's ``*``)."""
    address = normalize_address(address)
    if address.startswith("tcp://"):
        host, _, port = address.rpartition(":")
        if port != "*" and int(port) == 0:
            return f"{host}:*"
    return address


def host_port(address: str) -> tuple[str, int]:
    """Host and port of a ``tcp://`` address (as ``cam_server_client.utils`` gives them)."""
    match = _TCP.match(normalize_address(address))
    if match is None or match["port"] == "*":
        raise ConfigError(f"stream address {address!r} has no host and port")
    return match["host"].strip("[]"), int(match["port"])


def attach(socket: zmq.Socket[bytes], address: str, *, bind: bool) -> str:
    """Bind or connect ``socket`` to a normalised ``address``; the address it is reachable at
    (a bound port 0 becomes the port the system chose). Raises ``zmq.ZMQError``."""
    if "[" in address:
        socket.setsockopt(zmq.IPV6, 1)
    if not bind:
        socket.connect(address)
        return address
    socket.bind(bind_endpoint(address))
    endpoint = socket.getsockopt(zmq.LAST_ENDPOINT)
    return endpoint.decode() if isinstance(endpoint, bytes) else str(endpoint)
