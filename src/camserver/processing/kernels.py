"""The per-pixel work, fused into single passes compiled by numba (``cache=True``, ``nogil=True``).

:func:`pixel_pass` is the heart of the pre-processing chain: one read of the (possibly mirrored,
rotated or cropped) frame and background views does background subtraction, thresholding, the
optional write of the C-contiguous output image, both profiles and min/max. The other kernels sum
the good region's profiles and bands (slices) in place and bin frames. Kernels release the GIL, so
frames can be processed in threads. Profiles ignore NaN pixels; integer frames accumulate in int64,
float frames in float64.

The kernels take C-contiguous 2-D arrays and the width of a row to read in them: typed as views of
any layout, their inner loops would run one pixel at a time (numba cannot vectorise an unknown
stride), about four times slower. :func:`pixel_pass` hands over a cropped frame (region of interest)
as the C-contiguous array of its rows but the last, each padded to the next row's start, plus the
last row alone; frames whose pixels are not contiguous within a row, or whose rows run backwards
(mirrored in y), are copied into C order first (still faster than the strided kernels).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numba
import numpy as np

__all__ = [
    "MODE_NONE",
    "MODE_SIGNED",
    "MODE_SUBTRACT",
    "Dark",
    "PassResult",
    "bin_frame",
    "column_bands",
    "narrow_sum_type",
    "pixel_pass",
    "prepare_dark",
    "profile_dtype",
    "region_profiles",
    "row_bands",
]

MODE_NONE, MODE_SUBTRACT, MODE_SIGNED = 0, 1, 2
_SMALL = frozenset(np.dtype(name) for name in ("uint8", "int8", "uint16", "int16"))
_UNSIGNED_DARK = frozenset(np.dtype(name) for name in ("uint8", "uint16"))  # backgrounds _pass_uint16 takes
_SMALL_WIDTH = 16384  # int32 row totals cannot overflow below this width for 16-bit data
_FLUSH_ROWS = 16  # int32 column sums are flushed into the int64 profile every 16 rows

Array = np.ndarray[Any, Any]


class PassResult(NamedTuple):
    """What one pass over a frame found: profiles (None unless asked for) and min/max (None if empty)."""

    x_profile: Array | None
    y_profile: Array | None
    min_value: Any
    max_value: Any


class Dark(NamedTuple):
    """A uint16 background prepared once per config for the uint16 kernel: 8-bit ``levels`` above
    ``base``, so the pass reads one byte of background per pixel instead of two.

    A dark frame's values crowd around the camera's offset, whatever that is; ``base`` starts the
    window of 255 values that holds most pixels. Pixels outside it (hot or dead pixels) have level
    255 and are *listed* with their exact value, row by row (``rows[i]:rows[i + 1]`` index
    ``columns`` and ``values``); the kernel first subtracts ``base + 255`` there, then redoes those
    pixels after their row. See :func:`prepare_dark`.
    """

    levels: Array
    base: int
    rows: Array
    columns: Array
    values: Array

    def background(self) -> Array:
        """The uint16 background this stands for."""
        full = self.levels.astype(np.uint16) + np.uint16(self.base)
        counts = np.diff(self.rows)
        full[np.repeat(np.arange(counts.shape[0]), counts), self.columns] = self.values
        return full


def prepare_dark(background: Array, *, most_listed: float = 0.01) -> Dark | None:
    """``background`` (2-D, uint8 or uint16) as a :class:`Dark`, or None when more than ``most_listed``
    of its pixels would fall outside the best window of 255 values (then 16 bits are as fast)."""
    if background.ndim != 2 or background.dtype not in _UNSIGNED_DARK or background.size == 0:
        return None
    values = np.ascontiguousarray(background)
    below = np.concatenate(([0], np.cumsum(np.bincount(values.ravel()))))  # below[v]: pixels under v
    top = below.shape[0] - 1
    starts = np.arange(top)
    inside = below[np.minimum(starts + 255, top)] - below[starts]  # pixels in base..base+254
    base = int(np.argmax(inside))
    outside = values.size - int(inside[base])
    if outside > most_listed * values.size:
        return None
    shifted = values.astype(np.uint16) - np.uint16(base)  # values below base wrap far above 254
    out_of_window = shifted > 254
    levels = np.minimum(shifted, 255).astype(np.uint8)
    listed_rows, listed_columns = np.nonzero(out_of_window)
    rows = np.concatenate(([0], np.cumsum(np.bincount(listed_rows, minlength=values.shape[0])))).astype(np.int64)
    return Dark(levels, base, rows, listed_columns.astype(np.int64), values[out_of_window].astype(np.uint16))


def profile_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """int64 for integer frames (never uint64), float64 for float frames."""
    return np.dtype(np.float64) if dtype.kind == "f" else np.dtype(np.int64)


@numba.njit(cache=True, nogil=True, inline="always")
def _row_sums(values, columns, width):  # type: ignore[no-untyped-def]
    """Add a row of 16-bit values (or their int32 differences) to the column sums; return the
    row's total, minimum and maximum. Everything stays int32 so the loop vectorises."""
    total = np.int32(0)
    low = np.int32(2147483647)
    high = np.int32(-2147483647)
    for j in range(width):
        value = np.int32(values[j])
        columns[j] = np.int32(columns[j] + value)
        total = np.int32(total + value)
        low = min(low, value)
        high = max(high, value)
    return total, low, high


