"""Decode the frames of one bsread message.

Sans-I/O: give :meth:`Decoder.decode` the frames of one multipart message (``bytes`` or
``memoryview``). Uncompressed arrays come back as read-only numpy views over those frames, so no
pixel is copied. Anything malformed raises :class:`DecodeError` with the reason; no other exception
escapes, and the decoder stays usable.
"""

from __future__ import annotations

import json
import math
import struct
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from camserver.errors import DecodeError
from camserver.protocol.channel import ChannelSpec
from camserver.protocol.compression import bitshuffle_lz4_decode, lz4_decode
from camserver.protocol.header import DataHeader
from camserver.protocol.message import ControlMessage, Message
from camserver.protocol.types import ChannelType, Compression, Timestamp

__all__ = ["DEFAULT_MAX_MESSAGE_BYTES", "Decoder", "InputFrame"]

InputFrame = bytes | bytearray | memoryview

#: the most value bytes one message may declare, unless the receiver is given another limit
DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024

_MAIN_HTYPE = "bsr_m-1.1"
_TIMESTAMP = {"little": struct.Struct("<qq"), "big": struct.Struct(">qq")}
_MAX_MAIN_HEADER = 64 * 1024
_NS_PER_S = 1_000_000_000
_MAX_PULSE_ID = 2**64 - 1  # bsread pulse ids are uint64
_MAX_SECONDS = 2**63 - 1  # timestamps go on the wire as int64


