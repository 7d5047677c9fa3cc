"""Overlay geometry read from a pipeline's channels, in image pixels."""

from __future__ import annotations

import numpy as np
import pytest

from camserver.service.viewer.overlay import axis_to_pixel, overlay_geometry, sigma_in_pixels


def test_without_an_axis_axis_units_are_pixels_centred_in_the_pixel() -> None:
    assert axis_to_pixel(10.0, None) == 10.5


def test_an_ascending_calibrated_axis_is_interpolated() -> None:
    axis = np.linspace(-1.0, 1.0, 21)  # 0.1 per pixel
    assert axis_to_pixel(0.0, axis) == pytest.approx(10.5)
    assert axis_to_pixel(0.25, axis) == pytest.approx(13.0)


def test_a_descending_axis_maps_the_same_way_reversed() -> None:
    axis = np.linspace(1.0, -1.0, 21)
    assert axis_to_pixel(1.0, axis) == pytest.approx(0.5)
    assert axis_to_pixel(-0.5, axis) == pytest.approx(15.5)


def test_values_beyond_the_axis_are_extrapolated() -> None:
    axis = np.arange(10, dtype=np.float64) * 2.0
    assert axis_to_pixel(24.0, axis) == pytest.approx(12.5)
    assert axis_to_pixel(-2.0, axis) == pytest.approx(-0.5)


def test_a_degenerate_axis_gives_no_position() -> None:
    assert axis_to_pixel(1.0, np.zeros(5)) is None


def test_sigma_is_divided_by_the_axis_spacing() -> None:
    assert sigma_in_pixels(0.5, np.linspace(0.0, 10.0, 101)) == pytest.approx(5.0)
    assert sigma_in_pixels(-3.0, None) == 3.0


def test_overlays_of_a_pipeline_message() -> None:
    x_axis = np.arange(100, dtype=np.float64) * 0.5  # 0.5 units per pixel
    y_axis = np.arange(80, dtype=np.float64)
    data = {
        "x_axis": x_axis,
        "y_axis": y_axis,
        "x_center_of_mass": 20.0,
        "y_center_of_mass": np.float64(40.0),
        "x_fit_mean": 21.0,
        "y_fit_mean": 39.0,
        "x_fit_standard_deviation": 2.0,
        "y_fit_standard_deviation": 3.0,
        "good_region": np.array([30, 25, 60, 55]),
        "gr_x_fit_mean": 20.0,
        "gr_y_fit_mean": 40.0,
        "gr_x_fit_standard_deviation": 1.0,
        "gr_y_fit_standard_deviation": 1.0,
        "slice_orientation": "vertical",
        "slice_0_center_x": 19.0,
        "slice_0_center_y": 35.0,
        "slice_0_standard_deviation": 1.5,
        "slice_1_center_x": None,
        "slice_1_center_y": 45.0,
        "slice_1_standard_deviation": 1.5,
    }
    overlays = overlay_geometry(data)
    assert overlays["center_of_mass"] == {"x": pytest.approx(40.5), "y": pytest.approx(40.5)}
    fit = overlays["fit"]
    assert (fit["x"], fit["y"], fit["sigma_x"], fit["sigma_y"]) == pytest.approx((42.5, 39.5, 4.0, 3.0))
    assert overlays["good_region"] == {"x0": 30.0, "y0": 25.0, "x1": 60.0, "y1": 55.0}
    assert overlays["good_region_fit"]["sigma_x"] == pytest.approx(2.0)
    # slice 1 has no centre: left out; slice 0's sigma is along x (vertical slices are bands of rows)
    assert overlays["slices"] == [
        {"x": pytest.approx(38.5), "y": pytest.approx(35.5), "sigma": pytest.approx(3.0), "orientation": "vertical"}
    ]


def test_a_camera_message_has_no_overlays() -> None:
    assert overlay_geometry({"image": np.zeros((4, 4)), "width": 4}) == {
        "center_of_mass": None,
        "fit": None,
        "good_region": None,
        "good_region_fit": None,
        "slices": [],
    }


@pytest.mark.parametrize("value", [None, float("nan"), float("inf"), "12", True, np.array([1.0, 2.0])])
def test_missing_or_unusable_values_leave_the_overlay_out(value: object) -> None:
    overlays = overlay_geometry({"x_center_of_mass": value, "y_center_of_mass": 3.0, "good_region": value})
    assert overlays["center_of_mass"] is None
    assert overlays["good_region"] is None
