"""The good region measured in one compiled call: the same numbers as the building blocks on a copy.

:func:`camserver.processing.good_region.measure` reads the region in place and fits inside one call;
these tests compare it with the public steps it replaces (copy the region, ``pixel_pass``,
``fit_gaussian``, ``x_slices`` / ``y_slices``), exactly, over dtypes, layouts and calibrated axes.
"""

from __future__ import annotations

import numpy as np
import pytest

from camserver.processing.gaussian import fit_gaussian
from camserver.processing.good_region import (
    EMPTY,
    MISMATCHED,
    NO_SLICES,
    SLICES_ACROSS_X,
    SLICES_BOTH,
    GoodRegion,
    measure,
)
from camserver.processing.kernels import column_bands, narrow_sum_type, pixel_pass, region_profiles, row_bands
from camserver.processing.profile import find_index, good_region_bounds
from camserver.processing.slices import SliceSet, slice_set, slices_of, x_slices, y_slices
from tests.unit.processing.frames import axes, beam

DTYPES = ["uint16", "uint8", "int32", "float32", "float64"]


def _frame(dtype, *, shape=(90, 120)):
    image = beam(shape, center=(70.0, 40.0), sigma=(9.0, 6.0), amplitude=200.0, noise=4.0, correlation=0.4, dtype=dtype)
    if np.dtype(dtype).kind == "f":
        image[3, 5] = np.nan  # left out of every sum
    return image


def _calibrated(shape):
    height, width = shape
    x_axis = (-(np.arange(width, dtype=np.float64) - width / 3) * 0.013).astype(np.float32)
    y_axis = (-(np.arange(height, dtype=np.float64) - height / 2) * 0.021).astype(np.float32)
    return x_axis, y_axis


def _measure(image, axis_pair, slicing=SLICES_BOTH, count=5, scale=2.0):
    whole = pixel_pass(image)
    positions = tuple(np.ascontiguousarray(axis, dtype=np.float64) for axis in axis_pair)
    return whole, measure(
        image,
        whole.x_profile,
        whole.y_profile,
        axes=axis_pair,
        positions=positions,
        threshold=0.3,
        gfscale=1.8,
        slicing=slicing,
        count=count,
        scale=scale,
    )


