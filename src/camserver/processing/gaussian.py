"""Gaussian fits of profiles: CamServer's model and initial guess, solved by a numba Levenberg-Marquardt.

Model ``f(x) = offset + amplitude * exp(-(x - mean)**2 / (2 * sigma**2))``. The initial guess is
CamServer's (offset = min, amplitude = max - min, mean = axis at the maximum, sigma from the area
under the profile); the least-squares problem is then solved with an analytic Jacobian, which reaches
the same minimum as ``scipy.optimize.curve_fit`` (the tests compare both) about ten times faster. As in
CamServer, when the fit cannot be done (fewer than 4 points, no convergence, non-finite values) the
initial guess is returned, with ``converged=False``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numba
import numpy as np

__all__ = ["GaussianFit", "bell", "fit_gaussian", "gaussian", "initial_guess", "linear_fit", "solve_gaussian"]

Array = np.ndarray[Any, Any]
_MAX_ITERATIONS = 200
#: the fit stops when a step changes no parameter by more than this fraction, or lowers the sum of
#: squares by less than this fraction: scipy's ``curve_fit`` defaults (``xtol``, ``ftol``), so the fit
#: is as exact as CamServer's and takes no iterations beyond it
_TOLERANCE = 1.49012e-08
#: a fitted sigma wider than this many axis spans is taken as a failed fit
_MAX_WIDTH_SPANS = 10.0


class GaussianFit(NamedTuple):
    """A fitted Gaussian; ``standard_deviation`` is always >= 0."""

    offset: float
    amplitude: float
    mean: float
    standard_deviation: float
    converged: bool


def gaussian(axis: Array, offset: float, amplitude: float, mean: float, standard_deviation: float) -> Array:
    """The model evaluated on ``axis`` (float64)."""
    x = np.ascontiguousarray(axis, dtype=np.float64)
    if standard_deviation == 0 or not math.isfinite(standard_deviation) or x.ndim != 1:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return offset + amplitude * np.exp(-((x - mean) ** 2) / (2.0 * standard_deviation**2))
    shape = np.empty_like(x)
    bell(x, float(mean), 0.5 / (standard_deviation * standard_deviation), shape, np.empty_like(x))
    shape *= amplitude
    shape += offset
    return shape


@numba.njit(cache=True, nogil=True)
def initial_guess(profile, axis):  # type: ignore[no-untyped-def]
    """CamServer's guess: (offset, amplitude, mean, sigma); sigma 1 when the amplitude is 0."""
    n = profile.shape[0]
    low = profile[0]
    high = profile[0]
    peak = 0
    for i in range(1, n):
        low = min(low, profile[i])
        if profile[i] > high:
            high = profile[i]
            peak = i
    amplitude = high - low
    area = 0.0
    for i in range(n - 1):
        area += (axis[i + 1] - axis[i]) * ((profile[i] - low) + (profile[i + 1] - low)) * 0.5
    sigma = area / (amplitude * math.sqrt(2.0 * math.pi)) if amplitude != 0 else 1.0
    return np.array([low, amplitude, axis[peak], sigma])


#: exp(x) = 2**k * exp(r), k = round(x / ln 2), |r| <= ln 2 / 2: ln 2 split in two (Cody and Waite)
#: so that k * _LN2_HIGH is exact, and k found by adding 1.5 * 2**52 (which rounds to an integer)
_LOG2_E = 1.4426950408889634
_LN2_HIGH = 0.693147180369123816490
_LN2_LOW = 1.90821492927058770002e-10
_ROUNDER = 6755399441055744.0
#: below this exp(x) is subnormal; the shape is 0 there (2**k would leave the exponent's range)
_LOWEST = -708.0


