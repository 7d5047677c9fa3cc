"""The fused pixel kernels against plain numpy, for every frame dtype, mode and memory layout."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.array_utils import byte_bounds

from camserver.processing.background import background_for
from camserver.processing.kernels import (
    MODE_NONE,
    MODE_SIGNED,
    MODE_SUBTRACT,
    _pieces,
    bin_frame,
    column_bands,
    narrow_sum_type,
    pixel_pass,
    prepare_dark,
    row_bands,
)
from tests.unit.processing import reference
from tests.unit.processing.frames import beam

DTYPES = ["uint8", "uint16", "uint32", "int16", "int32", "float32", "float64"]
#: views of a frame the pipeline hands to the kernels (mirrors, rotations, regions of interest)
LAYOUTS = {
    "contiguous": lambda a: a,
    "mirrored": lambda a: a[::-1, ::-1],
    "mirrored in y": lambda a: a[::-1],
    "rotated": lambda a: np.rot90(a, 1),
    "cropped": lambda a: a[3:30, 5:47],
    "cropped, mirrored in y": lambda a: a[30:3:-1, 5:47],
    "every other row": lambda a: a[1::2, 2:50],
    "one row": lambda a: a[4:5, 3:40],
    "one column": lambda a: a[2:35, 7:8],
    "one row repeated": lambda a: np.broadcast_to(a[7], (9, a.shape[1])),
}


def _expected(image, background, mode, threshold):
    values = image.astype(np.float64)
    if mode != MODE_NONE:
        values = values - background
        if mode == MODE_SUBTRACT:
            values = np.where(values < 0, 0, values)
    if threshold is not None:
        values = np.where(values < threshold, 0, values)
    return values


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", [MODE_NONE, MODE_SUBTRACT, MODE_SIGNED])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_pixel_pass_matches_numpy(dtype, mode, layout):
    image = beam((40, 52), center=(20, 18), sigma=(6, 4), amplitude=200, offset=20, noise=3, dtype=dtype)
    background = np.full(image.shape, 25, np.uint16)
    view = LAYOUTS[layout]
    source, back = view(image), view(background)
    prepared = back.astype(np.float64) if image.dtype.kind == "f" else back
    signed = mode == MODE_SIGNED and image.dtype.kind != "f"
    out = np.empty(source.shape, np.int32 if signed else image.dtype)
    result = pixel_pass(source, prepared, mode=mode, threshold=30.5, out=out)
    expected = _expected(source, back, mode, 30.5)
    np.testing.assert_array_equal(out, expected.astype(out.dtype))
    np.testing.assert_allclose(result.x_profile, expected.sum(axis=0), rtol=1e-6)
    np.testing.assert_allclose(result.y_profile, expected.sum(axis=1), rtol=1e-6)
    assert result.x_profile.dtype == (np.float64 if image.dtype.kind == "f" else np.int64)
    assert result.min_value == expected.min()
    assert result.max_value == expected.max()


@pytest.mark.parametrize("threshold", [None, 0.5, 300, 65535, 65535.5, 70000])
@pytest.mark.parametrize("mode", [MODE_NONE, MODE_SUBTRACT])
@pytest.mark.parametrize("write", [True, False])
@pytest.mark.parametrize("dark", ["uint16", "uint8"])
def test_uint16_pass_at_the_edges_of_the_type(threshold, mode, write, dark):
    rng = np.random.default_rng(7)
    image = rng.integers(0, 65536, (33, 70), dtype=np.uint16)
    image[0, :5] = 65535
    image[1, :40] = rng.integers(0, 300, 40)  # pixels below an 8-bit background as well
    background = rng.integers(0, np.iinfo(dark).max + 1, image.shape, dtype=dark)  # often above the pixel
    background[0, :5] = 0
    source = image[:, ::-1]  # a mirrored view as well
    back = background[:, ::-1]
    out = np.empty(source.shape, np.uint16) if write else None
    result = pixel_pass(source, back, mode=mode, threshold=threshold, out=out)
    expected = _expected(source, back, mode, threshold)
    if out is not None:
        np.testing.assert_array_equal(out, expected.astype(np.uint16))
    np.testing.assert_array_equal(result.x_profile, expected.sum(axis=0).astype(np.int64))
    np.testing.assert_array_equal(result.y_profile, expected.sum(axis=1).astype(np.int64))
    assert (result.min_value, result.max_value) == (expected.min(), expected.max())
    assert result.max_value.dtype == np.uint16


def test_unsigned_profiles_are_int64_never_uint64():
    image = np.full((3, 4), 65535, np.uint16)
    result = pixel_pass(image)
    assert result.x_profile.dtype == np.int64
    assert result.y_profile.dtype == np.int64
    assert result.y_profile[0] == 4 * 65535


def test_wide_frames_use_the_int64_path_without_overflow():
    image = np.full((2, 20000), 65535, np.uint16)
    result = pixel_pass(image)
    assert result.y_profile[0] == 20000 * 65535
    assert result.x_profile[0] == 2 * 65535


def test_nan_pixels_are_kept_in_the_image_and_left_out_of_profiles():
    image = beam((20, 30), dtype=np.float32)
    image[4, 7] = np.nan
    out = np.empty_like(image)
    result = pixel_pass(image, threshold=50.0, out=out)
    assert np.isnan(out[4, 7])
    clean = np.where(np.isnan(image), 0, image).astype(np.float64)
    clean[clean < 50] = 0
    np.testing.assert_allclose(result.x_profile, clean.sum(axis=0), rtol=1e-9)
    assert result.min_value == np.nanmin(np.where(image < 50, 0, image))


def test_all_nan_frame_has_nan_min_max_and_zero_profiles():
    image = np.full((5, 6), np.nan)
    result = pixel_pass(image)
    assert np.isnan(result.min_value)
    assert np.isnan(result.max_value)
    assert not result.x_profile.any()


def test_empty_frame_has_no_min_max():
    result = pixel_pass(np.zeros((0, 7), np.uint16))
    assert result.min_value is None
    assert result.x_profile.shape == (7,)
    assert result.y_profile.shape == (0,)


def test_pass_without_profiles_only_writes():
    image = beam((10, 12))
    out = np.empty_like(image)
    result = pixel_pass(image[:, ::-1], out=out, profiles=False)
    assert result.x_profile is None
    np.testing.assert_array_equal(out, image[:, ::-1])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_view_reaches_the_kernels_as_c_contiguous_rows_inside_its_own_memory(layout):
    parent = beam((40, 52), noise=5, dtype=np.uint16)
    view = LAYOUTS[layout](parent)
    low, high = byte_bounds(view)
    covered = 0
    for first, rows, part, _ in _pieces(view, None):
        assert part.flags.c_contiguous
        assert part.shape[0] == rows
        if np.shares_memory(part, parent):
            part_low, part_high = byte_bounds(part)
            assert low <= part_low and part_high <= high
        else:
            assert layout in ("mirrored", "mirrored in y", "rotated", "cropped, mirrored in y", "one row repeated")
        np.testing.assert_array_equal(part[:, : view.shape[1]], view[first : first + rows])
        covered += rows
    assert covered == view.shape[0]


@pytest.mark.parametrize("columns", [True, False])
@pytest.mark.parametrize("layout", ["cropped", "cropped, mirrored in y"])
def test_bands_of_columns_and_rows_match_numpy(columns, layout):
    image = LAYOUTS[layout](beam((40, 52), noise=5, dtype=np.int32))
    bounds = np.array([1, 5, 9, 13])
    zero = narrow_sum_type(image)
    if columns:
        bands = column_bands(image, 0, image.shape[0], bounds, zero)
    else:
        bands = row_bands(image, 0, image.shape[1], bounds, zero)
    for k in range(3):
        if columns:
            expected = image[:, bounds[k] : bounds[k + 1]].sum(axis=1)
        else:
            expected = image[bounds[k] : bounds[k + 1], :].sum(axis=0)
        np.testing.assert_array_equal(bands[k], expected)


@pytest.mark.parametrize("mean", [False, True])
@pytest.mark.parametrize("dtype", ["uint16", "float32"])
def test_bin_frame_matches_reference(mean, dtype):
    image = beam((31, 45), amplitude=30000, noise=50, dtype=dtype)
    np.testing.assert_array_equal(bin_frame(image, 4, 3, mean), reference.bin_image(image, 4, 3, mean))


def test_bin_frame_sum_clips_at_65535():
    image = np.full((4, 4), 60000, np.uint16)
    assert (bin_frame(image, 2, 2, False) == 65535).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", [MODE_NONE, MODE_SUBTRACT])
@pytest.mark.parametrize("threshold", [None, 30.5])
@pytest.mark.parametrize(("write", "profiles"), [(True, True), (False, True), (True, False), (False, False)])
def test_pixels_around_a_cropped_frame_never_reach_its_results(dtype, mode, threshold, write, profiles):
    # the kernels read a crop's rows padded up to the next row: the padding must stay out of everything
    inner = beam((20, 30), center=(10, 12), sigma=(4, 3), amplitude=200, offset=40, noise=3, dtype=dtype)
    top = np.iinfo(dtype).max if np.dtype(dtype).kind != "f" else 1e30
    parent = np.full((26, 41), top, dtype)
    parent[3:23, 5:35] = inner
    background = np.full(parent.shape, 65535, np.uint16)
    background[3:23, 5:35] = 25
    source, back = parent[3:23, 5:35], background[3:23, 5:35]
    prepared = back.astype(np.float64) if inner.dtype.kind == "f" else back
    out = np.empty(source.shape, inner.dtype) if write else None
    result = pixel_pass(source, prepared, mode=mode, threshold=threshold, out=out, profiles=profiles)
    expected = _expected(inner, np.full(inner.shape, 25), mode, threshold)
    if write:
        np.testing.assert_array_equal(out, expected.astype(inner.dtype))
    if profiles:
        np.testing.assert_allclose(result.x_profile, expected.sum(axis=0), rtol=1e-6)
        np.testing.assert_allclose(result.y_profile, expected.sum(axis=1), rtol=1e-6)
    assert (result.min_value, result.max_value) == (expected.min(), expected.max())


@pytest.mark.parametrize(
    ("values", "frame", "expected"),
    [
        ([0, 100, 255], "uint16", np.uint16),
        ([0, 100, 256], "uint16", np.uint16),
        ([0.4, 254.6], "uint16", np.uint16),
        ([-1.0, 7.0], "uint16", np.int64),
        ([3, 200], "float32", np.float64),
    ],
)
def test_a_background_is_converted_to_the_type_the_kernels_subtract_it_in(values, frame, expected):
    background = np.array([values], dtype=np.float64 if isinstance(values[0], float) else np.uint16)
    converted = background_for(background, np.dtype(frame))
    assert converted.dtype == expected
    np.testing.assert_array_equal(converted, np.rint(background).astype(expected))


def _dark_frame(shape, offset, seed=3):
    """A camera's dark frame: ``offset`` +- 10 counts, with hot pixels (far above) and dead ones (0)."""
    rng = np.random.default_rng(seed)
    dark = rng.normal(offset, 10, shape).clip(0, 65535).astype(np.uint16)
    dark[5, 7] = dark[5, 30] = dark[17, 20] = 4000  # hot, two in one row
    dark[9, 3] = 0  # dead
    dark[12, :] = offset + 300 if offset + 300 <= 65535 else offset - 300  # a whole row outside the window
    return dark


