"""The value types of the bsread wire format: channel types, compressions, timestamps."""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Literal, NamedTuple

import numpy as np

from camserver.errors import EncodeError

__all__ = ["ByteOrder", "ChannelType", "Compression", "Timestamp"]

ByteOrder = Literal["little", "big"]


class ChannelType(StrEnum):
    """The twelve bsread type names (lowercase, exactly as on the wire)."""

    BOOL = "bool"
    INT8 = "int8"
    UINT8 = "uint8"
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    INT64 = "int64"
    UINT64 = "uint64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"
    STRING = "string"

    @property
    def itemsize(self) -> int:
        """Bytes per element on the wire (1 for strings, whose elements are UTF-8 bytes)."""
        return _NUMPY_CODES[self].itemsize

    def dtype(self, byte_order: ByteOrder = "little") -> np.dtype[np.generic]:
        """The numpy dtype of the elements in ``byte_order`` (strings: unsigned bytes)."""
        code = _NUMPY_CODES[self]
        return code.newbyteorder("<" if byte_order == "little" else ">")

    @classmethod
    def of_dtype(cls, dtype: np.dtype[np.generic]) -> ChannelType:
        """The bsread type of a numpy dtype, or :class:`EncodeError` if it has none."""
        found = _BY_KIND.get((dtype.kind, dtype.itemsize))
        if found is None:
            raise EncodeError(
                f"numpy dtype {dtype} has no bsread type "
                "(supported: bool, int8..int64, uint8..uint64, float32, float64, str)"
            )
        return found


_NUMPY_CODES: dict[ChannelType, np.dtype[np.generic]] = {
    ChannelType.BOOL: np.dtype("?"),
    ChannelType.INT8: np.dtype("i1"),
    ChannelType.UINT8: np.dtype("u1"),
    ChannelType.INT16: np.dtype("i2"),
    ChannelType.UINT16: np.dtype("u2"),
    ChannelType.INT32: np.dtype("i4"),
    ChannelType.UINT32: np.dtype("u4"),
    ChannelType.INT64: np.dtype("i8"),
    ChannelType.UINT64: np.dtype("u8"),
    ChannelType.FLOAT32: np.dtype("f4"),
    ChannelType.FLOAT64: np.dtype("f8"),
    ChannelType.STRING: np.dtype("u1"),
}

_BY_KIND: dict[tuple[str, int], ChannelType] = {
    (code.kind, code.itemsize): channel_type
    for channel_type, code in _NUMPY_CODES.items()
    if channel_type is not ChannelType.STRING
}


class Compression(StrEnum):
    """Compression of a value frame or of the data header.

    ``lz4`` is only ever decoded: implementations disagree on the byte order of its size prefix.
    """

    NONE = "none"
    BITSHUFFLE_LZ4 = "bitshuffle_lz4"
    LZ4 = "lz4"


class Timestamp(NamedTuple):
    """A bsread timestamp: Unix seconds and nanoseconds (0 <= ns < 1e9)."""

    sec: int
    ns: int

    @classmethod
    def now(cls) -> Timestamp:
        """The current wall-clock time."""
        return cls.from_ns(time.time_ns())

    @classmethod
    def from_ns(cls, total_ns: int) -> Timestamp:
        """From nanoseconds since the epoch."""
        sec, ns = divmod(total_ns, 1_000_000_000)
        return cls(sec, ns)

    @classmethod
    def from_seconds(cls, seconds: float) -> Timestamp:
        """From float seconds since the epoch (as CamServer's ``timestamp`` channel)."""
        return cls.from_ns(round(seconds * 1e9))

    @property
    def seconds(self) -> float:
        """Float seconds since the epoch."""
        return self.sec + self.ns * 1e-9
