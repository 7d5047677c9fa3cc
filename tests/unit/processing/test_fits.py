"""Gaussian fits, centre of mass/RMS, full widths, good region bounds and slices against truth and reference."""

from __future__ import annotations

import math

import numpy as np
import pytest

from camserver.processing import (
    analyse_profile,
    calculate_slices,
    find_index,
    fit_gaussian,
    full_width,
    gaussian,
    linear_fit,
)
from camserver.processing.gaussian import bell
from camserver.processing.profile import good_region_bounds
from tests.unit.processing import reference


def _profile(n=200, center=93.7, sigma=6.3, amplitude=500.0, offset=20.0, noise=0.0, seed=0):
    axis = np.arange(n, dtype=np.float64)
    values = gaussian(axis, offset, amplitude, center, sigma)
    if noise:
        values = values + np.random.default_rng(seed).normal(0, noise, n)
    return values, axis


def test_fit_recovers_the_truth_of_a_clean_profile():
    values, axis = _profile()
    fit = fit_gaussian(values, axis)
    assert fit.converged
    assert fit.mean == pytest.approx(93.7, abs=1e-4)
    assert fit.standard_deviation == pytest.approx(6.3, abs=1e-4)
    assert fit.amplitude == pytest.approx(500.0, rel=1e-6)
    assert fit.offset == pytest.approx(20.0, abs=1e-4)


@pytest.mark.parametrize("seed", range(8))
def test_fit_reaches_the_same_minimum_as_scipy_curve_fit(seed):
    rng = np.random.default_rng(seed)
    sigma = rng.uniform(3, 40)
    values, axis = _profile(
        n=400, center=rng.uniform(150, 250), sigma=sigma, amplitude=rng.uniform(50, 5000), noise=20, seed=seed
    )
    fit = fit_gaussian(values, axis)
    expected = reference.gauss_fit(values, axis)
    np.testing.assert_allclose(
        [fit.offset, fit.amplitude, fit.mean, fit.standard_deviation], expected, rtol=1e-6, atol=1e-6 * sigma
    )


def _simulated_profile(seed: int, frame: int) -> np.ndarray:
    """The x profile of a frame of the simulation camera (a beam a few pixels wide on strong
    noise, with hot pixels): the kind of profile a fit can run away on."""
    from camserver.processing.kernels import pixel_pass
    from camserver.sources.simulated_beam import SimulatedBeam

    beam = SimulatedBeam(320, 240, seed=seed)
    for _ in range(frame):
        beam.image()
    profile = pixel_pass(beam.image()).x_profile
    assert profile is not None
    return profile.astype(np.float64)


def test_a_noisy_narrow_beam_is_found_where_curve_fit_finds_it():
    # from CamServer's guess (at a hot column, far too wide) a fit damped by the current curvature
    # ran away to a mean of 3e37; damped by the largest curvature seen, it finds the beam
    values, axis = _simulated_profile(3, 18), np.arange(320, dtype=np.float64)
    fit = fit_gaussian(values, axis)
    expected = reference.gauss_fit(values, axis)
    assert fit.converged
    # both stop within their tolerances of a flat minimum: they agree to 1/1000 of the beam's width
    assert fit.mean == pytest.approx(expected[2], abs=1e-3 * expected[3])
    assert fit.standard_deviation == pytest.approx(expected[3], rel=1e-3)


def test_a_minimum_beyond_the_axis_is_a_failed_fit_and_the_centre_of_mass_stays_on_the_axis():
    axis = np.arange(100, dtype=np.float64)
    ramp = 10.0 * axis  # the best "Gaussian" of a ramp lies far beyond its end
    statistics = analyse_profile(ramp, axis)
    assert statistics.fit is not None
    assert not statistics.fit.converged
    assert statistics.fit.mean == 99.0, "CamServer's initial guess is reported, as for any failed fit"
    assert statistics.center_of_mass is not None
    assert 0 <= statistics.center_of_mass <= 99


@pytest.mark.parametrize("mean", [-1e6, 1e6])
def test_a_fit_window_that_holds_no_sample_counts_every_sample(mean):
    from camserver.processing.profile import _moments

    values, axis = _profile(noise=0.0)
    center, rms = _moments(values, axis, 20.0, mean, 6.3)
    assert center == pytest.approx(93.7, abs=1e-6)
    assert rms == pytest.approx(6.3, rel=1e-3)


