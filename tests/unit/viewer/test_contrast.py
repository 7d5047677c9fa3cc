"""Display levels: robust percentiles, given levels, the histogram for the browser."""

from __future__ import annotations

import numpy as np
import pytest

from camserver.service.viewer.contrast import HISTOGRAM_BINS, display_levels, full_range


def test_the_whole_range_of_the_finite_pixels_for_the_image_routes() -> None:
    assert full_range(np.array([[np.nan, 2.0], [np.inf, -3.0]])) == (-3.0, 2.0)
    assert full_range(np.zeros((2, 2), np.uint16), 10, None) == (10.0, 11.0)
    assert full_range(np.full((2, 2), 7, np.uint16)) == (7.0, 8.0)
    assert full_range(np.array([[np.nan]])) == (0.0, 1.0)


@pytest.mark.parametrize("dtype", ["uint16", "uint8", "int32", "float32", "float64"])
def test_automatic_levels_ignore_a_few_hot_and_dead_pixels(dtype: str) -> None:
    image = np.tile(np.arange(200, dtype=np.float64), (100, 1)).astype(dtype)  # 0..199, evenly
    image[5, 5] = 250 if dtype == "uint8" else 50_000  # hot
    image[6, 6] = 0
    contrast = display_levels(image)
    assert contrast.auto
    assert 0 <= contrast.low <= 2
    assert 196 <= contrast.high <= 200


def test_percentiles_are_settable_and_none_means_the_whole_range() -> None:
    image = np.tile(np.arange(1000, dtype=np.uint16), (10, 1))
    contrast = display_levels(image, percentiles=(10, 90))
    assert contrast.low == pytest.approx(100, abs=2)
    assert contrast.high == pytest.approx(900, abs=2)
    assert (display_levels(image, percentiles=None).low, display_levels(image, percentiles=None).high) == (0, 999)


def test_given_levels_win_and_a_flat_image_still_gets_a_range() -> None:
    fixed = display_levels(np.zeros((2, 2), np.uint16), 10, 20)
    assert (fixed.low, fixed.high, fixed.auto) == (10.0, 20.0, False)
    flat = display_levels(np.full((2, 2), 7, np.uint16))
    assert (flat.low, flat.high) == (7.0, 8.0)
    empty = display_levels(np.array([[np.nan]]))
    assert (empty.low, empty.high) == (0.0, 1.0)


def test_the_histogram_spans_the_levels_and_counts_what_lies_beyond() -> None:
    image = np.full((100, 100), 100, np.uint16)
    image[:50] = 300
    image[0, 0] = 60_000
    contrast = display_levels(image, histogram=True)
    histogram = contrast.histogram
    assert histogram is not None
    assert len(histogram.counts) == HISTOGRAM_BINS
    assert histogram.low <= contrast.low < contrast.high <= histogram.high
    assert sum(histogram.counts) + histogram.below + histogram.above == histogram.sampled == 10_000
    assert histogram.above >= 1  # the hot pixel lies beyond the range drawn
    assert histogram.maximum == 60_000


def test_a_large_picture_is_sampled() -> None:
    image = np.ones((2000, 2000), np.uint16)
    histogram = display_levels(image, histogram=True).histogram
    assert histogram is not None
    assert histogram.sampled <= 262_144
