"""bsread cameras (``bsread``, ``bsread_simulation``): where the stream is, and how many connections read it.

* The stream address is ``url``. A ``bsread`` camera without ``url`` reads it, as CamServer does,
  from the PV ``<source>:BSREADCONFIG`` over Channel Access when the source opens: the camera must
  be online first (``<source>:INIT`` reads ``INIT``), with CamServer's messages when it is not.
  ``bsread_simulation`` without ``url`` reads ``tcp://127.0.0.1:9999``.
* ``connections`` > 1 connects that many PULL sockets to the stream, each read by its own thread,
  and merges what they receive by pulse id (:class:`~camserver.sources.pulse_merge.PulseMerge`):
  a sender's messages are dealt out round-robin over the connections and come out in order.

Each connection is a :class:`~camserver.sources.bsread_stream.BsreadSource`, which does the
receiving and the checks (``enforce_pid``, ``enforce_timestamp``, ``check_timestamp``).
"""

from __future__ import annotations

import logging
import threading
import time

from camserver.errors import SourceError
from camserver.models.camera import BsreadCamera
from camserver.sources.bsread_stream import BsreadSource
from camserver.sources.epics_client import ChannelAccessClient
from camserver.sources.pulse_merge import PulseMerge
from camserver.sources.source import Frame

__all__ = ["BsreadCameraSource", "BsreadConnections", "read_stream_address"]

logger = logging.getLogger("camserver.sources.bsread")

#: seconds a frame waits for the other connections before it is released anyway
MERGE_PATIENCE = 0.2
_THREAD_READ = 0.1


def read_stream_address(prefix: str, *, timeout: float = 3.0) -> str:
    """The stream address a bsread camera announces in ``<prefix>:BSREADCONFIG``.

    Raises :class:`SourceError` with CamServer's messages: the camera is offline, not initialized,
    or announces no address."""
    prefix = prefix.rstrip(":")
    client = ChannelAccessClient(timeout=timeout)
    try:
        init, config = f"{prefix}:INIT", f"{prefix}:BSREADCONFIG"
        if client.connect([init]):
            raise SourceError(f"Camera with prefix {prefix} is offline")
        status = client.read_text(init).strip()
        if status != "INIT":
            raise SourceError(f"Camera with prefix {prefix} is not initialized - Status {status}")
        if client.connect([config]):
            missing = f"no answer from {config}"
            raise SourceError(f"Could not fetch bsread stream address for cam_server:{prefix} ({missing})")
        address = client.read_string(config).strip()
    finally:
        client.close()
    if not address:
        raise SourceError(f"Could not fetch bsread stream address for cam_server:{prefix} ({config} is empty)")
    return address