@pytest.mark.parametrize("offset", [100, 1000, 65400])
def test_a_dark_frame_is_prepared_as_8_bit_levels_above_its_offset(offset):
    dark = _dark_frame((24, 40), offset)
    prepared = prepare_dark(dark, most_listed=0.1)  # a small frame: its listed row is 4 % of it
    assert prepared is not None
    assert prepared.levels.dtype == np.uint8
    assert prepared.base <= int(np.median(dark)) <= prepared.base + 254
    np.testing.assert_array_equal(prepared.background(), dark)
    outside = (dark.astype(np.int64) < prepared.base) | (dark.astype(np.int64) > prepared.base + 254)
    assert prepared.rows[-1] == outside.sum() == prepared.columns.shape[0] == prepared.values.shape[0]
    np.testing.assert_array_equal(prepared.levels[outside], 255)


def test_a_background_spread_over_more_than_8_bits_is_not_prepared():
    rng = np.random.default_rng(4)
    assert prepare_dark(rng.integers(0, 4000, (30, 30), dtype=np.uint16)) is None
    assert prepare_dark(np.full((4, 4), 7, np.int64)) is None  # not a 16-bit background
    few = np.full((100, 100), 500, np.uint16)
    few[0, :50] = 9000  # 0.5 % of the pixels listed: still prepared; 2 %: not
    assert prepare_dark(few) is not None
    few[1:4, :50] = 9000
    assert prepare_dark(few) is None


