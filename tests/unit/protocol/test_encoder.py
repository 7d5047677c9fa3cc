"""Encoding messages: framing, main header, value and timestamp frames (wire format §1.3, §2, §4)."""

from __future__ import annotations

import hashlib
import json
import struct
import time
from typing import Any

import numpy as np
import pytest

from camserver.errors import EncodeError
from camserver.protocol import (
    ZERO_COPY_BYTES,
    ChannelSpec,
    ChannelType,
    Compression,
    CompressionPolicy,
    DataHeader,
    Encoder,
    Timestamp,
    bitshuffle_lz4_decode,
    encode_frames,
)

STAMP = Timestamp(1700000000, 123456789)
STAMP_LE = struct.pack("<qq", *STAMP)


def _bytes(frame: Any) -> bytes:
    return frame.tobytes() if isinstance(frame, np.ndarray) else bytes(frame)


def _encode(data: dict[str, Any], **options: Any) -> list[bytes]:
    message = Encoder(**options).encode(data, pulse_id=42, timestamp=STAMP)
    return [_bytes(frame) for frame in message.frames]


def test_frames_are_main_header_data_header_then_value_and_timestamp_per_channel() -> None:
    frames = _encode({"image": np.array([[1, 2, 3], [4, 5, 6]], np.uint16), "x": 1.5, "n": 7, "s": "ab", "b": True})
    assert len(frames) == 2 + 2 * 5
    header = json.loads(frames[1])
    assert header["htype"] == "bsr_d-1.1"
    assert [channel["name"] for channel in header["channels"]] == ["image", "x", "n", "s", "b"]
    assert frames[2] == bytes.fromhex("010002000300040005000600")
    assert frames[4] == bytes.fromhex("000000000000f83f")
    assert frames[6] == bytes.fromhex("0700000000000000")
    assert frames[8] == b"ab"
    assert frames[10] == b"\x01"
    assert frames[3::2] == [STAMP_LE] * 5


def test_main_header_has_exactly_the_five_keys() -> None:
    frames = _encode({"x": 1.5})
    main = json.loads(frames[0])
    assert main == {
        "htype": "bsr_m-1.1",
        "pulse_id": 42,
        "global_timestamp": {"sec": 1700000000, "ns": 123456789},
        "hash": hashlib.md5(frames[1]).hexdigest(),
        "dh_compression": "none",
    }


def test_main_header_names_the_data_header_compression_and_hashes_the_compressed_bytes() -> None:
    frames = _encode({"x": 1.5}, header_compression=Compression.BITSHUFFLE_LZ4)
    main = json.loads(frames[0])
    assert main["dh_compression"] == "bitshuffle_lz4"
    assert main["hash"] == hashlib.md5(frames[1]).hexdigest()
    assert json.loads(bitshuffle_lz4_decode(frames[1], 1).tobytes())["channels"][0]["name"] == "x"


def test_every_message_carries_the_data_header() -> None:
    encoder = Encoder()
    first = encoder.encode({"x": 1.0}, pulse_id=1, timestamp=STAMP)
    second = encoder.encode({"x": 2.0}, pulse_id=2, timestamp=STAMP)
    assert first.header_changed
    assert not second.header_changed
    assert second.frames[1] == first.frames[1]
    assert json.loads(second.frames[0])["hash"] == json.loads(first.frames[0])["hash"]


def test_a_channel_without_value_is_two_empty_frames() -> None:
    encoder = Encoder()
    encoder.encode({"x": 1.0, "y": 2.0}, pulse_id=1, timestamp=STAMP)
    frames = [_bytes(frame) for frame in encoder.encode({"x": None, "y": 3.0}, pulse_id=2, timestamp=STAMP).frames]
    assert len(frames) == 6
    assert frames[2:4] == [b"", b""]
    assert frames[4] == struct.pack("<d", 3.0)


def test_an_empty_array_or_string_is_an_empty_value_with_a_timestamp() -> None:
    frames = _encode({"s": "", "a": np.zeros(0, np.int32)})
    assert frames[2:] == [b"", STAMP_LE, b"", STAMP_LE]


def test_strings_are_utf8_without_terminator() -> None:
    frames = _encode({"s": "Grüße ☃"})
    assert frames[2] == "Grüße ☃".encode()
    assert json.loads(frames[1])["channels"][0]["shape"] == [1]


def test_a_string_that_is_not_valid_unicode_is_an_encode_error() -> None:
    with pytest.raises(EncodeError, match="channel 's'.*UTF-8"):
        Encoder().encode({"s": "\ud800"}, pulse_id=1, timestamp=STAMP)


