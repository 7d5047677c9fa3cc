"""Decoding messages: receiver defaults, header cache, values, and what is refused (wire format §2-§4, §9)."""

from __future__ import annotations

import json
import struct
from typing import Any

import lz4.block
import numpy as np
import pytest

from camserver.errors import DecodeError
from camserver.protocol import (
    ChannelSpec,
    ChannelType,
    Compression,
    CompressionPolicy,
    ControlMessage,
    DataHeader,
    Decoder,
    Encoder,
    Message,
    Timestamp,
    bitshuffle_lz4_encode,
)

STAMP = Timestamp(1700000000, 123456789)
STAMP_LE = struct.pack("<qq", *STAMP)


def _frames(data: dict[str, Any], encoder: Encoder | None = None, pulse_id: int = 42) -> list[bytes]:
    message = (encoder or Encoder()).encode(data, pulse_id=pulse_id, timestamp=STAMP)
    return [frame.tobytes() if isinstance(frame, np.ndarray) else bytes(frame) for frame in message.frames]


def _main(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def _decode(frames: list[Any], decoder: Decoder | None = None) -> Message:
    message = (decoder or Decoder()).decode(frames)
    assert isinstance(message, Message)
    return message


HEADER_X = b'{"htype":"bsr_d-1.1","channels":[{"name":"x"}]}'
VALUE_X = struct.pack("<d", 2.5)


def test_decodes_what_the_encoder_writes() -> None:
    image = np.arange(24, dtype=np.uint16).reshape(4, 6)
    message = _decode(_frames({"image": image, "x": 1.5, "s": "ab"}))
    assert message.pulse_id == 42
    assert message.timestamp == STAMP
    np.testing.assert_array_equal(message["image"], image)
    assert message["image"].shape == (4, 6)
    assert message["x"] == 1.5
    assert message["s"] == "ab"
    assert message.channel_timestamps == {"image": STAMP, "x": STAMP, "s": STAMP}


def test_values_are_read_only_views_over_the_frames() -> None:
    frames = _frames({"image": np.arange(24, dtype=np.uint16).reshape(4, 6)})
    buffer = bytearray(frames[2])
    message = _decode([frames[0], frames[1], memoryview(buffer), frames[3]])
    image = message["image"]
    assert not image.flags.writeable
    buffer[0] = 99  # no copy: the array shows the frame's bytes
    assert image[0, 0] == 99
    with pytest.raises(ValueError, match="read-only"):
        image[0, 0] = 1


def test_compressed_values_are_read_only_too() -> None:
    encoder = Encoder(compression=CompressionPolicy(arrays=Compression.BITSHUFFLE_LZ4))
    message = _decode(_frames({"image": np.ones((4, 6), np.uint16)}, encoder))
    assert not message["image"].flags.writeable


def test_scalars_are_numpy_scalars_of_the_channel_type() -> None:
    message = _decode(_frames({"i": np.int16(-3), "u": np.uint32(7), "f": np.float32(0.5), "b": False}))
    assert message["i"] == -3
    assert message["i"].dtype == np.int16
    assert message["u"].dtype == np.uint32
    assert message["f"].dtype == np.float32
    assert message["b"] is np.False_


def test_one_row_images_and_one_element_matrices_keep_their_shape() -> None:
    message = _decode(_frames({"row": np.arange(5.0).reshape(1, 5), "one": np.ones((1, 1), np.int8)}))
    assert message["row"].shape == (1, 5)
    assert message["one"].shape == (1, 1)


def test_empty_frames_are_none_with_no_timestamp() -> None:
    message = _decode([_main(htype="bsr_m-1.1", hash="h", pulse_id=1), HEADER_X, b"", b""])
    assert message["x"] is None
    assert message.channel_timestamps["x"] is None


def test_a_value_with_an_empty_timestamp_frame_has_no_timestamp() -> None:
    message = _decode([_main(htype="bsr_m-1.1", hash="h", pulse_id=1), HEADER_X, VALUE_X, b""])
    assert message["x"] == 2.5
    assert message.channel_timestamps["x"] is None


def test_big_endian_values_and_timestamps() -> None:
    header = b'{"channels":[{"name":"v","type":"int32","shape":[3],"encoding":"big"}]}'
    frames = [
        _main(htype="bsr_m-1.1", hash="h"),
        header,
        np.array([1, -2, 3], ">i4").tobytes(),
        struct.pack(">qq", *STAMP),
    ]
    message = _decode(frames)
    np.testing.assert_array_equal(message["v"], [1, -2, 3])
    assert message["v"].dtype == np.dtype(">i4")
    assert message.channel_timestamps["v"] == STAMP


def test_receiver_defaults_for_a_minimal_main_header() -> None:
    # a Java sender omits pulse_id 0; global_timestamp may be missing
    message = _decode([_main(htype="bsr_m-1.1", hash="h"), HEADER_X, VALUE_X, STAMP_LE])
    assert message.pulse_id == 0
    assert message.timestamp == Timestamp(0, 0)
    assert message["x"] == 2.5


def test_epoch_is_an_alias_of_sec_and_ns_defaults_to_zero() -> None:
    main = _main(htype="bsr_m-1.1", hash="h", pulse_id=5, global_timestamp={"epoch": 1508856598})
    assert _decode([main, HEADER_X, VALUE_X, STAMP_LE]).timestamp == Timestamp(1508856598, 0)


def test_integral_floats_are_accepted_as_integers() -> None:
    main = _main(htype="bsr_m-1.1", hash="h", pulse_id=5.0, global_timestamp={"sec": 3.0, "ns": 4})
    message = _decode([main, HEADER_X, VALUE_X, STAMP_LE])
    assert (message.pulse_id, message.timestamp) == (5, Timestamp(3, 4))


def test_key_order_and_extra_keys_do_not_matter() -> None:
    main = b'{"dh_compression":"none","pulse_id":7,"source":"x","hash":"h","htype":"bsr_m-1.1"}'
    assert _decode([main, HEADER_X, VALUE_X, STAMP_LE]).pulse_id == 7


def test_java_style_channel_defaults() -> None:
    header = b'{"htype":"bsr_d-1.1","channels":[{"name":"X"},{"name":"W","type":"int8","shape":[4]}]}'
    frames = [_main(htype="bsr_m-1.1", hash="h"), header, VALUE_X, STAMP_LE, bytes([1, 2, 3, 255]), STAMP_LE]
    message = _decode(frames)
    assert message["X"] == 2.5
    np.testing.assert_array_equal(message["W"], [1, 2, 3, -1])


def test_lz4_values_with_either_size_prefix() -> None:
    header = (
        b'{"channels":[{"name":"a","type":"uint16","shape":[4],"compression":"lz4"},'
        b'{"name":"s","type":"string","compression":"lz4"}]}'
    )
    raw = np.arange(4, dtype="<u2").tobytes()
    body = lz4.block.compress(raw, store_size=False)
    text = lz4.block.compress("é".encode(), store_size=False)
    for order in "<>":
        frames = [
            _main(htype="bsr_m-1.1", hash=order),
            header,
            struct.pack(order + "I", 8) + body,
            STAMP_LE,
            struct.pack(order + "I", 2) + text,
            STAMP_LE,
        ]
        message = _decode(frames)
        np.testing.assert_array_equal(message["a"], [0, 1, 2, 3])
        assert message["s"] == "é"


def test_bitshuffle_lz4_strings() -> None:
    header = b'{"channels":[{"name":"s","type":"string","compression":"bitshuffle_lz4"}]}'
    value = bitshuffle_lz4_encode(np.frombuffer("Grüße aus Villigen".encode(), np.uint8)).tobytes()
    message = _decode([_main(htype="bsr_m-1.1", hash="h"), header, value, STAMP_LE])
    assert message["s"] == "Grüße aus Villigen"


def test_nbytes_is_the_size_of_all_frames() -> None:
    frames = _frames({"a": np.zeros(100), "s": "xyz"})
    assert _decode(frames).nbytes == sum(len(frame) for frame in frames)


# -- control messages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "main",
    [
        {"htype": "bsr_stop-1.0", "sentMessages": 3},
        {"htype": "bsr_reconnect-1.0", "address": "tcp://x:1"},
        {"htype": "something-else"},
    ],
)
def test_other_htypes_come_back_as_control_messages(main: dict[str, Any]) -> None:
    decoded = Decoder().decode([json.dumps(main).encode()])
    assert decoded == ControlMessage(main["htype"], main)


