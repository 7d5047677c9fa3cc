"""The image of an areaDetector NTNDArray, decompressed as areaDetector's NDPluginCodec wrote it (sans I/O).

An NTNDArray's ``codec.name`` is empty for plain data, whose type is the type of the selected
``value`` member. Otherwise ``value`` holds the compressed bytes, ``codec.parameters`` the pvData
scalar type of the original values (1 int8, 2 int16, 3 int32, 4 int64, 5 uint8, 6 uint16,
7 uint32, 8 uint64, 9 float32, 10 float64) and ``uncompressedSize`` their size in bytes. The codecs:

* ``lz4``: one LZ4 block, no size prefix;
* ``bslz4``: bitshuffle + LZ4 blocks of the default block size, without the 12-byte header the
  HDF5 filter adds;
* ``blosc``: one Blosc frame (needs the ``blosc`` package, in the ``epics`` extra);
* ``jpeg``: an 8-bit greyscale JPEG.

Every size is checked against the array's dimensions before anything is decompressed, so a
hostile array cannot make the decoder allocate more than the image it declares.
"""

from __future__ import annotations

import struct
from typing import Any

import lz4.block
import numpy as np

from camserver.errors import DecodeError
from camserver.protocol.compression import bitshuffle_lz4_decode, block_elements

__all__ = ["CODECS", "SCALAR_TYPES", "decode_image"]

#: pvData's ``ScalarType`` numbers (as ``codec.parameters`` holds them) and the numpy types they mean
SCALAR_TYPES: dict[int, np.dtype[Any]] = {
    number: np.dtype(name)
    for number, name in {
        1: "int8",
        2: "int16",
        3: "int32",
        4: "int64",
        5: "uint8",
        6: "uint16",
        7: "uint32",
        8: "uint64",
        9: "float32",
        10: "float64",
    }.items()
}
#: the codecs decoded here
CODECS = ("lz4", "bslz4", "blosc", "jpeg")
_BITSHUFFLE_HEADER = struct.Struct(">QI")


def _original_type(parameters: Any) -> np.dtype[Any]:
    if isinstance(parameters, bool) or not isinstance(parameters, int | np.integer):
        raise ValueError(f"codec.parameters {parameters!r} is not the scalar type of the original values")
    dtype = SCALAR_TYPES.get(int(parameters))
    if dtype is None:
        raise ValueError(f"codec.parameters {parameters} is not a numeric pvData scalar type")
    return dtype


def _bytes(values: np.ndarray[Any, Any]) -> memoryview:
    return np.ascontiguousarray(values).reshape(-1).view(np.uint8).data


def decode_image(
    values: np.ndarray[Any, Any],
    *,
    width: int,
    height: int,
    codec: str = "",
    parameters: Any = None,
    uncompressed_size: int | None = None,
) -> np.ndarray[Any, Any]:
    """The ``(height, width)`` image of an NTNDArray's ``value``; :class:`ValueError` says what is
    wrong with one that cannot be decoded."""
    if width <= 0 or height <= 0:
        raise ValueError(f"dimensions {width}x{height} are not an image")
    count = width * height
    if not codec:
        if values.size != count:
            raise ValueError(f"{values.size} values for {width}x{height}")
        return values.reshape(height, width)
    if codec not in CODECS:
        raise ValueError(f"codec {codec!r} is not decoded here (known: {', '.join(CODECS)})")
    dtype = _original_type(parameters)
    expected = count * dtype.itemsize
    if uncompressed_size not in (None, 0, expected):
        raise ValueError(f"uncompressedSize {uncompressed_size} does not match {width}x{height} {dtype}")
    raw = _bytes(values)
    if codec == "lz4":
        try:
            data: Any = lz4.block.decompress(raw, uncompressed_size=expected)
        except lz4.block.LZ4BlockError as error:
            raise ValueError(f"lz4 data does not decompress: {error}") from None
    elif codec == "bslz4":
        header = _BITSHUFFLE_HEADER.pack(expected, block_elements(dtype.itemsize) * dtype.itemsize)
        try:
            data = bitshuffle_lz4_decode(header + bytes(raw), dtype.itemsize, expected_nbytes=expected)
        except DecodeError as error:
            raise ValueError(f"bslz4 data does not decompress: {error}") from None
    elif codec == "blosc":
        data = _blosc(raw, expected)
    else:
        return _jpeg(raw, width, height, dtype)
    if len(memoryview(data).cast("B")) != expected:
        raise ValueError(f"{codec} data decompressed to another size than {width}x{height} {dtype}")
    return np.frombuffer(data, dtype=dtype).reshape(height, width)


def _blosc(raw: memoryview, expected: int) -> bytes:
    try:
        import blosc
    except ImportError:
        raise ValueError("blosc-compressed arrays need the blosc package: install camserver[epics]") from None
    data = bytes(raw)
    try:
        nbytes, _, _ = blosc.get_cbuffer_sizes(data)
    except (ValueError, TypeError) as error:
        raise ValueError(f"blosc data has no valid header: {error}") from None
    if nbytes != expected:
        raise ValueError(f"blosc data holds {nbytes} bytes, the array declares {expected}")
    try:
        result: bytes = blosc.decompress(data)
    except blosc.blosc_extension.error as error:
        raise ValueError(f"blosc data does not decompress: {error}") from None
    return result


def _jpeg(raw: memoryview, width: int, height: int, dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    import simplejpeg

    if dtype != np.uint8:
        raise ValueError(f"a jpeg array holds 8-bit values, codec.parameters says {dtype}")
    data = bytes(raw)
    try:
        jpeg_height, jpeg_width, _, _ = simplejpeg.decode_jpeg_header(data)
        if (jpeg_width, jpeg_height) != (width, height):
            raise ValueError(f"the jpeg is {jpeg_width}x{jpeg_height}, the array declares {width}x{height}")
        image = simplejpeg.decode_jpeg(data, colorspace="GRAY")
    except (ValueError, RuntimeError) as error:
        raise ValueError(f"jpeg data does not decode: {error}") from None
    return np.asarray(image).reshape(height, width)