@pytest.mark.parametrize("seed", range(4))
def test_fit_of_a_non_gaussian_profile_is_at_least_as_good_as_curve_fit(seed):
    values, axis = _profile(n=120, center=60.0, sigma=9.0, amplitude=900.0, offset=80.0, noise=30, seed=seed)
    values = np.where(values < 300, 0, values)  # a thresholded profile: the model cannot match it
    fit = fit_gaussian(values, axis)
    ours = (values - gaussian(axis, *fit[:4])) ** 2
    theirs = (values - gaussian(axis, *reference.gauss_fit(values, axis))) ** 2
    assert ours.sum() <= theirs.sum() * (1 + 1e-12)
    assert fit.mean == pytest.approx(reference.gauss_fit(values, axis)[2], rel=1e-5)


def test_fit_on_a_descending_axis():
    values, axis = _profile()
    descending = -axis * 0.5
    fit = fit_gaussian(values, descending)
    assert fit.mean == pytest.approx(-93.7 * 0.5, abs=1e-4)
    assert fit.standard_deviation == pytest.approx(6.3 * 0.5, abs=1e-4)


@pytest.mark.parametrize("values", [[5.0, 6.0, 5.0], [3.0] * 10, [0.0] * 6])
def test_fit_returns_the_initial_guess_when_it_cannot_fit(values):
    profile = np.array(values)
    axis = np.arange(profile.size, dtype=np.float64)
    fit = fit_gaussian(profile, axis)
    assert not fit.converged
    assert [fit.offset, fit.amplitude, fit.mean] == pytest.approx(reference.guess(profile, axis)[:3])


def test_fit_of_an_empty_profile_is_none():
    assert fit_gaussian(np.zeros(0), np.zeros(0)) is None
    assert fit_gaussian(np.zeros(5), np.zeros(4)) is None


@pytest.mark.parametrize("seed", range(5))
def test_profile_statistics_match_the_reference(seed):
    values, axis = _profile(n=300, center=140 + seed, sigma=10 + seed, noise=8, seed=seed)
    stats = analyse_profile(values, axis, fw_threshold=0.2)
    offset, _, center, sigma = reference.gauss_fit(values, axis)
    com, rms = reference.com_rms(values, axis, offset, center, sigma)
    assert stats.center_of_mass == pytest.approx(com, rel=1e-6)
    assert stats.rms == pytest.approx(rms, rel=1e-5)
    assert stats.fwhm == pytest.approx(reference.full_width(axis, values, 0.5), rel=1e-12)
    assert stats.fw == pytest.approx(reference.full_width(axis, values, 0.2), rel=1e-12)
    np.testing.assert_allclose(stats.fit_function, gaussian(axis, *reference.gauss_fit(values, axis)), rtol=1e-5)


def test_fwhm_of_a_gaussian_is_2_355_sigma():
    values, axis = _profile(n=1000, center=500.3, sigma=30.0, offset=0.0)
    assert analyse_profile(values, axis).fwhm == pytest.approx(2 * math.sqrt(2 * math.log(2)) * 30.0, rel=1e-3)


def test_center_of_mass_and_rms_of_a_gaussian():
    values, axis = _profile(n=1000, center=500.3, sigma=30.0, offset=7.0)
    stats = analyse_profile(values, axis)
    # no renormalisation after the 5-sigma cut: the lost tail mass (5.7e-7) biases the centre towards 0
    assert stats.center_of_mass == pytest.approx(500.3 * (1 - 5.73e-7), abs=1e-5)
    assert stats.rms == pytest.approx(30.0, rel=1e-4)


def test_five_sigma_cut_removes_a_far_outlier_without_renormalising():
    values, axis = _profile(n=1000, center=300.0, sigma=10.0, offset=0.0)
    values[900] += 200.0  # a hot pixel column far outside 5 sigma
    stats = analyse_profile(values, axis)
    q = values - stats.fit.offset
    inside = np.abs(axis - stats.fit.mean) <= 5 * stats.fit.standard_deviation
    assert stats.center_of_mass == pytest.approx((axis * q)[inside].sum() / q.sum(), rel=1e-9)
    assert (axis * q).sum() / q.sum() > 301.0  # without the cut the outlier would pull the centre
    assert 299.0 < stats.center_of_mass < 300.0


def test_flat_profile_has_nan_width_and_centre():
    stats = analyse_profile(np.full(50, 7.0), np.arange(50.0))
    assert math.isnan(stats.fwhm)
    assert math.isnan(stats.center_of_mass)
    assert math.isnan(full_width(np.array([1.0]), np.array([0.0]), 0.5))