@numba.njit(cache=True, nogil=True, inline="always")
def _row_range(values, width):  # type: ignore[no-untyped-def]
    low = np.int32(2147483647)
    high = np.int32(-2147483647)
    for j in range(width):
        value = np.int32(values[j])
        low = min(low, value)
        high = max(high, value)
    return low, high


@numba.njit(cache=True, nogil=True)
def _pass_small(src, background, width, mode, threshold, out, write, profiles, x_profile, y_profile):  # type: ignore[no-untyped-def]
    # Each branch is taken per row, never per pixel, so every inner loop is a plain loop that
    # LLVM vectorises; the processed row is written to the output image (or a scratch row) and
    # then summed while it is still in L1. A frame without background and threshold is read once.
    height = src.shape[0]
    columns = np.zeros(width, np.int32)
    scratch = np.empty(width, out.dtype)
    direct = mode == 0 and threshold == np.int32(-2147483648)
    low = np.int32(2147483647)
    high = np.int32(-2147483647)
    for i in range(height):
        row = src[i]
        target = out[i] if write else scratch
        if direct:
            if write:
                for j in range(width):
                    target[j] = row[j]
        elif mode == 0:
            for j in range(width):
                value = np.int32(row[j])
                target[j] = value if value >= threshold else 0
        elif mode == 1:
            back = background[i]
            for j in range(width):
                value = max(np.int32(np.int32(row[j]) - np.int32(back[j])), np.int32(0))
                target[j] = value if value >= threshold else 0
        else:
            back = background[i]
            for j in range(width):
                value = np.int32(np.int32(row[j]) - np.int32(back[j]))
                target[j] = value if value >= threshold else 0
        if profiles:
            if direct:
                total, row_low, row_high = _row_sums(row, columns, width)
            else:
                total, row_low, row_high = _row_sums(target, columns, width)
            y_profile[i] = total
            if i % 16 == 15 or i == height - 1:
                for j in range(width):
                    x_profile[j] += columns[j]
                    columns[j] = 0
        elif direct:
            row_low, row_high = _row_range(row, width)
        else:
            row_low, row_high = _row_range(target, width)
        low = min(low, row_low)
        high = max(high, row_high)
    return np.int64(low), np.int64(high), height * width


@numba.njit(cache=True, nogil=True, inline="always")
def _clamped(pixel, dark, limit):  # type: ignore[no-untyped-def]
    """``pixel - dark`` clamped at 0, then 0 below ``limit``: all in uint16."""
    value = np.uint16(max(pixel, dark) - dark)
    return value if value >= limit else np.uint16(0)


