"""NTNDArray images decompressed as areaDetector's NDPluginCodec compressed them (no sockets)."""

from __future__ import annotations

import numpy as np
import pytest

from camserver.sources.nd_codec import decode_image
from camserver.testing.pva_server import compress

_SCALAR_TYPE = {"int8": 1, "int16": 2, "int32": 3, "uint8": 5, "uint16": 6, "uint32": 7, "float32": 9, "float64": 10}


def _image(dtype: str) -> np.ndarray:
    rows, columns = np.mgrid[0:30, 0:40]
    return ((rows * 40 + columns) % 120 + 3 * rows).astype(dtype)


@pytest.mark.parametrize("codec", ["lz4", "bslz4", "blosc"])
@pytest.mark.parametrize("dtype", sorted(_SCALAR_TYPE))
def test_every_lossless_codec_gives_back_the_image_bit_for_bit(codec: str, dtype: str) -> None:
    image = _image(dtype)
    packed = compress(image, codec)
    assert packed.dtype == np.uint8 and packed.nbytes != image.nbytes
    decoded = decode_image(
        packed, width=40, height=30, codec=codec, parameters=_SCALAR_TYPE[dtype], uncompressed_size=image.nbytes
    )
    assert decoded.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(decoded, image)


def test_jpeg_gives_back_an_8_bit_image_close_to_the_original() -> None:
    image = _image("uint8")
    decoded = decode_image(compress(image, "jpeg"), width=40, height=30, codec="jpeg", parameters=5)
    assert decoded.shape == (30, 40) and decoded.dtype == np.uint8
    assert np.abs(decoded.astype(int) - image).mean() < 2


def test_plain_values_are_reshaped_without_a_copy() -> None:
    values = np.arange(12, dtype=np.uint16)
    decoded = decode_image(values, width=4, height=3)
    np.testing.assert_array_equal(decoded, values.reshape(3, 4))
    assert np.shares_memory(decoded, values)


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"codec": "", "width": 5, "height": 3}, "12 values for 5x3"),
        ({"codec": "", "width": 0, "height": 3}, "not an image"),
        ({"codec": "zstd", "parameters": 6}, "codec 'zstd' is not decoded here"),
        ({"codec": "lz4", "parameters": None}, "codec.parameters None"),
        ({"codec": "lz4", "parameters": 11}, "not a numeric pvData scalar type"),
        ({"codec": "lz4", "parameters": 6, "uncompressed_size": 999}, "uncompressedSize 999 does not match"),
        ({"codec": "lz4", "parameters": 6}, "lz4 data does not decompress"),
        ({"codec": "bslz4", "parameters": 6}, "bslz4 data does not decompress"),
        ({"codec": "blosc", "parameters": 6}, "blosc data"),
        ({"codec": "jpeg", "parameters": 6}, "8-bit values"),
        ({"codec": "jpeg", "parameters": 5}, "jpeg data does not decode"),
    ],
)
def test_an_array_that_cannot_be_decoded_says_why(arguments: dict, reason: str) -> None:
    options = {"width": 4, "height": 3, **arguments}
    with pytest.raises(ValueError, match=reason):
        decode_image(np.arange(12, dtype=np.uint8), **options)


@pytest.mark.parametrize("codec", ["lz4", "bslz4", "blosc"])
def test_data_that_expands_beyond_the_declared_image_is_refused(codec: str) -> None:
    # a small array whose compressed bytes hold a much larger image: the declared size bounds the output
    big = compress(np.zeros((1000, 1000), np.uint16), codec)
    with pytest.raises(ValueError, match=codec):
        decode_image(big, width=10, height=10, codec=codec, parameters=6)


def test_a_jpeg_of_another_size_than_declared_is_refused() -> None:
    packed = compress(np.zeros((8, 8), np.uint8), "jpeg")
    with pytest.raises(ValueError, match="the jpeg is 8x8"):
        decode_image(packed, width=16, height=16, codec="jpeg", parameters=5)
