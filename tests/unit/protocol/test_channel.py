"""A channel of the data header: its JSON both ways, and how values are described (wire format §3.2-§3.4)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from camserver.errors import DecodeError, EncodeError
from camserver.protocol import ChannelSpec, ChannelType, Compression, describe


def test_defaults_are_a_little_endian_uncompressed_float64_scalar() -> None:
    spec = ChannelSpec("x")
    assert (spec.type, spec.shape, spec.encoding, spec.compression) == (
        ChannelType.FLOAT64,
        (1,),
        "little",
        Compression.NONE,
    )
    assert (spec.modulo, spec.offset) == (1, 0)
    assert spec.is_scalar
    assert spec.nbytes == 8
    assert spec.dtype == np.dtype("<f8")


def test_image_shape_is_fastest_dimension_first() -> None:
    spec = ChannelSpec("image", ChannelType.UINT16, (640, 480))
    assert spec.numpy_shape == (480, 640)
    assert not spec.is_scalar
    assert spec.nbytes == 640 * 480 * 2


def test_big_endian_dtype() -> None:
    assert ChannelSpec("x", ChannelType.INT32, encoding="big").dtype == np.dtype(">i4")


def test_a_one_element_image_is_not_a_scalar() -> None:
    assert not ChannelSpec("x", shape=(1, 1)).is_scalar


def test_string_size_is_unknown() -> None:
    assert ChannelSpec("s", ChannelType.STRING).nbytes == 0


def test_to_json_has_exactly_the_keys_every_receiver_accepts() -> None:
    entry = ChannelSpec("image", ChannelType.UINT16, (6, 4), "little", Compression.BITSHUFFLE_LZ4).to_json()
    assert entry == {
        "name": "image",
        "type": "uint16",
        "shape": [6, 4],
        "encoding": "little",
        "compression": "bitshuffle_lz4",
    }
    assert json.dumps(entry) == (
        '{"name": "image", "type": "uint16", "shape": [6, 4], "encoding": "little", "compression": "bitshuffle_lz4"}'
    )


def test_to_json_writes_modulo_and_offset_only_when_not_default() -> None:
    entry = ChannelSpec("x", modulo=10, offset=3).to_json()
    assert (entry["modulo"], entry["offset"]) == (10, 3)
    assert "modulo" not in ChannelSpec("x").to_json()
    assert "offset" not in ChannelSpec("x").to_json()


@pytest.mark.parametrize(
    "spec",
    [
        ChannelSpec("a"),
        ChannelSpec("b", ChannelType.STRING),
        ChannelSpec("c", ChannelType.UINT16, (659, 494), "big", Compression.BITSHUFFLE_LZ4, 2, 1),
        ChannelSpec("d", ChannelType.BOOL, (3, 2, 1), "little", Compression.LZ4),
    ],
)
def test_from_json_reads_back_to_json(spec: ChannelSpec) -> None:
    assert ChannelSpec.from_json(spec.to_json()) == spec


def test_from_json_applies_the_defaults_of_a_java_sender() -> None:
    # bsread_java omits every field that has its default value
    assert ChannelSpec.from_json({"name": "X"}) == ChannelSpec("X")


def test_from_json_accepts_nulls_and_byte_order_aliases() -> None:
    spec = ChannelSpec.from_json({"name": "x", "shape": None, "compression": None, "encoding": ">"})
    assert (spec.shape, spec.compression, spec.encoding) == ((1,), Compression.NONE, "big")
    assert ChannelSpec.from_json({"name": "x", "encoding": "BIG"}).encoding == "big"
    assert ChannelSpec.from_json({"name": "x", "encoding": "<"}).encoding == "little"


def test_from_json_keeps_a_zero_length_dimension() -> None:
    assert ChannelSpec.from_json({"name": "x", "shape": [0]}).shape == (0,)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (["name", "x"], "not an object"),
        ("x", "not an object"),
        ({}, "has no name"),
        ({"name": ""}, "has no name"),
        ({"name": 5}, "has no name"),
        ({"name": "x", "type": "UInt16"}, "unknown type 'UInt16'"),
        ({"name": "x", "type": "u2"}, "unknown type"),
        ({"name": "x", "type": None}, "unknown type"),
        ({"name": "x", "type": ["int8"]}, "unknown type"),
        ({"name": "x", "shape": []}, "bad shape"),
        ({"name": "x", "shape": [-1]}, "bad shape"),
        ({"name": "x", "shape": [2.0]}, "bad shape"),
        ({"name": "x", "shape": [True]}, "bad shape"),
        ({"name": "x", "shape": "[2]"}, "bad shape"),
        ({"name": "x", "shape": [1] * 9}, "bad shape"),
        ({"name": "x", "encoding": "middle"}, "bad encoding"),
        ({"name": "x", "encoding": 1}, "bad encoding"),
        ({"name": "x", "compression": "zstd"}, "unknown compression 'zstd'"),
        ({"name": "x", "compression": {}}, "unknown compression"),
        ({"name": "x", "modulo": 0}, "bad modulo/offset"),
        ({"name": "x", "modulo": 1.5}, "bad modulo/offset"),
        ({"name": "x", "offset": -1}, "bad modulo/offset"),
        ({"name": "x", "offset": True}, "bad modulo/offset"),
    ],
)
def test_from_json_says_which_field_is_wrong(entry: Any, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        ChannelSpec.from_json(entry)


# -- describe -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "channel_type"),
    [
        (True, ChannelType.BOOL),
        (False, ChannelType.BOOL),
        (0, ChannelType.INT64),
        (-(2**63), ChannelType.INT64),
        (2**63 - 1, ChannelType.INT64),
        (2**63, ChannelType.UINT64),
        (2**64 - 1, ChannelType.UINT64),
        (1.5, ChannelType.FLOAT64),
        ("text", ChannelType.STRING),
        ("", ChannelType.STRING),
        (np.str_("numpy text"), ChannelType.STRING),
        (None, ChannelType.FLOAT64),
        (np.bool_(True), ChannelType.BOOL),
        (np.int8(1), ChannelType.INT8),
        (np.uint8(1), ChannelType.UINT8),
        (np.int16(1), ChannelType.INT16),
        (np.uint16(1), ChannelType.UINT16),
        (np.int32(1), ChannelType.INT32),
        (np.uint32(1), ChannelType.UINT32),
        (np.int64(1), ChannelType.INT64),
        (np.uint64(1), ChannelType.UINT64),
        (np.float32(1), ChannelType.FLOAT32),
        (np.float64(1), ChannelType.FLOAT64),
    ],
)
def test_describe_a_scalar(value: object, channel_type: ChannelType) -> None:
    spec = describe("x", value)
    assert (spec.name, spec.type, spec.shape, spec.encoding) == ("x", channel_type, (1,), "little")
    assert spec.compression is Compression.NONE


def test_describe_an_image_reverses_its_shape() -> None:
    spec = describe("image", np.zeros((4, 6), np.uint16), Compression.BITSHUFFLE_LZ4)
    assert (spec.type, spec.shape, spec.numpy_shape) == (ChannelType.UINT16, (6, 4), (4, 6))
    assert spec.compression is Compression.BITSHUFFLE_LZ4


def test_describe_a_zero_dimensional_array_as_a_scalar() -> None:
    assert describe("x", np.array(3, np.int16)).shape == (1,)


def test_describe_lists_and_tuples_as_arrays() -> None:
    assert describe("x", [1, 2, 3]) == ChannelSpec("x", ChannelType.INT64, (3,))
    assert describe("x", ((1.0, 2.0), (3.0, 4.0), (5.0, 6.0))) == ChannelSpec("x", ChannelType.FLOAT64, (2, 3))
    assert describe("x", [True, False]).type is ChannelType.BOOL


def test_describe_keeps_the_byte_order_of_the_array() -> None:
    assert describe("x", np.arange(3, dtype=">f4")).encoding == "big"
    assert describe("x", np.arange(3, dtype="<f4")).encoding == "little"
    assert describe("x", np.arange(3, dtype="=f4")).encoding == ("little" if np.little_endian else "big")
    assert describe("x", np.arange(3, dtype="u1")).encoding == "little"


def test_describe_an_empty_array() -> None:
    assert describe("x", np.zeros((0,), np.int32)).shape == (0,)
    assert describe("x", np.zeros((0, 5), np.int32)).shape == (5, 0)


@pytest.mark.parametrize(
    "value",
    [
        2**64,
        -(2**63) - 1,
        1 + 2j,
        np.complex64(1),
        np.float16(1),
        np.zeros(3, np.float16),
        np.array(["a", "b"]),
        np.array([object()]),
        b"bytes",
        {"a": 1},
        object(),
        ["a", "b"],
        np.zeros((1,) * 9),
    ],
)
def test_describe_refuses_what_bsread_cannot_carry(value: object) -> None:
    with pytest.raises(EncodeError, match="channel 'x'"):
        describe("x", value)
