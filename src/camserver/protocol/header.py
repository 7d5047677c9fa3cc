"""The data header (frame 1 of every bsread message): channel list, exact bytes and hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from camserver.errors import DecodeError, EncodeError
from camserver.protocol.channel import ChannelSpec
from camserver.protocol.compression import bitshuffle_lz4_decode, bitshuffle_lz4_encode, lz4_decode
from camserver.protocol.types import Compression

__all__ = ["DataHeader"]

DATA_HEADER_HTYPE = "bsr_d-1.1"
_MAX_CHANNELS = 100_000
#: the largest data header accepted, decompressed (some 50 000 channels); its JSON is parsed whole
MAX_DATA_HEADER_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DataHeader:
    """A data header as it goes on the wire.

    ``frame`` holds the exact bytes of frame 1 (after compression) and ``hash`` their md5, so the
    hash changes whenever the bytes do. Build one per channel-set change, not per message.
    """

    channels: tuple[ChannelSpec, ...]
    compression: Compression
    frame: bytes
    hash: str

    @classmethod
    def build(cls, channels: tuple[ChannelSpec, ...], compression: Compression = Compression.NONE) -> DataHeader:
        """Serialise ``channels``; raises :class:`EncodeError` for an empty or duplicate channel list."""
        if not channels:
            raise EncodeError("a bsread message needs at least one channel")
        names = [channel.name for channel in channels]
        if len(set(names)) != len(names):
            duplicates = sorted({name for name in names if names.count(name) > 1})
            raise EncodeError(f"duplicate channel names: {duplicates}")
        document = {"htype": DATA_HEADER_HTYPE, "channels": [channel.to_json() for channel in channels]}
        raw = json.dumps(document, separators=(",", ":")).encode()
        if compression is Compression.BITSHUFFLE_LZ4:
            frame = bitshuffle_lz4_encode(np.frombuffer(raw, np.uint8)).tobytes()
        elif compression is Compression.NONE:
            frame = raw
        else:
            raise EncodeError(f"data header compression {compression.value!r} is not sent by camserver")
        return cls(channels, compression, frame, hashlib.md5(frame, usedforsecurity=False).hexdigest())

    @classmethod
    def parse(cls, frame: bytes | bytearray | memoryview, compression: Compression, hash: str) -> DataHeader:
        """Parse a received frame 1; raises :class:`DecodeError` saying what is wrong.

        The hash is kept as the sender wrote it: it is an opaque cache key, never recomputed.
        """
        if compression is Compression.BITSHUFFLE_LZ4:
            raw: bytes | bytearray | memoryview = bitshuffle_lz4_decode(
                frame, 1, max_nbytes=MAX_DATA_HEADER_BYTES
            ).tobytes()
        elif compression is Compression.LZ4:
            raw = lz4_decode(frame, expected_nbytes=None, max_nbytes=MAX_DATA_HEADER_BYTES)
        else:
            raw = frame
        if len(raw) > MAX_DATA_HEADER_BYTES:
            raise DecodeError(f"data header of {len(raw)} bytes is larger than the {MAX_DATA_HEADER_BYTES} accepted")
        try:
            document: Any = json.loads(bytes(raw))
        except (ValueError, RecursionError) as error:
            # ValueError covers bad JSON, bad UTF-8 and integers too long to convert;
            # RecursionError deeply nested arrays or objects
            raise DecodeError(f"data header is not valid JSON: {error}") from None
        if not isinstance(document, dict):
            raise DecodeError("data header is not a JSON object")
        entries = document.get("channels")
        if not isinstance(entries, list):
            raise DecodeError("data header has no 'channels' list")
        if len(entries) > _MAX_CHANNELS:
            raise DecodeError(f"data header lists {len(entries)} channels, more than {_MAX_CHANNELS}")
        channels = tuple(ChannelSpec.from_json(entry) for entry in entries)
        names = {channel.name for channel in channels}
        if len(names) != len(channels):
            raise DecodeError("data header lists a channel name twice")
        return cls(channels, compression, bytes(frame), hash)

    def names(self) -> list[str]:
        """Channel names in header order."""
        return [channel.name for channel in self.channels]