def test_a_control_message_with_more_frames_is_still_a_control_message() -> None:
    decoded = Decoder().decode([_main(htype="bsr_stop-1.0"), b"junk", b"more"])
    assert isinstance(decoded, ControlMessage)


# -- the data-header cache ----------------------------------------------------------------------------


def test_format_changed_only_when_the_header_changes() -> None:
    decoder = Decoder()
    encoder = Encoder()
    assert _decode(_frames({"x": 1.0}, encoder), decoder).format_changed
    assert not _decode(_frames({"x": 2.0}, encoder), decoder).format_changed
    assert _decode(_frames({"x": 1.0, "y": 2}, encoder), decoder).format_changed
    assert not _decode(_frames({"x": 1.0, "y": 3}, encoder), decoder).format_changed
    assert _decode(_frames({"x": 3.0}, encoder), decoder).format_changed  # back to the first header


def test_a_cached_header_is_not_parsed_again() -> None:
    decoder = Decoder()
    frames = _frames({"x": 1.0})
    first = _decode(frames, decoder)
    second = _decode(list(frames), decoder)
    assert second.header is first.header


def test_a_stale_hash_is_a_decode_error_and_the_decoder_stays_usable() -> None:
    decoder = Decoder()
    old = _frames({"x": 1.0})
    _decode(old, decoder)
    new = _frames({"x": 1.0, "y": 2.0})
    stale = [old[0], new[1], *new[2:]]  # same hash, different header bytes
    with pytest.raises(DecodeError, match="stale hash"):
        decoder.decode(stale)
    assert _decode(new, decoder)["y"] == 2.0
    assert _decode(old, decoder)["x"] == 1.0


