"""Real captures (tests/data/bsread-captures): a camera stream and a compressed data header from a real source."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from camserver.protocol import (
    ChannelSpec,
    ChannelType,
    Compression,
    DataHeader,
    Decoder,
    Encoder,
    Message,
    Timestamp,
    bitshuffle_lz4_decode,
)

CAPTURES = Path(__file__).resolve().parents[2] / "data" / "bsread-captures"
IMAGE = "SLG-LCAM-C102:FPICTURE"
PULSE_IDS = {0: 3682521968, 1: 3682521969}


def _frames(message: int) -> list[bytes]:
    return [(CAPTURES / f"camera_{message:06d}_{frame:03d}.raw").read_bytes() for frame in range(4)]


@pytest.mark.parametrize("message", [0, 1])
def test_camera_message_decodes_to_a_uint16_image_and_its_pulse_id(message: int) -> None:
    frames = _frames(message)
    decoded = Decoder().decode(frames)
    assert isinstance(decoded, Message)
    assert decoded.pulse_id == json.loads(frames[0])["pulse_id"] == PULSE_IDS[message]
    image = decoded[IMAGE]
    assert image.shape == (494, 659)
    assert image.dtype == np.dtype("<u2")
    assert image.nbytes == len(frames[2])
    np.testing.assert_array_equal(image.reshape(-1), np.frombuffer(frames[2], "<u2"))
    assert image.max() > image.min()  # a real picture, not an empty frame
    assert list(decoded.data) == [IMAGE]


def test_camera_header_fields_including_modulo_and_offset() -> None:
    decoded = Decoder().decode(_frames(0))
    assert isinstance(decoded, Message)
    assert decoded.timestamp == Timestamp(1508856598, 865393891)
    assert decoded.header.channels == (ChannelSpec(IMAGE, ChannelType.UINT16, (659, 494), "little"),)
    assert decoded.header.hash == "f161ed9dabb6d2369b70aa5d37db528f"
    assert decoded.channel_timestamps[IMAGE] == Timestamp(0, 0)  # this camera sent zeros


def test_two_messages_of_one_stream_share_the_header() -> None:
    decoder = Decoder()
    first = decoder.decode(_frames(0))
    second = decoder.decode(_frames(1))
    assert isinstance(first, Message)
    assert isinstance(second, Message)
    assert first.format_changed
    assert not second.format_changed
    assert second.header is first.header
    assert second.pulse_id - first.pulse_id == 1
    assert second.timestamp.seconds > first.timestamp.seconds
    assert not np.array_equal(first[IMAGE], second[IMAGE])


def test_our_encoder_sends_the_captured_image_with_the_same_wire_shape() -> None:
    decoded = Decoder().decode(_frames(0))
    assert isinstance(decoded, Message)
    image = decoded[IMAGE]
    message = Encoder().encode({IMAGE: image}, pulse_id=PULSE_IDS[0])
    channel = json.loads(bytes(message.frames[1]))["channels"][0]
    assert channel["shape"] == [659, 494]
    assert channel["type"] == "uint16"
    sent = message.frames[2]
    assert bytes(sent) == _frames(0)[2]


def test_compressed_data_header_parses() -> None:
    frame = (CAPTURES / "compressed_data_header_000000_001.raw").read_bytes()
    assert frame[:12] == bytes.fromhex("000000000000043b 00002000")
    raw = bitshuffle_lz4_decode(frame, 1).tobytes()
    assert len(raw) == 0x43B
    header = DataHeader.parse(frame, Compression.BITSHUFFLE_LZ4, hashlib.md5(frame).hexdigest())
    assert len(header.channels) == len(json.loads(raw)["channels"]) == 23
    by_name = {channel.name: channel for channel in header.channels}
    assert by_name["BoolScalar"] == ChannelSpec("BoolScalar", ChannelType.BOOL)
    assert by_name["BoolWaveform"] == ChannelSpec("BoolWaveform", ChannelType.BOOL, (2048,))
    assert by_name["Int8Scalar"].type is ChannelType.INT8
    assert {channel.type for channel in header.channels} >= set(ChannelType) - {ChannelType.STRING}


def test_compressed_data_header_in_a_message() -> None:
    frame = (CAPTURES / "compressed_data_header_000000_001.raw").read_bytes()
    header = DataHeader.parse(frame, Compression.BITSHUFFLE_LZ4, "h")
    main = json.dumps({"htype": "bsr_m-1.1", "hash": "h", "pulse_id": 1, "dh_compression": "bitshuffle_lz4"})
    frames: list[bytes] = [main.encode(), frame]
    for channel in header.channels:
        frames += [bytes(channel.nbytes), bytes(16)]
    decoded = Decoder().decode(frames)
    assert isinstance(decoded, Message)
    assert decoded["BoolWaveform"].shape == (2048,)
    assert not decoded["BoolWaveform"].any()
