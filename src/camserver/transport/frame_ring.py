"""A ring of frame slots in shared memory, written by one process and read by others on the host.

The writer owns a file in ``/dev/shm`` (a memory-backed folder; elsewhere the temporary folder)
mapped into its address space; readers map the same file read-only. The file starts with a header
page: magic, version, slot count and slot size, then one 64-bit sequence number per slot. Slot
data follows at page-aligned offsets.

Every write gets a new, strictly increasing, even sequence number. The writer first marks the slot
busy (sequence 0), then copies the data, then stores the new sequence number. A reader that was
told "slot k holds sequence S" copies the data out and then checks that the slot still holds S: if
the writer reused the slot meanwhile, the check fails and the copy is thrown away. Sequence numbers
never repeat, so a check cannot pass by accident. A reader always sees a slot's data complete
when its notification arrives: the notification is sent after the copy, through a system call (a
full barrier). Catching a writer that overwrites the slot *while* a reader copies relies on stores
becoming visible in program order, which x86-64 guarantees; on weakly ordered CPUs (ARM64) such a
race, which needs a reader a whole ring behind, could go unnoticed.

Nothing here imports zmq: :mod:`camserver.transport.local_stream` sends the notifications.
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import os
import secrets
import struct
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from camserver.errors import TransportError

__all__ = ["RING_PREFIX", "Lease", "RingReader", "RingWriter", "SlotWrite", "remove_stale_rings", "ring_folder"]

#: every ring file's name starts with this, then the writer's process id: ``camserver-ring-<pid>-...``
RING_PREFIX = "camserver-ring-"
_MAGIC = b"CSRING01"
_HEADER = struct.Struct("<8sIIQ")  # magic, version, slots, slot size
_VERSION = 1
_PAGE = mmap.PAGESIZE
_MAX_SLOTS = 64
_MIN_AUTO_SLOTS = 4
_MAX_AUTO_SLOTS = 32
#: what a ring may take when its slot count is left to it: 23 frames of 2560x2160 uint16, 32 smaller ones
RING_BUDGET = 256 << 20
_BUSY = 0


def ring_folder() -> Path:
    """Where ring files live: ``/dev/shm`` when this host has it (memory, never disk)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm
    return Path(tempfile.gettempdir())