def test_the_cache_forgets_the_least_recently_used_header() -> None:
    decoder = Decoder(cache_size=2)
    messages = [_frames({f"c{i}": float(i)}) for i in range(3)]
    first = [_decode(frames, decoder).header for frames in messages]
    assert _decode(messages[2], decoder).header is first[2]
    assert _decode(messages[0], decoder).header is not first[0]  # evicted, parsed again
    assert _decode(messages[0], decoder).header == first[0]


def test_an_unparsable_header_is_not_cached() -> None:
    decoder = Decoder()
    main = _main(htype="bsr_m-1.1", hash="h")
    with pytest.raises(DecodeError):
        decoder.decode([main, b"{not json", VALUE_X, STAMP_LE])
    assert _decode([main, HEADER_X, VALUE_X, STAMP_LE], decoder)["x"] == 2.5


def test_values_larger_than_the_limit_are_refused_before_allocation() -> None:
    header = b'{"channels":[{"name":"big","type":"uint16","shape":[100000,100000]}]}'
    with pytest.raises(DecodeError, match="announces 20000000000 bytes, more than the limit"):
        Decoder().decode([_main(htype="bsr_m-1.1", hash="h"), header, b"x", STAMP_LE])
    small = Decoder(max_message_bytes=15)
    with pytest.raises(DecodeError, match="more than the limit of 15"):
        small.decode([_main(htype="bsr_m-1.1", hash="h"), b'{"channels":[{"name":"a","shape":[2]}]}', b"", b""])


def _zeros_message(channels: int, nbytes: int, *, limit: int) -> tuple[Decoder, list[bytes]]:
    """A message of ``channels`` bitshuffle_lz4 uint8 channels of ``nbytes`` zeros each: tiny on the
    wire, ``channels * nbytes`` once decompressed."""
    image = np.zeros(nbytes, np.uint8)
    encoder = Encoder(compression=CompressionPolicy(arrays=Compression.BITSHUFFLE_LZ4))
    return Decoder(max_message_bytes=limit), _frames({f"c{index}": image for index in range(channels)}, encoder)


def test_a_message_declaring_more_than_the_limit_in_total_is_refused_before_decompression() -> None:
    # each channel alone is within the limit; together they are not (the 2 x 1 GiB attack, scaled down)
    decoder, frames = _zeros_message(2, 600_000, limit=1_000_000)
    assert sum(len(frame) for frame in frames) < 20_000
    with pytest.raises(DecodeError, match="declares 1200000 bytes of values, more than the limit of 1000000"):
        decoder.decode(frames)
    fits, frames = _zeros_message(1, 600_000, limit=1_000_000)
    assert _decode(frames, fits)["c0"].nbytes == 600_000


