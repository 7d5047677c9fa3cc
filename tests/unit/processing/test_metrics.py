"""The default function: channel set, truth on synthetic beams, the numpy reference, degenerate frames."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from camserver.processing import camera_axes, process_image
from tests.unit.processing import reference
from tests.unit.processing.frames import axes, beam

MINIMAL_KEYS = {
    "x_axis", "y_axis", "image", "width", "height", "timestamp", "min_value", "max_value",
    "x_profile", "y_profile", "intensity", "x_fwhm", "y_fwhm", "x_center_of_mass", "x_rms",
    "y_center_of_mass", "y_rms", "x_fit_gauss_function", "x_fit_offset", "x_fit_amplitude",
    "x_fit_standard_deviation", "x_fit_mean", "y_fit_gauss_function", "y_fit_offset", "y_fit_amplitude",
    "y_fit_standard_deviation", "y_fit_mean", "processing_parameters",
}  # fmt: skip
GOOD_REGION_KEYS = {
    "good_region", "gr_x_axis", "gr_y_axis", "gr_x_profile", "gr_y_profile", "gr_x_fit_gauss_function",
    "gr_x_fit_offset", "gr_x_fit_amplitude", "gr_x_fit_standard_deviation", "gr_x_fit_mean",
    "gr_y_fit_gauss_function", "gr_y_fit_offset", "gr_y_fit_amplitude", "gr_y_fit_standard_deviation",
    "gr_y_fit_mean", "gr_intensity",
}  # fmt: skip
STANDARD = {
    "image_good_region": {"threshold": 0.3, "gfscale": 1.8},
    "image_slices": {"number_of_slices": 5, "scale": 2, "orientation": "vertical"},
}


def _run(image, parameters=None, axis_pair=None):
    x_axis, y_axis = axis_pair or axes(image.shape)
    return process_image(image, 7, (1700000000, 250000000), x_axis, y_axis, dict(parameters or {}))


def _slice_keys(count):
    keys = {"slice_orientation", "slice_amount", "slice_length", "coupling", "coupling_slope", "coupling_offset"}
    for i in range(count):
        keys |= {f"slice_{i}_{name}" for name in ("center_x", "center_y", "standard_deviation", "intensity")}
    return keys


def test_minimal_channel_set_is_camservers_28_keys():
    result = _run(beam())
    assert set(result) == MINIMAL_KEYS
    assert len(MINIMAL_KEYS) == 28
    assert result["timestamp"] == pytest.approx(1700000000.25)
    assert (result["width"], result["height"]) == (160, 120)


def test_good_region_and_slices_channel_sets():
    result = _run(beam(noise=3), {**STANDARD, "image_slices": {"number_of_slices": 4}})
    assert set(result) == MINIMAL_KEYS | GOOD_REGION_KEYS | _slice_keys(5)
    assert result["slice_amount"] == 5
    assert result["slice_orientation"] == "vertical"


def test_fw_threshold_adds_x_fw_and_y_fw():
    result = _run(beam(), {"fw_threshold": 0.1})
    assert {"x_fw", "y_fw"} <= set(result)
    sigma_x = 12.0
    assert result["x_fw"] == pytest.approx(2 * sigma_x * math.sqrt(2 * math.log(10)), rel=0.02)


@pytest.mark.parametrize("dtype", ["uint16", "int32", "float32", "float64"])
def test_beam_truth_is_recovered(dtype):
    image = beam((200, 260), center=(131.4, 88.2), sigma=(17.0, 11.0), amplitude=3000, offset=100, dtype=dtype)
    result = _run(image, STANDARD)
    assert result["x_fit_mean"] == pytest.approx(131.4, abs=0.01)
    assert result["y_fit_mean"] == pytest.approx(88.2, abs=0.01)
    assert result["x_fit_standard_deviation"] == pytest.approx(17.0, rel=1e-3)
    assert result["y_fit_standard_deviation"] == pytest.approx(11.0, rel=1e-3)
    # a profile of a 2-D Gaussian: offset * rows + amplitude * sqrt(2 pi) * sigma_y * exp(...)
    assert result["x_fit_offset"] == pytest.approx(100 * 200, rel=1e-3)
    assert result["x_fit_amplitude"] == pytest.approx(3000 * math.sqrt(2 * math.pi) * 11.0, rel=1e-3)
    assert result["x_center_of_mass"] == pytest.approx(131.4, abs=0.01)
    assert result["x_rms"] == pytest.approx(17.0, rel=1e-3)
    assert result["y_fwhm"] == pytest.approx(2.3548 * 11.0, rel=0.01)
    assert result["max_value"] == pytest.approx(3100, abs=2)
    assert result["intensity"] == pytest.approx(image.astype(np.float64).sum(), rel=1e-12)
    assert result["gr_x_fit_mean"] == pytest.approx(131.4, abs=0.01)
    assert result["gr_y_fit_standard_deviation"] == pytest.approx(11.0, rel=1e-3)
    for i in range(5):
        assert result[f"slice_{i}_center_x"] == pytest.approx(131.4, abs=0.05)
        assert result[f"slice_{i}_standard_deviation"] == pytest.approx(17.0, rel=1e-2)
    assert abs(result["coupling"]) < 1.0


@pytest.mark.parametrize("correlation", [-0.5, 0.3, 0.6])
def test_tilted_beam_coupling_is_the_xy_covariance(correlation):
    image = beam((240, 240), center=(120, 118), sigma=(20.0, 15.0), correlation=correlation, amplitude=4000, offset=0)
    result = _run(image, {**STANDARD, "image_slices": {"number_of_slices": 7, "orientation": "horizontal"}})
    assert result["coupling"] == pytest.approx(correlation * 20.0 * 15.0, rel=0.05)
    assert result["coupling_slope"] == pytest.approx(correlation * 15.0 / 20.0, rel=0.05)
    assert result["slice_orientation"] == "horizontal"
    centers = [result[f"slice_{i}_center_y"] for i in range(7)]
    assert (np.diff(centers) * np.sign(correlation) > 0).all()


def _compare(ours, theirs):
    for key, expected in theirs.items():
        value = ours[key]
        if key == "processing_parameters":
            assert json.loads(value) == json.loads(expected)
        elif isinstance(expected, np.ndarray):
            np.testing.assert_allclose(value, expected, rtol=2e-6, atol=1e-6 * np.abs(expected).max(), err_msg=key)
        elif isinstance(expected, (float, np.floating)):
            assert value == pytest.approx(expected, rel=2e-6, abs=1e-7), key
        else:
            assert value == expected, key


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("orientation", ["vertical", "horizontal"])
def test_channels_match_the_numpy_reference(seed, orientation):
    rng = np.random.default_rng(seed)
    image = beam(
        (150, 190),
        center=(rng.uniform(70, 120), rng.uniform(55, 95)),
        sigma=(rng.uniform(8, 20), rng.uniform(6, 14)),
        correlation=rng.uniform(-0.5, 0.5),
        amplitude=2000,
        offset=50,
        noise=20,
        seed=seed,
    )
    parameters = {**STANDARD, "image_slices": {"number_of_slices": 5, "scale": 2, "orientation": orientation}}
    parameters["fw_threshold"] = 0.25
    x_axis, y_axis = axes(image.shape)
    ours = _run(image, parameters)
    theirs = reference.process(image, x_axis, y_axis, parameters, (1700000000, 250000000))
    _compare(ours, theirs)


def test_calibrated_descending_axes():
    calibration = {"reference_marker": [20, 10, 180, 130], "reference_marker_width": 8.0,
                   "reference_marker_height": 6.0, "angle_horizontal": 0, "angle_vertical": 0}  # fmt: skip
    x_axis, y_axis = camera_axes(200, 150, calibration)
    assert x_axis[0] > x_axis[-1]
    image = beam((150, 200), center=(60.0, 90.0), sigma=(10.0, 8.0), amplitude=2000, noise=5)
    result = _run(image, STANDARD, (x_axis, y_axis))
    pixel_x, pixel_y = 8.0 / 160, 6.0 / 120
    assert result["x_fit_mean"] == pytest.approx(-(60.0 - 100) * pixel_x, abs=2e-3)
    assert result["y_fit_mean"] == pytest.approx(-(90.0 - 70) * pixel_y, abs=2e-3)
    assert result["x_fit_standard_deviation"] == pytest.approx(10.0 * pixel_x, rel=1e-2)
    assert result["x_fwhm"] == pytest.approx(2.3548 * 10.0 * pixel_x, rel=0.03)
    assert result["gr_y_fit_mean"] == pytest.approx(-(90.0 - 70) * pixel_y, abs=2e-3)
    assert result["slice_2_center_x"] == pytest.approx(-(60.0 - 100) * pixel_x, abs=5e-3)
    ours = _run(image, STANDARD, (x_axis, y_axis))
    _compare(ours, reference.process(image, x_axis, y_axis, STANDARD, (1700000000, 250000000)))


def test_dead_and_hot_pixels_barely_move_the_fit():
    image = beam((200, 260), center=(130.0, 90.0), sigma=(15.0, 10.0), amplitude=20000, offset=100, noise=10)
    rng = np.random.default_rng(3)
    rows, cols = rng.integers(0, 200, 100), rng.integers(0, 260, 100)
    image[rows[:10], cols[:10]] = 65535  # hot
    image[rows[10:], cols[10:]] = 0  # dead
    result = _run(image, STANDARD)
    assert result["x_fit_mean"] == pytest.approx(130.0, abs=0.2)
    assert result["gr_y_fit_mean"] == pytest.approx(90.0, abs=0.2)
    assert result["gr_x_fit_standard_deviation"] == pytest.approx(15.0, rel=0.02)


def test_processing_error_gives_a_zero_image_and_six_channels():
    image = beam()
    result = _run(image, {"processing_error": "Bad background image size"})
    assert set(result) == {"x_axis", "y_axis", "image", "width", "height", "processing_parameters"}
    assert not result["image"].any()
    assert result["image"].shape == image.shape
    assert json.loads(result["processing_parameters"])["processing_error"] == "Bad background image size"


def _warnings(result):
    return json.loads(result["processing_parameters"]).get("processing_warnings", [])


@pytest.mark.parametrize("shape", [(0, 0), (0, 5), (4, 0)])
def test_empty_frames_give_none_channels(shape):
    result = _run(np.zeros(shape, np.uint16), STANDARD)
    assert result["min_value"] is None
    assert result["max_value"] is None
    assert result["good_region"] is None
    assert "the image is empty" in _warnings(result)


def test_all_zero_frame_never_raises():
    result = _run(np.zeros((50, 60), np.uint16), STANDARD)
    assert result["intensity"] == 0
    assert math.isnan(result["x_fwhm"])
    assert math.isnan(result["x_center_of_mass"])
    assert result["x_fit_amplitude"] == 0
    assert result["gr_intensity"] is None
    assert result["slice_0_center_x"] is None
    assert any("flat" in note for note in _warnings(result))


def test_saturated_frames():
    flat = _run(np.full((40, 50), 65535, np.uint16), STANDARD)
    assert flat["max_value"] == 65535
    assert flat["intensity"] == 40 * 50 * 65535
    clipped = beam((120, 160), amplitude=100000, offset=100, sigma=(20.0, 14.0))  # flat top at 65535
    result = _run(clipped, STANDARD)
    assert result["max_value"] == 65535
    assert result["x_center_of_mass"] == pytest.approx(80.0, abs=0.05)
    assert result["good_region"] is not None


@pytest.mark.parametrize("shape", [(1, 80), (80, 1), (1, 1), (2, 3)])
def test_one_by_n_frames_never_raise(shape):
    image = beam(shape, center=(shape[1] / 2, shape[0] / 2), sigma=(5.0, 5.0), noise=2)
    result = _run(image, STANDARD)
    assert result["width"] == shape[1]
    assert result["intensity"] == image.astype(np.int64).sum()
    if shape[0] == 1:
        assert result["good_region"] is None
        assert result["slice_0_intensity"] is None


def test_nan_pixels_in_float_frames_are_ignored():
    image = beam((120, 160), center=(70.0, 50.0), amplitude=1000, dtype=np.float32)
    image[10:12, 20:25] = np.nan
    image[60, 71] = np.nan
    result = _run(image, STANDARD)
    assert result["x_fit_mean"] == pytest.approx(70.0, abs=0.05)
    assert result["min_value"] == pytest.approx(10.0)
    assert not np.isnan(result["x_profile"]).any()
    assert result["gr_x_fit_mean"] == pytest.approx(70.0, abs=0.05)


def test_all_nan_frame():
    result = _run(np.full((20, 30), np.nan), STANDARD)
    assert math.isnan(result["min_value"])
    assert "the image has no finite pixel" in _warnings(result)


def test_input_image_is_not_modified_and_may_be_read_only():
    image = beam(noise=3)
    image.flags.writeable = False
    before = image.copy()
    result = _run(image, STANDARD)
    np.testing.assert_array_equal(image, before)
    assert result["image"] is image


def test_invalid_slice_orientation_leaves_slices_none():
    result = _run(beam(), {**STANDARD, "image_slices": {"number_of_slices": 3, "orientation": "diagonal"}})
    assert result["gr_x_fit_mean"] is not None
    assert result["slice_0_center_x"] is None
    assert result["coupling"] is None
    assert any("orientation" in note for note in _warnings(result))