def test_images_go_out_in_c_order_with_the_shape_reversed() -> None:
    image = np.arange(24, dtype=np.uint16).reshape(4, 6)
    frames = _encode({"image": image.T.copy().T})  # not C-contiguous
    assert json.loads(frames[1])["channels"][0]["shape"] == [6, 4]
    assert frames[2] == image.tobytes()


def test_a_non_contiguous_view_is_sent_as_its_c_order_copy() -> None:
    base = np.arange(100, dtype=np.int32).reshape(10, 10)
    view = base[::2, 1::3]
    frames = _encode({"v": view})
    assert frames[2] == np.ascontiguousarray(view).tobytes()
    assert json.loads(frames[1])["channels"][0]["shape"] == [3, 5]


def test_big_endian_values_and_their_timestamps_are_big_endian() -> None:
    frames = _encode({"v": np.arange(3, dtype=">f4")})
    channel = json.loads(frames[1])["channels"][0]
    assert (channel["type"], channel["encoding"]) == ("float32", "big")
    assert frames[2] == np.arange(3, dtype=">f4").tobytes()
    assert frames[3] == struct.pack(">qq", *STAMP)


def test_bitshuffle_lz4_for_arrays_only() -> None:
    image = np.arange(64, dtype=np.uint16).reshape(8, 8)
    frames = _encode({"image": image, "x": 1.5}, compression=CompressionPolicy(arrays=Compression.BITSHUFFLE_LZ4))
    channels = json.loads(frames[1])["channels"]
    assert [channel["compression"] for channel in channels] == ["bitshuffle_lz4", "none"]
    assert struct.unpack(">QI", frames[2][:12]) == (128, 8192)
    np.testing.assert_array_equal(bitshuffle_lz4_decode(frames[2], 2).view("<u2"), image.reshape(-1))
    assert frames[4] == struct.pack("<d", 1.5)


def test_bitshuffle_lz4_strings_are_compressed_as_bytes() -> None:
    frames = _encode({"s": "ab"}, compression=CompressionPolicy(scalars=Compression.BITSHUFFLE_LZ4))
    assert frames[2] == bytes.fromhex("0000000000000002 00002000 6162")


