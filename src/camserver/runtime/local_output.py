"""The output socket of an instance that also offers a local stream (shared memory) to readers on
its host: cameras, and pipelines that publish (PUB) on a port of their own."""

from __future__ import annotations

import logging
from typing import Any

from camserver.errors import TransportError
from camserver.transport import Publisher

__all__ = ["open_publisher"]

logger = logging.getLogger(__name__)

_ANY_LOOPBACK_PORT = "tcp://127.0.0.1:0"


def open_publisher(address: str, local: str | None, name: str, **options: Any) -> Publisher:
    """A :class:`Publisher` on ``address``, with a local stream on ``local`` when given.

    A local address the system refuses (an abstract socket name that is too long, say) is replaced
    by any loopback port: readers find the actual address in the instance's info either way.
    """
    if not local:
        return Publisher(address, **options)
    try:
        return Publisher(address, local=local, local_name=name, **options)
    except TransportError as error:
        # only the local socket's failure (the message says so) is worth another try
        if not local.startswith("ipc://") or "local stream" not in str(error):
            raise
        logger.warning("local stream on a loopback port instead (%s)", error)
        return Publisher(address, local=_ANY_LOOPBACK_PORT, local_name=name, **options)