def _round_up(value: int, to: int) -> int:
    return -(-value // to) * to


def _data_offset(slots: int) -> int:
    return _round_up(_HEADER.size + 8 * slots, _PAGE)


@dataclass(frozen=True, slots=True)
class SlotWrite:
    """Where one write landed: the ring's file name, the slot, its sequence number, and the
    ``(offset, nbytes)`` of each part inside the slot."""

    ring: str
    slot: int
    sequence: int
    parts: list[tuple[int, int]]


class RingWriter:
    """The writing side: :meth:`write` copies parts into the next slot, round robin.

    :meth:`ready` prepares a ring whose slots hold a message of the given size: the file is
    created and mapped at once, and its memory reserved (``posix_fallocate``) on a thread, so the
    writer never stalls on fresh pages and a full ``/dev/shm`` is an error here, not a crash on a
    later write. Until the reservation is done, ``ready`` says False and the caller sends the
    message some other way. A message that does not fit moves to a new, larger ring (readers
    follow the name in the notification). ``slots`` None takes as many as fit in ``budget`` bytes,
    4 to 32: how many messages a reader may fall behind before it loses one. ``close`` removes the
    file; readers that still map it keep their mapping until they let go.
    """

    def __init__(
        self, *, slots: int | None = None, budget: int = RING_BUDGET, name: str = "stream", folder: Path | None = None
    ) -> None:
        if slots is not None and not 2 <= slots <= _MAX_SLOTS:
            raise TransportError(f"a frame ring has 2 to {_MAX_SLOTS} slots, not {slots}")
        self._fixed_slots = slots
        self._budget = budget
        self.slots = slots or 0
        self.folder = folder or ring_folder()
        self._label = "".join(c if c.isalnum() or c in "_.-" else "_" for c in name)[:64]
        self._sequence = 0
        self._next_slot = 0
        self._path: Path | None = None
        self._map: mmap.mmap | None = None
        self._sequences: np.ndarray[Any, np.dtype[np.uint64]] | None = None
        self._data: np.ndarray[Any, np.dtype[np.uint8]] | None = None
        self._reserving: threading.Thread | None = None
        self._reserve_error: OSError | None = None
        self.slot_size = 0
        self._failed_size = 0
        self.writes = 0
        #: why the last ring could not be prepared ("" while all is well)
        self.error = ""

    def ready(self, size: int) -> bool:
        """True if a message of ``size`` bytes can be written now; otherwise start preparing a
        ring for it (unless one is being prepared, or preparing one for this size failed)."""
        if self._reserving is not None:
            if self._reserving.is_alive():
                return False
            self._reserving = None
            if self._reserve_error is not None:
                self.error = (
                    f"cannot reserve {self.slots} x {self.slot_size} bytes of shared memory: {self._reserve_error}"
                )
                self._release()
                self._failed_size = self.slot_size
                return False
        if self._map is not None and size <= self.slot_size:
            return True
        if self.error and _round_up(max(size, 1), _PAGE) <= self._failed_size:
            return False  # it failed for this size already; a larger message tries again
        try:
            self._create(size)
        except TransportError as error:
            self.error = str(error)
            self._failed_size = _round_up(max(size, 1), _PAGE)
        return False

    def _create(self, size: int) -> None:
        self._release()
        slot_size = _round_up(max(size, 1), _PAGE)
        self.slots = self._fixed_slots or min(max(self._budget // slot_size, _MIN_AUTO_SLOTS), _MAX_AUTO_SLOTS)
        total = _data_offset(self.slots) + slot_size * self.slots
        path = self.folder / f"{RING_PREFIX}{os.getpid()}-{self._label}-{secrets.token_hex(4)}"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as error:
            raise TransportError(f"cannot create the frame ring {path}: {error}") from None
        try:
            os.ftruncate(fd, total)
            mapping = mmap.mmap(fd, total)
        except OSError as error:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise TransportError(f"cannot size the frame ring {path}: {error}") from None
        _HEADER.pack_into(mapping, 0, _MAGIC, _VERSION, self.slots, slot_size)
        self._path, self._map, self.slot_size = path, mapping, slot_size
        self._sequences = np.frombuffer(mapping, np.uint64, self.slots, _HEADER.size)
        self._data = np.frombuffer(mapping, np.uint8, slot_size * self.slots, _data_offset(self.slots))
        self._next_slot = 0
        self.error = ""
        self._reserve_error = None
        address = np.frombuffer(mapping, np.uint8).ctypes.data
        self._reserving = threading.Thread(
            target=self._reserve, args=(fd, address, total), name="ring-reserve", daemon=True
        )
        self._reserving.start()

    def _reserve(self, fd: int, address: int, size: int) -> None:
        """Allocate the ring's memory and map it into this process, off the writer's thread: a
        first write to fresh pages costs 5-40 ms per 11 MB frame in page faults."""
        try:
            if hasattr(os, "posix_fallocate"):
                os.posix_fallocate(fd, 0, size)
            _populate(address, size)
        except OSError as error:
            self._reserve_error = error
        finally:
            os.close(fd)

    def write(self, parts: Sequence[Any]) -> SlotWrite:
        """Copy ``parts`` (buffers) one after another into the next slot; only after :meth:`ready`
        said True for their total size."""
        views = [memoryview(part).cast("B") for part in parts]
        total = sum(view.nbytes for view in views)
        sequences, data, path = self._sequences, self._data, self._path
        if sequences is None or data is None or path is None or self._reserving is not None or total > self.slot_size:
            raise TransportError(f"the frame ring is not ready for {total} bytes")
        slot = self._next_slot
        self._next_slot = (slot + 1) % self.slots
        self._sequence += 2
        sequences[slot] = _BUSY
        start = slot * self.slot_size
        placed: list[tuple[int, int]] = []
        offset = 0
        for view in views:
            data[start + offset : start + offset + view.nbytes] = np.frombuffer(view, np.uint8)
            placed.append((offset, view.nbytes))
            offset += view.nbytes
        sequences[slot] = self._sequence
        self.writes += 1
        return SlotWrite(path.name, slot, self._sequence, placed)

    def _release(self) -> None:
        if self._reserving is not None:
            self._reserving.join()  # the reservation owns the file descriptor until it ends
            self._reserving = None
        self._sequences = self._data = None
        if self._map is not None:
            self._map.close()
            self._map = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None

    def close(self) -> None:
        """Unmap and remove the ring file."""
        self._release()


class _Mapped:
    """One ring as a reader sees it."""

    def __init__(self, path: Path) -> None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as error:
            raise TransportError(f"cannot open the frame ring {path.name}: {error.strerror}") from None
        try:
            size = os.fstat(fd).st_size
            if size < _PAGE:
                raise TransportError(f"the frame ring {path.name} is too small to be one ({size} bytes)")
            mapping = mmap.mmap(fd, size, prot=mmap.PROT_READ)
        finally:
            os.close(fd)
        magic, version, slots, slot_size = _HEADER.unpack_from(mapping, 0)
        if magic != _MAGIC or version != _VERSION:
            mapping.close()
            raise TransportError(f"{path.name} is not a camserver frame ring of version {_VERSION}")
        offset = _data_offset(slots)
        if not 2 <= slots <= _MAX_SLOTS or slot_size % _PAGE or offset + slots * slot_size > size:
            mapping.close()
            raise TransportError(f"the frame ring {path.name} has an inconsistent header")
        self.map = mapping
        self.slots = slots
        self.slot_size = slot_size
        self.sequences = np.frombuffer(mapping, np.uint64, slots, _HEADER.size)
        self.data = np.frombuffer(mapping, np.uint8, slot_size * slots, offset)
        base = np.frombuffer(mapping, np.uint8).ctypes.data
        threading.Thread(target=_populate, args=(base, size), kwargs={"write": False}, daemon=True).start()

    def close(self) -> None:
        self.sequences, self.data = np.empty(0, np.uint64), np.empty(0, np.uint8)  # the views go before the map
        with contextlib.suppress(BufferError):  # a caller still holding a view keeps it alive
            self.map.close()


class Lease:
    """A part of a slot lent to the reader without a copy: ``view`` (read-only) stays meaningful
    only while :meth:`valid` says so, i.e. until the writer comes round to the slot again. Whoever
    uses a lease checks it after using the view, and throws away what came of a lapsed one."""

    def __init__(self, ring: _Mapped, slot: int, sequence: int, view: np.ndarray[Any, np.dtype[np.uint8]]) -> None:
        self._sequences = ring.sequences
        self.slot = slot
        self.sequence = sequence
        self.view = view

    def valid(self) -> bool:
        """The slot still holds what was lent: nothing read from the view so far was overwritten."""
        return int(self._sequences[self.slot]) == self.sequence

    def holds(self, value: Any) -> bool:
        """``value`` (an array) may lie in the lent memory."""
        return isinstance(value, np.ndarray) and bool(np.may_share_memory(value, self.view))


class RingReader:
    """The reading side: maps the rings named in notifications (the newest few) and copies
    slots out, checked against being overwritten, or lends one part of a slot (:class:`Lease`)."""

    def __init__(self, *, folder: Path | None = None, keep: int = 2) -> None:
        self.folder = folder or ring_folder()
        self._keep = keep
        self._rings: dict[str, _Mapped] = {}

    def _ring(self, name: str) -> _Mapped:
        ring = self._rings.get(name)
        if ring is None:
            if not name.startswith(RING_PREFIX) or "/" in name or name in (".", ".."):
                raise TransportError(f"{name!r} is not the name of a frame ring")
            ring = _Mapped(self.folder / name)
            self._rings[name] = ring
            while len(self._rings) > self._keep:
                oldest = next(iter(self._rings))
                self._rings.pop(oldest).close()
        return ring

    @property
    def slots(self) -> int | None:
        """Slots of the smallest ring mapped now (None before the first): how far a reader may
        fall behind before the writer reuses what it has yet to read."""
        return min((ring.slots for ring in self._rings.values()), default=None)

    def read(
        self, name: str, slot: int, sequence: int, parts: Sequence[tuple[int, int]], *, lend: int | None = None
    ) -> tuple[list[np.ndarray[Any, np.dtype[np.uint8]]], Lease | None] | None:
        """Copies of ``parts`` of ``slot`` (part ``lend`` instead lent, see :class:`Lease`), or None
        if the slot no longer (or not yet) holds ``sequence``: the writer went round the ring before
        this reader got there. Raises :class:`TransportError` for a ring that cannot be mapped or a
        slot or part outside it."""
        ring = self._ring(name)
        if not 0 <= slot < ring.slots:
            raise TransportError(f"slot {slot} is outside the frame ring {name} ({ring.slots} slots)")
        if int(ring.sequences[slot]) != sequence:
            return None
        base = slot * ring.slot_size
        values: list[np.ndarray[Any, np.dtype[np.uint8]]] = []
        lease = None
        for index, (offset, nbytes) in enumerate(parts):
            if offset < 0 or nbytes < 0 or offset + nbytes > ring.slot_size:
                raise TransportError(f"a part ({offset}, {nbytes}) lies outside slot {slot} of {name}")
            view = ring.data[base + offset : base + offset + nbytes]
            if index == lend:
                lease = Lease(ring, slot, sequence, view)
                values.append(view)
            else:
                values.append(view.copy())
        if int(ring.sequences[slot]) != sequence:
            return None  # overwritten while copying: the copy may be torn
        return values, lease

    def close(self) -> None:
        """Unmap every ring."""
        for ring in self._rings.values():
            ring.close()
        self._rings.clear()


_MADV_POPULATE_READ = 22  # Linux 5.14
_POPULATE_CHUNK = 1 << 22
_MADV_POPULATE_WRITE = 23


def _populate(address: int, size: int, *, write: bool = True) -> None:
    """Fault in the pages of a mapping (Linux; elsewhere and on older kernels the first access
    does it). ctypes releases the GIL for the call; a few MB at a time, because the kernel holds
    the process's memory-map lock meanwhile and every large allocation of the other threads waits
    for it."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    advice = _MADV_POPULATE_WRITE if write else _MADV_POPULATE_READ
    for start in range(0, size, _POPULATE_CHUNK):
        if libc.madvise(address + start, min(_POPULATE_CHUNK, size - start), advice) != 0:
            return  # EINVAL: a kernel without it; ENOMEM: unmapped meanwhile. The first access will do.


def remove_stale_rings(folder: Path | None = None, *, pid: int | None = None) -> list[str]:
    """Remove ring files whose writer is gone: those of process ``pid``, or (None) of any process
    that no longer exists. Returns the names removed."""
    folder = folder or ring_folder()
    removed: list[str] = []
    for path in folder.glob(f"{RING_PREFIX}*"):
        owner = path.name[len(RING_PREFIX) :].split("-", 1)[0]
        if not owner.isdigit():
            continue
        if pid is not None:
            if int(owner) != pid:
                continue
        elif _alive(int(owner)):
            continue
        with contextlib.suppress(FileNotFoundError, PermissionError):
            path.unlink()
            removed.append(path.name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, as another user's process
    return True
