"""Channel types, compressions and timestamps (wire format §3.3, §2)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from camserver.errors import EncodeError, ProtocolError
from camserver.protocol import ChannelType, Compression, Timestamp

TYPES = {
    "bool": ("?", 1),
    "int8": ("i1", 1),
    "uint8": ("u1", 1),
    "int16": ("i2", 2),
    "uint16": ("u2", 2),
    "int32": ("i4", 4),
    "uint32": ("u4", 4),
    "int64": ("i8", 8),
    "uint64": ("u8", 8),
    "float32": ("f4", 4),
    "float64": ("f8", 8),
    "string": ("u1", 1),
}


def test_the_twelve_type_names_exactly_as_on_the_wire() -> None:
    assert sorted(member.value for member in ChannelType) == sorted(TYPES)
    assert all(member.value == member.value.lower() for member in ChannelType)


@pytest.mark.parametrize(("name", "code_and_size"), TYPES.items())
def test_itemsize_and_dtype_of_every_type(name: str, code_and_size: tuple[str, int]) -> None:
    code, size = code_and_size
    channel_type = ChannelType(name)
    assert channel_type.itemsize == size
    assert channel_type.dtype("little") == np.dtype("<" + code)
    assert channel_type.dtype("big") == np.dtype(">" + code)
    assert channel_type.dtype() == np.dtype("<" + code)
    assert np.dtype(code).itemsize == size


@pytest.mark.parametrize("name", [name for name in TYPES if name != "string"])
@pytest.mark.parametrize("order", ["<", ">"])
def test_of_dtype_finds_the_type_of_every_numeric_dtype_in_either_byte_order(name: str, order: str) -> None:
    dtype = np.dtype(TYPES[name][0]).newbyteorder(order)
    assert ChannelType.of_dtype(dtype) is ChannelType(name)


def test_of_dtype_of_unsigned_bytes_is_uint8_not_string() -> None:
    assert ChannelType.of_dtype(np.dtype("u1")) is ChannelType.UINT8


@pytest.mark.parametrize("dtype", ["f2", "c8", "c16", "O", "U3", "S3", "M8[s]", "m8[s]", "V4", "f16"])
def test_of_dtype_refuses_dtypes_bsread_has_no_name_for(dtype: str) -> None:
    with pytest.raises(EncodeError, match="has no bsread type"):
        ChannelType.of_dtype(np.dtype(dtype))


@pytest.mark.parametrize("name", ["UInt16", "u2", "<u2", "uint16_t", "float16", "char", ""])
def test_other_type_spellings_are_not_types(name: str) -> None:
    with pytest.raises(ValueError, match="is not a valid ChannelType"):
        ChannelType(name)


def test_compression_names() -> None:
    assert [member.value for member in Compression] == ["none", "bitshuffle_lz4", "lz4"]
    assert Compression("bitshuffle_lz4") is Compression.BITSHUFFLE_LZ4


def test_encode_error_is_a_protocol_error_and_a_value_error() -> None:
    with pytest.raises(ProtocolError):
        ChannelType.of_dtype(np.dtype("c8"))
    with pytest.raises(ValueError, match="no bsread type"):
        ChannelType.of_dtype(np.dtype("c8"))


def test_timestamp_from_ns_splits_seconds_and_nanoseconds() -> None:
    assert Timestamp.from_ns(1_700_000_000_123_456_789) == Timestamp(1700000000, 123456789)
    assert Timestamp.from_ns(0) == (0, 0)
    assert Timestamp.from_ns(999_999_999) == Timestamp(0, 999_999_999)


def test_timestamp_from_seconds_rounds_to_the_nearest_nanosecond() -> None:
    stamp = Timestamp.from_seconds(1508856598.865393891)
    assert stamp.sec == 1508856598
    assert abs(stamp.ns - 865393891) < 1000  # a float holds about 16 significant digits
    assert Timestamp.from_seconds(2.5) == Timestamp(2, 500_000_000)


def test_timestamp_seconds_is_the_float_time() -> None:
    assert Timestamp(3, 250_000_000).seconds == 3.25


def test_timestamp_is_a_tuple_sec_ns() -> None:
    sec, ns = Timestamp(1, 2)
    assert (sec, ns) == (1, 2)
    assert Timestamp(1, 2) == (1, 2)


def test_timestamp_now_is_the_wall_clock() -> None:
    before = time.time_ns()
    stamp = Timestamp.now()
    after = time.time_ns()
    assert 0 <= stamp.ns < 1_000_000_000
    assert before <= stamp.sec * 1_000_000_000 + stamp.ns <= after
