"""Each pre-processing step on its own, and the whole chain (through ImageProcessor) against the reference."""

from __future__ import annotations

import numpy as np
import pytest

from camserver.errors import ConfigError, ProcessingError
from camserver.processing import (
    ImageProcessor,
    ProcessingSettings,
    Rotation,
    apply_threshold,
    bin_image,
    clamp_roi,
    crop,
    mirror,
    rotate,
    scale_offset,
    subtract_background,
)
from tests.unit.processing import reference
from tests.unit.processing.frames import axes, beam


def test_binning_sums_blocks_and_averages_axes():
    image = beam((31, 45), amplitude=500, noise=10)
    x_axis, y_axis = axes(image.shape)
    binned, bx, by = bin_image(image, x_axis, y_axis, binning_x=4, binning_y=3)
    assert binned.dtype == np.uint16
    assert binned.shape == (10, 11)
    assert binned[1, 2] == image[3:6, 8:12].astype(np.int64).sum()
    np.testing.assert_allclose(bx[:2], [1.5, 5.5])
    assert by.dtype == np.float32
    mean = bin_image(image, x_axis, y_axis, binning_x=2, binning_y=2, mean=True)[0]
    assert mean[0, 0] == int(image[:2, :2].astype(np.float64).mean())


def test_background_modes():
    image = np.array([[5, 10], [0, 65535]], np.uint16)
    background = np.array([[6, 3], [0, 1]], np.uint16)
    np.testing.assert_array_equal(subtract_background(image, background), [[0, 7], [0, 65534]])
    signed = subtract_background(image, background, "signed")
    assert signed.dtype == np.int32
    np.testing.assert_array_equal(signed, [[-1, 7], [0, 65534]])
    assert subtract_background(image, background, "passive") is image
    floats = subtract_background(image.astype(np.float32), background, "signed")
    assert floats.dtype == np.float32
    with pytest.raises(ProcessingError, match="Bad background image size"):
        subtract_background(image, background[:1])


def test_mirror_and_orthogonal_rotation_move_the_axes_with_the_pixels():
    image = np.arange(12).reshape(3, 4)
    x_axis, y_axis = np.arange(4.0) * 10, np.arange(3.0) * 100
    mirrored, mx, my = mirror(image, x_axis, y_axis, mirror_x=True, mirror_y=True)
    assert mirrored[0, 0] == 11
    assert (mx[0], my[0]) == (30.0, 200.0)
    for k in range(4):
        rotated, rx, ry = rotate(image, x_axis, y_axis, Rotation(angle=90.0 * k, mode="ortho"))
        np.testing.assert_array_equal(rotated, np.rot90(image, k))
        # pixel (row j, column i) keeps its coordinates: value v sits at (ry[j], rx[i])
        source = {int(image[j, i]): (x_axis[i], y_axis[j]) for j in range(3) for i in range(4)}
        for j in range(rotated.shape[0]):
            for i in range(rotated.shape[1]):
                original = source[int(rotated[j, i])]
                assert {rx[i], ry[j]} == set(original)


def test_arbitrary_rotation_interpolates_and_keeps_the_shape():
    image = beam((60, 80), center=(40, 30), sigma=(10, 3), dtype=np.float64)
    x_axis, y_axis = axes(image.shape)
    rotated, rx, ry = rotate(image, x_axis, y_axis, Rotation(angle=90.0, order=1, mode="0.0"))
    assert rotated.shape == image.shape
    assert rx is x_axis
    assert ry is y_axis
    # the horizontal ellipse becomes vertical
    assert rotated[:, 40].sum() > rotated[30, :].sum()


def test_roi_is_clamped_to_the_image():
    assert clamp_roi([50, 30, -5, 10], 40, 60) == (30, 30, 0, 10)
    assert clamp_roi([0, 500, 0, 500], 40, 60) == (0, 60, 0, 40)
    image = np.arange(40 * 60).reshape(40, 60)
    cropped, cx, cy = crop(image, np.arange(60.0), np.arange(40.0), [55, 10, 2, 3])
    assert cropped.shape == (3, 10)
    assert cx[0] == 50.0
    assert cy[0] == 2.0


def test_threshold_compares_the_float_value():
    image = np.array([[0, 1, 2, 3]], np.uint16)
    np.testing.assert_array_equal(apply_threshold(image, 1.5), [[0, 0, 2, 3]])
    np.testing.assert_array_equal(apply_threshold(image, 0.5), [[0, 1, 2, 3]])
    floats = np.array([[0.2, 0.7, 1.0]])
    np.testing.assert_array_equal(apply_threshold(floats, 0.5), [[0.0, 0.7, 1.0]])  # CamServer: no-op
    assert apply_threshold(image, None) is image


