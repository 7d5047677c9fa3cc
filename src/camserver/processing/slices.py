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
from camserver.processing.kernels import column_bands, narrow_sum_type, row_bands
from camserver.processing.profile import index_on_axis, searchable

__all__ = [
    "Coupling",
    "Slice",
    "SliceSet",
    "calculate_slices",
    "coupling",
    "slice_bounds",
    "slice_set",
    "slices_of",
    "x_slices",
    "y_slices",
]

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


@numba.njit(cache=True, nogil=True)
def slice_bounds(axis, center, sigma, scale, count):  # type: ignore[no-untyped-def]
    """:func:`calculate_slices` compiled (float32 or float64 ``axis``, odd ``count``): the boundaries
    (int64, empty when the middle slice is not on the axis), ``half`` and the middle slice's length
    (NaN when it has none)."""
    none = np.empty(0, np.int64)
    n = axis.shape[0]
    if n == 0 or not (math.isfinite(center) and math.isfinite(sigma)):
        return none, 1, np.nan
    size = scale * sigma / count
    index_center = index_on_axis(axis, center)
    half = max(1, abs(index_on_axis(axis, center + size / 2) - index_center))
    start, end = index_center - half, index_center + half
    if start < 0 or end >= n:
        return none, half, np.nan
    length = float(abs(axis[start] - axis[end]))
    pairs = 0  # pairs of slices added outwards while they stay on the axis
    while 2 * (pairs + 1) <= count - 1 and start - 2 * half * (pairs + 1) >= 0 and end + 2 * half * (pairs + 1) < n:
        pairs += 1
    bounds = np.empty(2 * pairs + 2, np.int64)
    for k in range(pairs + 1):
        bounds[k] = start - 2 * half * (pairs - k)
        bounds[pairs + 1 + k] = end + 2 * half * k
    return bounds, half, length


def calculate_slices(
    axis: Array, center: float, standard_deviation: float, scale: float, number_of_slices: int
) -> tuple[list[int], int, float | None]:
    """Slice boundaries (indices into ``axis``), pixels in half a slice, and the middle slice's length.

    ``number_of_slices`` must be odd. No boundaries when the middle slice is not on the axis.
    """
    if number_of_slices % 2 == 0:
        raise ValueError("Number of slices must be odd.")
    bounds, half, length = slice_bounds(
        searchable(axis), float(center), float(standard_deviation), float(scale), int(number_of_slices)
    )
    return [int(bound) for bound in bounds], int(half), None if bounds.shape[0] == 0 else float(length)


@numba.njit(cache=True, nogil=True)
def slice_set(image, rows, columns, across, along, center, sigma, scale, count, of_columns, zero):  # type: ignore[no-untyped-def]
    """A slice set of ``image[rows[0]:rows[1], columns[0]:columns[1]]`` (the region), read in place.

    ``of_columns``: bands of the region's columns placed on ``across`` (its x axis), each band's
    y-profile fitted over ``along`` (float64 positions of its y axis); else bands of rows. Returns the
    boundaries (relative to the region; empty when no slice fits), ``half``, the middle slice's length
    (NaN when none), the band profiles summed in ``zero``'s type, and each band's fitted (mean, sigma).
    """
    bounds, half, length = slice_bounds(across, center, sigma, scale, count)
    if bounds.shape[0] < 2:
        return np.empty(0, np.int64), half, length, np.full((0, along.shape[0]), zero), np.empty((0, 2))
    if of_columns:
        profiles = column_bands(image, rows[0], rows[1], bounds + columns[0], zero)
    else:
        profiles = row_bands(image, columns[0], columns[1], bounds + rows[0], zero)
    return bounds, half, length, profiles, _fit_profiles(profiles.astype(np.float64), along)


def slices_of(
    across: Array, bounds: Array, half: int, length: float, profiles: Array, fits: Array, *, of_columns: bool
) -> SliceSet:
    """The :class:`SliceSet` of what :func:`slice_set` returned (``across`` as given to it)."""
    if bounds.shape[0] < 2:  # the middle slice is not on the axis: it has no length either
        return SliceSet([], None)
    intensities = (profiles.astype(np.int64) if profiles.dtype == np.int32 else profiles).sum(axis=1)
    middles = across[bounds[:-1] + half].tolist()  # Python floats, as float() gives
    means, sigmas = fits[:, 0].tolist(), fits[:, 1].tolist()
    if of_columns:
        found = [Slice(*values) for values in zip(middles, means, sigmas, intensities, strict=True)]
    else:
        found = [Slice(*values) for values in zip(means, middles, sigmas, intensities, strict=True)]
    return SliceSet(found, float(length))


def x_slices(
    region: Array, x_axis: Array, y_axis: Array, *, center: float, sigma: float, scale: float, count: int
) -> SliceSet:
    """Bands of columns of ``region`` centred on ``center`` (x); each band's y-profile is fitted."""
    return _slice_set(region, x_axis, y_axis, center=center, sigma=sigma, scale=scale, count=count, of_columns=True)


def y_slices(
    region: Array, x_axis: Array, y_axis: Array, *, center: float, sigma: float, scale: float, count: int
) -> SliceSet:
    """Bands of rows of ``region`` centred on ``center`` (y); each band's x-profile is fitted."""
    return _slice_set(region, x_axis, y_axis, center=center, sigma=sigma, scale=scale, count=count, of_columns=False)


def _slice_set(
    region: Array,
    x_axis: Array,
    y_axis: Array,
    *,
    center: float,
    sigma: float,
    scale: float,
    count: int,
    of_columns: bool,
) -> SliceSet:
    across, along = (x_axis, y_axis) if of_columns else (y_axis, x_axis)  # bands cut across, profiles run along
    if along.shape[0] != region.shape[0 if of_columns else 1] or along.shape[0] == 0:
        _, _, length = calculate_slices(across, center, sigma, scale, count)
        return SliceSet([], length)
    if count % 2 == 0:
        raise ValueError("Number of slices must be odd.")
    found = slice_set(
        region,
        (0, region.shape[0]),
        (0, region.shape[1]),
        searchable(across),
        np.ascontiguousarray(along, dtype=np.float64),
        float(center),
        float(sigma),
        float(scale),
        int(count),
        of_columns,
        narrow_sum_type(region),
    )
    return slices_of(across, *found, of_columns=of_columns)


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
    fitted = linear_fit([item.center_x for item in slices], [item.center_y for item in slices])
    if fitted is None:
        return None
    slope, offset = fitted
    return Coupling(slope * sigma_x**2, slope, offset)
