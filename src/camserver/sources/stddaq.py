"""std-daq detectors (``source_type: stddaq``), as CamServer reads them.

``source`` is the device name. Its stream address is the value of the key ``<source>`` in the
Redis database ``db`` (default 0) of the server ``url`` (``host:port``, CamServer's default
``sf-daq-6.psi.ch:6379``), looked up each time the source opens. The stream is bsread, read as a
``bschannel`` camera reads it: SUB unless ``mode`` says PULL, the image channel ``channel`` or else
``<source>:FPICTURE``, ``timeout`` as there. The lookup needs the ``redis`` package (the
``stddaq`` extra).
"""

from __future__ import annotations

import importlib.util
import logging

from camserver.errors import ConfigError, SourceError
from camserver.models.camera import BsreadCamera, StdDaqCamera
from camserver.sources.bsread_stream import BsreadSource
from camserver.sources.source import Frame
from camserver.transport import host_port

__all__ = ["StdDaqSource", "lookup_stream_address", "redis_available"]

logger = logging.getLogger("camserver.sources.stddaq")


def redis_available() -> bool:
    """Whether the ``redis`` package (the ``stddaq`` extra) is installed."""
    return importlib.util.find_spec("redis") is not None


def lookup_stream_address(url: str, db: int, device: str, *, timeout: float = 3.0) -> str:
    """The stream address Redis at ``url`` (``host:port``) holds for ``device`` in database ``db``.

    Raises :class:`SourceError` saying why when Redis cannot be reached or has no address."""
    try:
        import redis
    except ImportError:
        raise SourceError("stddaq cameras need the redis package: install camserver[stddaq]") from None
    try:
        host, port = host_port(url)
    except ConfigError:
        raise SourceError(f"stddaq: url {url!r} is not host:port of a Redis server") from None
    client = redis.Redis(host=host, port=port, db=db, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        value = client.get(device)
    except redis.RedisError as error:
        raise SourceError(f"stddaq: cannot look up {device!r} in Redis at {host}:{port} (db {db}): {error}") from None
    finally:
        client.close()
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    address = str(value).strip() if value is not None else ""
    if not address:
        raise SourceError(f"stddaq: Redis at {host}:{port} (db {db}) has no stream address for device {device!r}")
    return address


class StdDaqSource:
    """A std-daq detector's bsread stream, its address looked up in Redis at :meth:`open`."""

    def __init__(self, config: StdDaqCamera) -> None:
        self.config = config
        self.address: str | None = None
        self._stream: BsreadSource | None = None
        self._dropped_before = 0  # messages dropped by streams of earlier opens

    @property
    def geometry(self) -> tuple[int, int] | None:
        """``(width, height)`` of the last image delivered."""
        return self._stream.geometry if self._stream is not None else None

    @property
    def dropped(self) -> int:
        """Messages of the stream that were skipped (see :class:`BsreadSource`)."""
        return self._dropped_before + (self._stream.dropped if self._stream is not None else 0)

    def open(self) -> None:
        """Look the stream address up and connect to it."""
        if self._stream is not None:
            return
        config = self.config
        self.address = lookup_stream_address(config.url, config.db, config.source)
        logger.info("stddaq %s: stream %s", config.source, self.address)
        stream_config = {
            "name": config.name,
            "source": self.address,
            "source_type": "bschannel",
            "channel": config.channel or f"{config.source}:FPICTURE",
            "mode": config.mode or "SUB",
            "timeout": config.timeout,
        }
        given = f"Redis gave the stream address {self.address!r}"
        try:
            stream = BsreadSource(BsreadCamera.load({key: value for key, value in stream_config.items() if value}))
            stream.open()
        except (ConfigError, SourceError) as error:
            raise SourceError(f"stddaq {config.source}: {given}: {error}") from None
        self._stream = stream

    def read(self, timeout: float) -> Frame | None:
        """The next image of the stream, or None if none arrives within ``timeout`` seconds."""
        if self._stream is None:
            self.open()
        assert self._stream is not None
        return self._stream.read(timeout)

    def close(self) -> None:
        """Close the stream."""
        stream, self._stream = self._stream, None
        if stream is not None:
            self._dropped_before += stream.dropped
            stream.close()
