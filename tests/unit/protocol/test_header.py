"""The data header: exact bytes, md5 hash over the bytes as sent, parsing (wire format §3)."""

from __future__ import annotations

import hashlib
import json
import struct

import lz4.block
import numpy as np
import pytest

from camserver.errors import DecodeError, EncodeError
from camserver.protocol import (
    ChannelSpec,
    ChannelType,
    Compression,
    DataHeader,
    bitshuffle_lz4_decode,
    bitshuffle_lz4_encode,
)

CHANNELS = (
    ChannelSpec("image", ChannelType.UINT16, (6, 4), compression=Compression.BITSHUFFLE_LZ4),
    ChannelSpec("x"),
    ChannelSpec("name", ChannelType.STRING),
)


def test_build_writes_compact_json_with_htype_and_channels_in_order() -> None:
    header = DataHeader.build(CHANNELS)
    assert header.frame == (
        b'{"htype":"bsr_d-1.1","channels":['
        b'{"name":"image","type":"uint16","shape":[6,4],"encoding":"little","compression":"bitshuffle_lz4"},'
        b'{"name":"x","type":"float64","shape":[1],"encoding":"little","compression":"none"},'
        b'{"name":"name","type":"string","shape":[1],"encoding":"little","compression":"none"}]}'
    )
    assert header.names() == ["image", "x", "name"]
    assert header.channels == CHANNELS
    assert header.compression is Compression.NONE


def test_hash_is_the_md5_hex_of_the_frame() -> None:
    header = DataHeader.build(CHANNELS)
    assert header.hash == hashlib.md5(header.frame).hexdigest()
    assert len(header.hash) == 32


def test_compressed_header_hash_is_over_the_compressed_bytes() -> None:
    plain = DataHeader.build(CHANNELS)
    compressed = DataHeader.build(CHANNELS, Compression.BITSHUFFLE_LZ4)
    assert compressed.compression is Compression.BITSHUFFLE_LZ4
    assert bitshuffle_lz4_decode(compressed.frame, 1).tobytes() == plain.frame
    assert compressed.frame == bitshuffle_lz4_encode(np.frombuffer(plain.frame, np.uint8)).tobytes()
    assert compressed.hash == hashlib.md5(compressed.frame).hexdigest()
    assert compressed.hash != plain.hash


def test_the_same_channels_give_the_same_bytes_and_hash() -> None:
    assert DataHeader.build(CHANNELS) == DataHeader.build(tuple(CHANNELS))


@pytest.mark.parametrize(
    "other",
    [
        (CHANNELS[1], CHANNELS[0], CHANNELS[2]),
        (CHANNELS[0], CHANNELS[1]),
        (ChannelSpec("image", ChannelType.UINT16, (6, 5)), CHANNELS[1], CHANNELS[2]),
        (ChannelSpec("image", ChannelType.INT16, (6, 4)), CHANNELS[1], CHANNELS[2]),
        (CHANNELS[0], ChannelSpec("x", encoding="big"), CHANNELS[2]),
        (CHANNELS[0], ChannelSpec("x", modulo=2), CHANNELS[2]),
    ],
)
def test_any_change_of_the_channels_changes_the_hash(other: tuple[ChannelSpec, ...]) -> None:
    assert DataHeader.build(other).hash != DataHeader.build(CHANNELS).hash


def test_build_refuses_no_channels() -> None:
    with pytest.raises(EncodeError, match="at least one channel"):
        DataHeader.build(())


def test_build_refuses_duplicate_names() -> None:
    with pytest.raises(EncodeError, match=r"duplicate channel names: \['x'\]"):
        DataHeader.build((ChannelSpec("x"), ChannelSpec("y"), ChannelSpec("x", ChannelType.INT8)))


def test_build_refuses_lz4() -> None:
    with pytest.raises(EncodeError, match="'lz4' is not sent"):
        DataHeader.build(CHANNELS, Compression.LZ4)


def test_build_keeps_non_ascii_names_as_valid_json() -> None:
    header = DataHeader.build((ChannelSpec("Strom µA"),))
    assert json.loads(header.frame)["channels"][0]["name"] == "Strom µA"


@pytest.mark.parametrize("compression", [Compression.NONE, Compression.BITSHUFFLE_LZ4])
def test_parse_reads_what_build_writes(compression: Compression) -> None:
    built = DataHeader.build(CHANNELS, compression)
    parsed = DataHeader.parse(built.frame, compression, built.hash)
    assert parsed == built


def test_parse_reads_lz4_headers() -> None:
    raw = DataHeader.build(CHANNELS).frame
    frame = struct.pack("<I", len(raw)) + lz4.block.compress(raw, store_size=False)
    parsed = DataHeader.parse(frame, Compression.LZ4, "anything")
    assert parsed.channels == CHANNELS
    assert parsed.frame == frame


def test_parse_keeps_the_hash_opaque() -> None:
    # bsread_java drops leading zeros of each byte: hashes can be shorter than 32 characters
    parsed = DataHeader.parse(DataHeader.build(CHANNELS).frame, Compression.NONE, "d61d42cdee0f3167825e461a34fced")
    assert parsed.hash == "d61d42cdee0f3167825e461a34fced"


def test_parse_accepts_memoryview_and_any_htype() -> None:
    frame = b'{"htype":"bsr_d-1.0","channels":[{"name":"X"}]}'
    parsed = DataHeader.parse(memoryview(frame), Compression.NONE, "h")
    assert parsed.channels == (ChannelSpec("X"),)
    assert parsed.frame == frame
    assert isinstance(parsed.frame, bytes)


def test_parse_accepts_extra_keys_and_no_channels() -> None:
    parsed = DataHeader.parse(b'{"channels":[],"source":"x"}', Compression.NONE, "h")
    assert parsed.channels == ()


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        pytest.param(b"", "not valid JSON", id="empty"),
        pytest.param(b"{", "not valid JSON", id="truncated"),
        pytest.param(b"\xff\xfe{}", "not valid JSON", id="not-utf8"),
        pytest.param(b"[" * 100_000, "not valid JSON", id="deeply-nested"),
        pytest.param(b'{"channels":[{"name":"x","shape":[' + b"9" * 5000 + b"]}]}", "not valid JSON", id="huge-int"),
        pytest.param(b"[]", "not a JSON object", id="array"),
        pytest.param(b'"x"', "not a JSON object", id="string"),
        pytest.param(b"{}", "no 'channels' list", id="no-channels"),
        pytest.param(b'{"channels":{"name":"x"}}', "no 'channels' list", id="channels-object"),
        pytest.param(b'{"channels":[{"name":"x"},{"name":"x"}]}', "channel name twice", id="duplicate"),
        pytest.param(b'{"channels":[{"name":"x","type":"u2"}]}', "unknown type 'u2'", id="bad-type"),
    ],
)
def test_parse_says_what_is_wrong(frame: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        DataHeader.parse(frame, Compression.NONE, "h")


def test_parse_refuses_an_absurd_number_of_channels() -> None:
    frame = json.dumps({"channels": [{"name": f"c{i}"} for i in range(100_001)]}).encode()
    with pytest.raises(DecodeError, match="more than 100000"):
        DataHeader.parse(frame, Compression.NONE, "h")


def test_parse_of_a_corrupt_compressed_header_is_a_decode_error() -> None:
    frame = bytearray(DataHeader.build(CHANNELS, Compression.BITSHUFFLE_LZ4).frame)
    del frame[-3:]
    with pytest.raises(DecodeError, match="truncated"):
        DataHeader.parse(bytes(frame), Compression.BITSHUFFLE_LZ4, "h")