@numba.njit(cache=True, nogil=True, inline="always")
def _flush(columns, x_profile, width):  # type: ignore[no-untyped-def]
    for j in range(width):
        x_profile[j] += columns[j]
        columns[j] = 0


@numba.njit(cache=True, nogil=True)
def _pass_uint16(src, background, width, subtract, threshold, out, write, profiles, x_profile, y_profile):  # type: ignore[no-untyped-def]
    # uint16 frames (the common camera case) with an optional uint16 (or uint8) background subtracted
    # and clamped at 0, and an optional threshold (0: none): every step stays in uint16 (a saturating
    # subtract, the compare and min/max at full vector width) and only the sums widen to int32,
    # all in one loop per row. About a fifth faster than the int32 path of _pass_small.
    # With profiles, rows go in pairs: the column sums (a load, an add and a store per pixel, the
    # loop's largest cost) are updated once per pair; measured against row by row (interleaved
    # A/B, 2560x2160): 3 % faster with an 8-bit background, 2.5 % with a 16-bit one, 8 % with a
    # threshold alone. Without a background the row of zeros is subtracted (``subtract`` False): a
    # no-op, cheaper than a test.
    height = src.shape[0]
    columns = np.zeros(width, np.int32)
    scratch = np.empty((2, width), np.uint16)
    limit = np.uint16(threshold)
    low = np.uint16(65535)
    high = np.uint16(0)
    paired = height - height % 2 if profiles else 0
    for i in range(0, paired, 2):
        first, second = src[i], src[i + 1]
        back_first = background[i] if subtract else background[0]
        back_second = background[i + 1] if subtract else background[0]
        target_first = out[i] if write else scratch[0]
        target_second = out[i + 1] if write else scratch[1]
        total_first = np.int32(0)
        total_second = np.int32(0)
        pair_low = np.uint16(65535)
        pair_high = np.uint16(0)
        for j in range(width):
            a = _clamped(first[j], np.uint16(back_first[j]), limit)
            b = _clamped(second[j], np.uint16(back_second[j]), limit)
            target_first[j] = a
            target_second[j] = b
            columns[j] = np.int32(columns[j] + (np.int32(a) + np.int32(b)))
            total_first = np.int32(total_first + np.int32(a))
            total_second = np.int32(total_second + np.int32(b))
            pair_low = min(pair_low, min(a, b))  # noqa: PLW3301  one step on the running minimum, not two
            pair_high = max(pair_high, max(a, b))  # noqa: PLW3301
        y_profile[i] = total_first
        y_profile[i + 1] = total_second
        if (i + 2) % _FLUSH_ROWS == 0 or i + 2 == height:
            _flush(columns, x_profile, width)
        low = min(low, pair_low)
        high = max(high, pair_high)
    for i in range(paired, height):  # every row without profiles; the last of an odd count with them
        row = src[i]
        back = background[i] if subtract else background[0]
        target = out[i] if write else scratch[0]
        total = np.int32(0)
        row_low = np.uint16(65535)
        row_high = np.uint16(0)
        for j in range(width):
            value = _clamped(row[j], np.uint16(back[j]), limit)
            target[j] = value
            total = np.int32(total + np.int32(value))
            row_low = min(row_low, value)
            row_high = max(row_high, value)
        if profiles:
            for j in range(width):
                columns[j] = np.int32(columns[j] + np.int32(target[j]))
            y_profile[i] = total
            _flush(columns, x_profile, width)
        low = min(low, row_low)
        high = max(high, row_high)
    return np.int64(low), np.int64(high), height * width


