"""Streams of system tests: a lossless feed into a pipeline, and reading what comes out."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from camserver.protocol import Message, Timestamp
from camserver.transport import Publisher, Subscriber

__all__ = ["Feed", "free_port", "pulse_ids", "read"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Feed:
    """A PUSH stream bound on loopback for a pipeline to PULL (``input_mode: PULL``): nothing
    sent is lost once the pipeline is connected, and a send waits for it (bounded)."""

    def __init__(self) -> None:
        self.publisher = Publisher("tcp://127.0.0.1:0", mode="PUSH", queue_size=1000, block=True, send_timeout=30.0)
        self.address = self.publisher.address

    def send(
        self,
        pulse_ids: Iterable[int],
        *,
        data: Callable[[int], dict[str, Any]] | None = None,
        may_end: bool = False,
    ) -> None:
        """One message per pulse id: ``data(pulse_id)``, by default ``value`` (the pulse id) and a
        small ``image``. ``may_end``: the pipeline may stop reading on the way (it ends by itself),
        so a message it does not take ends the sending instead of failing the test."""
        for pulse_id in pulse_ids:
            values = data(pulse_id) if data else {"value": pulse_id, "image": np.full((4, 6), pulse_id, np.uint16)}
            sent = self.publisher.send(values, pulse_id=pulse_id, timestamp=Timestamp(1_700_000_000 + pulse_id, 0))
            if not sent and may_end:
                return
            assert sent, f"pulse {pulse_id} was not taken by the pipeline within 30 s"

    def close(self) -> None:
        self.publisher.close()

    def __enter__(self) -> Feed:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def read(subscriber: Subscriber, count: int, *, timeout: float = 20.0) -> list[Message]:
    """Exactly ``count`` messages; fails if the stream stays silent for ``timeout`` seconds."""
    messages = []
    for _ in range(count):
        message = subscriber.receive(timeout=timeout)
        assert message is not None, f"only {len(messages)} of {count} messages arrived"
        messages.append(message)
    return messages


def pulse_ids(messages: Iterable[Message]) -> list[int]:
    return [message.pulse_id for message in messages]