def test_large_uncompressed_arrays_go_out_without_a_copy() -> None:
    image = np.arange(ZERO_COPY_BYTES // 2, dtype=np.uint16).reshape(-1, 128)
    message = Encoder().encode({"image": image}, pulse_id=1, timestamp=STAMP)
    frame = message.frames[2]
    assert isinstance(frame, np.ndarray)
    assert np.shares_memory(frame, image)


def test_small_arrays_are_copied_into_bytes() -> None:
    image = np.arange(ZERO_COPY_BYTES // 2 - 1, dtype=np.uint16)
    message = Encoder().encode({"image": image}, pulse_id=1, timestamp=STAMP)
    assert isinstance(message.frames[2], bytes)


def test_large_compressed_frames_stay_arrays_and_small_ones_become_bytes() -> None:
    policy = CompressionPolicy(arrays=Compression.BITSHUFFLE_LZ4)
    noise = np.random.default_rng(0).integers(0, 2**16, ZERO_COPY_BYTES, dtype=np.uint16)
    message = Encoder(compression=policy).encode(
        {"noise": noise, "zeros": np.zeros(100, np.uint16)}, pulse_id=1, timestamp=STAMP
    )
    assert isinstance(message.frames[2], np.ndarray)
    assert isinstance(message.frames[4], bytes)


def test_nbytes_counts_every_frame() -> None:
    image = np.zeros((200, 300), np.uint16)
    message = Encoder().encode({"image": image, "x": 1.5, "s": "abc"}, pulse_id=1, timestamp=STAMP)
    assert message.nbytes == sum(len(_bytes(frame)) for frame in message.frames)


def test_the_timestamp_defaults_to_now() -> None:
    before = time.time_ns() // 1_000_000_000
    frames = [_bytes(frame) for frame in Encoder().encode({"x": 1.0}, pulse_id=0).frames]
    after = time.time_ns() // 1_000_000_000
    main = json.loads(frames[0])
    assert before <= main["global_timestamp"]["sec"] <= after
    assert struct.unpack("<qq", frames[3]) == (main["global_timestamp"]["sec"], main["global_timestamp"]["ns"])


@pytest.mark.parametrize("pulse_id", [0, 2**64 - 1, np.uint64(2**63), np.int32(5)])
def test_pulse_ids_span_uint64(pulse_id: Any) -> None:
    frames = [_bytes(frame) for frame in Encoder().encode({"x": 1.0}, pulse_id=pulse_id, timestamp=STAMP).frames]
    assert json.loads(frames[0])["pulse_id"] == int(pulse_id)


@pytest.mark.parametrize("pulse_id", [-1, 2**64, 1.0, "1", None])
def test_bad_pulse_ids_are_encode_errors(pulse_id: Any) -> None:
    with pytest.raises(EncodeError, match="pulse id must be an integer"):
        Encoder().encode({"x": 1.0}, pulse_id=pulse_id, timestamp=STAMP)


@pytest.mark.parametrize("timestamp", [Timestamp(1, 1_000_000_000), Timestamp(1, -1), Timestamp(-1, 0)])
def test_bad_timestamps_are_encode_errors(timestamp: Timestamp) -> None:
    with pytest.raises(EncodeError, match="timestamp must have"):
        Encoder().encode({"x": 1.0}, pulse_id=1, timestamp=timestamp)


def test_a_message_without_channels_is_an_encode_error() -> None:
    with pytest.raises(EncodeError, match="at least one channel"):
        Encoder().encode({}, pulse_id=1, timestamp=STAMP)


@pytest.mark.parametrize("value", [1 + 2j, np.float16(1), b"raw", object(), 2**64])
def test_values_without_a_bsread_type_are_encode_errors(value: object) -> None:
    with pytest.raises(EncodeError, match="channel 'v'"):
        Encoder().encode({"v": value}, pulse_id=1, timestamp=STAMP)


# -- encode_frames: a header built once, values in its order ----------------------------------------

HEADER = DataHeader.build(
    (
        ChannelSpec("image", ChannelType.UINT16, (3, 2)),
        ChannelSpec("s", ChannelType.STRING),
        ChannelSpec("x", ChannelType.FLOAT32, encoding="big"),
    )
)


def test_encode_frames_with_a_prepared_header() -> None:
    frames, nbytes = encode_frames(HEADER, [[[1, 2, 3], [4, 5, 6]], "ok", 2.5], pulse_id=9, timestamp=STAMP)
    frames = [_bytes(frame) for frame in frames]
    assert frames[1] == HEADER.frame
    assert frames[2] == np.arange(1, 7, dtype="<u2").tobytes()
    assert frames[4] == b"ok"
    assert frames[6] == struct.pack(">f", 2.5)
    assert nbytes == sum(len(frame) for frame in frames)


def test_encode_frames_converts_values_to_the_declared_type() -> None:
    values = [np.arange(6, dtype=np.int64), None, np.float64(0.5)]
    frames, _ = encode_frames(HEADER, values, pulse_id=9, timestamp=STAMP)
    assert _bytes(frames[2]) == np.arange(6, dtype="<u2").tobytes()
    assert _bytes(frames[6]) == struct.pack(">f", 0.5)


def test_encode_frames_with_per_channel_timestamps() -> None:
    own = Timestamp(1600000000, 5)
    frames, _ = encode_frames(
        HEADER, [np.zeros(6), "a", 1.0], pulse_id=9, timestamp=STAMP, channel_timestamps=[own, None, own]
    )
    assert frames[3] == struct.pack("<qq", *own)
    assert frames[5] == STAMP_LE
    assert frames[7] == struct.pack(">qq", *own)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([np.zeros(6)], "1 values for 3 channels"),
        ([np.zeros(5), "a", 1.0], "5 elements, the header announces 6"),
        ([np.zeros(6), 5, 1.0], "a string channel needs str, not int"),
        ([np.zeros(6), "a", "not a number"], "channel 'x'"),
        ([[70000] * 6, "a", 1.0], "channel 'image'.*out of bounds"),
    ],
)
def test_encode_frames_refuses_values_that_do_not_fit(values: list[Any], message: str) -> None:
    with pytest.raises(EncodeError, match=message):
        encode_frames(HEADER, values, pulse_id=9, timestamp=STAMP)


def test_prepared_header_refuses_array_values_that_would_wrap() -> None:
    from camserver.errors import EncodeError as Refused
    from camserver.protocol import ChannelSpec, ChannelType, DataHeader, Timestamp, encode_frames

    header = DataHeader.build((ChannelSpec("x", ChannelType.UINT16, (2,)),))
    with pytest.raises(Refused, match=r"do not fit in uint16"):
        encode_frames(header, [np.array([1, 70000])], pulse_id=1, timestamp=Timestamp(1, 0))
    with pytest.raises(Refused, match=r"do not fit in uint16"):
        encode_frames(header, [np.array([np.nan, 2.0])], pulse_id=1, timestamp=Timestamp(1, 0))
    frames, _ = encode_frames(header, [np.array([1, 65535])], pulse_id=1, timestamp=Timestamp(1, 0))
    assert np.frombuffer(bytes(frames[2]), "<u2").tolist() == [1, 65535]