@numba.njit(cache=True, nogil=True)
def _pass_dark(src, levels, base, listed, width, threshold, out, write, profiles, x_profile, y_profile):  # type: ignore[no-untyped-def]
    # _pass_uint16 for a Dark with an offset or listed pixels: the background is ``base + levels``
    # (uint8), and the pixels ``listed`` (rows, columns, values) are redone after their row, or
    # pair of rows. Kept apart from _pass_uint16: the same loops with the add run ~6 % slower
    # (measured) where no background needs them. The shape of this loop matters more than it
    # should: written as ``for i in range(0, paired, 2)`` with the listed pixels redone after each
    # pair, it ran up to 7x slower (its vector loop compiled the same; cause not found); as below,
    # pairs are 12 % faster than row by row (interleaved A/B, a dark frame at 1000 counts with
    # 0.05 % hot pixels, 2560x2160).
    rows, listed_columns, listed_values = listed
    height = src.shape[0]
    columns = np.zeros(width, np.int32)
    scratch = np.empty((2, width), np.uint16)
    limit = np.uint16(threshold)
    offset = np.uint16(base)
    low = np.uint16(65535)
    high = np.uint16(0)
    i = 0
    while i < height:
        first = src[i]
        target_first = out[i] if write else scratch[0]
        total_first = np.int32(0)
        total_second = np.int32(0)
        row_low = np.uint16(65535)
        row_high = np.uint16(0)
        if profiles and i + 1 < height:
            second = src[i + 1]
            back_first, back_second = levels[i], levels[i + 1]
            target_second = out[i + 1] if write else scratch[1]
            for j in range(width):
                a = _clamped(first[j], np.uint16(np.uint16(back_first[j]) + offset), limit)
                b = _clamped(second[j], np.uint16(np.uint16(back_second[j]) + offset), limit)
                target_first[j] = a
                target_second[j] = b
                columns[j] = np.int32(columns[j] + (np.int32(a) + np.int32(b)))
                total_first = np.int32(total_first + np.int32(a))
                total_second = np.int32(total_second + np.int32(b))
                row_low = min(row_low, min(a, b))  # noqa: PLW3301  one step on the running minimum
                row_high = max(row_high, max(a, b))  # noqa: PLW3301
            step = 2
        else:
            second = first
            target_second = target_first
            back = levels[i]
            for j in range(width):
                value = _clamped(first[j], np.uint16(np.uint16(back[j]) + offset), limit)
                target_first[j] = value
                total_first = np.int32(total_first + np.int32(value))
                row_low = min(row_low, value)
                row_high = max(row_high, value)
            if profiles:
                for j in range(width):
                    columns[j] = np.int32(columns[j] + np.int32(target_first[j]))
            step = 1
        start = rows[i]
        end = rows[i + step]
        if end > start:  # (read as plain loads: a compound test here slows the loop above)
            middle = rows[i + 1]
            stale = False
            for k in range(start, end):
                later = k >= middle
                row = second if later else first
                target = target_second if later else target_first
                j = listed_columns[k]
                value = _clamped(row[j], listed_values[k], limit)
                guess = target[j]
                target[j] = value
                change = np.int32(np.int32(value) - np.int32(guess))
                columns[j] = np.int32(columns[j] + change)
                if later:
                    total_second = np.int32(total_second + change)
                else:
                    total_first = np.int32(total_first + change)
                # the minimum and maximum stay right unless this pixel's guess was one of them
                stale = stale or (guess == row_high and value < guess) or (guess == row_low and value > guess)
                row_low = min(row_low, value)
                row_high = max(row_high, value)
            if stale:
                row_low = np.uint16(65535)
                row_high = np.uint16(0)
                for j in range(width):
                    row_low = min(row_low, target_first[j], target_second[j])
                    row_high = max(row_high, target_first[j], target_second[j])
        if profiles:
            y_profile[i] = total_first
            if step == 2:
                y_profile[i + 1] = total_second
        i += step
        if profiles and (i % _FLUSH_ROWS == 0 or i >= height):
            _flush(columns, x_profile, width)
        low = min(low, row_low)
        high = max(high, row_high)
    return np.int64(low), np.int64(high), height * width