@pytest.mark.parametrize(("threshold", "gfscale"), [(0.3, 1.8), (0.5, 1.0), (0.9, 3.0), (0.1, 5.0)])
def test_good_region_bounds_match_the_reference(threshold, gfscale):
    values, _ = _profile(n=300, center=120.0, sigma=15.0, noise=4)
    assert good_region_bounds(values, threshold, gfscale) == reference.good_region(values, threshold, gfscale)


def test_good_region_is_clamped_to_the_profile():
    values, _ = _profile(n=100, center=3.0, sigma=5.0)
    start, end = good_region_bounds(values, 0.3, 4.0)
    assert start == 0
    assert end < 100


def test_find_index_on_ascending_and_descending_axes():
    ascending = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    assert [find_index(ascending, v) for v in (-1, 0, 1.5, 2, 4, 9)] == [0, 0, 1, 2, 4, 4]
    descending = ascending[::-1].copy()
    assert [find_index(descending, v) for v in (9, 4, 2.5, 2, 0, -1)] == [0, 0, 2, 2, 4, 4]
    for value in (-1, 0.3, 1.5, 2, 3.99):
        assert find_index(ascending, value) == reference.find_index(ascending, value)
        assert find_index(descending, value) == reference.find_index(descending, value)


def test_calculate_slices_index_lists():
    axis = np.arange(100, dtype=np.float64)
    assert calculate_slices(axis, 50.0, 10.0, 2.0, 5) == ([40, 44, 48, 52, 56, 60], 2, 4.0)
    bounds, half, length = calculate_slices(axis, 50.0, 100.0, 2.0, 9)  # outer slices leave the axis
    assert (bounds, half, length) == ([17, 39, 61, 83], 11, 22.0)
    assert calculate_slices(axis, 99.5, 10.0, 2.0, 3)[0] == []
    with pytest.raises(ValueError, match="odd"):
        calculate_slices(axis, 50.0, 10.0, 2.0, 4)


def test_calculate_slices_matches_the_reference_on_a_descending_axis():
    axis = -np.arange(200, dtype=np.float64) * 0.25
    for center, sigma, count in ((-20.0, 3.0, 5), (-30.0, 1.0, 7), (-2.0, 4.0, 11)):
        bounds, half, _ = calculate_slices(axis, center, sigma, 2.0, count)
        assert (bounds, half) == reference.calculate_slices(axis, center, sigma, 2.0, count)


def test_linear_fit_matches_curve_fit():
    x = [1.0, 2.0, 4.0, 7.0]
    y = [2.1, 3.9, 8.2, 13.8]
    assert linear_fit(np.array(x), np.array(y)) == pytest.approx(reference.linear_fit(x, y), rel=1e-6)
    assert linear_fit(np.array([1.0]), np.array([2.0])) is None
    assert linear_fit(np.array([1.0, 1.0]), np.array([2.0, 3.0])) is None


def test_find_index_takes_values_far_beyond_a_float32_axis_without_overflow():
    ascending = np.arange(100, dtype=np.float32)
    assert find_index(ascending, 1e300) == 99
    assert find_index(ascending, -1e300) == 0
    assert find_index(ascending[::-1].copy(), 1e300) == 0


def test_bell_is_libm_exp_within_two_ulp_from_the_peak_to_the_underflow():
    x = np.concatenate([np.linspace(-40.0, 40.0, 100_001), np.random.default_rng(3).normal(0, 15, 10_000)])
    out, scratch = np.empty_like(x), np.empty_like(x)
    bell(x, 0.25, 0.5, out, scratch)
    expected = np.exp(-((x - 0.25) ** 2) * 0.5)
    normal = expected >= math.exp(-708.0)
    assert np.all(np.abs(out[normal] - expected[normal]) <= 2 * np.spacing(expected[normal]))
    assert np.all(out[~normal] == 0.0)
    assert normal.sum() > 90_000
    assert out[np.argmin(np.abs(x - 0.25))] == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize(
    ("mean", "inverse", "expected"),
    [(math.nan, 0.5, math.nan), (0.0, math.nan, math.nan), (0.0, math.inf, 0.0), (1e200, 0.5, 0.0)],
)
def test_bell_keeps_nan_and_is_zero_where_exp_underflows(mean, inverse, expected):
    x = np.array([1.0, 2.0, 3.0])
    out = np.full(3, 7.0)
    bell(x, mean, inverse, out, np.empty(3))
    np.testing.assert_array_equal(out, np.full(3, expected))