def _int_field(header: dict[str, Any], key: str, default: int | None) -> int:
    value = header.get(key, default)
    if value is None or isinstance(value, bool):
        raise DecodeError(f"main header field {key!r} is missing or not an integer: {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise DecodeError(f"main header field {key!r} is not an integer: {value!r:.40}")
    return value


def _global_timestamp(header: dict[str, Any]) -> Timestamp:
    raw = header.get("global_timestamp")
    if raw is None:
        return Timestamp(0, 0)
    if not isinstance(raw, dict):
        raise DecodeError(f"main header global_timestamp is not an object: {raw!r:.60}")
    sec = _int_field(raw, "sec" if "sec" in raw else "epoch", None)
    ns = _int_field(raw, "ns", 0)
    if not 0 <= ns < _NS_PER_S:
        raise DecodeError(f"main header global_timestamp ns={ns} is outside 0..999999999")
    if not 0 <= sec <= _MAX_SECONDS:
        raise DecodeError(f"main header global_timestamp sec={sec!s:.40} is outside 0..2**63-1")
    return Timestamp(sec, ns)


class Decoder:
    """Decodes bsread messages, caching parsed data headers by their hash.

    ``max_message_bytes`` bounds the value bytes one message may declare (the sum over its
    channels with a value, after decompression), so a hostile or corrupt message cannot make the
    receiver allocate without limit: such a message is refused before anything is decompressed.
    """

    def __init__(self, *, cache_size: int = 16, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        if max_message_bytes < 1:
            raise ValueError("max_message_bytes must be positive")
        # parsed headers by hash, with the value bytes all their channels declare together
        self._cache: OrderedDict[str, tuple[DataHeader, int]] = OrderedDict()
        self._cache_size = cache_size
        self.max_message_bytes = max_message_bytes
        self._last: DataHeader | None = None
        self._string_budget = 0

    def decode(self, frames: Sequence[InputFrame]) -> Message | ControlMessage:
        """Decode one multipart message; control messages (other htypes) come back as such."""
        if not frames:
            raise DecodeError("empty message: no frames")
        main = self._main_header(frames[0])
        htype = main.get("htype")
        if htype != _MAIN_HTYPE:
            if isinstance(htype, str):
                return ControlMessage(htype, main)
            raise DecodeError(f"main header has no htype string: {htype!r:.40}")
        pulse_id = _int_field(main, "pulse_id", 0)
        if not 0 <= pulse_id <= _MAX_PULSE_ID:
            raise DecodeError(f"main header pulse_id {pulse_id!s:.40} is outside 0..2**64-1")
        timestamp = _global_timestamp(main)
        header_hash = main.get("hash")
        if not isinstance(header_hash, str):
            raise DecodeError(f"main header hash is missing or not a string: {header_hash!r:.40}")
        raw_compression = main.get("dh_compression")
        try:
            dh_compression = Compression("none" if raw_compression is None else raw_compression)
        except ValueError:
            raise DecodeError(f"unknown data header compression {raw_compression!r:.40}") from None
        if len(frames) < 2:
            raise DecodeError("message has no data header frame")
        header, declared = self._data_header(frames[1], dh_compression, header_hash)
        expected = 2 + 2 * len(header.channels)
        if len(frames) != expected:
            raise DecodeError(
                f"message has {len(frames)} frames, its data header with "
                f"{len(header.channels)} channels needs {expected}"
            )
        if declared > self.max_message_bytes:  # only the channels with a value this time count
            declared = sum(spec.nbytes for index, spec in enumerate(header.channels) if len(frames[2 + 2 * index]))
            if declared > self.max_message_bytes:
                raise DecodeError(
                    f"message declares {declared} bytes of values, more than the limit of "
                    f"{self.max_message_bytes} (max_message_size)"
                )
        self._string_budget = self.max_message_bytes - declared  # strings declare no size
        data: dict[str, Any] = {}
        stamps: dict[str, Timestamp | None] = {}
        nbytes = 0
        for index, spec in enumerate(header.channels):
            value_frame, stamp_frame = frames[2 + 2 * index], frames[3 + 2 * index]
            data[spec.name] = self._value(spec, value_frame)
            stamps[spec.name] = self._timestamp(spec, stamp_frame)
            nbytes += len(value_frame) + len(stamp_frame)
        nbytes += len(frames[0]) + len(frames[1])
        format_changed = header is not self._last
        self._last = header
        return Message(pulse_id, timestamp, data, header, stamps, format_changed, nbytes)

    @staticmethod
    def _main_header(frame: InputFrame) -> dict[str, Any]:
        if len(frame) > _MAX_MAIN_HEADER:
            raise DecodeError(f"main header of {len(frame)} bytes is implausibly large")
        try:
            main: Any = json.loads(bytes(frame))
        except (ValueError, RecursionError) as error:
            # ValueError covers bad JSON, bad UTF-8 and integers too long to convert;
            # RecursionError deeply nested arrays or objects
            raise DecodeError(f"main header is not valid JSON: {error}") from None
        if not isinstance(main, dict):
            raise DecodeError("main header is not a JSON object")
        return main

    def _data_header(self, frame: InputFrame, compression: Compression, header_hash: str) -> tuple[DataHeader, int]:
        cached = self._cache.get(header_hash)
        if cached is not None:
            if cached[0].frame == frame:
                self._cache.move_to_end(header_hash)
                return cached
            # Forget the cached header: if it was the wrong one (the first message seen under this
            # hash was corrupt), the stream recovers with its next message instead of never.
            del self._cache[header_hash]
            raise DecodeError(
                f"stale hash: the data header changed but its hash {header_hash!r} did not; "
                "the sender must recompute the hash over the new header bytes"
            )
        header = DataHeader.parse(frame, compression, header_hash)
        for spec in header.channels:
            if spec.nbytes > self.max_message_bytes:
                raise DecodeError(
                    f"channel {spec.name!r} announces {spec.nbytes} bytes, "
                    f"more than the limit of {self.max_message_bytes} (max_message_size)"
                )
        entry = (header, sum(spec.nbytes for spec in header.channels))
        self._cache[header_hash] = entry
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return entry

    @staticmethod
    def _timestamp(spec: ChannelSpec, frame: InputFrame) -> Timestamp | None:
        if len(frame) == 0:
            return None
        if len(frame) != _TIMESTAMP["little"].size:
            raise DecodeError(f"channel {spec.name!r}: timestamp frame of {len(frame)} bytes, expected 16")
        sec, ns = _TIMESTAMP[spec.encoding].unpack(frame)
        return Timestamp(sec, ns)

    def _value(self, spec: ChannelSpec, frame: InputFrame) -> Any:
        if len(frame) == 0:
            return None
        itemsize = spec.type.itemsize
        if spec.type is ChannelType.STRING:
            limit = max(self._string_budget, 0)
            raw = self._bytes(spec, frame, None, limit)
            if len(raw) > limit:
                raise DecodeError(
                    f"channel {spec.name!r}: a string of {len(raw)} bytes takes the message beyond the limit of "
                    f"{self.max_message_bytes} bytes (max_message_size)"
                )
            self._string_budget -= len(raw)
            try:
                return bytes(raw).decode("utf-8")
            except UnicodeDecodeError as error:
                raise DecodeError(f"channel {spec.name!r}: string is not UTF-8: {error}") from None
        expected = math.prod(spec.shape) * itemsize
        raw = self._bytes(spec, frame, expected, expected)
        if len(raw) != expected:
            raise DecodeError(
                f"channel {spec.name!r}: value of {len(raw)} bytes, "
                f"{spec.type.value} shape {list(spec.shape)} needs {expected}"
            )
        array = np.frombuffer(raw, spec.dtype)
        array.flags.writeable = False
        if spec.is_scalar:
            return array[0]
        return array.reshape(spec.numpy_shape)

    @staticmethod
    def _bytes(
        spec: ChannelSpec, frame: InputFrame, expected: int | None, limit: int
    ) -> InputFrame | np.ndarray[Any, np.dtype[np.uint8]]:
        """The value bytes of a frame, decompressed (to at most ``limit`` bytes) if the channel says so."""
        if spec.compression is Compression.NONE:
            return frame
        try:
            if spec.compression is Compression.BITSHUFFLE_LZ4:
                unpacked = bitshuffle_lz4_decode(frame, spec.type.itemsize, expected_nbytes=expected, max_nbytes=limit)
                return unpacked.view(np.uint8)
            if expected is None:
                # an lz4 string: the prefix is the only size there is; accept either byte order
                return lz4_decode(frame, expected_nbytes=None, max_nbytes=limit)
            return lz4_decode(frame, expected_nbytes=expected)
        except DecodeError as error:
            raise DecodeError(f"channel {spec.name!r}: {error}") from None
