"""``bitshuffle_lz4`` both ways and ``lz4`` decoding (wire format §4.3-§4.5).

The oracle is an independent numpy + ``lz4`` implementation of the chunk format written from the
spec: our frames must decode with it, and its frames with ours.
"""

from __future__ import annotations

import struct
from typing import Any

import bitshuffle
import lz4.block
import numpy as np
import pytest

from camserver.errors import DecodeError
from camserver.protocol import bitshuffle_lz4_decode, bitshuffle_lz4_encode, lz4_decode
from camserver.protocol.compression import SPREAD_BYTES, block_elements

DTYPES = ["u1", "i1", "?", "<u2", "<i2", "<u4", "<i4", "<f4", "<u8", "<i8", "<f8", ">u2", ">f8"]
SIZES = [1, 7, 8, 9, 15, 16, 17, 127, 1024, 2048, 4095, 4096, 8191, 8192, 8200, 20001]


def _sample(dtype: str, size: int) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(size)
    # a slowly varying signal plus a little noise: compresses like camera data, is never trivial
    values = (np.arange(size) // 3 + rng.integers(0, 4, size)) % 200
    return values.astype(dtype)


# -- the oracle (docs §4.3) -----------------------------------------------------------------------


def _transpose_bits(block: np.ndarray[Any, Any]) -> bytes:
    octets = block.view(np.uint8).reshape(block.size, block.dtype.itemsize)
    rows = [
        np.packbits((octets[:, byte] >> bit) & 1, bitorder="little")
        for byte in range(octets.shape[1])
        for bit in range(8)
    ]
    return np.concatenate(rows).tobytes()


def _untranspose_bits(data: bytes, count: int, dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    size = dtype.itemsize
    rows = np.frombuffer(data, np.uint8).reshape(size * 8, count // 8)
    octets = np.zeros((count, size), np.uint8)
    for byte in range(size):
        for bit in range(8):
            octets[:, byte] |= np.unpackbits(rows[8 * byte + bit], bitorder="little") << bit
    return octets.reshape(-1).view(dtype)


def oracle_encode(array: np.ndarray[Any, Any]) -> bytes:
    flat = np.ascontiguousarray(array).reshape(-1)
    size = flat.dtype.itemsize
    block = max(128, (8192 // size) // 8 * 8)
    parts = [struct.pack(">QI", flat.nbytes, block * size)]
    start = 0
    while flat.size - start >= 8:
        count = min(block, (flat.size - start) // 8 * 8)
        compressed = lz4.block.compress(_transpose_bits(flat[start : start + count]), store_size=False)
        parts += [struct.pack(">I", len(compressed)), compressed]
        start += count
    parts.append(flat[start:].tobytes())
    return b"".join(parts)


def oracle_decode(frame: bytes, dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    size = dtype.itemsize
    nbytes, block_bytes = struct.unpack(">QI", frame[:12])
    total, block = nbytes // size, block_bytes // size
    position, done, parts = 12, 0, []
    while total - done >= 8:
        count = min(block, (total - done) // 8 * 8)
        (length,) = struct.unpack(">I", frame[position : position + 4])
        raw = lz4.block.decompress(frame[position + 4 : position + 4 + length], uncompressed_size=count * size)
        parts.append(_untranspose_bits(raw, count, dtype))
        position += 4 + length
        done += count
    parts.append(np.frombuffer(frame[position : position + (total - done) * size], dtype))
    return np.concatenate(parts)


# -- bitshuffle_lz4 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("itemsize", "elements"), [(1, 8192), (2, 4096), (4, 2048), (8, 1024), (16, 512)])
def test_default_block_size_is_8192_bytes(itemsize: int, elements: int) -> None:
    assert block_elements(itemsize) == elements


def test_default_block_size_is_at_least_128_elements() -> None:
    assert block_elements(128) == 128


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", SIZES)
def test_encode_decode_round_trip(dtype: str, size: int) -> None:
    array = _sample(dtype, size)
    frame = bitshuffle_lz4_encode(array)
    assert frame.dtype == np.uint8
    assert frame.ndim == 1
    decoded = bitshuffle_lz4_decode(frame.tobytes(), array.itemsize, expected_nbytes=array.nbytes)
    np.testing.assert_array_equal(decoded.view(array.dtype), array)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", SIZES)
def test_each_side_decodes_the_oracles_frames(dtype: str, size: int) -> None:
    array = _sample(dtype, size)
    ours = bitshuffle_lz4_encode(array).tobytes()
    theirs = oracle_encode(array)
    np.testing.assert_array_equal(oracle_decode(ours, array.dtype), array)
    np.testing.assert_array_equal(bitshuffle_lz4_decode(theirs, array.itemsize).view(array.dtype), array)
    # the 12-byte header and block lengths are deterministic; only LZ4's choices may differ
    assert ours[:12] == theirs[:12]


@pytest.mark.parametrize("size", [8, 100, 5000])
def test_the_frame_is_the_c_library_stream_behind_a_12_byte_header(size: int) -> None:
    array = _sample("<u2", size)
    frame = bitshuffle_lz4_encode(array).tobytes()
    assert struct.unpack(">QI", frame[:12]) == (array.nbytes, 8192)
    assert frame[12:] == bitshuffle.compress_lz4(array, 4096).tobytes()


def test_header_and_block_lengths_are_big_endian_and_the_element_data_keeps_its_order() -> None:
    array = np.arange(11, dtype=">u4")  # 8 elements in a block, 3 verbatim
    frame = bitshuffle_lz4_encode(array).tobytes()
    assert frame[:12] == bytes.fromhex("000000000000002c 00002000")
    assert frame[-12:] == array[8:].tobytes() == bytes.fromhex("00000008 00000009 0000000a")
    decoded = bitshuffle_lz4_decode(frame, 4)
    np.testing.assert_array_equal(decoded.view(">u4"), array)


def test_images_compress_in_c_order() -> None:
    image = _sample("<u2", 60 * 80).reshape(60, 80)
    frame = bitshuffle_lz4_encode(image.T)  # a Fortran-ordered view goes out as its C-order copy
    decoded = bitshuffle_lz4_decode(frame.tobytes(), 2).view("<u2")
    np.testing.assert_array_equal(decoded, np.ascontiguousarray(image.T).reshape(-1))


def test_an_empty_array_is_a_header_with_size_zero() -> None:
    frame = bitshuffle_lz4_encode(np.zeros(0, np.int32)).tobytes()
    assert frame == bytes.fromhex("0000000000000000 00002000")
    assert bitshuffle_lz4_decode(frame, 4).size == 0


def test_compresses_camera_like_data() -> None:
    image = _sample("<u2", 100_000)
    assert bitshuffle_lz4_encode(image).nbytes < image.nbytes / 2


class InOrder:
    """A spreader that runs the pieces one after another (the threads are the caller's business)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pieces: list[int] = []

    def map(self, function: Any, items: Any) -> Any:
        for item in items:
            self.pieces.append(item.size)
            yield function(item)


@pytest.mark.parametrize("workers", [2, 3, 7])
@pytest.mark.parametrize(("dtype", "size"), [("<u2", 600_000), ("<u2", 600_001), ("<f8", 131_075), ("u1", 2_000_003)])
def test_a_value_compressed_in_pieces_is_the_frame_of_one_piece(workers: int, dtype: str, size: int) -> None:
    array = _sample(dtype, size)
    assert array.nbytes >= SPREAD_BYTES
    spreader = InOrder(workers)
    frame = bitshuffle_lz4_encode(array, spreader=spreader)
    assert len(spreader.pieces) == workers, "one piece per worker"
    assert sum(spreader.pieces) == size
    assert frame.tobytes() == bitshuffle_lz4_encode(array).tobytes()
    np.testing.assert_array_equal(bitshuffle_lz4_decode(frame, array.itemsize).view(array.dtype), array)


def test_a_small_value_is_compressed_in_one_piece() -> None:
    spreader = InOrder(4)
    bitshuffle_lz4_encode(_sample("<u2", 1000), spreader=spreader)
    assert spreader.pieces == []


def test_decode_accepts_a_memoryview_and_returns_unsigned_elements() -> None:
    array = _sample("<i4", 100)
    frame = bitshuffle_lz4_encode(array)
    decoded = bitshuffle_lz4_decode(memoryview(frame.tobytes()), 4)
    assert decoded.dtype == np.dtype("u4")
    np.testing.assert_array_equal(decoded.view("<i4"), array)


def test_decode_uses_the_block_size_in_the_header() -> None:
    # a sender with blocks of 64 elements: decoders must not assume the default
    array = _sample("<u2", 1000)
    body = bitshuffle.compress_lz4(array, 64).tobytes()
    frame = struct.pack(">QI", array.nbytes, 64 * 2) + body
    np.testing.assert_array_equal(bitshuffle_lz4_decode(frame, 2).view("<u2"), array)


def _valid_frame() -> bytes:
    return bitshuffle_lz4_encode(_sample("<u2", 5000)).tobytes()


@pytest.mark.parametrize(
    ("frame", "itemsize", "expected", "message"),
    [
        pytest.param(b"", 2, None, "shorter than its 12-byte header", id="empty"),
        pytest.param(bytes(11), 2, None, "shorter than its 12-byte header", id="short-header"),
        pytest.param(_valid_frame(), 2, 9998, "the data header announces 9998", id="size-mismatch"),
        pytest.param(struct.pack(">QI", 7, 8192), 2, None, "not multiples of the element size 2", id="odd-size"),
        pytest.param(struct.pack(">QI", 8, 8191), 2, None, "not multiples of the element size 2", id="odd-block"),
        pytest.param(struct.pack(">QI", 10**9, 8192) + bytes(20), 2, None, "implausible", id="huge-size"),
        pytest.param(struct.pack(">QI", 16, 0) + bytes(20), 2, None, "not a positive multiple of 8", id="block-0"),
        pytest.param(struct.pack(">QI", 16, 12) + bytes(20), 2, None, "not a positive multiple of 8", id="block-6"),
        pytest.param(_valid_frame()[:-1], 2, None, "truncated: needs", id="truncated-data"),
        pytest.param(
            struct.pack(">QI", 32, 16) + struct.pack(">I", 3) + b"abc",
            2,
            None,
            "truncated inside its block list",
            id="truncated-block-list",
        ),
        pytest.param(_valid_frame() + b"\x00", 2, None, "1 bytes after its data", id="trailing-byte"),
        pytest.param(
            struct.pack(">QI", 16, 8192) + struct.pack(">I", 3) + b"\xff\xff\xff", 2, None, "corrupt", id="bad-lz4"
        ),
        pytest.param(
            struct.pack(">QI", 16, 8192) + struct.pack(">I", 2**31) + bytes(4),
            2,
            None,
            "truncated",
            id="block-length-past-end",
        ),
    ],
)
def test_bad_frames_are_decode_errors(frame: bytes, itemsize: int, expected: int | None, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        bitshuffle_lz4_decode(frame, itemsize, expected_nbytes=expected)


def test_corrupt_lz4_inside_a_block_is_a_decode_error() -> None:
    frame = bytearray(_valid_frame())
    frame[16:24] = b"\xff" * 8  # the first literal-length tokens of the first block
    with pytest.raises(DecodeError, match="corrupt"):
        bitshuffle_lz4_decode(bytes(frame), 2)


# -- lz4 (decode only) ---------------------------------------------------------------------------


def _lz4(raw: bytes, order: str) -> bytes:
    return struct.pack(order + "I", len(raw)) + lz4.block.compress(raw, store_size=False)


@pytest.mark.parametrize("order", ["<", ">"])
def test_lz4_size_prefix_in_either_byte_order(order: str) -> None:
    raw = bytes(range(256)) * 5
    assert lz4_decode(_lz4(raw, order), expected_nbytes=len(raw)) == raw
    assert lz4_decode(_lz4(raw, order), expected_nbytes=None) == raw


def test_lz4_without_a_known_size_prefers_the_smaller_reading() -> None:
    raw = b"{}" * 100  # 200 bytes: 0xc8 little-endian, 0xc8000000 big-endian
    assert lz4_decode(_lz4(raw, "<"), expected_nbytes=None) == raw


def test_lz4_empty_payload() -> None:
    assert lz4_decode(_lz4(b"", "<"), expected_nbytes=0) == b""


@pytest.mark.parametrize(
    ("frame", "expected", "message"),
    [
        pytest.param(b"\x01\x00\x00", None, "shorter than its size prefix", id="short"),
        pytest.param(
            _lz4(b"abcdefgh", "<"), 9, r"announces \[8, 134217728\] bytes, the data header 9", id="size-mismatch"
        ),
        pytest.param(struct.pack("<I", 100) + b"\xff\xff\xff\xff", None, "corrupt", id="bad-lz4"),
        pytest.param(struct.pack("<I", 100) + b"\xff\xff\xff\xff", 100, "corrupt", id="bad-lz4-known-size"),
        pytest.param(b"\xff\xff\xff\xff\x00", None, "corrupt", id="both-readings-too-large"),
    ],
)
def test_bad_lz4_frames_are_decode_errors(frame: bytes, expected: int | None, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        lz4_decode(frame, expected_nbytes=expected)


def test_lz4_payload_shorter_than_its_prefix_is_a_decode_error() -> None:
    frame = struct.pack("<I", 50) + lz4.block.compress(b"x" * 40, store_size=False)
    with pytest.raises(DecodeError, match="corrupt"):
        lz4_decode(frame, expected_nbytes=50)
