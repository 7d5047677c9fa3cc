"""The byte vectors of docs bsread-wire.md §5, captured from bsread_python, decode to the documented values.

Every vector is written out here as a literal, so these tests need neither psi-bsread nor a socket.
The message of §5.1, §5.2 and §5.4 is psi-bsread's ``Sender().send(data={"image": [[1, 2, 3], [4, 5, 6]]
(uint16), "x": 1.5, "n": 7, "s": "ab", "b": True, "none_ch": None}, pulse_id=42,
timestamp=(1700000000, 123456789))``.
"""

from __future__ import annotations

import hashlib
import json
import struct
from typing import Any

import numpy as np
import pytest

from camserver.protocol import (
    ChannelType,
    Compression,
    DataHeader,
    Decoder,
    Message,
    Timestamp,
    bitshuffle_lz4_decode,
    bitshuffle_lz4_encode,
    lz4_decode,
)

TIMESTAMP_FRAME = bytes.fromhex("00f1536500000000 15cd5b0700000000")
STAMP = Timestamp(1700000000, 123456789)
IMAGE = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint16)

# -- §5.1 no compression -------------------------------------------------------------------------

MAIN_5_1 = (
    b'{"htype": "bsr_m-1.1", "hash": "d61d42cdee0f3167825e461a34fcedad", "pulse_id": 42, '
    b'"global_timestamp": {"sec": 1700000000, "ns": 123456789}}'
)
DATA_HEADER_5_1 = (
    b'{"htype": "bsr_d-1.1", "channels": ['
    b'{"name": "image", "type": "uint16", "shape": [3, 2], "encoding": "little"}, '
    b'{"name": "x", "type": "float64", "shape": [1], "encoding": "little"}, '
    b'{"name": "n", "type": "int64", "shape": [1], "encoding": "little"}, '
    b'{"name": "s", "type": "string", "shape": [1], "encoding": "little"}, '
    b'{"name": "b", "type": "bool", "shape": [1], "encoding": "little"}, '
    b'{"name": "none_ch", "type": "float64", "shape": [1], "encoding": "little"}]}'
)
VALUES_5_1 = [
    bytes.fromhex("010002000300040005000600"),
    bytes.fromhex("000000000000f83f"),
    bytes.fromhex("0700000000000000"),
    bytes.fromhex("6162"),
    bytes.fromhex("01"),
]

# -- §5.2 bitshuffle_lz4 values and data header -------------------------------------------------

MAIN_5_2 = (
    b'{"htype": "bsr_m-1.1", "dh_compression": "bitshuffle_lz4", "hash": "759ef66e03f9e98ac3ce941d5c3eabe7", '
    b'"pulse_id": 42, "global_timestamp": {"sec": 1700000000, "ns": 123456789}}'
)
DATA_HEADER_5_2 = bytes.fromhex(
    "00000000000002940000200000000238f1ffa451500ba598c30785092a46b48208e703154372000a0ca8385a4184f381"
    "8a213900850015472b88703e50312487a09042c5d10a229c0f540cc9012818541cad20c2f940c5901c74a0c0808aa315"
    "44381fa818837d94997b2c4a5832c3263a2f90d3de642a8e95b0a50c0b9d17c8696f3215c74e589561a1f30239ed4da6"
    "e2d8095b6758e8bc404e7b93a93876c25e8685ce0be4b437998a636f095bcab0d079819cf6265348c025784083968456"
    "20c86c432f2606f2d7682009778160b6a1171303f96b3494042f10cc36f46262207f8d0692200b04b30dbd9818c85fa3"
    "8124b84030dbd08b8981fc351a3e92701708661b7a313190bf1541255a5ac910114384caa8c924061789ce2a29220611"
    "6ad46412838b446795149121428d9a4c627091e8ac1222828950a32693185c243aab8488b808356a3289c145a2b34aae"
    "226210a1464d2631b8487439710a801a0880931c9266000803d810165a02092770483a0084016c080b2d8180130e4907"
    "8030800d61a12590707240d201200c6043586809049c00241d00c200368485964020700287a4034018c086b0d0ffbfff"
    "fff7ffffffffffbdfffffffffffffdffffffffffd70c0021fffe070011fa060011df060012bf130002330011eb130012"
    "7f1c00217ffd0e00ff46ef7df800ffd8c38787073e42fcc30fff87ff4f7a080f1ff828fee187ffc3ff273d8487031fc5"
    "3ffcf07ff8ffa487f0f0c347f10f3ffc1ffe3fe9213c3c7c14fff0c3ffe1ff931efef0f0818fe21f7ef83ffc7f000002"
    "0038500000000000227d5d7d"
)
VALUES_5_2 = [
    bytes.fromhex("000000000000000c 00002000 010002000300040005000600"),
    bytes.fromhex("0000000000000008 00002000 000000000000f83f"),
    bytes.fromhex("0000000000000008 00002000 0700000000000000"),
    bytes.fromhex("0000000000000002 00002000 6162"),
    bytes.fromhex("0000000000000001 00002000 01"),
]