@numba.njit(cache=True, nogil=True)
def _pass_wide(src, background, width, mode, threshold, out, write, profiles, x_profile, y_profile, zero):  # type: ignore[no-untyped-def]
    height = src.shape[0]
    low = np.inf
    high = -np.inf
    count = 0
    for i in range(height):
        row = src[i]
        back = background[i] if mode != 0 else background[0]
        target = out[i] if write else out[0]
        total = zero
        for j in range(width):
            value = zero + row[j]
            if mode != 0:
                value = value - back[j]
                if mode == 1 and value < zero:
                    value = zero
            if value < threshold:
                value = zero
            if write:
                target[j] = value
            if value != value:  # noqa: PLR0124  NaN: kept in the image, left out of profiles and min/max
                continue
            if profiles:
                x_profile[j] += value
                total += value
            low = min(low, value)
            high = max(high, value)
            count += 1
        if profiles:
            y_profile[i] = total
    return low, high, count


def pixel_pass(
    src: Array,
    background: Array | Dark | None = None,
    *,
    mode: int = MODE_NONE,
    threshold: float | None = None,
    out: Array | None = None,
    profiles: bool = True,
) -> PassResult:
    """One fused pass over ``src`` (2-D, any strides).

    ``background`` (same shape) is subtracted per ``mode`` (MODE_SUBTRACT clamps negatives at 0,
    MODE_SIGNED keeps them); pixels below ``threshold`` (compared as floats) become 0; the result is
    written to ``out`` when given (C-contiguous, same shape) and summed into profiles when ``profiles``.
    ``background`` must already have an integer dtype for integer frames and float64 for float frames;
    a :class:`Dark` (same shape) is for uint16 frames and MODE_SUBTRACT.
    """
    height, width = src.shape
    dark = background if isinstance(background, Dark) else None
    if isinstance(background, Dark):
        if src.dtype != np.uint16 or mode != MODE_SUBTRACT:
            raise ValueError(f"a prepared background is for uint16 frames subtracted with clamping, not {src.dtype}")
        background = background.levels
    accumulate = profile_dtype(src.dtype)
    x_profile = np.zeros(width if profiles else 0, accumulate)
    y_profile = np.zeros(height if profiles else 0, accumulate)
    if src.size == 0:
        return PassResult(x_profile if profiles else None, y_profile if profiles else None, None, None)
    if mode == MODE_NONE or background is None:
        mode, background = MODE_NONE, np.zeros((1, width), np.uint16 if src.dtype.kind != "f" else np.float64)
    write = out is not None
    target = out if out is not None else np.zeros((1, 1), _result_dtype(src.dtype, mode))
    small = src.dtype in _SMALL and background.dtype in _SMALL and width < _SMALL_WIDTH
    limit_u16 = 0 if threshold is None or threshold <= 0 else int(np.ceil(threshold))
    unsigned = (
        small
        and src.dtype == np.uint16
        and limit_u16 <= 65535
        and (mode == MODE_NONE or (mode == MODE_SUBTRACT and background.dtype in _UNSIGNED_DARK))
        and (write or mode != MODE_NONE or limit_u16 > 0)  # a plain read is as fast on the int32 path
    )
    limit: Any
    if dark is not None and not unsigned:  # a threshold above 65535: the kernels without the listed pixels
        background, dark = dark.background(), None
    if unsigned:
        limit = limit_u16
    elif small:
        limit = (
            np.int32(min(np.ceil(threshold), 2**31 - 1))
            if threshold is not None and threshold > 0
            else np.int32(-(2**31))
        )
    else:
        limit = float(threshold) if threshold is not None and threshold > 0 else -np.inf
    low: Any = None
    high: Any = None
    count = 0
    if dark is not None and dark.base == 0 and dark.rows[-1] == 0:  # plain 8-bit values: the common kernel
        dark = None
    for first, rows, part, back_part in _pieces(src, background if mode != MODE_NONE else None):
        back = background if back_part is None else back_part  # no background: the row of zeros
        written = target[first : first + rows] if write else target
        y_part = y_profile[first : first + rows] if profiles else y_profile
        if dark is not None:
            listed = (dark.rows[first : first + rows + 1], dark.columns, dark.values)
            found = _pass_dark(part, back, dark.base, listed, width, limit, written, write, profiles, x_profile, y_part)
        elif unsigned:
            found = _pass_uint16(
                part, back, width, mode == MODE_SUBTRACT, limit, written, write, profiles, x_profile, y_part
            )
        elif small:
            found = _pass_small(part, back, width, mode, limit, written, write, profiles, x_profile, y_part)
        else:
            found = _pass_wide(
                part, back, width, mode, limit, written, write, profiles, x_profile, y_part, accumulate.type(0)
            )
        low = found[0] if low is None else min(low, found[0])
        high = found[1] if high is None else max(high, found[1])
        count += found[2]
    kind = _result_dtype(src.dtype, mode).type
    minimum, maximum = (kind(low), kind(high)) if count else (np.float64(np.nan), np.float64(np.nan))
    return PassResult(x_profile if profiles else None, y_profile if profiles else None, minimum, maximum)


