"""Statistics of one profile: Gaussian fit, centre of mass and RMS with the 5-sigma cut, full widths.

All numbers follow camserver-reference.md §5.3:

* centre of mass / RMS relative to the fit: ``q = p - offset``, normalised by its sum (when not 0),
  samples further than 5 sigma from the fitted mean set to 0 *without* renormalising, ``com = sum(x q)``,
  ``rms = sqrt(|sum((x - com)^2 q)|)``;
* full width at ``threshold`` of (max - min) above the minimum: scan out from the maximum to the first
  sample at or below the level on each side, interpolate linearly between that sample and its
  inner neighbour, width in axis units;
* the good region of a profile: from the maximum to the first sample below
  ``(max - min) * threshold + min`` on each side, widened by ``gfscale``, clamped to the profile.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numba
import numpy as np

from camserver.processing.gaussian import GaussianFit, bell, solve_gaussian

__all__ = [
    "ProfileStatistics",
    "analyse_profile",
    "find_index",
    "full_width",
    "good_region_bounds",
    "index_on_axis",
    "profile_bounds",
    "searchable",
]

Array = np.ndarray[Any, Any]
_FLOAT_AXES = frozenset((np.dtype(np.float32), np.dtype(np.float64)))


class ProfileStatistics(NamedTuple):
    """Everything the default function reports for one profile (fields None when not computable)."""

    fit: GaussianFit | None
    fit_function: Array | None
    center_of_mass: float | None
    rms: float | None
    fwhm: float | None
    fw: float | None


@numba.njit(cache=True, nogil=True)
def full_width(profile, axis, threshold):  # type: ignore[no-untyped-def]
    """Width at ``threshold`` x (max - min) above the minimum; NaN for a flat or 1-sample profile."""
    n = profile.shape[0]
    if n < 2:
        return np.nan
    peak = np.argmax(profile)
    low = profile.min()
    level = (profile[peak] - low) * threshold
    if profile[peak] == low:
        return np.nan
    left = 0
    for i in range(peak - 1, 0, -1):
        if profile[i] - low <= level:
            left = i
            break
    right = n - 1
    for i in range(peak + 1, n):
        if profile[i] - low <= level:
            right = i
            break
    slope = (profile[left + 1] - profile[left]) / (axis[left + 1] - axis[left])
    shift_left = (low + level - profile[left]) / slope if slope != 0 and math.isfinite(slope) else 0.0
    slope = (profile[right] - profile[right - 1]) / (axis[right] - axis[right - 1])
    shift_right = (low + level - profile[right]) / slope if slope != 0 and math.isfinite(slope) else 0.0
    return abs((axis[right] + shift_right) - (axis[left] + shift_left))


@numba.njit(cache=True, nogil=True)
def _moments(profile, axis, offset, mean, sigma):  # type: ignore[no-untyped-def]
    total = 0.0
    for i in range(profile.shape[0]):
        total += profile[i] - offset
    if total == 0.0 or not math.isfinite(total):
        return np.nan, np.nan
    cut = 5.0 * sigma
    inside = 0
    for i in range(profile.shape[0]):
        if not abs(axis[i] - mean) > cut:
            inside += 1
    if inside == 0:  # the fit's window holds no sample (a fit beside the axis): every sample counts
        cut = np.inf
    center = 0.0
    for i in range(profile.shape[0]):
        if not abs(axis[i] - mean) > cut:
            center += axis[i] * (profile[i] - offset) / total
    spread = 0.0
    for i in range(profile.shape[0]):
        if not abs(axis[i] - mean) > cut:
            d = axis[i] - center
            spread += d * d * (profile[i] - offset) / total
    return center, math.sqrt(abs(spread))


@numba.njit(cache=True, nogil=True)
def _analyse(profile, axis, fw_threshold, curve, summed):  # type: ignore[no-untyped-def]
    # ``summed`` is the profile as summed (int64 for integer frames): the full widths read it
    # directly, the same numbers as on its float64 copy, but an integer argmax and min vectorise
    # (the float ones test every value for NaN: ~4x slower)
    offset, amplitude, mean, sigma, converged = solve_gaussian(profile, axis)
    if sigma != 0:
        bell(axis, mean, 0.5 / (sigma * sigma), curve, np.empty_like(curve))
        for i in range(axis.shape[0]):
            curve[i] = offset + amplitude * curve[i]
    else:
        curve[:] = offset
    center, rms = _moments(profile, axis, offset, mean, sigma)
    fwhm = full_width(summed, axis, 0.5)
    fw = full_width(summed, axis, fw_threshold) if not math.isnan(fw_threshold) else np.nan
    return offset, amplitude, mean, sigma, converged, center, rms, fwhm, fw


def analyse_profile(profile: Array, axis: Array, fw_threshold: float | None = None) -> ProfileStatistics:
    """Fit, centre of mass, RMS, FWHM (and the full width at ``fw_threshold``) of ``profile`` over ``axis``.

    An empty profile (or one whose axis has another length) gives all None.
    """
    n = profile.shape[0]
    if n == 0 or axis.shape[0] != n:
        return ProfileStatistics(None, None, None, None, None, None)
    values = np.ascontiguousarray(profile, dtype=np.float64)
    positions = np.ascontiguousarray(axis, dtype=np.float64)
    curve = np.empty(n, np.float64)
    level = np.nan if fw_threshold is None else float(fw_threshold)
    summed = profile if profile.dtype == np.int64 and profile.flags.c_contiguous else values
    found = _analyse(values, positions, level, curve, summed)
    offset, amplitude, mean, sigma, converged, center, rms, fwhm, fw = found
    fit = GaussianFit(float(offset), float(amplitude), float(mean), float(sigma), bool(converged))
    return ProfileStatistics(
        fit, curve, float(center), float(rms), float(fwhm), None if fw_threshold is None else float(fw)
    )


@numba.njit(cache=True, nogil=True)
def profile_bounds(profile, threshold, gfscale):  # type: ignore[no-untyped-def]
    n = profile.shape[0]
    peak = int(np.argmax(profile))
    low = profile.min()
    level = (profile[peak] - low) * threshold + low
    start = peak
    for i in range(peak, 0, -1):
        if profile[i] < level:
            start = i
            break
    end = peak
    for i in range(peak, n):
        if profile[i] < level:
            end = i
            break
    extension = (end - start) * gfscale - (end - start)
    first = start - extension / 2
    last = end + extension / 2
    first = first if first > 0 else 0.0
    last = last if last < n - 1 else float(n - 1)
    return int(first), int(last)


def good_region_bounds(profile: Array, threshold: float, gfscale: float) -> tuple[int, int] | None:
    """``(start, end)`` indices (end exclusive when slicing, as CamServer) or None for an empty profile."""
    if profile.shape[0] == 0:
        return None
    start, end = profile_bounds(np.ascontiguousarray(profile, dtype=np.float64), float(threshold), float(gfscale))
    return int(start), int(end)


@numba.njit(cache=True, nogil=True)
def index_on_axis(axis, item):  # type: ignore[no-untyped-def]
    """:func:`find_index` compiled, for float32 or float64 ``axis`` and a float ``item``."""
    n = axis.shape[0]
    if n < 2:
        return 0
    # Range checks in float64 (a float32 axis would cast a huge ``item``, a runaway fit, to inf);
    # the search itself compares in the axis' type, as numpy does with a Python float.
    first, second, last = float(axis[0]), float(axis[1]), float(axis[n - 1])
    cell = axis[:1].copy()
    cell[0] = item
    value = cell[0]
    if first > second:
        if item > first:
            return 0
        if item < last:
            return n - 1
        low, high = 0, n  # the first index whose value is <= item (searchsorted on the negated axis)
        while low < high:
            middle = (low + high) // 2
            if -axis[middle] < -value:
                low = middle + 1
            else:
                high = middle
        return low
    if item < first:
        return 0
    if item > last:
        return n - 1
    index = np.searchsorted(axis, value)
    if index < n and axis[index] == value:
        return index
    return index - 1


def find_index(axis: Array, item: float) -> int:
    """Index of ``item`` on a monotonic ``axis`` (CamServer's ``find_index``).

    Ascending: the index of an equal value, else the one before; descending: ``searchsorted`` on the
    negated axis. Values beyond either end clamp to 0 or ``len(axis) - 1``.
    """
    return int(index_on_axis(searchable(axis), float(item)))


def searchable(axis: Array) -> Array:
    """``axis`` as the compiled search takes it: float32 and float64 as they are, others as float64
    (numpy compares them with a float in float64 too)."""
    return axis if axis.dtype in _FLOAT_AXES else axis.astype(np.float64)