class BsreadConnections:
    """One stream read over ``config.connections`` PULL connections, merged by pulse id."""

    def __init__(self, config: BsreadCamera, address: str, *, patience: float = MERGE_PATIENCE) -> None:
        self.config = config
        self.address = address
        self.merge = PulseMerge(config.connections, patience=patience, enforce_pid=config.enforce_pid)
        self._sources: list[BsreadSource] = []
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._arrived = threading.Condition()
        self._error: SourceError | None = None
        self._geometry: tuple[int, int] | None = None
        #: frames each connection delivered to the merge
        self.received = [0] * config.connections

    @property
    def geometry(self) -> tuple[int, int] | None:
        """``(width, height)`` of the last image delivered."""
        return self._geometry

    @property
    def dropped(self) -> int:
        """Messages skipped by the connections, plus frames the merge dropped (late or overflow)."""
        return sum(source.dropped for source in self._sources) + self.merge.dropped

    def open(self) -> None:
        """Connect every connection and start their threads."""
        if self._sources:
            return
        single = self.config.model_copy(update={"url": self.address, "connections": 1})
        try:
            for _ in range(self.config.connections):
                source = BsreadSource(single)
                self._sources.append(source)
                source.open()
        except BaseException:
            self._close_sources()
            raise
        self._stop.clear()
        for index, source in enumerate(self._sources):
            # the socket moves to its thread here (thread start is a full barrier) and stays there until join
            thread = threading.Thread(target=self._receive, args=(index, source), name=f"bsread-{index}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _receive(self, index: int, source: BsreadSource) -> None:
        while not self._stop.is_set():
            with self._arrived:  # a connection whose frames wait leaves the next ones in its socket's queue
                while self.merge.full(index) and not self._stop.is_set():
                    self._arrived.wait(_THREAD_READ)
            try:
                frame = source.read(_THREAD_READ)
            except SourceError as error:
                with self._arrived:
                    self._error = error
                    self._arrived.notify_all()
                return
            if frame is not None:
                with self._arrived:
                    self.received[index] += 1
                    self.merge.add(index, frame, time.monotonic())
                    self._arrived.notify_all()

    def read(self, timeout: float) -> Frame | None:
        """The next frame in pulse-id order, or None if none is due within ``timeout`` seconds."""
        if not self._sources:
            self.open()
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._arrived:
            while True:
                if self._error is not None:
                    raise self._error
                now = time.monotonic()
                frame = self.merge.take(now)
                if frame is not None:
                    self._arrived.notify_all()  # room for a waiting connection
                    self._geometry = (frame.image.shape[1], frame.image.shape[0])
                    return frame
                wait = deadline - now
                if wait <= 0:
                    return None
                ready = self.merge.ready_at()
                if ready is not None:
                    wait = min(wait, max(ready - now, 0.001))
                self._arrived.wait(wait)

    def _close_sources(self) -> None:
        sources, self._sources = self._sources, []
        for source in sources:
            source.close()

    def close(self) -> None:
        """Stop the threads and close the connections."""
        self._stop.set()
        with self._arrived:
            self._arrived.notify_all()
        threads, self._threads = self._threads, []
        for thread in threads:
            thread.join()
        self._close_sources()


class BsreadCameraSource:
    """A ``bsread`` or ``bsread_simulation`` camera: its stream address found at :meth:`open`,
    read over one connection or several merged ones (see the module docstring)."""

    def __init__(self, config: BsreadCamera, *, connect_timeout: float = 3.0) -> None:
        self.config = config
        self.connect_timeout = connect_timeout
        self.address: str | None = None
        self._stream: BsreadSource | BsreadConnections | None = None
        self._dropped_before = 0

    @property
    def stream(self) -> BsreadSource | BsreadConnections | None:
        """What reads the stream while open: one connection, or the merge of several."""
        return self._stream

    @property
    def geometry(self) -> tuple[int, int] | None:
        """``(width, height)`` of the last image delivered."""
        return self._stream.geometry if self._stream is not None else None

    @property
    def dropped(self) -> int:
        """Messages skipped (see :class:`BsreadSource`) and frames the merge dropped."""
        return self._dropped_before + (self._stream.dropped if self._stream is not None else 0)

    def _resolve(self) -> BsreadCamera:
        config = self.config
        if config.url or config.source_type != "bsread":
            return config
        address = read_stream_address(config.source, timeout=self.connect_timeout)
        logger.info("camera %s: %s:BSREADCONFIG gives the stream %s", config.name, config.source, address)
        return config.model_copy(update={"url": address})

    def open(self) -> None:
        """Find the stream address and connect."""
        if self._stream is not None:
            return
        config = self._resolve()
        single = BsreadSource(config)  # the address as the camera reads it (bsread_simulation's default too)
        self.address = single.address
        stream: BsreadSource | BsreadConnections = single
        if config.connections > 1:
            stream = BsreadConnections(config, single.address)
        stream.open()
        self._stream = stream

    def read(self, timeout: float) -> Frame | None:
        """The next frame, or None if none arrives within ``timeout`` seconds."""
        if self._stream is None:
            self.open()
        assert self._stream is not None
        return self._stream.read(timeout)

    def close(self) -> None:
        """Close the connections."""
        stream, self._stream = self._stream, None
        if stream is not None:
            self._dropped_before += stream.dropped
            stream.close()