def _pieces(src: Array, background: Array | None) -> list[tuple[int, int, Array, Array | None]]:
    """``(first row, rows, frame part, background part)`` for the kernels: C-contiguous 2-D arrays
    whose rows start where the frame's rows start (see the module docstring)."""
    arrays = [src] if background is None else [src, background]
    if all(array.flags.c_contiguous for array in arrays):
        return [(0, src.shape[0], src, background)]
    height = src.shape[0]
    if height == 1 or not all(_contiguous_rows(array) for array in arrays):
        copies = [np.ascontiguousarray(array) for array in arrays]
        return [(0, height, copies[0], copies[1] if background is not None else None)]
    heads = [_padded_head(array) for array in arrays]
    tails = [array[height - 1 :] for array in arrays]
    if background is None:
        return [(0, height - 1, heads[0], None), (height - 1, 1, tails[0], None)]
    return [(0, height - 1, heads[0], heads[1]), (height - 1, 1, tails[0], tails[1])]


def _contiguous_rows(array: Array) -> bool:
    """Whether the rows of ``array`` are contiguous and follow one another forwards in memory."""
    item = array.itemsize
    row_stride, pixel_stride = array.strides
    if array.shape[1] > 1 and pixel_stride != item:
        return False
    return row_stride >= array.shape[1] * item and row_stride % item == 0


