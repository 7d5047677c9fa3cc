"""Encode values into the frames of one bsread message.

Uncompressed arrays of at least :data:`ZERO_COPY_BYTES` are passed through as the numpy arrays
themselves, so a transport that sends without copying puts the caller's memory on the wire: the
caller must not modify an array after handing it to the encoder.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from camserver.errors import EncodeError
from camserver.protocol.channel import ChannelSpec
from camserver.protocol.compression import Spreader, bitshuffle_lz4_encode
from camserver.protocol.compression_policy import CompressionPolicy
from camserver.protocol.header import DataHeader
from camserver.protocol.header_strategy import HeaderStrategy, HeaderTracker
from camserver.protocol.types import ChannelType, Compression, Timestamp

__all__ = ["ZERO_COPY_BYTES", "EncodedMessage", "Encoder", "encode_frames"]

MAIN_HEADER_HTYPE = "bsr_m-1.1"
#: arrays at least this large go on the wire without a copy
ZERO_COPY_BYTES = 65536
_TIMESTAMP = {"little": struct.Struct("<qq"), "big": struct.Struct(">qq")}
_MAX_PULSE_ID = 2**64 - 1
_NS_PER_S = 1_000_000_000

Frame = bytes | np.ndarray[Any, Any]


@dataclass(frozen=True, slots=True)
class EncodedMessage:
    """The frames of one message, their total size, and whether the data header changed."""

    frames: list[Frame]
    nbytes: int
    header_changed: bool


def _main_header(header: DataHeader, pulse_id: int, timestamp: Timestamp) -> bytes:
    if not isinstance(pulse_id, int | np.integer) or not 0 <= pulse_id <= _MAX_PULSE_ID:
        raise EncodeError(f"pulse id must be an integer in 0..2**64-1, not {pulse_id!r}")
    sec, ns = int(timestamp[0]), int(timestamp[1])
    if not 0 <= ns < _NS_PER_S or sec < 0:
        raise EncodeError(f"timestamp must have sec >= 0 and 0 <= ns < 1e9, not {tuple(timestamp)}")
    # Exactly the five keys every bsread receiver accepts; dh_compression always a string.
    return (
        f'{{"htype":"{MAIN_HEADER_HTYPE}","pulse_id":{int(pulse_id)},'
        f'"global_timestamp":{{"sec":{sec},"ns":{ns}}},'
        f'"hash":"{header.hash}","dh_compression":"{header.compression.value}"}}'
    ).encode()


def _value_frame(spec: ChannelSpec, value: Any, spreader: Spreader | None = None) -> Frame:
    if spec.type is ChannelType.STRING:
        if not isinstance(value, str):
            kind = type(value).__name__
            raise EncodeError(f"channel {spec.name!r}: a string channel needs str, not {kind}")
        try:
            raw = value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise EncodeError(f"channel {spec.name!r}: string is not encodable as UTF-8: {error}") from None
        if spec.compression is Compression.BITSHUFFLE_LZ4 and raw:
            return bitshuffle_lz4_encode(np.frombuffer(raw, np.uint8)).tobytes()
        return raw
    dtype = spec.dtype
    if isinstance(value, np.ndarray):
        array = value if value.dtype == dtype else _converted(spec, value)
        if not array.flags.c_contiguous:
            array = np.ascontiguousarray(array)
    else:
        try:
            array = np.asarray(value, dtype=dtype)
        except (TypeError, ValueError, OverflowError) as error:
            raise EncodeError(f"channel {spec.name!r}: {error}") from None
    expected = math.prod(spec.shape)
    if array.size != expected:
        raise EncodeError(f"channel {spec.name!r}: {array.size} elements, the header announces {expected}")
    if array.size == 0:
        return b""
    if spec.compression is Compression.BITSHUFFLE_LZ4:
        frame = bitshuffle_lz4_encode(array, spreader=spreader)
        return frame if frame.nbytes >= ZERO_COPY_BYTES else frame.tobytes()
    return array if array.nbytes >= ZERO_COPY_BYTES else array.tobytes()


def _converted(spec: ChannelSpec, value: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``value`` as the channel's dtype. Values an integer channel cannot hold (out of range, NaN,
    infinite) are refused rather than wrapped; fractions are truncated as numpy does."""
    dtype = spec.dtype
    if dtype.kind in "iu" and value.size and not np.can_cast(value.dtype, dtype, casting="safe"):
        limits = np.iinfo(dtype.type)  # type: ignore[type-var]
        low, high = value.min(), value.max()
        if not (np.isfinite(low) and np.isfinite(high)) or low < limits.min or high > limits.max:
            raise EncodeError(f"channel {spec.name!r}: values {low}..{high} do not fit in {spec.type.value}")
    return value.astype(dtype)


def encode_frames(
    header: DataHeader,
    values: Sequence[Any],
    *,
    pulse_id: int,
    timestamp: Timestamp,
    channel_timestamps: Sequence[Timestamp | None] | None = None,
    spreader: Spreader | None = None,
) -> tuple[list[Frame], int]:
    """The ``2 + 2N`` frames of a message with a known header, and their total size in bytes.

    Each channel's timestamp is the global one unless ``channel_timestamps`` says otherwise. Large
    compressed values are compressed in pieces on the ``spreader``'s workers, when given.
    """
    if len(values) != len(header.channels):
        raise EncodeError(f"{len(values)} values for {len(header.channels)} channels")
    main = _main_header(header, pulse_id, timestamp)
    frames: list[Frame] = [main, header.frame]
    nbytes = len(main) + len(header.frame)
    sec, ns = int(timestamp[0]), int(timestamp[1])
    stamps = {order: packer.pack(sec, ns) for order, packer in _TIMESTAMP.items()}
    for index, (spec, value) in enumerate(zip(header.channels, values, strict=True)):
        if value is None:
            frames += [b"", b""]
            continue
        frame = _value_frame(spec, value, spreader)
        stamp = stamps[spec.encoding]
        if channel_timestamps is not None and channel_timestamps[index] is not None:
            own = channel_timestamps[index]
            assert own is not None
            stamp = _TIMESTAMP[spec.encoding].pack(int(own[0]), int(own[1]))
        frames += [frame, stamp]
        nbytes += (frame.nbytes if isinstance(frame, np.ndarray) else len(frame)) + len(stamp)
    return frames, nbytes


class Encoder:
    """Turns dictionaries of values into bsread messages, keeping the data header by a strategy."""

    def __init__(
        self,
        *,
        strategy: HeaderStrategy = HeaderStrategy.ON_CHANGE,
        allow_type_changes: bool = True,
        allow_shape_changes: bool = True,
        compression: CompressionPolicy | None = None,
        header_compression: Compression = Compression.NONE,
        spreader: Spreader | None = None,
    ) -> None:
        self.spreader = spreader
        self.tracker = HeaderTracker(
            strategy,
            allow_type_changes=allow_type_changes,
            allow_shape_changes=allow_shape_changes,
            compression=compression,
            header_compression=header_compression,
        )

    def encode(self, data: Mapping[str, Any], *, pulse_id: int, timestamp: Timestamp | None = None) -> EncodedMessage:
        """Encode one message; ``timestamp`` defaults to now. Raises :class:`EncodeError`."""
        header, values, changed = self.tracker.layout(data)
        frames, nbytes = encode_frames(
            header, values, pulse_id=pulse_id, timestamp=timestamp or Timestamp.now(), spreader=self.spreader
        )
        return EncodedMessage(frames, nbytes, changed)
