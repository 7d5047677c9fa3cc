"""areaDetector pixel types: CA's signed data reinterpreted exactly as DataType says."""

from __future__ import annotations

import numpy as np
import pytest

from camserver.sources import as_data_type


@pytest.mark.parametrize(
    ("received", "data_type", "expected"),
    [
        (np.array([-1, 0, 1], ">i2"), "UInt16", np.array([65535, 0, 1], np.uint16)),
        (np.array([-1, 127], "i1"), "UInt8", np.array([255, 127], np.uint8)),
        (np.array([255, 1], "u1"), "Int8", np.array([-1, 1], np.int8)),
        (np.array([-2, 5], ">i4"), "UInt32", np.array([4294967294, 5], np.uint32)),
        (np.array([-7, 7], ">i2"), "Int16", np.array([-7, 7], np.int16)),
        (np.array([3, 4], ">i4"), "Float32", np.array([3.0, 4.0], np.float32)),
        (np.array([300, 2], ">i4"), "UInt16", np.array([300, 2], np.uint16)),
    ],
)
def test_values_arrive_in_the_type_the_camera_took(received: np.ndarray, data_type: str, expected: np.ndarray) -> None:
    converted = as_data_type(received, data_type)
    assert converted.dtype == expected.dtype
    assert converted.dtype.isnative
    np.testing.assert_array_equal(converted, expected)


def test_an_unknown_data_type_leaves_values_alone_in_native_order() -> None:
    converted = as_data_type(np.array([-1, 2], ">i2"), "RGB?")
    assert converted.dtype == np.int16 and converted.dtype.isnative
    np.testing.assert_array_equal(converted, [-1, 2])
