"""The good region of a frame and its slices, measured in one compiled call (camserver-reference.md §5.3).

From the frame's profiles, :func:`measure` finds the good region, sums its profiles reading the
frame in place (no copy of the region), fits both, then places and fits the slice sets. The fits are
the same solver on the same arrays as :func:`~camserver.processing.gaussian.fit_gaussian` and
:func:`~camserver.processing.slices.x_slices`, so the numbers are the same; done in one call, the
Python between the steps (conversions, dispatch, small objects: about half the time of the whole
good region on a 2560x2160 frame) is gone. :mod:`camserver.processing.metrics` turns the result
into output channels.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numba
import numpy as np

from camserver.processing.gaussian import GaussianFit, solve_gaussian
from camserver.processing.kernels import narrow_sum_type, region_profiles
from camserver.processing.profile import profile_bounds, searchable
from camserver.processing.slices import SliceSet, slice_set, slices_of

__all__ = ["EMPTY", "MISMATCHED", "NO_SLICES", "SLICES_ACROSS_X", "SLICES_BOTH", "GoodRegion", "measure"]

Array = np.ndarray[Any, Any]
#: what to slice: nothing, x-slices only (horizontal orientation, and the coupling), or both
NO_SLICES, SLICES_ACROSS_X, SLICES_BOTH = 0, 1, 2
#: why there is no good region: its bounds are empty, or the axes are shorter than the frame
EMPTY, MISMATCHED = "the good region is empty", "the good region axes do not match the image"


class GoodRegion(NamedTuple):
    """The good region ``[x_start, y_start, x_end, y_end]`` (ends exclusive), its profiles and fits,
    and the slice sets asked for (None when not)."""

    bounds: list[int]
    x_profile: Array
    y_profile: Array
    x_fit: GaussianFit
    y_fit: GaussianFit
    x_slices: SliceSet | None
    y_slices: SliceSet | None


@numba.njit(cache=True, nogil=True)
def _measure(image, x_profile, y_profile, region, slices, axes, positions, zero, integers):  # type: ignore[no-untyped-def]
    threshold, gfscale = region
    slicing, count, scale = slices
    x_axis, y_axis = axes
    x_positions, y_positions = positions
    none = np.empty(0, np.int64)
    no_profiles = np.full((0, 0), zero)
    no_fits = np.empty((0, 2))
    unfitted = (0.0, 0.0, 0.0, 0.0, False)
    no_set = (none, 1, np.nan, no_profiles, no_fits)
    status = 0
    x_start = x_end = y_start = y_end = 0
    if x_profile.shape[0] == 0 or y_profile.shape[0] == 0:
        status = 1
    else:
        x_start, x_end = profile_bounds(x_profile, threshold, gfscale)  # int64 profiles as they are:
        y_start, y_end = profile_bounds(y_profile, threshold, gfscale)  # the same numbers, faster
        if x_end <= x_start or y_end <= y_start:
            status = 1
        elif x_positions.shape[0] < x_end or y_positions.shape[0] < y_end:
            status = 2
    if status != 0:
        empty = np.full(0, zero)
        return status, (x_start, y_start, x_end, y_end), empty, empty, unfitted, unfitted, no_set, no_set
    rows, columns = (y_start, y_end), (x_start, x_end)
    gr_x, gr_y = region_profiles(image, y_start, y_end, x_start, x_end, zero, integers)
    xs, ys = x_positions[x_start:x_end], y_positions[y_start:y_end]
    x_fit = solve_gaussian(gr_x.astype(np.float64), xs)
    y_fit = solve_gaussian(gr_y.astype(np.float64), ys)
    across_x = no_set
    across_y = no_set
    if slicing != 0:
        across_x = slice_set(
            image, rows, columns, x_axis[x_start:x_end], ys, x_fit[2], x_fit[3], scale, count, True, zero
        )
        if slicing == 2:
            across_y = slice_set(
                image, rows, columns, y_axis[y_start:y_end], xs, y_fit[2], y_fit[3], scale, count, False, zero
            )
    return status, (x_start, y_start, x_end, y_end), gr_x, gr_y, x_fit, y_fit, across_x, across_y


def measure(
    image: Array,
    x_profile: Array,
    y_profile: Array,
    *,
    axes: tuple[Array, Array],
    positions: tuple[Array, Array],
    threshold: float,
    gfscale: float,
    slicing: int = NO_SLICES,
    count: int = 1,
    scale: float = 2.0,
) -> GoodRegion | str:
    """The good region of ``image`` from its profiles, or why there is none (:data:`EMPTY`,
    :data:`MISMATCHED`). ``positions`` are the axes as float64; ``count`` (odd) and ``scale`` shape
    the slices when ``slicing`` asks for them."""
    x_axis, y_axis = axes
    zero = narrow_sum_type(image)
    status, bounds, gr_x, gr_y, x_fit, y_fit, across_x, across_y = _measure(
        image,
        x_profile,
        y_profile,
        (float(threshold), float(gfscale)),
        (int(slicing), int(count), float(scale)),
        (searchable(x_axis), searchable(y_axis)),
        positions,
        zero,
        image.dtype.kind in "iub",
    )
    if status != 0:
        return EMPTY if status == 1 else MISMATCHED
    x_start, y_start, x_end, y_end = (int(bound) for bound in bounds)
    sets = (
        slices_of(x_axis[x_start:x_end], *across_x, of_columns=True) if slicing != NO_SLICES else None,
        slices_of(y_axis[y_start:y_end], *across_y, of_columns=False) if slicing == SLICES_BOTH else None,
    )
    return GoodRegion(
        [x_start, y_start, x_end, y_end],
        gr_x.astype(np.int64) if gr_x.dtype == np.int32 else gr_x,
        gr_y.astype(np.int64) if gr_y.dtype == np.int32 else gr_y,
        _fit(x_fit),
        _fit(y_fit),
        *sets,
    )


def _fit(found: tuple[float, float, float, float, bool]) -> GaussianFit:
    offset, amplitude, mean, sigma, converged = found
    return GaussianFit(float(offset), float(amplitude), float(mean), float(sigma), bool(converged))
