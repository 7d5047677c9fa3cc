"""Slices of the good region and the x/y coupling (camserver-reference.md §5.3).

A slice set is centred on the fitted beam centre along one axis: a middle slice of ``2 * half``
pixels straddling the centre, then pairs of equally wide slices added outwards while they stay on the
axis, where ``half`` is the number of pixels in half of ``scale * sigma / number_of_slices``.
*x-slices* are bands of columns (each gives a y-profile, fitted for ``center_y``; ``center_x`` is the
axis value at the band's middle); *y-slices* are bands of rows (x-profile fit gives ``center_x``).
The coupling is always computed from the x-slices: ``center_y = slope * center_x + offset`` by least
squares, ``coupling = slope * sigma_x**2`` (the x-y covariance of a tilted Gaussian beam).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numba
import numpy as np

from camserver.processing.gaussian import linear_fit, solve_gaussian
from camserver.processing.kernels import band_profiles
from camserver.processing.profile import find_index

__all__ = ["Coupling", "Slice", "SliceSet", "calculate_slices", "coupling", "x_slices", "y_slices"]

Array = np.ndarray[Any, Any]


class Slice(NamedTuple):
    """One slice: its centre (axis units), the fitted sigma across it and its summed intensity."""

    center_x: float
    center_y: float
    standard_deviation: float
    intensity: Any


class SliceSet(NamedTuple):
    """The slices that fit on the axis (maybe fewer than asked) and the middle slice's length."""

    slices: list[Slice]
    length: float | None


class Coupling(NamedTuple):
    """``coupling = slope * sigma_x**2`` with the slope and offset of the linear fit."""

    coupling: float
    slope: float
    offset: float


def calculate_slices(
    axis: Array, center: float, standard_deviation: float, scale: float, number_of_slices: int
) -> tuple[list[int], int, float | None]:
    """Slice boundaries (indices into ``axis``), pixels in half a slice, and the middle slice's length.

    ``number_of_slices`` must be odd. No boundaries when the middle slice is not on the axis.
    """
    if number_of_slices % 2 == 0:
        raise ValueError("Number of slices must be odd.")
    if axis.shape[0] == 0 or not (math.isfinite(center) and math.isfinite(standard_deviation)):
        return [], 1, None
    size = scale * standard_deviation / number_of_slices
    index_center = find_index(axis, center)
    half = max(1, abs(find_index(axis, center + size / 2) - index_center))
    start, end = index_center - half, index_center + half
    if start < 0 or end >= axis.shape[0]:
        return [], half, None
    bounds = [start, end]
    length = float(abs(axis[start] - axis[end]))
    remaining = number_of_slices - 1
    while remaining > 0:
        start -= 2 * half
        end += 2 * half
        if start < 0 or end >= axis.shape[0]:
            break
        bounds.insert(0, start)
        bounds.append(end)
        remaining -= 2
    return bounds, half, length


def x_slices(
    region: Array, x_axis: Array, y_axis: Array, *, center: float, sigma: float, scale: float, count: int
) -> SliceSet:
    """Bands of columns of ``region`` centred on ``center`` (x); each band's y-profile is fitted."""
    return _slice_set(region, x_axis, y_axis, center=center, sigma=sigma, scale=scale, count=count, columns=True)


def y_slices(
    region: Array, x_axis: Array, y_axis: Array, *, center: float, sigma: float, scale: float, count: int
) -> SliceSet:
    """Bands of rows of ``region`` centred on ``center`` (y); each band's x-profile is fitted."""
    return _slice_set(region, x_axis, y_axis, center=center, sigma=sigma, scale=scale, count=count, columns=False)


def _slice_set(
    region: Array,
    x_axis: Array,
    y_axis: Array,
    *,
    center: float,
    sigma: float,
    scale: float,
    count: int,
    columns: bool,
) -> SliceSet:
    across, along = (x_axis, y_axis) if columns else (y_axis, x_axis)  # bands cut across, profiles run along
    bounds, half, length = calculate_slices(across, center, sigma, scale, count)
    if len(bounds) < 2 or along.shape[0] != region.shape[0 if columns else 1] or along.shape[0] == 0:
        return SliceSet([], length)
    profiles = band_profiles(region, np.asarray(bounds), columns=columns)
    intensities = profiles.sum(axis=1)
    fits = _fit_profiles(profiles.astype(np.float64), np.ascontiguousarray(along, dtype=np.float64))
    found = []
    for index in range(len(bounds) - 1):
        middle = float(across[bounds[index] + half])
        fitted_mean, fitted_sigma = float(fits[index, 0]), float(fits[index, 1])
        position = (middle, fitted_mean) if columns else (fitted_mean, middle)
        found.append(Slice(*position, fitted_sigma, intensities[index]))
    return SliceSet(found, length)


@numba.njit(cache=True, nogil=True)
def _fit_profiles(profiles, axis):  # type: ignore[no-untyped-def]
    """The fitted (mean, sigma) of each row of ``profiles`` over ``axis``: one call for a slice set."""
    result = np.empty((profiles.shape[0], 2))
    for index in range(profiles.shape[0]):
        _, _, mean, sigma, _ = solve_gaussian(profiles[index], axis)
        result[index, 0] = mean
        result[index, 1] = sigma
    return result


def coupling(slices: list[Slice], sigma_x: float) -> Coupling | None:
    """The linear fit of the x-slices' centres; None with fewer than two slices."""
    fitted = linear_fit(np.array([item.center_x for item in slices]), np.array([item.center_y for item in slices]))
    if fitted is None:
        return None
    slope, offset = fitted
    return Coupling(slope * sigma_x**2, slope, offset)
