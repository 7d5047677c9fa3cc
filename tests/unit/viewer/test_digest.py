"""The JSON part of a viewer frame: profiles, scalars, processing parameters."""

from __future__ import annotations

import json

import numpy as np
import pytest

from camserver.service.viewer.digest import (
    MAX_PROFILE_POINTS,
    frame_digest,
    plain_numbers,
    profile_for_region,
    scalar_channels,
)
from camserver.service.viewer.picture import ViewRegion, decimate


def test_plain_numbers_keep_six_digits_of_the_largest_and_not_finite_values_become_null() -> None:
    assert plain_numbers(np.array([1.23456789, np.nan, -np.inf, 1000.0])) == [1.23, None, None, 1000.0]
    assert plain_numbers(np.array([1.23456789, 2.0])) == [1.23457, 2.0]
    assert plain_numbers(np.array([123456789.4])) == [123456789.0]
    assert plain_numbers(np.array([np.nan])) == [None]


def test_a_profile_is_cut_to_the_region_and_binned_to_the_point_limit() -> None:
    values = np.arange(2000, dtype=np.float64)
    profile = profile_for_region(values, 100, 1500)
    assert profile["start"] == 100
    assert profile["step"] == 3
    assert len(profile["values"]) <= MAX_PROFILE_POINTS
    assert profile["values"][0] == pytest.approx(101.0)  # mean of 100, 101, 102


def test_a_short_profile_is_sent_as_it_is() -> None:
    assert profile_for_region(np.array([1, 2, 3]), 1, 5) == {"start": 1, "step": 1, "values": [2.0, 3.0]}


def test_scalars_are_numbers_in_full_precision_flags_and_short_texts() -> None:
    data = {
        "image": np.zeros((2, 2)),
        "x_profile": np.zeros(10),
        "width": np.int64(640),
        "intensity": np.float64(1234.56789),
        "ok": np.bool_(True),
        "name": "beam",
        "one": np.array([2.5]),
        "missing": None,
        "bad": float("nan"),
        "processing_parameters": "{}",
    }
    assert scalar_channels(data) == {
        "width": 640,
        "intensity": 1234.56789,
        "ok": True,
        "name": "beam",
        "one": 2.5,
        "missing": None,
        "bad": None,
    }


def test_the_digest_of_a_pipeline_message_uses_its_profiles_and_parameters() -> None:
    image = np.ones((40, 60), np.uint16)
    data = {
        "image": image,
        "x_profile": np.arange(60, dtype=np.int64),
        "y_profile": np.arange(40, dtype=np.int64) * 2,
        "x_fit_gauss_function": np.full(60, 5.0),
        "x_center_of_mass": 10.0,
        "y_center_of_mass": 20.0,
        "processing_parameters": json.dumps({"image_threshold": 12, "image_region_of_interest": None}),
    }
    region = ViewRegion(10, 5, 20, 30, 1)
    digest = frame_digest(data, image, decimate(image, region), region)
    assert digest["image"] == {"width": 60, "height": 40, "dtype": "uint16"}
    profiles = digest["profiles"]
    assert profiles["source"] == "channels"
    assert profiles["x"]["start"] == 10
    assert profiles["x"]["values"][:3] == [10.0, 11.0, 12.0]
    assert profiles["x"]["fit"] == [5.0] * 20
    assert profiles["y"]["values"][0] == 10.0
    assert "fit" not in profiles["y"]
    assert digest["processing_parameters"] == {"image_threshold": 12, "image_region_of_interest": None}
    assert digest["overlays"]["center_of_mass"] == {"x": 10.5, "y": 20.5}
    json.dumps(digest, allow_nan=False)  # every value is plain JSON


def test_a_camera_message_gets_profiles_of_the_shown_pixels() -> None:
    image = np.zeros((8, 12), np.uint16)
    image[:, 4] = 10
    region = ViewRegion(0, 0, 12, 8, 2)
    digest = frame_digest({"image": image}, image, decimate(image, region), region)
    x = digest["profiles"]["x"]
    assert digest["profiles"]["source"] == "pixels"
    assert (x["start"], x["step"]) == (0, 2)
    assert x["values"] == [0.0, 0.0, 80.0, 0.0, 0.0, 0.0]  # 4 rows shown x 10 x step 2
    assert digest["processing_parameters"] is None


def test_unreadable_processing_parameters_are_shown_as_text() -> None:
    image = np.zeros((2, 2), np.uint8)
    region = ViewRegion(0, 0, 2, 2, 1)
    digest = frame_digest({"processing_parameters": "{not json"}, image, image, region)
    assert digest["processing_parameters"] == {"unreadable": "{not json"}


def test_a_tall_camera_image_gets_its_profile_from_every_few_rows_scaled_to_whole_columns() -> None:
    image = np.zeros((600, 1024), np.uint16)
    image[:, 100] = 10
    region = ViewRegion(0, 0, 1024, 600, 1)
    x = frame_digest({"image": image}, image, image, region)["profiles"]["x"]
    assert x["step"] == 2  # 1024 columns binned to 512 points
    assert x["values"][50] == 3000.0  # (0 + 6000) / 2: the column's sum over all 600 rows, binned with its neighbour
    assert sum(value for value in x["values"] if value) == 3000.0


def test_axes_of_a_pipeline_in_millimetres_and_of_an_uncalibrated_one_in_pixels() -> None:
    image = np.zeros((40, 60), np.uint16)
    region = ViewRegion(10, 5, 20, 30, 1)
    x_axis = -(np.arange(60, dtype=np.float32) - 30) * 0.5  # 0.5 mm per pixel, descending
    y_axis = np.arange(40, dtype=np.float32) * 0.25
    digest = frame_digest({"x_axis": x_axis, "y_axis": y_axis}, image, image, region)
    assert digest["axes"]["x"] == {"start": 10.25, "end": 0.25, "unit": "mm", "calibrated": True}
    assert digest["axes"]["y"]["start"] == pytest.approx(1.125)
    assert digest["axes"]["y"]["end"] == pytest.approx(8.625)
    plain = frame_digest({"x_axis": np.arange(60.0), "y_axis": np.arange(40.0)}, image, image, region)
    assert plain["axes"]["x"] == {"start": 10.0, "end": 30.0, "unit": "px", "calibrated": False}
    camera = frame_digest({}, image, image, region, calibration=(x_axis, y_axis))
    assert camera["axes"]["x"]["calibrated"]