@pytest.mark.parametrize("layout", ["contiguous", "cropped", "cropped, mirrored in y", "rotated"])
@pytest.mark.parametrize("threshold", [None, 30.5, 65535.5, 70000])
@pytest.mark.parametrize("offset", [1000, 65400])  # 65400: base + 255 wraps around in 16 bits
@pytest.mark.parametrize(("write", "profiles"), [(True, True), (False, True), (True, False), (False, False)])
def test_a_prepared_dark_frame_subtracts_exactly_what_its_background_does(layout, threshold, offset, write, profiles):
    shape = (40, 52)
    image = beam(shape, center=(12, 20), sigma=(6, 8), amplitude=3000, offset=1000, noise=30, dtype="uint16")
    image[5, 30] = 65535  # a hot pixel where the frame is brightest: its first guess is the row's maximum
    dark = _dark_frame(shape, offset)
    view = LAYOUTS[layout]
    source, back = view(image), view(dark)
    prepared = prepare_dark(np.ascontiguousarray(back), most_listed=0.1)
    assert prepared is not None
    assert prepared.rows[-1] > 0
    out = np.empty(source.shape, np.uint16) if write else None
    result = pixel_pass(source, prepared, mode=MODE_SUBTRACT, threshold=threshold, out=out, profiles=profiles)
    expected = _expected(source, back, MODE_SUBTRACT, threshold)
    if write:
        np.testing.assert_array_equal(out, expected.astype(np.uint16))
    if profiles:
        np.testing.assert_array_equal(result.x_profile, expected.sum(axis=0).astype(np.int64))
        np.testing.assert_array_equal(result.y_profile, expected.sum(axis=1).astype(np.int64))
    assert (result.min_value, result.max_value) == (expected.min(), expected.max())


def test_a_prepared_dark_frame_is_only_for_uint16_frames_subtracted_with_clamping():
    prepared = prepare_dark(_dark_frame((24, 40), 100), most_listed=0.1)
    with pytest.raises(ValueError, match="prepared background"):
        pixel_pass(np.zeros((24, 40), np.float32), prepared, mode=MODE_SUBTRACT)
    with pytest.raises(ValueError, match="prepared background"):
        pixel_pass(np.zeros((24, 40), np.uint16), prepared, mode=MODE_SIGNED)
