"""Reading a bsread stream: :class:`StreamReader` and :func:`read_stream`.

A reader yields :class:`camserver.protocol.Message` objects: ``data`` maps channel names to numpy
arrays (read-only), numpy scalars and strings; ``pulse_id`` and ``timestamp`` come from the main
header. It reads from a stream address, or from a camera or pipeline name that a
:class:`~camserver.client.Client` resolves (starting the instance if needed), and stops after
``count`` messages or ``seconds`` when asked.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Literal

from camserver.client.client import Client
from camserver.errors import CameraNotFound, ConfigError, NotFound, Timeout
from camserver.protocol import Message
from camserver.transport import SocketMode, Subscriber, SubscriberStatistics, normalize_address

__all__ = ["StreamReader", "is_stream_address", "read_stream", "resolve_stream"]

#: what a name may stand for
Kind = Literal["camera", "pipeline"]

_HOST_PORT = re.compile(r"[^:/\s]+:\d{1,5}|\[[0-9a-fA-F:]+\]:\d{1,5}")


def is_stream_address(source: str) -> bool:
    """Whether ``source`` is written as a stream address (``tcp://host:port``, ``host:port``,
    ``ipc://path``) rather than a name."""
    return "://" in source or _HOST_PORT.fullmatch(source) is not None


def _receiving_mode(config: dict[str, object]) -> SocketMode:
    mode = config.get("mode")
    if not isinstance(mode, str) or not mode:
        mode = "PUSH" if config.get("pipeline_type") in ("fanout", "store") else "PUB"
    if mode.upper() == "FILE":
        raise ConfigError("the pipeline writes to a file, not to a stream")
    return SocketMode.PULL if mode.upper() == "PUSH" else SocketMode.SUB


def resolve_stream(source: str, *, client: Client | None = None, kind: Kind | None = None) -> tuple[str, SocketMode]:
    """The address of ``source`` and the socket kind that receives from it.

    An address is taken as it is (SUB). A name is looked up through ``client``: a pipeline
    instance or saved pipeline first, then a camera (``kind`` chooses one); either is started if
    it is not running. Raises :class:`~camserver.errors.NotFound` if no such name exists.
    """
    if kind is None and is_stream_address(source):
        return normalize_address(source), SocketMode.SUB
    if client is None:
        raise ConfigError(f"{source!r} is not a stream address (tcp://host:port); a name needs a client to resolve it")
    if kind in (None, "pipeline"):
        try:
            address = client.pipelines.stream(source)
        except NotFound as error:
            # a saved pipeline whose camera is missing says so; only "no such pipeline" means try a camera
            if kind == "pipeline" or isinstance(error, CameraNotFound):
                raise
        else:
            mode = _receiving_mode(client.pipelines.info(source).config)
            return normalize_address(address), mode
    try:
        address = client.cameras.stream(source)
    except NotFound:
        if kind == "camera":
            raise
        raise NotFound(f"no pipeline instance, pipeline or camera is called '{source}'") from None
    return normalize_address(address), SocketMode.SUB


class StreamReader:
    """The messages of one stream, as an iterator (and a context manager that closes it).

    The iteration ends after ``count`` messages or ``seconds`` seconds, whichever comes first
    (neither: it runs until closed). If no message arrives within ``timeout`` seconds it raises
    :class:`~camserver.errors.Timeout`, so a silent stream is an error, never a hang.
    """

    def __init__(
        self,
        address: str,
        *,
        mode: SocketMode | str = SocketMode.SUB,
        count: int | None = None,
        seconds: float | None = None,
        timeout: float = 10.0,
        queue_size: int = 10,
    ) -> None:
        if count is not None and count < 0:
            raise ConfigError(f"count must be 0 or more, not {count}")
        if seconds is not None and not seconds > 0:
            raise ConfigError(f"seconds must be positive, not {seconds}")
        if not timeout > 0:
            raise ConfigError(f"timeout must be positive, not {timeout}")
        self.count = count
        self.seconds = seconds
        self.timeout = timeout
        self.received = 0
        self._subscriber = Subscriber(address, mode=mode, receive_timeout=timeout, queue_size=queue_size)
        self.address = self._subscriber.address

    def __repr__(self) -> str:
        return f"StreamReader({self.address!r}, received={self.received})"

    @property
    def statistics(self) -> SubscriberStatistics:
        """What was received, and what could not be decoded or was missed (pulse-id gaps)."""
        return self._subscriber.statistics

    def read(self, timeout: float | None = None) -> Message:
        """The next message; :class:`~camserver.errors.Timeout` if none comes within ``timeout``
        seconds (default: the reader's)."""
        wait = self.timeout if timeout is None else timeout
        message = self._subscriber.receive(wait)
        if message is None:
            raise Timeout(f"no message from {self.address} within {wait:g} s")
        self.received += 1
        return message

    def __iter__(self) -> Iterator[Message]:
        deadline = None if self.seconds is None else time.monotonic() + self.seconds
        while not self._subscriber.closed and (self.count is None or self.received < self.count):
            wait, last_wait = self.timeout, False
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                wait, last_wait = min(wait, remaining), remaining <= wait
            message = self._subscriber.receive(wait)
            if message is None:
                if self._subscriber.closed or last_wait:  # the time is up, not the stream silent
                    return
                raise Timeout(f"no message from {self.address} within {self.timeout:g} s")
            self.received += 1
            yield message

    def close(self) -> None:
        """Close the socket; an iteration in progress ends."""
        self._subscriber.close()

    def __enter__(self) -> StreamReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def read_stream(
    source: str,
    *,
    client: Client | None = None,
    kind: Kind | None = None,
    mode: SocketMode | str | None = None,
    count: int | None = None,
    seconds: float | None = None,
    timeout: float = 10.0,
) -> StreamReader:
    """A reader of ``source``: a stream address, or a camera or pipeline name resolved through
    ``client`` (see :func:`resolve_stream`). ``mode`` overrides the receiving socket kind.

    >>> with read_stream("simulation_sp", client=client, count=10) as reader:   # doctest: +SKIP
    ...     for message in reader:
    ...         print(message.pulse_id, message["x_center_of_mass"])
    """
    address, resolved = resolve_stream(source, client=client, kind=kind)
    if seconds is not None and math.isinf(seconds):
        seconds = None
    return StreamReader(address, mode=mode or resolved, count=count, seconds=seconds, timeout=timeout)
