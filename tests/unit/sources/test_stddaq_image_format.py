"""std-daq's image format: the packed ImageMetadata header and the raw frame (no sockets)."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from camserver.sources.stddaq_stream import DTYPE_CODES, decode_image, encode_image


@pytest.mark.parametrize(("code", "name"), sorted(DTYPE_CODES.items()))
def test_every_dtype_code_round_trips(code: int, name: str) -> None:
    image = (np.arange(6 * 5) % 100).astype(name).reshape(6, 5)
    frames = encode_image(image, 1234, status=1, source_id=7)
    assert len(frames[0]) == 30
    assert struct.unpack("<QQQHHH", frames[0]) == (1234, 6, 5, code, 1, 7)
    meta, decoded = decode_image(frames)
    assert (meta.id, meta.height, meta.width, meta.dtype, meta.status, meta.source_id) == (1234, 6, 5, code, 1, 7)
    assert meta.status_text == "missing packets"
    assert decoded.dtype == np.dtype(name) and decoded.dtype.isnative
    np.testing.assert_array_equal(decoded, image)


def test_the_header_is_little_endian_and_packed_as_camservers_ctypes_structure() -> None:
    header = bytes.fromhex("010000000000000002000000000000000300000000000000020000000500")
    meta, image = decode_image([header, np.arange(6, dtype="<u2").tobytes()])
    assert (meta.id, meta.height, meta.width, meta.dtype, meta.source_id) == (1, 2, 3, 2, 5)
    np.testing.assert_array_equal(image, [[0, 1, 2], [3, 4, 5]])
    assert not image.flags.writeable  # a view of the received frame


@pytest.mark.parametrize(
    ("frames", "reason"),
    [
        ([], "empty message"),
        ([json.dumps({"htype": "bsr_m-1.1"}).encode(), b"{}"], "bsread message .*bschannel"),
        ([struct.pack("<QQQHHH", 1, 2, 2, 2, 0, 0)], "has 1 frame"),
        ([b"\x01" * 20, b"xx"], "header of 20 bytes"),
        ([struct.pack("<QQQHHH", 1, 2, 2, 3, 0, 0), b"\x00" * 12], "unknown dtype code 3"),
        ([struct.pack("<QQQHHH", 1, 2, 2, 2, 0, 0), b"\x00" * 7], "7 data bytes for 2x2 uint16 .expected 8."),
        ([struct.pack("<QQQHHH", 1, 0, 2, 2, 0, 0), b""], "0 data bytes"),
        ([struct.pack("<QQQHHH", 2**63, 1, 1, 1, 0, 0), b"\x00"], "beyond the largest pulse id"),
        # a header announcing a huge image allocates nothing: its data frame must already be that large
        ([struct.pack("<QQQHHH", 1, 2**31, 2**31, 8, 0, 0), b"\x00" * 8], "expected"),
    ],
)
def test_what_is_not_a_std_daq_image_is_refused_with_the_reason(frames: list[bytes], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        decode_image(frames)
