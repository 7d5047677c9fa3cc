"""Camera-side transform, geometry and calibration axes (camserver-reference.md §6)."""

from __future__ import annotations

import numpy as np
import pytest

from camserver.errors import ProcessingError
from camserver.processing import camera_axes, camera_geometry, transform_camera_image
from tests.unit.processing import reference


def _numpy_transform(image, *, binning=(1, 1), mirror_x=False, mirror_y=False, rotate=0, roi=None, background=None):
    if binning != (1, 1):
        image = reference.bin_image(image, binning[0], binning[1], False)
    if mirror_x:
        image = np.fliplr(image)
    if mirror_y:
        image = np.flipud(image)
    image = np.rot90(image, rotate)
    if roi:
        ox, sx, oy, sy = roi
        image = image[oy : oy + sy, ox : ox + sx]
    if background is not None:
        image = np.where(background > image, 0, image - background)
    return image


@pytest.mark.parametrize("rotate", [0, 1, 2, 3])
@pytest.mark.parametrize("mirror_x", [False, True])
def test_transform_order_matches_numpy(rotate, mirror_x):
    rng = np.random.default_rng(rotate)
    image = rng.integers(0, 4000, (48, 64)).astype(np.uint16)
    geometry = camera_geometry(64, 48, binning_x=2, binning_y=2, rotate=rotate)
    background = rng.integers(0, 100, (geometry[1], geometry[0])).astype(np.uint16)
    roi = [2, 10, 3, 12]
    result = transform_camera_image(
        image, binning_x=2, binning_y=2, mirror_x=mirror_x, mirror_y=True, rotate=rotate, roi=roi, background=background
    )
    cropped_background = background[3:15, 2:12]
    expected = _numpy_transform(
        image, binning=(2, 2), mirror_x=mirror_x, mirror_y=True, rotate=rotate, roi=roi, background=cropped_background
    )
    np.testing.assert_array_equal(result, expected)
    assert result.flags.c_contiguous
    assert (result.shape[1], result.shape[0]) == camera_geometry(
        64, 48, binning_x=2, binning_y=2, rotate=rotate, roi=roi
    )


def test_untransformed_frame_is_passed_through():
    image = np.zeros((4, 5), np.uint16)
    assert transform_camera_image(image) is image
    assert transform_camera_image(image, background=np.ones((4, 5), np.uint16)) is not image


def test_background_already_cropped_and_wrong_sizes():
    image = np.full((20, 30), 50, np.uint16)
    cropped = transform_camera_image(image, roi=[0, 10, 0, 5], background=np.full((5, 10), 60, np.uint16))
    assert not cropped.any()
    with pytest.raises(ProcessingError, match="Bad background image size"):
        transform_camera_image(image, background=np.zeros((3, 3), np.uint16))


def test_geometry():
    assert camera_geometry(1280, 960) == (1280, 960)
    assert camera_geometry(1280, 960, binning_x=2, binning_y=4) == (640, 240)
    assert camera_geometry(1280, 960, rotate=1) == (960, 1280)
    assert camera_geometry(1280, 960, roi=[100, 200, 50, 2000]) == (200, 960)


def test_axes_without_calibration_are_pixel_indices():
    x_axis, y_axis = camera_axes(6, 4)
    assert x_axis.dtype == np.float32
    np.testing.assert_array_equal(y_axis, np.arange(4))
    np.testing.assert_array_equal(x_axis, np.arange(6))
    np.testing.assert_array_equal(camera_axes(6, 4, roi=[2, 3, 1, 2])[1], [1, 2])


def test_calibrated_axes_decrease_from_the_marker_centre():
    calibration = {
        "reference_marker": [100, 50, 300, 250],
        "reference_marker_width": 10.0,
        "reference_marker_height": 20.0,
        "angle_horizontal": 60.0,
        "angle_vertical": 0.0,
    }
    x_axis, y_axis = camera_axes(400, 300, calibration)
    assert x_axis[200] == 0.0
    assert y_axis[150] == 0.0
    assert x_axis[201] == pytest.approx(-10.0 / 200 * 0.5)
    assert y_axis[0] == pytest.approx(150 * 20.0 / 200)
    assert np.all(np.diff(x_axis) < 0)
    sliced_x, _ = camera_axes(400, 300, calibration, roi=[150, 100, 0, 300])
    np.testing.assert_array_equal(sliced_x, x_axis[150:250])


def test_degenerate_marker_gives_unit_pixels():
    x_axis, _ = camera_axes(5, 5, {"reference_marker": [3, 3, 3, 3]})
    np.testing.assert_array_equal(x_axis, -(np.arange(5) - 3))