@pytest.mark.parametrize("calibrated", [False, True])
@pytest.mark.parametrize("layout", ["contiguous", "mirrored in x"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_measure_equals_the_steps_on_a_copied_region(dtype, layout, calibrated):
    image = _frame(dtype)
    if layout == "mirrored in x":
        image = image[:, ::-1]
    axis_pair = _calibrated(image.shape) if calibrated else axes(image.shape)
    whole, found = _measure(image, axis_pair)
    assert isinstance(found, GoodRegion)
    x_start, x_end = good_region_bounds(whole.x_profile, 0.3, 1.8)
    y_start, y_end = good_region_bounds(whole.y_profile, 0.3, 1.8)
    assert found.bounds == [x_start, y_start, x_end, y_end]
    region = np.ascontiguousarray(image[y_start:y_end, x_start:x_end])
    copied = pixel_pass(region)
    np.testing.assert_array_equal(found.x_profile, copied.x_profile)
    np.testing.assert_array_equal(found.y_profile, copied.y_profile)
    assert found.x_profile.dtype == copied.x_profile.dtype
    region_x, region_y = axis_pair[0][x_start:x_end], axis_pair[1][y_start:y_end]
    x_fit = fit_gaussian(copied.x_profile, region_x)
    y_fit = fit_gaussian(copied.y_profile, region_y)
    assert found.x_fit == x_fit
    assert found.y_fit == y_fit
    assert x_fit is not None and y_fit is not None
    across_x = x_slices(region, region_x, region_y, center=x_fit.mean, sigma=x_fit.standard_deviation, scale=2, count=5)
    across_y = y_slices(region, region_x, region_y, center=y_fit.mean, sigma=y_fit.standard_deviation, scale=2, count=5)
    assert found.x_slices == across_x
    assert found.y_slices == across_y
    assert len(across_x.slices) >= 3  # the comparison covers real slices
    assert len(across_y.slices) >= 3
    for item in across_x.slices:  # the intensities keep the profile's type (a channel's type)
        assert type(item.intensity) is type(copied.x_profile.sum())


def test_the_slice_sets_asked_for_are_the_only_ones_made():
    image = _frame("uint16")
    _, none = _measure(image, axes(image.shape), slicing=NO_SLICES)
    _, across = _measure(image, axes(image.shape), slicing=SLICES_ACROSS_X)
    assert isinstance(none, GoodRegion) and isinstance(across, GoodRegion)
    assert none.x_slices is None and none.y_slices is None
    assert across.x_slices is not None and across.y_slices is None
    assert len(across.x_slices.slices) == 5


def test_slices_that_leave_the_region_are_left_out():
    image = _frame("uint16")
    _, found = _measure(image, axes(image.shape), count=9, scale=6.0)
    assert isinstance(found, GoodRegion)
    assert found.y_slices is not None
    assert 1 <= len(found.y_slices.slices) < 9
    x_axis, y_axis = axes(image.shape)
    positions = y_axis.astype(np.float64)
    zero = narrow_sum_type(image)
    for center in (3.0, 130.0, float("nan")):  # the middle slice itself leaves the axis (or is nowhere)
        found_set = slice_set(image, (0, 90), (0, 120), x_axis, positions, center, 20.0, 2.0, 3, True, zero)
        assert found_set[0].shape == (0,)
        assert slices_of(x_axis, *found_set, of_columns=True) == SliceSet([], None)


def test_an_empty_good_region_and_short_axes_say_why():
    flat = np.zeros((20, 30), np.uint16)
    assert _measure(flat, axes(flat.shape))[1] == EMPTY
    empty = np.zeros((0, 30), np.uint16)
    assert _measure(empty, axes(empty.shape))[1] == EMPTY
    image = _frame("uint16")
    x_axis, y_axis = axes(image.shape)
    assert _measure(image, (x_axis[:50], y_axis))[1] == MISMATCHED
    longer = np.arange(image.shape[1] + 7, dtype=np.float32)  # longer axes are cut, as before
    assert isinstance(_measure(image, (longer, y_axis))[1], GoodRegion)


@pytest.mark.parametrize("dtype", DTYPES)
def test_region_profiles_read_in_place_equal_a_pass_over_the_copy(dtype):
    image = _frame(dtype, shape=(40, 70))
    copied = pixel_pass(np.ascontiguousarray(image[7:30, 11:60]))  # 23 rows: 5 of 4, then 3
    integers = np.dtype(dtype).kind in "iu"
    x_profile, y_profile = region_profiles(image, 7, 30, 11, 60, narrow_sum_type(image), integers)
    np.testing.assert_array_equal(x_profile, copied.x_profile)
    np.testing.assert_array_equal(y_profile, copied.y_profile)


@pytest.mark.parametrize("dtype", ["uint16", "float32"])
def test_bands_of_part_of_a_frame(dtype):
    image = _frame(dtype, shape=(40, 70))
    bounds = np.array([12, 20, 28, 40])
    zero = narrow_sum_type(image)
    columns = column_bands(image, 5, 33, bounds, zero)
    rows = row_bands(image, 9, 61, bounds - 10, zero)
    wide = image.astype(np.float64)  # sums in float64 (or int32 for 16-bit integers: exact)
    for k in range(3):
        expected_columns = np.nansum(wide[5:33, bounds[k] : bounds[k + 1]], axis=1)
        expected_rows = np.nansum(wide[bounds[k] - 10 : bounds[k + 1] - 10, 9:61], axis=0)
        np.testing.assert_allclose(columns[k], expected_columns, rtol=1e-13)  # exact for integers
        np.testing.assert_allclose(rows[k], expected_rows, rtol=1e-13)


def test_narrow_sums_only_where_int32_cannot_overflow():
    assert narrow_sum_type(np.zeros((10, 10), np.uint16)).dtype == np.int32
    assert narrow_sum_type(np.zeros((10, 8192), np.uint16)).dtype == np.int64
    assert narrow_sum_type(np.zeros((10, 10), np.int32)).dtype == np.int64
    assert narrow_sum_type(np.zeros((10, 10), np.float32)).dtype == np.float64


def test_find_index_compares_in_the_axis_type_as_numpy_does():
    # numpy casts a Python float to a float32 axis' type: 1.99999999 is 2.0 there, not on a float64 axis
    assert find_index(np.arange(4, dtype=np.float32), 1.99999999) == 2
    assert find_index(np.arange(4, dtype=np.float64), 1.99999999) == 1
    assert find_index(np.arange(4, dtype=np.int64), 1.5) == 1  # other axes compare as float64
    assert find_index(np.arange(4, dtype=np.float32)[::-1], 1.99999999) == 1
    assert find_index(np.arange(8, dtype=np.float32)[::2], 4.0) == 2  # strided axes