def test_only_channels_with_a_value_count_towards_the_limit() -> None:
    decoder, frames = _zeros_message(2, 600_000, limit=1_000_000)
    frames[4], frames[5] = b"", b""  # the second channel has no value in this message
    message = _decode(frames, decoder)
    assert message["c0"].nbytes == 600_000
    assert message["c1"] is None


def test_compressed_strings_cannot_go_beyond_the_limit() -> None:
    text = "x" * 50_000
    encoder = Encoder(compression=CompressionPolicy(scalars=Compression.BITSHUFFLE_LZ4))
    frames = _frames({"s": text}, encoder)
    with pytest.raises(DecodeError, match="more than the 10000 allowed here"):
        Decoder(max_message_bytes=10_000).decode(frames)
    uncompressed = _frames({"s": text})
    with pytest.raises(DecodeError, match="a string of 50000 bytes takes the message beyond the limit of 10000"):
        Decoder(max_message_bytes=10_000).decode(uncompressed)
    assert _decode(frames, Decoder(max_message_bytes=60_000))["s"] == text


def test_a_data_header_that_decompresses_beyond_its_bound_is_refused() -> None:
    document = b'{"htype":"bsr_d-1.1","channels":[{"name":"x"}],"pad":"' + b" " * (9 * 1024 * 1024) + b'"}'
    frame = bitshuffle_lz4_encode(np.frombuffer(document, np.uint8)).tobytes()
    assert len(frame) < len(document) // 100
    main = _main(htype="bsr_m-1.1", hash="h", dh_compression="bitshuffle_lz4")
    with pytest.raises(DecodeError, match=f"bitshuffle_lz4 frame holds {len(document)} bytes, more than the 8388608"):
        Decoder().decode([main, frame, VALUE_X, STAMP_LE])


# -- what is refused ----------------------------------------------------------------------------------

GOOD_MAIN = {"htype": "bsr_m-1.1", "hash": "h", "pulse_id": 1, "global_timestamp": {"sec": 1, "ns": 2}}