@numba.njit(cache=True, nogil=True, fastmath={"contract"})
def bell(x, mean, inverse, out, scratch):  # type: ignore[no-untyped-def]
    """``out[i] = exp(-(x[i] - mean)**2 * inverse)`` for float64 arrays; ``scratch`` is as long as ``x``.

    The fits spend most of their time here, so the exponential is written to vectorise: a polynomial
    in the reduced argument (Estrin's scheme, degree 13: within 2 ulp of libm's exp) scaled by a power
    of two added to its exponent bits; libm's scalar exp is about three times slower. Results below
    exp(-708) (about 3e-308) are 0; NaN stays NaN.
    """
    for i in range(x.shape[0]):
        d = x[i] - mean
        v = -d * d * inverse
        v = _LOWEST if v < _LOWEST else v
        shifted = v * _LOG2_E + _ROUNDER
        k = shifted - _ROUNDER
        r = (v - k * _LN2_HIGH) - k * _LN2_LOW
        r2 = r * r
        r4 = r2 * r2
        low = (1.0 + r) + r2 * (0.5 + r * (1.0 / 6.0))
        low += r4 * ((1.0 / 24.0 + r * (1.0 / 120.0)) + r2 * (1.0 / 720.0 + r * (1.0 / 5040.0)))
        high = (1.0 / 40320.0 + r * (1.0 / 362880.0)) + r2 * (1.0 / 3628800.0 + r * (1.0 / 39916800.0))
        high += r4 * (1.0 / 479001600.0 + r * (1.0 / 6227020800.0))
        out[i] = low + (r4 * r4) * high
        scratch[i] = shifted
    bits = out.view(np.int64)
    powers = scratch.view(np.int64)  # the low bits of ``shifted`` hold k
    for i in range(x.shape[0]):
        bits[i] += powers[i] << 52
    for i in range(x.shape[0]):
        d = x[i] - mean
        v = -d * d * inverse
        if not v >= _LOWEST:
            out[i] = 0.0 if v < _LOWEST else np.nan


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _squares(y, offset, amplitude, shape):  # type: ignore[no-untyped-def]
    cost = 0.0
    for i in range(y.shape[0]):
        r = y[i] - offset - amplitude * shape[i]
        cost += r * r
    return cost


@numba.njit(cache=True, nogil=True)
def _cost(x, y, p, e, scratch):  # type: ignore[no-untyped-def]
    bell(x, p[2], 0.5 / (p[3] * p[3]), e, scratch)
    return _squares(y, p[0], p[1], e)


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "arcp"})
def _normal_equations(x, y, p, e, jtj, jtr):  # type: ignore[no-untyped-def]
    offset, amplitude, mean, sigma = p[0], p[1], p[2], p[3]
    inverse = 1.0 / (sigma * sigma)
    s01 = s02 = s03 = s11 = s12 = s13 = s22 = s23 = s33 = 0.0
    r0 = r1 = r2 = r3 = 0.0
    for i in range(x.shape[0]):
        d = x[i] - mean
        j1 = e[i]
        j2 = amplitude * j1 * d * inverse
        j3 = j2 * d / sigma
        r = y[i] - offset - amplitude * j1
        s01 += j1
        s02 += j2
        s03 += j3
        s11 += j1 * j1
        s12 += j1 * j2
        s13 += j1 * j3
        s22 += j2 * j2
        s23 += j2 * j3
        s33 += j3 * j3
        r0 += r
        r1 += j1 * r
        r2 += j2 * r
        r3 += j3 * r
    values = (float(x.shape[0]), s01, s02, s03, s11, s12, s13, s22, s23, s33)
    index = 0
    for a in range(4):
        for b in range(a, 4):
            jtj[a, b] = values[index]
            jtj[b, a] = values[index]
            index += 1
    jtr[0], jtr[1], jtr[2], jtr[3] = r0, r1, r2, r3


@numba.njit(cache=True, nogil=True)
def _solve(matrix, vector, out):  # type: ignore[no-untyped-def]
    m = matrix.copy()
    v = vector.copy()
    size = v.shape[0]
    for k in range(size):
        pivot = k
        for r in range(k + 1, size):
            if abs(m[r, k]) > abs(m[pivot, k]):
                pivot = r
        if m[pivot, k] == 0.0 or not math.isfinite(m[pivot, k]):
            return False
        if pivot != k:
            for c in range(size):
                m[k, c], m[pivot, c] = m[pivot, c], m[k, c]
            v[k], v[pivot] = v[pivot], v[k]
        for r in range(k + 1, size):
            factor = m[r, k] / m[k, k]
            for c in range(k, size):
                m[r, c] -= factor * m[k, c]
            v[r] -= factor * v[k]
    for k in range(size - 1, -1, -1):
        total = v[k]
        for c in range(k + 1, size):
            total -= m[k, c] * out[c]
        out[k] = total / m[k, k]
    return True


