"""A stream's second face for readers on the same host: large values through shared memory.

A publisher opened with a local stream sends every message twice over: the bsread message on its
own socket, as always, for everyone; and, while a local reader is connected, a *notification* on a
loopback socket whose large parts (at least :data:`RING_PART_BYTES`) were copied into a
:class:`~camserver.transport.frame_ring.RingWriter` slot instead of travelling through the kernel.
Moving an 11 MB frame through TCP on loopback costs about half a core at 100 Hz (a copy into the
kernel and one out of it, in two processes); the ring costs one copy on each side.

A notification is the bsread message's frames with the large ones left empty, preceded by one
frame of JSON naming where they are: ``{"ring": <file name>, "slot": k, "sequence": S, "parts":
[[frame index, offset, nbytes], ...]}``. It is camserver's private format between its own
processes; clients always get plain bsread. A message without large parts is sent whole, after an
empty descriptor (``{}``).

:class:`LocalSubscriber` turns notifications back into messages. A slot the writer reused before
the reader copied it out is skipped; the reader then sees (and counts) the pulse-id gap like any
other lost message, and ``ring_overruns`` says how many were lost this way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import zmq

from camserver.errors import DecodeError, TransportError
from camserver.transport.address import attach, normalize_address
from camserver.transport.client_monitor import ClientMonitor
from camserver.transport.frame_ring import RingReader, RingWriter
from camserver.transport.multipart import send_frames
from camserver.transport.subscriber import Subscriber

__all__ = ["RING_PART_BYTES", "LocalSender", "LocalSubscriber"]

#: message frames at least this large go through the ring
RING_PART_BYTES = 65536
#: notifications queued for a reader (each side); those of overwritten slots are skipped cheaply
_NOTIFY_QUEUE = 32
_EMPTY = b"{}"

logger = logging.getLogger("camserver.transport")


class LocalSender:
    """The writing side of a local stream: a PUB socket for notifications and a frame ring.

    Nothing is copied while no local reader is connected. ``address`` is what readers connect to;
    ``slots`` (None: by memory, see :class:`RingWriter`) is how far a reader may fall behind;
    ``folder`` is where the ring lives (default :func:`~camserver.transport.frame_ring.ring_folder`).
    """

    def __init__(
        self,
        address: str = "tcp://127.0.0.1:0",
        *,
        name: str = "stream",
        slots: int | None = None,
        folder: Path | None = None,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
    ) -> None:
        self._ring = RingWriter(slots=slots, name=name, folder=folder)
        context = context or zmq.Context.instance()
        socket: zmq.Socket[bytes] = context.socket(zmq.PUB)
        self._socket = socket
        monitor: ClientMonitor | None = None
        try:
            socket.setsockopt(zmq.SNDHWM, _NOTIFY_QUEUE)
            socket.setsockopt(zmq.LINGER, 0)
            self._monitor = monitor = ClientMonitor(socket)
            self.address = attach(socket, normalize_address(address), bind=True)
        except zmq.ZMQError as error:
            if monitor is not None:
                monitor.close()
            socket.close(linger=0)
            raise TransportError(f"cannot bind the local stream on {address}: {error}") from None
        self.sent = 0
        self._reported = ""
        self.closed = False

    @property
    def clients(self) -> int:
        """Local readers connected now."""
        return self._monitor.clients

    def seconds_without_clients(self) -> float:
        """Seconds since the last local reader left (or since opening); 0 while one is connected."""
        return self._monitor.seconds_without_clients()

    def send(self, frames: Sequence[Any]) -> bool:
        """Send one encoded message to the local readers, if there are any; False if there are none."""
        if not self._monitor.clients:
            return False
        sizes = [memoryview(frame).nbytes for frame in frames]
        large = [index for index in range(2, len(frames)) if sizes[index] >= RING_PART_BYTES]
        if not large or not self._ring_ready(sum(sizes[index] for index in large)):
            # small messages, and large ones while the ring is being prepared (or cannot be), go whole
            self._send([_EMPTY, *frames])
            return True
        written = self._ring.write([frames[index] for index in large])
        descriptor = {
            "ring": written.ring,
            "slot": written.slot,
            "sequence": written.sequence,
            "parts": [[index, offset, nbytes] for index, (offset, nbytes) in zip(large, written.parts, strict=True)],
        }
        outgoing = list(frames)
        for index in large:
            outgoing[index] = b""
        self._send([json.dumps(descriptor).encode(), *outgoing])
        return True

    def _send(self, frames: list[Any]) -> None:
        try:
            send_frames(self._socket, frames, zmq.NOBLOCK)
        except zmq.Again:
            return  # a PUB socket drops for a slow reader without raising; the reader sees the gap
        except zmq.ZMQError as error:
            raise TransportError(f"cannot send on the local stream {self.address}: {error}") from None
        self.sent += 1

    def _ring_ready(self, size: int) -> bool:
        ready = self._ring.ready(size)
        if self._ring.error and self._ring.error != self._reported:
            self._reported = self._ring.error
            logger.warning("local stream without shared memory (messages go through the socket): %s", self._ring.error)
        return ready

    def close(self) -> None:
        """Close the socket and remove the ring."""
        if not self.closed:
            self.closed = True
            self._monitor.close()
            self._socket.close(linger=0)
            self._ring.close()


def _descriptor(frame: memoryview) -> dict[str, Any]:
    try:
        descriptor = json.loads(bytes(frame))
    except (UnicodeDecodeError, ValueError) as error:
        raise DecodeError(f"a local-stream notification does not start with a JSON descriptor: {error}") from None
    if not isinstance(descriptor, dict):
        raise DecodeError("a local-stream descriptor must be a JSON object")
    if not descriptor:
        return descriptor
    try:
        ring, slot, sequence = str(descriptor["ring"]), int(descriptor["slot"]), int(descriptor["sequence"])
        parts = [(int(index), int(offset), int(nbytes)) for index, offset, nbytes in descriptor["parts"]]
    except (KeyError, TypeError, ValueError) as error:
        raise DecodeError(f"a local-stream descriptor is incomplete or malformed: {error!r}") from None
    return {"ring": ring, "slot": slot, "sequence": sequence, "parts": parts}


class LocalSubscriber(Subscriber):
    """A :class:`Subscriber` of a local stream: the values arrive as private copies out of the
    writer's ring (the pipeline owns them like any received message). A ring that cannot be mapped
    (the writer is on another host, or gone) raises :class:`TransportError` from :meth:`receive`,
    so the caller can fall back to the stream's bsread address.

    ``lend=True`` saves the copy of each message's largest value (a camera's image): it arrives as
    a read-only view into the ring, and :attr:`lease` (a :class:`~camserver.transport.frame_ring.Lease`)
    says whether that view still holds the message. A reader that lends must check the lease after
    using the value and throw away what it made of a lapsed one (and count it: ``ring_overruns``
    counts only the messages skipped before they were read).
    """

    def __init__(self, address: str, *, folder: Path | None = None, lend: bool = False, **options: Any) -> None:
        options.setdefault("queue_size", _NOTIFY_QUEUE)
        super().__init__(address, **options)
        self._reader = RingReader(folder=folder)
        self.lend = lend
        self.ring_overruns = 0

    def _skip_backlog(self, limit: int) -> None:
        # a backlog may not grow to the whole ring: its oldest slots would be overwritten unread,
        # or while they are copied out
        slots = self._reader.slots
        super()._skip_backlog(limit if slots is None else max(1, min(limit, slots - 2)))

    def _main_header(self, frames: list[Any]) -> Any:
        return frames[1] if len(frames) > 1 else None  # after the descriptor

    def _buffers(self, frames: list[memoryview]) -> list[memoryview] | None:
        self.lease = None
        buffers = frames
        try:
            if not buffers:
                raise DecodeError("a local-stream notification has no frames")
            descriptor = _descriptor(buffers[0])
            buffers = buffers[1:]
            if not descriptor:
                return buffers
            parts = descriptor["parts"]
            for index, _, _ in parts:
                if not 2 <= index < len(buffers):
                    raise DecodeError(f"a local-stream descriptor names frame {index} of {len(buffers)}")
            largest = max(range(len(parts)), key=lambda part: parts[part][2]) if self.lend and parts else None
            read = self._reader.read(
                descriptor["ring"],
                descriptor["slot"],
                descriptor["sequence"],
                [part[1:] for part in parts],
                lend=largest,
            )
        except DecodeError as error:
            self.statistics.decode_errors += 1
            self.statistics.last_decode_error = str(error)
            return None
        if read is None:
            self.ring_overruns += 1
            return None
        values, self.lease = read
        for (index, _, _), value in zip(parts, values, strict=True):
            buffers[index] = value.data
        return buffers

    def close(self) -> None:
        """Close the socket and unmap the rings."""
        super().close()
        self._reader.close()