def _padded_head(array: Array) -> Array:
    """The rows but the last of ``array`` (see :func:`_contiguous_rows`) as a C-contiguous array, each
    row padded with what lies before the next row: all of it inside ``array``'s own memory."""
    item = array.itemsize
    head: Array = np.lib.stride_tricks.as_strided(
        array, shape=(array.shape[0] - 1, array.strides[0] // item), strides=(array.strides[0], item), writeable=False
    )
    return head


def _result_dtype(dtype: np.dtype[Any], mode: int) -> np.dtype[Any]:
    if mode == MODE_SIGNED and dtype.kind != "f":
        return np.dtype(np.int32)
    return dtype


@numba.njit(cache=True, nogil=True)
def column_bands(image, first, last, bounds, zero):  # type: ignore[no-untyped-def]
    # Bands of columns over rows first:last, row by row: reading down the columns of a frame whose
    # rows are a multiple of 1 KiB apart maps them onto a few cache sets (measured 9x slower in
    # place). Indices count from 0 and rows are sliced, here and below: an index that could be
    # negative costs a wraparound test per pixel and keeps the loop from vectorising.
    bands = bounds.shape[0] - 1
    height = last - first
    result = np.full((bands, height), zero)
    for i in range(height):
        row = image[first + i]
        for k in range(bands):
            band = row[bounds[k] : bounds[k + 1]]
            total = zero
            for j in range(band.shape[0]):
                value = band[j]
                if value == value:  # noqa: PLR0124  not NaN (compiled away for integers)
                    total += value
            result[k, i] = total
    return result


@numba.njit(cache=True, nogil=True)
def row_bands(image, first, last, bounds, zero):  # type: ignore[no-untyped-def]
    # Bands of rows over columns first:last.
    bands = bounds.shape[0] - 1
    width = last - first
    result = np.full((bands, width), zero)
    for k in range(bands):
        target = result[k]
        for i in range(bounds[k], bounds[k + 1]):
            row = image[i][first:last]
            for j in range(width):
                value = row[j]
                if value == value:  # noqa: PLR0124  not NaN (compiled away for integers)
                    target[j] += value
    return result


@numba.njit(cache=True, nogil=True)
def region_profiles(image, top, bottom, left, right, zero, integers):  # type: ignore[no-untyped-def]
    """Profiles of ``image[top:bottom, left:right]`` read in place, accumulated in ``zero``'s type;
    NaN pixels are left out. Sums in the order :func:`pixel_pass` makes them (floats: bit-equal).

    ``integers`` (an integer frame: its sums are exact in any order): four rows at a time, so four
    rows stream from memory at once; a region's rows are a few cache lines each, too short for the
    prefetcher to get going one by one (measured 41 -> 29 us on a 450x339 region read from L3).
    """
    width = right - left
    height = bottom - top
    x_profile = np.full(width, zero)
    y_profile = np.full(height, zero)
    first = 0
    if integers:
        for first in range(0, height - 3, 4):
            a, b = image[top + first][left:right], image[top + first + 1][left:right]
            c, d = image[top + first + 2][left:right], image[top + first + 3][left:right]
            total_a = total_b = total_c = total_d = zero
            for j in range(width):
                value_a, value_b, value_c, value_d = zero + a[j], zero + b[j], zero + c[j], zero + d[j]
                x_profile[j] += (value_a + value_b) + (value_c + value_d)
                total_a += value_a
                total_b += value_b
                total_c += value_c
                total_d += value_d
            y_profile[first], y_profile[first + 1] = total_a, total_b
            y_profile[first + 2], y_profile[first + 3] = total_c, total_d
        first = height - height % 4
    for i in range(first, height):
        row = image[top + i][left:right]
        total = zero
        for j in range(width):
            value = zero + row[j]
            if value == value:  # noqa: PLR0124  not NaN (compiled away for integers)
                x_profile[j] += value
                total += value
        y_profile[i] = total
    return x_profile, y_profile


def narrow_sum_type(image: Array) -> Any:
    """The zero to sum ``image``'s pixels in over any of its rows or columns: int32 for 16-bit (or
    narrower) integers when neither side reaches 32768 (no overflow, and it vectorises twice as wide
    as int64), else the profile type."""
    if image.dtype in _SMALL and max(image.shape) < _SMALL_WIDTH // 2:
        return np.int32(0)
    return profile_dtype(image.dtype).type(0)


@numba.njit(cache=True, nogil=True)
def _bin(image, binning_x, binning_y, mean, out):  # type: ignore[no-untyped-def]
    height, width = out.shape
    row_sum = np.zeros(width, np.float64)
    area = binning_x * binning_y
    for i in range(height):
        row_sum[:] = 0.0
        for a in range(binning_y):
            row = image[i * binning_y + a]
            for j in range(width * binning_x):
                value = row[j]
                if value == value:  # noqa: PLR0124  not NaN (compiled away for integers)
                    row_sum[j // binning_x] += value
        for j in range(width):
            value = row_sum[j] / area if mean else row_sum[j]
            out[i, j] = np.uint16(min(max(value, 0.0), 65535.0))
    return out


def bin_frame(image: Array, binning_x: int, binning_y: int, mean: bool) -> Array:
    """Blocks of ``binning_y`` x ``binning_x`` pixels summed (clipped to 0..65535) or averaged, as uint16.

    The frame is cropped to whole blocks first; NaN pixels count as 0.
    """
    height, width = image.shape[0] // binning_y, image.shape[1] // binning_x
    out = np.empty((height, width), np.uint16)
    if out.size:
        _bin(image, binning_x, binning_y, mean, out)
    return out