def test_scale_then_offset():
    image = np.array([[1, 2]], np.uint16)
    np.testing.assert_array_equal(scale_offset(image, 2.0, 0.5), [[2.5, 4.5]])
    assert scale_offset(image) is image


CHAINS = [
    {},
    {"image_threshold": 120.5},
    {"image_background_enable": True, "image_threshold": 10},
    {"image_background_enable": "signed"},
    {"image_background_enable": True, "mirror_x": True, "mirror_y": True},
    {"image_background_enable": True, "rotation": {"angle": 90, "mode": "ortho"},
     "image_region_of_interest": [5, 40, 3, 50]},
    {"rotation": {"angle": -270, "mode": "ortho"}, "mirror_x": True},
    {"image_background_enable": True, "rotation": 12.5},
    {"binning_x": 2, "binning_y": 3, "image_background_enable": True},
    {"binning_x": 2, "binning_mean": True, "image_region_of_interest": [-4, 500, 10, 20]},
    {"image_scale": 0.5, "image_offset": 3, "image_threshold": 100},
]  # fmt: skip


@pytest.mark.parametrize("config", CHAINS)
@pytest.mark.parametrize("dtype", ["uint16", "int32", "float32"])
def test_chain_matches_the_reference(config, dtype):
    image = beam((66, 80), center=(45, 30), sigma=(9, 6), amplitude=900, offset=80, noise=10, dtype=dtype)
    background = beam((66, 80), sigma=(30, 30), amplitude=40, offset=70, noise=4, seed=9)
    x_axis, y_axis = axes(image.shape)
    parameters = {"image_good_region": {"threshold": 0.3, "gfscale": 1.8}, **config}
    result = ImageProcessor(parameters, background).process(image, 3, (5, 0), x_axis, y_axis)
    expected, ex, ey = reference.preprocess(image, x_axis, y_axis, parameters, background)
    assert result["image"].dtype == expected.dtype
    np.testing.assert_allclose(result["image"], expected, rtol=1e-6, atol=1e-3)
    np.testing.assert_array_equal(result["x_axis"], ex)
    np.testing.assert_array_equal(result["y_axis"], ey)
    theirs = reference.process(expected, ex, ey, parameters, (5, 0))
    for key in ("x_profile", "y_profile", "gr_x_profile"):
        np.testing.assert_allclose(result[key], theirs[key], rtol=1e-6, atol=1e-6)
    # non-Gaussian profiles (threshold, negative pixels) have shallow minima: curve_fit stops earlier
    curve = theirs["x_fit_gauss_function"]
    np.testing.assert_allclose(result["x_fit_gauss_function"], curve, rtol=2e-5, atol=1e-5 * np.abs(curve).max())
    for key in ("x_fit_mean", "y_fit_standard_deviation", "x_center_of_mass", "y_fwhm", "gr_y_fit_mean"):
        assert result[key] == pytest.approx(theirs[key], rel=2e-5, abs=1e-9), key
    assert result["min_value"] == expected.min()


def test_input_frame_is_never_modified():
    image = beam(noise=5)
    image.flags.writeable = False
    copy = image.copy()
    processor = ImageProcessor({"image_background_enable": True, "image_threshold": 50}, np.full(image.shape, 9))
    result = processor.process(image, 0, (0, 0), *axes(image.shape))
    np.testing.assert_array_equal(image, copy)
    assert result["image"] is not image
    assert not result["image"].flags.writeable


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"rotation": {"angle": 30, "order": 6}}, "order"),
        ({"rotation": {"angle": 30, "mode": "sideways"}}, "mode"),
        ({"image_region_of_interest": [1, 2, 3]}, "image_region_of_interest"),
        ({"image_slices": {"number_of_slices": 2.5}}, "number_of_slices"),
        ({"image_slices": {"orientation": "diagonal"}}, "orientation"),
        ({"image_threshold": "high"}, "image_threshold"),
        ({"binning_x": 0}, "binning_x"),
        ({"averaging": 1.5}, "averaging"),
    ],
)
def test_invalid_config_is_a_config_error(parameters, message):
    with pytest.raises(ConfigError, match=message):
        ImageProcessor(parameters)


def test_settings_normalise_camserver_values():
    settings = ProcessingSettings.from_parameters({"rotation": 90, "image_threshold": 0, "name": "cam_sp"})
    assert settings.rotation == Rotation(angle=90.0, order=1, mode="0.0")
    assert settings.threshold is None
    assert settings.notify_on_error
    assert ProcessingSettings.from_parameters({"rotation": {"angle": 0}}).rotation is None
    assert not ProcessingSettings.from_parameters({"name": "cam"}).notify_on_error