def _with(**changes: Any) -> bytes:
    fields = {**GOOD_MAIN, **changes}
    return json.dumps({key: value for key, value in fields.items() if value is not ...}).encode()


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        pytest.param([], "no frames", id="no-frames"),
        pytest.param([b"not json"], "main header is not valid JSON", id="main-not-json"),
        pytest.param([b"\xff\xfe\x00"], "main header is not valid JSON", id="main-not-utf8"),
        pytest.param([b"[" * 50_000], "main header is not valid JSON", id="main-deeply-nested"),
        pytest.param([b'{"pulse_id":' + b"1" * 5000 + b"}"], "main header is not valid JSON", id="main-huge-int"),
        pytest.param([b"[1]"], "not a JSON object", id="main-array"),
        pytest.param([b" " * 70_000 + b"{}"], "implausibly large", id="main-too-large"),
        pytest.param([_with(htype=...)], "no htype string", id="no-htype"),
        pytest.param([_with(htype=5)], "no htype string", id="htype-number"),
        pytest.param([_with(pulse_id=-1)], "pulse_id -1 is outside 0..2\\*\\*64-1", id="negative-pulse-id"),
        pytest.param([_with(pulse_id=2**64)], "pulse_id 18446744073709551616 is outside", id="pulse-id-beyond-uint64"),
        pytest.param(
            [_with(global_timestamp={"sec": 2**63, "ns": 0})],
            "sec=9223372036854775808 is outside",
            id="sec-beyond-int64",
        ),
        pytest.param([_with(global_timestamp={"sec": -1, "ns": 0})], "sec=-1 is outside", id="negative-sec"),
        pytest.param([_with(pulse_id=1.5)], "'pulse_id' is not an integer", id="fractional-pulse-id"),
        pytest.param([_with(pulse_id="1")], "'pulse_id' is not an integer", id="string-pulse-id"),
        pytest.param([_with(pulse_id=True)], "'pulse_id' is missing or not an integer", id="bool-pulse-id"),
        pytest.param([_with(pulse_id=None)], "'pulse_id' is missing", id="null-pulse-id"),
        pytest.param([_with(global_timestamp=5)], "global_timestamp is not an object", id="timestamp-number"),
        pytest.param([_with(global_timestamp={"ns": 1})], "'epoch' is missing", id="timestamp-no-sec"),
        pytest.param([_with(global_timestamp={"sec": 1, "ns": 10**9})], "ns=1000000000 is outside", id="ns-1e9"),
        pytest.param([_with(global_timestamp={"sec": 1, "ns": -1})], "ns=-1 is outside", id="negative-ns"),
        pytest.param([_with(hash=...)], "hash is missing", id="no-hash"),
        pytest.param([_with(hash=123)], "hash is missing or not a string", id="hash-number"),
        pytest.param([_with(dh_compression="zstd")], "unknown data header compression 'zstd'", id="dh-zstd"),
        pytest.param([_with()], "no data header frame", id="main-only"),
        pytest.param([_with(), HEADER_X], "has 2 frames, its data header with 1 channels needs 4", id="no-values"),
        pytest.param([_with(), HEADER_X, VALUE_X, STAMP_LE, b"", b""], "has 6 frames", id="extra-frames"),
        pytest.param([_with(), HEADER_X, VALUE_X], "has 3 frames", id="odd-frames"),
        pytest.param([_with(), b"{}", VALUE_X, STAMP_LE], "no 'channels' list", id="header-no-channels"),
        pytest.param([_with(), HEADER_X, VALUE_X[:7], STAMP_LE], "value of 7 bytes, float64 shape", id="short-value"),
        pytest.param([_with(), HEADER_X, VALUE_X, STAMP_LE[:8]], "timestamp frame of 8 bytes", id="short-stamp"),
        pytest.param(
            [_with(dh_compression="bitshuffle_lz4"), HEADER_X, VALUE_X, STAMP_LE],
            "bitshuffle_lz4 frame of 47 bytes claims an implausible",
            id="uncompressed-header-declared-compressed",
        ),
        pytest.param(
            [_with(), b'{"channels":[{"name":"s","type":"string"}]}', b"\xff\xfe", STAMP_LE],
            "channel 's': string is not UTF-8",
            id="string-not-utf8",
        ),
        pytest.param(
            [_with(), b'{"channels":[{"name":"a","compression":"bitshuffle_lz4"}]}', VALUE_X, STAMP_LE],
            "channel 'a': bitshuffle_lz4 frame of 8 bytes",
            id="value-declared-compressed",
        ),
        pytest.param(
            [
                _with(),
                b'{"channels":[{"name":"a","compression":"bitshuffle_lz4"}]}',
                bitshuffle_lz4_encode(np.zeros(2)).tobytes(),
                STAMP_LE,
            ],
            "channel 'a': bitshuffle_lz4 frame holds 16 bytes, the data header announces 8",
            id="compressed-size-mismatch",
        ),
        pytest.param(
            [_with(), b'{"channels":[{"name":"a","compression":"lz4"}]}', b"\x08\x00\x00\x00\xff", STAMP_LE],
            "channel 'a': lz4 data is corrupt",
            id="lz4-corrupt",
        ),
        pytest.param(
            [_with(), b'{"channels":[{"name":"a","shape":[0]}]}', VALUE_X, STAMP_LE],
            "value of 8 bytes, float64 shape \\[0\\] needs 0",
            id="value-for-zero-shape",
        ),
    ],
)
def test_malformed_messages_are_decode_errors_saying_why(frames: list[bytes], message: str) -> None:
    decoder = Decoder()
    with pytest.raises(DecodeError, match=message):
        decoder.decode(frames)
    assert _decode(_frames({"x": 1.0}), decoder)["x"] == 1.0


def test_data_header_is_not_checked_for_its_own_htype() -> None:
    header = DataHeader.build((ChannelSpec("x", ChannelType.INT8),)).frame.replace(b"bsr_d-1.1", b"bsr_d-1.0")
    assert _decode([_with(), header, b"\x05", STAMP_LE])["x"] == 5