@numba.njit(cache=True, nogil=True)
def _levenberg_marquardt(x, y, start):  # type: ignore[no-untyped-def]
    p = start.copy()
    e = np.empty_like(x)
    trial_e = np.empty_like(x)
    scratch = np.empty_like(x)
    jtj = np.empty((4, 4))
    jtr = np.empty(4)
    damped = np.empty((4, 4))
    step = np.empty(4)
    trial = np.empty(4)
    cost = _cost(x, y, p, e, scratch)
    if not math.isfinite(cost):
        return p, False
    damping = 1e-3
    # Each parameter's damping is scaled by the largest curvature it has had (MINPACK's scaling, as
    # curve_fit): scaled by the current one, a step grows without bound once sigma grows and the
    # profile no longer constrains mean and sigma, and the fit runs away to a "Gaussian" millions of
    # pixels wide (seen on about 1 % of noisy profiles of a narrow beam).
    scale = np.zeros(4)
    for _ in range(_MAX_ITERATIONS):
        _normal_equations(x, y, p, e, jtj, jtr)
        for k in range(4):
            scale[k] = max(scale[k], jtj[k, k])
        while True:
            damped[:, :] = jtj
            for k in range(4):
                damped[k, k] += damping * scale[k] if scale[k] > 0 else damping
            if _solve(damped, jtr, step):
                for k in range(4):
                    trial[k] = p[k] + step[k]
                trial_cost = _cost(x, y, trial, trial_e, scratch)
                if trial_cost <= cost:
                    small = True
                    for k in range(4):
                        if abs(step[k]) > _TOLERANCE * (abs(trial[k]) + _TOLERANCE):
                            small = False
                    flat = cost - trial_cost <= _TOLERANCE * cost
                    p[:] = trial
                    e, trial_e = trial_e, e
                    cost = trial_cost
                    damping = max(damping * 0.1, 1e-15)
                    if small or flat:
                        return p, True
                    break
            damping *= 10.0
            if damping > 1e16:  # no step lowers the cost any more: we sit in the minimum
                return p, True
    return p, False


@numba.njit(cache=True, nogil=True)
def solve_gaussian(profile, axis):  # type: ignore[no-untyped-def]
    """(offset, amplitude, mean, |sigma|, converged) for float64 ``profile`` over float64 ``axis``."""
    guess = initial_guess(profile, axis)
    result = guess.copy()
    converged = False
    usable = profile.shape[0] >= 4 and guess[1] != 0 and guess[3] != 0 and math.isfinite(guess[3])
    if usable:
        fitted, converged = _levenberg_marquardt(axis, profile, guess)
        for k in range(4):
            if not math.isfinite(fitted[k]):
                converged = False
        # a minimum beyond the profile (its mean more than the axis' span outside it, or wider than
        # ten spans) describes no beam on this axis: the fit failed, as CamServer's would by raising
        low, high = min(axis[0], axis[-1]), max(axis[0], axis[-1])
        span = high - low
        if abs(fitted[3]) > _MAX_WIDTH_SPANS * span or not low - span <= fitted[2] <= high + span:
            converged = False
        if converged:
            result = fitted
    return result[0], result[1], result[2], abs(result[3]), converged


def fit_gaussian(profile: Array, axis: Array) -> GaussianFit | None:
    """Fit ``profile`` over ``axis``; None when the profile is empty or the lengths differ."""
    if profile.shape[0] == 0 or axis.shape[0] != profile.shape[0]:
        return None
    values = np.ascontiguousarray(profile, dtype=np.float64)
    positions = np.ascontiguousarray(axis, dtype=np.float64)
    offset, amplitude, mean, sigma, converged = solve_gaussian(values, positions)
    return GaussianFit(float(offset), float(amplitude), float(mean), float(sigma), bool(converged))


def linear_fit(x: Array | list[float], y: Array | list[float]) -> tuple[float, float] | None:
    """Least-squares ``(slope, offset)`` of ``y = slope * x + offset``; None if under-determined."""
    xs = [float(value) for value in (x if isinstance(x, list) else np.asarray(x, dtype=np.float64).ravel())]
    ys = [float(value) for value in (y if isinstance(y, list) else np.asarray(y, dtype=np.float64).ravel())]
    if len(xs) < 2 or not all(math.isfinite(value) for value in xs + ys):
        return None
    x_mean, y_mean = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
    spread = math.fsum((a - x_mean) ** 2 for a in xs)
    if spread == 0.0:
        return None
    slope = math.fsum((a - x_mean) * (b - y_mean) for a, b in zip(xs, ys, strict=True)) / spread
    return slope, y_mean - slope * x_mean