# -- §5.4 lz4 (decoded only; little-endian size prefixes as bsread_python writes them) ----------

MAIN_5_4 = (
    b'{"htype": "bsr_m-1.1", "dh_compression": "lz4", "hash": "9a0ee4321558d150dbc4410331a3a71d", '
    b'"pulse_id": 42, "global_timestamp": {"sec": 1700000000, "ns": 123456789}}'
)
DATA_HEADER_5_4 = bytes.fromhex(
    "52020000f11a7b226874797065223a20226273725f642d312e31222c20226368616e6e656c73223a205b7b226e616d23"
    "0094696d616765222c20223400d175696e743136222c20227368614700f10b5b332c20325d2c2022656e636f64696e67"
    "223a20226c6974746c3900b1636f6d7072657373696f6e1900667a34227d2c20620018785e0079666c6f617436345f00"
    "1f315c0027186e5c002f696e5a003818735a006f737472696e67b5003518625b004f626f6f6c590035786e6f6e655f63"
    "685f000f70012d5034227d5d7d"
)
VALUES_5_4 = [
    bytes.fromhex("0c000000 c0010002000300040005000600"),
    bytes.fromhex("08000000 80000000000000f83f"),
    bytes.fromhex("08000000 800700000000000000"),
    bytes.fromhex("02000000 206162"),
    bytes.fromhex("01000000 1001"),
]


def _frames(main: bytes, header: bytes, values: list[bytes]) -> list[bytes]:
    frames = [main, header]
    for value in values:
        frames += [value, TIMESTAMP_FRAME]
    return [*frames, b"", b""]


def _assert_documented_values(message: Message) -> None:
    assert message.pulse_id == 42
    assert message.timestamp == STAMP
    assert list(message.data) == ["image", "x", "n", "s", "b", "none_ch"]
    image = message["image"]
    assert image.shape == (2, 3)
    assert image.dtype == np.dtype("<u2")
    np.testing.assert_array_equal(image, IMAGE)
    assert message["x"] == 1.5
    assert message["x"].dtype == np.float64
    assert message["n"] == 7
    assert message["n"].dtype == np.int64
    assert message["s"] == "ab"
    assert message["b"] is np.True_
    assert message["none_ch"] is None
    stamps = message.channel_timestamps
    assert all(stamps[name] == STAMP for name in ("image", "x", "n", "s", "b"))
    assert stamps["none_ch"] is None


def test_timestamp_frame_is_sec_then_ns_little_endian() -> None:
    assert struct.unpack("<qq", TIMESTAMP_FRAME) == (1700000000, 123456789)
    assert TIMESTAMP_FRAME[:4] == bytes.fromhex("00f15365")  # 0x6553f100 LE


def test_5_1_frame_sizes_and_hash_as_documented() -> None:
    assert len(MAIN_5_1) == 140
    assert len(DATA_HEADER_5_1) == 462
    assert hashlib.md5(DATA_HEADER_5_1).hexdigest() == "d61d42cdee0f3167825e461a34fcedad"
    assert json.loads(MAIN_5_1)["hash"] == hashlib.md5(DATA_HEADER_5_1).hexdigest()


def test_5_1_uncompressed_message_decodes_to_documented_values() -> None:
    frames = _frames(MAIN_5_1, DATA_HEADER_5_1, VALUES_5_1)
    assert len(frames) == 14
    message = Decoder().decode(frames)
    assert isinstance(message, Message)
    _assert_documented_values(message)
    assert message.format_changed
    assert message.header.hash == "d61d42cdee0f3167825e461a34fcedad"
    assert message.nbytes == sum(len(frame) for frame in frames)


def test_5_1_header_without_compression_keys_gets_receiver_defaults() -> None:
    header = DataHeader.parse(DATA_HEADER_5_1, Compression.NONE, "d61d42cdee0f3167825e461a34fcedad")
    assert header.names() == ["image", "x", "n", "s", "b", "none_ch"]
    image = header.channels[0]
    assert (image.type, image.shape, image.numpy_shape) == (ChannelType.UINT16, (3, 2), (2, 3))
    assert all(channel.compression is Compression.NONE for channel in header.channels)
    assert all((channel.modulo, channel.offset) == (1, 0) for channel in header.channels)


