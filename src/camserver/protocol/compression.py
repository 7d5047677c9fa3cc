"""Value and data-header compression: ``bitshuffle_lz4`` both ways, ``lz4`` decode only.

``bitshuffle_lz4`` is the chunk format of the HDF5 bitshuffle filter (id 32008, LZ4 mode)::

    uint64 BE  uncompressed size in bytes
    uint32 BE  block size in bytes
    per block of elements: uint32 BE compressed length L, then L bytes of an LZ4 block
    the last (n % 8) elements verbatim

The blocks are compressed by the ``bitshuffle`` C library. It checks the output bounds of each
block but trusts the length fields, so :func:`bitshuffle_lz4_decode` walks the block chain against
the received buffer first: corrupt or truncated input is a :class:`DecodeError`, never a read past
the end of a buffer.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

import bitshuffle
import lz4.block
import numpy as np

from camserver.errors import DecodeError

__all__ = [
    "SPREAD_BYTES",
    "Spreader",
    "bitshuffle_lz4_decode",
    "bitshuffle_lz4_encode",
    "block_elements",
    "lz4_decode",
]

_HEADER = struct.Struct(">QI")
_BLOCK_LENGTH = struct.Struct(">I")
_LZ4_SIZE_LE = struct.Struct("<I")
_LZ4_SIZE_BE = struct.Struct(">I")
_MULTIPLE = 8
_MAX_RATIO = 256  # LZ4 cannot expand data by more than 255:1
_LZ4_MAX_HEADER_BYTES = 64 * 1024 * 1024


def block_elements(itemsize: int) -> int:
    """The default block size in elements, as every bsread implementation computes it."""
    return max(128, (8192 // itemsize) // _MULTIPLE * _MULTIPLE)


def _unsigned(itemsize: int) -> np.dtype[Any]:
    return np.dtype(f"u{itemsize}")


class Spreader(Protocol):
    """Runs a function over several items at once (the caller's threads: this module starts none)."""

    @property
    def workers(self) -> int:
        """How many items it runs at once."""
        ...

    def map(self, function: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """``function`` of each item, in the items' order."""
        ...


#: arrays smaller than this are compressed in one piece even with a :class:`Spreader`
SPREAD_BYTES = 1 << 20


def _pieces(flat: np.ndarray[Any, Any], block: int, count: int) -> list[np.ndarray[Any, Any]]:
    """``flat`` cut into ``count`` pieces at whole blocks: the blocks each piece compresses into,
    one piece after another, are exactly the blocks of the whole (only the last piece has a tail)."""
    blocks = flat.size // block
    per_piece = -(-blocks // count)
    bounds = [min(index * per_piece, blocks) * block for index in range(count)] + [flat.size]
    return [flat[start:end] for start, end in itertools.pairwise(bounds) if end > start]


def bitshuffle_lz4_encode(
    array: np.ndarray[Any, Any], *, spreader: Spreader | None = None
) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Compress the elements of ``array`` (any shape, C order) into one bsread value frame.

    The frame is returned as a uint8 array, ready to be sent without another copy. With a
    ``spreader``, an array of :data:`SPREAD_BYTES` or more is compressed in as many pieces as it has
    workers, at once; the frame is byte for byte the one a single call makes.
    """
    flat = np.ascontiguousarray(array).reshape(-1)
    itemsize = flat.dtype.itemsize
    block = block_elements(itemsize)
    header = np.frombuffer(_HEADER.pack(flat.nbytes, block * itemsize), np.uint8)
    if flat.size == 0:
        return header.copy()
    elements = flat.view(_unsigned(itemsize))

    def compress(piece: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        body: np.ndarray[Any, Any] = bitshuffle.compress_lz4(piece, block)
        return body

    if spreader is not None and spreader.workers > 1 and flat.nbytes >= SPREAD_BYTES:
        bodies = list(spreader.map(compress, _pieces(elements, block, spreader.workers)))
    else:
        bodies = [compress(elements)]
    frame = np.empty(_HEADER.size + sum(body.size for body in bodies), np.uint8)
    frame[: _HEADER.size] = header
    position = _HEADER.size
    for body in bodies:
        frame[position : position + body.size] = body
        position += body.size
    return frame


def bitshuffle_lz4_decode(
    frame: bytes | bytearray | memoryview, itemsize: int, *, expected_nbytes: int | None = None
) -> np.ndarray[Any, Any]:
    """Decompress one ``bitshuffle_lz4`` frame into a flat array of unsigned ``itemsize`` elements.

    ``expected_nbytes`` is the size the data header announces; a frame that claims another size
    is refused before anything is allocated.
    """
    view = memoryview(frame).cast("B")
    total = len(view)
    if total < _HEADER.size:
        raise DecodeError(f"bitshuffle_lz4 frame of {total} bytes is shorter than its 12-byte header")
    nbytes, block_bytes = _HEADER.unpack_from(view, 0)
    if expected_nbytes is not None and nbytes != expected_nbytes:
        raise DecodeError(f"bitshuffle_lz4 frame holds {nbytes} bytes, the data header announces {expected_nbytes}")
    if nbytes % itemsize or block_bytes % itemsize:
        raise DecodeError(
            f"bitshuffle_lz4 sizes ({nbytes} bytes, blocks of {block_bytes}) "
            f"are not multiples of the element size {itemsize}"
        )
    if nbytes > _MAX_RATIO * total:
        raise DecodeError(f"bitshuffle_lz4 frame of {total} bytes claims an implausible {nbytes} bytes")
    count, block = nbytes // itemsize, block_bytes // itemsize
    if count == 0:
        return np.empty(0, _unsigned(itemsize))
    if block <= 0 or block % _MULTIPLE:
        raise DecodeError(f"bitshuffle_lz4 block size {block} elements is not a positive multiple of 8")
    end = _check_block_chain(view, count, block, itemsize)
    if end != total:
        raise DecodeError(f"bitshuffle_lz4 frame has {total - end} bytes after its data")
    body = np.frombuffer(view, np.uint8, count=end - _HEADER.size, offset=_HEADER.size)
    try:
        result: np.ndarray[Any, Any] = bitshuffle.decompress_lz4(body, (count,), _unsigned(itemsize), block)
    except (RuntimeError, ValueError) as error:
        raise DecodeError(f"bitshuffle_lz4 data is corrupt: {error}") from None
    return result


def _check_block_chain(view: memoryview, count: int, block: int, itemsize: int) -> int:
    """Walk the compressed blocks; return where the data ends, or raise if it leaves the buffer."""
    total = len(view)
    position = _HEADER.size
    full_blocks, remainder = divmod(count, block)
    blocks = full_blocks + (1 if remainder >= _MULTIPLE else 0)
    unpack = _BLOCK_LENGTH.unpack_from
    for _ in range(blocks):
        if position + 4 > total:
            raise DecodeError("bitshuffle_lz4 frame is truncated inside its block list")
        (length,) = unpack(view, position)
        position += 4 + length
    verbatim = (count % block) % _MULTIPLE * itemsize
    position += verbatim
    if position > total:
        raise DecodeError(f"bitshuffle_lz4 frame is truncated: needs {position} bytes, has {total}")
    return position


def lz4_decode(frame: bytes | bytearray | memoryview, *, expected_nbytes: int | None) -> bytes:
    """Decode an ``lz4`` frame (4-byte size prefix + one LZ4 block).

    Implementations disagree on the byte order of the prefix, so both readings are tried: against
    the size the data header announces, or (for a data header, whose size nobody announces) the
    smaller reading first.
    """
    view = memoryview(frame).cast("B")
    if len(view) < 4:
        raise DecodeError(f"lz4 frame of {len(view)} bytes is shorter than its size prefix")
    readings = sorted({_LZ4_SIZE_LE.unpack_from(view)[0], _LZ4_SIZE_BE.unpack_from(view)[0]})
    if expected_nbytes is not None:
        if expected_nbytes not in readings:
            raise DecodeError(f"lz4 frame announces {readings} bytes, the data header {expected_nbytes}")
        readings = [expected_nbytes]
    last_error = ""
    for size in readings:
        if size > _LZ4_MAX_HEADER_BYTES and expected_nbytes is None:
            continue
        try:
            raw: bytes = lz4.block.decompress(view[4:], uncompressed_size=size)
        except lz4.block.LZ4BlockError as error:
            last_error = str(error)
            continue
        if len(raw) == size:
            return raw
        last_error = f"decompressed to {len(raw)} bytes, expected {size}"
    raise DecodeError(f"lz4 data is corrupt: {last_error or 'size prefix out of range'}")
