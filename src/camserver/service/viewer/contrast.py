"""Display levels: the pixel values shown as the darkest and the brightest colour.

Automatic levels are robust percentiles of the shown pixels (by default 0.5 % and 99.95 %), so a
few hot pixels or dead columns do not set the scale: a 640x480 picture ignores its 150 brightest
pixels. The percentiles come from at most :data:`SAMPLE_PIXELS` pixels of the picture (an even grid
of them, a view, nothing copied): one ``bincount`` for unsigned integer pixels up to 16 bits,
``np.percentile`` of the finite values otherwise. A histogram of the same sample over the range
around the levels goes to the browser, which draws it under its contrast controls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["HISTOGRAM_BINS", "SAMPLE_PIXELS", "Contrast", "PixelHistogram", "display_levels", "full_range"]

Array = np.ndarray[Any, Any]

#: pixels looked at, at most, for automatic levels and the histogram
SAMPLE_PIXELS = 262_144
#: bins of the histogram sent to a browser
HISTOGRAM_BINS = 128


@dataclass(frozen=True, slots=True)
class PixelHistogram:
    """A histogram for the browser: ``counts[i]`` pixels lie in ``[low + i * width, low + (i + 1) *
    width)``; ``below`` and ``above`` count the sampled pixels outside ``[low, high)``; ``sampled`` is
    how many pixels it was made of, ``minimum`` and ``maximum`` their finite range."""

    low: float
    high: float
    counts: list[int]
    below: int
    above: int
    sampled: int
    minimum: float
    maximum: float

    def as_dict(self) -> dict[str, Any]:
        """The histogram as JSON values."""
        return {
            "low": self.low,
            "high": self.high,
            "counts": self.counts,
            "below": self.below,
            "above": self.above,
            "sampled": self.sampled,
            "min": self.minimum,
            "max": self.maximum,
        }


@dataclass(frozen=True, slots=True)
class Contrast:
    """Levels and histogram of one picture; ``auto`` tells whether the levels were found."""

    low: float
    high: float
    auto: bool
    histogram: PixelHistogram | None


def _sample(pixels: Array) -> Array:
    """An even grid of at most :data:`SAMPLE_PIXELS` of ``pixels`` (2-D): a strided view."""
    stride = max(1, math.ceil(math.sqrt(pixels.size / SAMPLE_PIXELS)))
    sample: Array = pixels[::stride, ::stride] if pixels.ndim == 2 else pixels.reshape(-1)[:: stride * stride]
    return sample


def _ordered(low: float, high: float) -> tuple[float, float]:
    if not high > low:
        high = low + 1.0
    return float(low), float(high)


class _Counts:
    """Pixels of an unsigned integer type up to 16 bits, as a count per value."""

    def __init__(self, sample: Array) -> None:
        self.counts = np.bincount(sample.reshape(-1), minlength=1)
        self.total = int(self.counts.sum())
        self.cumulative = np.cumsum(self.counts)
        nonzero = np.flatnonzero(self.counts)
        self.minimum = float(nonzero[0]) if nonzero.size else 0.0
        self.maximum = float(nonzero[-1]) if nonzero.size else 0.0

    def percentiles(self, low: float, high: float) -> tuple[float, float]:
        ranks = np.array([low, high]) / 100.0 * (self.total - 1)
        found = np.searchsorted(self.cumulative, ranks, side="right")
        return float(found[0]), float(found[1])

    def histogram(self, low: float, high: float, bins: int) -> tuple[list[int], int, int]:
        positions = np.floor((np.arange(self.counts.size) - low) / (high - low) * bins).astype(np.int64)
        inside = (positions >= 0) & (positions < bins)
        counts = np.bincount(positions[inside], weights=self.counts[inside], minlength=bins)[:bins]
        below = int(self.counts[positions < 0].sum())
        above = int(self.counts[positions >= bins].sum())
        return [int(count) for count in counts], below, above


class _Values:
    """Pixels of any other type, as the finite values of the sample."""

    def __init__(self, sample: Array) -> None:
        values = sample.reshape(-1)
        if values.dtype.kind == "f":
            values = values[np.isfinite(values)]
        self.values = values.astype(np.float64)
        self.total = int(self.values.size)
        self.minimum = float(self.values.min()) if self.total else 0.0
        self.maximum = float(self.values.max()) if self.total else 0.0

    def percentiles(self, low: float, high: float) -> tuple[float, float]:
        if not self.total:
            return 0.0, 1.0
        found = np.percentile(self.values, [low, high])
        return float(found[0]), float(found[1])

    def histogram(self, low: float, high: float, bins: int) -> tuple[list[int], int, int]:
        counts, _ = np.histogram(self.values, bins=bins, range=(low, high))
        below = int(np.count_nonzero(self.values < low))
        above = int(np.count_nonzero(self.values >= high))
        inside = self.total - below - above
        if int(counts.sum()) > inside:  # np.histogram counts ``high`` itself into the last bin
            counts[-1] -= int(counts.sum()) - inside
        return [int(count) for count in counts], below, above


def _distribution(sample: Array) -> _Counts | _Values:
    if sample.dtype.kind == "u" and sample.dtype.itemsize <= 2:
        return _Counts(sample)
    return _Values(sample)


def display_levels(
    pixels: Array,
    min_value: float | None = None,
    max_value: float | None = None,
    *,
    percentiles: tuple[float, float] | None = (0.5, 99.95),
    histogram: bool = False,
) -> Contrast:
    """The levels to show ``pixels`` with: ``min_value`` and ``max_value`` where given, else the
    ``percentiles`` of a sample of the finite pixels (None: their whole range). The result always
    has ``low < high``; with ``histogram`` it carries one for the browser."""
    auto = min_value is None or max_value is None
    distribution = _distribution(_sample(pixels)) if auto or histogram else None
    found = (0.0, 1.0)
    if auto:
        if percentiles is None:
            found = full_range(pixels)
        elif distribution is not None and distribution.total:
            found = distribution.percentiles(*percentiles)
    low, high = _ordered(found[0] if min_value is None else min_value, found[1] if max_value is None else max_value)
    shown: PixelHistogram | None = None
    if histogram and distribution is not None and distribution.total:
        minimum, maximum = distribution.minimum, distribution.maximum
        span = high - low
        range_low = min(minimum, low)
        range_high = max(high, min(maximum + 1, high + span))
        counts, below, above = distribution.histogram(range_low, range_high, HISTOGRAM_BINS)
        shown = PixelHistogram(range_low, range_high, counts, below, above, distribution.total, minimum, maximum)
    return Contrast(low, high, auto, shown)


def full_range(pixels: Array, min_value: float | None = None, max_value: float | None = None) -> tuple[float, float]:
    """The levels of CamServer's ``/image`` routes: those given, else the whole range of the finite
    pixels (0..1 when there is none)."""
    low, high = min_value, max_value
    if low is None or high is None:
        finite = pixels[np.isfinite(pixels)] if pixels.dtype.kind == "f" else pixels
        found_low = float(finite.min()) if finite.size else 0.0
        found_high = float(finite.max()) if finite.size else 1.0
        low = found_low if low is None else low
        high = found_high if high is None else high
    return _ordered(low, high)