def test_5_2_data_header_is_the_compressed_5_1_json_with_compression_keys() -> None:
    assert len(MAIN_5_2) == 176
    assert len(DATA_HEADER_5_2) == 588
    assert DATA_HEADER_5_2[:16] == bytes.fromhex("0000000000000294 00002000 00000238")
    assert hashlib.md5(DATA_HEADER_5_2).hexdigest() == "759ef66e03f9e98ac3ce941d5c3eabe7"
    raw = bitshuffle_lz4_decode(DATA_HEADER_5_2, 1, expected_nbytes=660).tobytes()
    assert len(raw) == 0x294
    expected = DATA_HEADER_5_1.replace(b'"little"}', b'"little", "compression": "bitshuffle_lz4"}')
    assert raw == expected


def test_5_2_our_encoder_reproduces_the_compressed_data_header_byte_for_byte() -> None:
    raw = bitshuffle_lz4_decode(DATA_HEADER_5_2, 1).tobytes()
    assert bitshuffle_lz4_encode(np.frombuffer(raw, np.uint8)).tobytes() == DATA_HEADER_5_2


def test_5_2_compressed_message_decodes_to_documented_values() -> None:
    message = Decoder().decode(_frames(MAIN_5_2, DATA_HEADER_5_2, VALUES_5_2))
    assert isinstance(message, Message)
    _assert_documented_values(message)
    assert message.header.compression is Compression.BITSHUFFLE_LZ4
    assert all(channel.compression is Compression.BITSHUFFLE_LZ4 for channel in message.header.channels)


@pytest.mark.parametrize(
    ("frame", "value"),
    [
        (VALUES_5_2[0], IMAGE),
        (VALUES_5_2[1], np.float64(1.5)),
        (VALUES_5_2[2], np.int64(7)),
        (VALUES_5_2[3], np.frombuffer(b"ab", np.uint8)),
        (VALUES_5_2[4], np.bool_(True)),
    ],
)
def test_5_2_value_frames_are_what_our_encoder_writes(frame: bytes, value: Any) -> None:
    # fewer than 8 elements: no LZ4 block at all, the elements follow the 12-byte header verbatim
    assert bitshuffle_lz4_encode(np.asarray(value)).tobytes() == frame


def test_5_3_uint16_codec_vector() -> None:
    vector = bytes.fromhex("0000000000000020 00002000 00000012 9eaaaaccccf0f000ff000100500000000000")
    assert len(vector) == 34
    assert bitshuffle_lz4_encode(np.arange(16, dtype=np.uint16)).tobytes() == vector
    decoded = bitshuffle_lz4_decode(vector, 2, expected_nbytes=32)
    np.testing.assert_array_equal(decoded.view("<u2"), np.arange(16))


def test_5_3_int32_codec_vector_has_three_verbatim_trailing_elements() -> None:
    vector = bytes.fromhex(
        "000000000000004c 00002000 00000013 9faaaaccccf0f000ff0001001f500000000000 10000000 11000000 12000000"
    )
    assert len(vector) == 47
    assert bitshuffle_lz4_encode(np.arange(19, dtype=np.int32)).tobytes() == vector
    decoded = bitshuffle_lz4_decode(vector, 4, expected_nbytes=76)
    np.testing.assert_array_equal(decoded.view("<i4"), np.arange(19))


def test_5_4_lz4_value_frame_has_a_little_endian_size_prefix() -> None:
    frame = VALUES_5_4[0]
    assert frame == bytes.fromhex("0c000000c0010002000300040005000600")
    assert lz4_decode(frame, expected_nbytes=12) == IMAGE.tobytes()
    assert lz4_decode(frame, expected_nbytes=None) == IMAGE.tobytes()


def test_5_4_lz4_data_header_prefix_is_read_in_either_byte_order() -> None:
    assert DATA_HEADER_5_4[:8] == bytes.fromhex("52020000f11a7b22")
    raw = lz4_decode(DATA_HEADER_5_4, expected_nbytes=None)
    assert len(raw) == 0x252
    assert raw == DATA_HEADER_5_1.replace(b'"little"}', b'"little", "compression": "lz4"}')
    big_endian_prefix = struct.pack(">I", 0x252) + DATA_HEADER_5_4[4:]
    assert lz4_decode(big_endian_prefix, expected_nbytes=None) == raw


def test_5_4_lz4_message_decodes_to_documented_values() -> None:
    message = Decoder().decode(_frames(MAIN_5_4, DATA_HEADER_5_4, VALUES_5_4))
    assert isinstance(message, Message)
    _assert_documented_values(message)
    assert all(channel.compression is Compression.LZ4 for channel in message.header.channels)
