"""One channel of a bsread data header, and how a Python value maps onto it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from camserver.errors import DecodeError, EncodeError
from camserver.protocol.types import ByteOrder, ChannelType, Compression

__all__ = ["ChannelSpec", "describe"]

_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
_MAX_DIMENSIONS = 8


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A channel as described in the data header.

    ``shape`` is in bsread order, fastest-varying dimension first (``[width, height]`` for an
    image); :attr:`numpy_shape` is the reverse. A scalar has shape ``(1,)``.
    """

    name: str
    type: ChannelType = ChannelType.FLOAT64
    shape: tuple[int, ...] = (1,)
    encoding: ByteOrder = "little"
    compression: Compression = Compression.NONE
    modulo: int = 1
    offset: int = 0

    @property
    def dtype(self) -> np.dtype[np.generic]:
        """The numpy dtype of the elements, in the channel's byte order."""
        return self.type.dtype(self.encoding)

    @property
    def numpy_shape(self) -> tuple[int, ...]:
        """The shape in numpy order (slowest dimension first)."""
        return self.shape[::-1]

    @property
    def is_scalar(self) -> bool:
        """True for shape ``[1]``: the receiver gets a scalar, not an array."""
        return self.shape == (1,)

    @property
    def nbytes(self) -> int:
        """Uncompressed size of one value in bytes (strings: unknown, 0)."""
        if self.type is ChannelType.STRING:
            return 0
        return math.prod(self.shape) * self.type.itemsize

    def to_json(self) -> dict[str, Any]:
        """The header entry, with exactly the keys every bsread receiver accepts."""
        entry: dict[str, Any] = {
            "name": self.name,
            "type": self.type.value,
            "shape": list(self.shape),
            "encoding": self.encoding,
            "compression": self.compression.value,
        }
        if self.modulo != 1:
            entry["modulo"] = self.modulo
        if self.offset != 0:
            entry["offset"] = self.offset
        return entry

    @classmethod
    def from_json(cls, entry: object) -> ChannelSpec:
        """Parse a header entry, applying the receiver defaults of the wire format.

        Raises :class:`DecodeError` saying which field is wrong.
        """
        if not isinstance(entry, Mapping):
            raise DecodeError(f"data header channel is not an object: {entry!r:.80}")
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise DecodeError(f"data header channel has no name: {dict(entry)!r:.120}")
        raw_type = entry.get("type", "float64")
        try:
            channel_type = ChannelType(raw_type)
        except ValueError:
            raise DecodeError(f"channel {name!r}: unknown type {raw_type!r}") from None
        shape = _parse_shape(name, entry.get("shape", [1]))
        encoding = _parse_encoding(name, entry.get("encoding", "little"))
        raw_compression = entry.get("compression", "none")
        try:
            compression = Compression("none" if raw_compression is None else raw_compression)
        except ValueError:
            raise DecodeError(f"channel {name!r}: unknown compression {raw_compression!r}") from None
        modulo = entry.get("modulo", 1)
        offset = entry.get("offset", 0)
        if not _is_int(modulo) or modulo < 1 or not _is_int(offset) or offset < 0:
            raise DecodeError(f"channel {name!r}: bad modulo/offset {modulo!r}/{offset!r}")
        return cls(name, channel_type, shape, encoding, compression, modulo, offset)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_shape(name: str, raw: object) -> tuple[int, ...]:
    if raw is None:
        return (1,)
    if (
        not isinstance(raw, list)
        or not raw
        or len(raw) > _MAX_DIMENSIONS
        or not all(_is_int(d) and d >= 0 for d in raw)
    ):
        raise DecodeError(f"channel {name!r}: bad shape {raw!r:.80}")
    return tuple(raw)


def _parse_encoding(name: str, raw: object) -> ByteOrder:
    if not isinstance(raw, str):
        raise DecodeError(f"channel {name!r}: bad encoding {raw!r:.40}")
    lowered = raw.lower()
    if lowered in ("little", "<"):
        return "little"
    if lowered in ("big", ">"):
        return "big"
    raise DecodeError(f"channel {name!r}: bad encoding {raw!r:.40}")


def describe(name: str, value: object, compression: Compression = Compression.NONE) -> ChannelSpec:
    """The channel a Python or numpy value is sent as.

    ``bool`` -> bool, ``int`` -> int64 (uint64 above its range), ``float`` -> float64,
    ``str`` -> string, numpy scalars and arrays by dtype, lists and tuples as numpy arrays.
    ``None`` has no type of its own and is described as a float64 scalar.
    Raises :class:`EncodeError` for anything else (complex, float16, object arrays, ...).
    """
    if value is None:
        return ChannelSpec(name, ChannelType.FLOAT64, (1,), "little", compression)
    if isinstance(value, bool):
        return ChannelSpec(name, ChannelType.BOOL, (1,), "little", compression)
    if isinstance(value, int):
        if _INT64_MIN <= value <= _INT64_MAX:
            return ChannelSpec(name, ChannelType.INT64, (1,), "little", compression)
        if 0 <= value <= _UINT64_MAX:
            return ChannelSpec(name, ChannelType.UINT64, (1,), "little", compression)
        raise EncodeError(f"channel {name!r}: integer {value} does not fit in 64 bits")
    if isinstance(value, float):
        return ChannelSpec(name, ChannelType.FLOAT64, (1,), "little", compression)
    if isinstance(value, str):
        return ChannelSpec(name, ChannelType.STRING, (1,), "little", compression)
    if isinstance(value, np.ndarray | np.generic):
        array: np.ndarray[Any, Any] | np.generic = value
    elif isinstance(value, list | tuple):
        array = np.asarray(value)
    else:
        raise EncodeError(f"channel {name!r}: a {type(value).__name__} cannot be sent over bsread")
    try:
        channel_type = ChannelType.of_dtype(array.dtype)
    except EncodeError as error:
        raise EncodeError(f"channel {name!r}: {error}") from None
    shape = (1,) if array.ndim == 0 else tuple(array.shape[::-1])
    if len(shape) > _MAX_DIMENSIONS:
        raise EncodeError(f"channel {name!r}: {array.ndim} dimensions, at most {_MAX_DIMENSIONS}")
    encoding: ByteOrder = "big" if array.dtype.byteorder == ">" else "little"
    if array.dtype.byteorder == "=" and np.little_endian is False:  # pragma: no cover - big-endian hosts
        encoding = "big"
    return ChannelSpec(name, channel_type, shape, encoding, compression)
