"""A plain numpy/scipy implementation of CamServer's processing (camserver-reference.md §5), for comparison.

Written for clarity, not speed: every step makes full-size temporaries and fits use
``scipy.optimize.curve_fit`` as CamServer does. It follows the spec literally, including CamServer's
choices, except where camserver deliberately differs (float threshold, NaN-ignoring float64 profiles,
NaN for undefined widths and centres); those places are marked. The benchmark times it as the
"naive numpy" reference.
"""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import numpy as np
import scipy.ndimage
import scipy.optimize

Array = np.ndarray[Any, Any]


def bin_image(image: Array, bx: int, by: int, mean: bool) -> Array:
    h, w = image.shape[0] // by, image.shape[1] // bx
    blocks = np.nan_to_num(np.asarray(image[: h * by, : w * bx], dtype=np.float64)).reshape(h, by, w, bx)
    values = blocks.mean(axis=(1, 3)) if mean else blocks.sum(axis=(1, 3))
    return np.clip(values, 0, 65535).astype(np.uint16)


def bin_axis(axis: Array, factor: int) -> Array:
    n = axis.shape[0] // factor
    return axis[: n * factor].astype(np.float64).reshape(n, factor).mean(axis=1).astype(axis.dtype)


def preprocess(
    image: Array, x_axis: Array, y_axis: Array, parameters: dict[str, Any], background: Array | None = None
) -> tuple[Array, Array, Array]:
    """§5.2 without averaging: a new image and its axes."""
    image = np.array(image)
    bx, by = int(parameters.get("binning_x") or 1), int(parameters.get("binning_y") or 1)
    if bx > 1 or by > 1:
        mean = bool(parameters.get("binning_mean"))
        image = bin_image(image, bx, by, mean)
        x_axis, y_axis = bin_axis(x_axis, bx), bin_axis(y_axis, by)
        if background is not None:
            background = bin_image(background, bx, by, mean)
    mode = parameters.get("image_background_enable")
    if mode and mode != "passive" and background is not None:
        if mode == "signed":
            image = image - background if image.dtype.kind == "f" else image.astype(np.int32) - background
        else:
            difference = image.astype(np.float64) - background
            image = np.where(difference < 0, 0, difference).astype(image.dtype)
    if parameters.get("mirror_x"):
        image, x_axis = np.fliplr(image), x_axis[::-1]
    if parameters.get("mirror_y"):
        image, y_axis = np.flipud(image), y_axis[::-1]
    rotation = parameters.get("rotation")
    if isinstance(rotation, (int, float)) and rotation:
        rotation = {"angle": rotation}
    if rotation and rotation.get("angle"):
        angle, order, fill = rotation["angle"], rotation.get("order", 1), rotation.get("mode", "0.0")
        if fill == "ortho":
            k = int(angle / 90) % 4
            image = np.rot90(image, k)
            if k == 1:
                x_axis, y_axis = y_axis, x_axis[::-1]
            elif k == 2:
                x_axis, y_axis = x_axis[::-1], y_axis[::-1]
            elif k == 3:
                x_axis, y_axis = y_axis[::-1], x_axis
        else:
            image = scipy.ndimage.rotate(
                image, angle, reshape=False, order=order, mode="constant", cval=float(fill), prefilter=True
            )
    roi = parameters.get("image_region_of_interest")
    if roi:
        ox, sx, oy, sy = roi
        sx, sy = min(sx, image.shape[1]), min(sy, image.shape[0])
        ox, oy = max(0, min(ox, image.shape[1] - sx)), max(0, min(oy, image.shape[0] - sy))
        image, x_axis, y_axis = image[oy : oy + sy, ox : ox + sx], x_axis[ox : ox + sx], y_axis[oy : oy + sy]
    threshold = parameters.get("image_threshold")
    if threshold is not None and threshold > 0:
        image = np.array(image)
        image[image < threshold] = 0  # camserver: compared as a float (CamServer truncated with int())
    if parameters.get("image_scale") is not None:
        image = image * parameters["image_scale"]
    if parameters.get("image_offset") is not None:
        image = image + parameters["image_offset"]
    return np.ascontiguousarray(image), x_axis, y_axis


def profiles(image: Array) -> tuple[Array, Array]:
    """NaN-ignoring, int64 for integer and float64 for float images (camserver's choice)."""
    if image.dtype.kind == "f":
        clean = np.where(np.isnan(image), 0.0, image).astype(np.float64)
        return clean.sum(axis=0), clean.sum(axis=1)
    return image.sum(axis=0, dtype=np.int64), image.sum(axis=1, dtype=np.int64)


def gauss(x: Array, offset: float, amplitude: float, center: float, sigma: float) -> Array:
    return offset + amplitude * np.exp(-((x - center) ** 2) / (2 * sigma**2))


def guess(profile: Array, axis: Array) -> list[float]:
    p, x = profile.astype(np.float64), axis.astype(np.float64)
    offset = p.min()
    amplitude = p.max() - offset
    center = x[np.argmax(p)]
    sigma = np.trapezoid(p - offset, x) / (amplitude * math.sqrt(2 * math.pi)) if amplitude else 1.0
    return [float(offset), float(amplitude), float(center), float(sigma)]


def gauss_fit(profile: Array, axis: Array) -> tuple[float, float, float, float]:
    """CamServer's fit: scipy curve_fit from the initial guess; the guess on any failure."""
    start = guess(profile, axis)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted, _ = scipy.optimize.curve_fit(gauss, axis.astype(np.float64), profile.astype(np.float64), p0=start)
        offset, amplitude, center, sigma = (float(value) for value in fitted)
    except (RuntimeError, ValueError, TypeError):
        offset, amplitude, center, sigma = start
    return offset, amplitude, center, abs(sigma)


def com_rms(profile: Array, axis: Array, offset: float, center: float, sigma: float) -> tuple[float, float]:
    q = profile.astype(np.float64) - offset
    total = q.sum()
    if total == 0:
        return math.nan, math.nan  # camserver: undefined (CamServer reported a meaningless value)
    q = q / total
    x = axis.astype(np.float64)
    q[np.abs(x - center) > 5 * sigma] = 0
    com = float((x * q).sum())
    return com, math.sqrt(abs(float(((x - com) ** 2 * q).sum())))


def full_width(x: Array, y: Array, threshold: float = 0.5) -> float:
    y, x = y.astype(np.float64), x.astype(np.float64)
    if len(y) < 2 or y.max() == y.min():
        return math.nan  # camserver: undefined (CamServer: 0/0)
    ymax, ymin = y.max(), y.min()
    hm = (ymax - ymin) * threshold
    peak = int(np.argmax(y))
    i1, i2 = 0, len(x) - 1
    for i in range(peak - 1, 0, -1):
        if y[i] - ymin <= hm:
            i1 = i
            break
    for i in range(peak + 1, len(x)):
        if y[i] - ymin <= hm:
            i2 = i
            break
    slope1 = (y[i1 + 1] - y[i1]) / (x[i1 + 1] - x[i1])
    slope2 = (y[i2] - y[i2 - 1]) / (x[i2] - x[i2 - 1])
    dx1 = (ymin + hm - y[i1]) / slope1 if slope1 else 0.0
    dx2 = (ymin + hm - y[i2]) / slope2 if slope2 else 0.0
    return abs((x[i2] + dx2) - (x[i1] + dx1))


def good_region(profile: Array, threshold: float, gfscale: float) -> tuple[int, int]:
    p = profile.astype(np.float64)
    level = (p.max() - p.min()) * threshold + p.min()
    peak = int(np.argmax(p))
    start = end = peak
    for i in range(peak, 0, -1):
        if p[i] < level:
            start = i
            break
    for i in range(peak, len(p)):
        if p[i] < level:
            end = i
            break
    extension = (end - start) * gfscale - (end - start)
    first, last = start - extension / 2, end + extension / 2
    first = first if first > 0 else 0
    last = last if last < len(p) - 1 else len(p) - 1
    return int(first), int(last)


def find_index(axis: Array, item: float) -> int:
    if axis[0] > axis[1]:
        if item > axis[0]:
            return 0
        if item < axis[-1]:
            return len(axis) - 1
        return int(np.searchsorted(-axis, -item))
    if item < axis[0]:
        return 0
    if item > axis[-1]:
        return len(axis) - 1
    index = int(np.searchsorted(axis, item))
    if index < len(axis) and axis[index] == item:
        return index
    return index - 1


def calculate_slices(axis: Array, center: float, sigma: float, scale: float, count: int) -> tuple[list[int], int]:
    size = scale * sigma / count
    ic = find_index(axis, center)
    half = max(1, abs(find_index(axis, center + size / 2) - ic))
    start, end = ic - half, ic + half
    bounds: list[int] = []
    if start >= 0 and end < len(axis):
        bounds = [start, end]
        remaining = count - 1
        while remaining > 0:
            start, end = start - 2 * half, end + 2 * half
            if start < 0 or end >= len(axis):
                break
            bounds.insert(0, start)
            bounds.append(end)
            remaining -= 2
    return bounds, half


def linear_fit(x: list[float], y: list[float]) -> tuple[float, float]:
    fitted, _ = scipy.optimize.curve_fit(lambda t, a, b: a * t + b, np.array(x), np.array(y))
    return float(fitted[0]), float(fitted[1])


def process(
    image: Array, x_axis: Array, y_axis: Array, parameters: dict[str, Any], timestamp: tuple[int, int]
) -> dict[str, Any]:
    """§5.3 on an already pre-processed image."""
    result: dict[str, Any] = {"x_axis": x_axis, "y_axis": y_axis, "image": image}
    result.update(width=image.shape[1], height=image.shape[0], timestamp=timestamp[0] + timestamp[1] / 1e9)
    result.update(min_value=np.nanmin(image), max_value=np.nanmax(image))
    xp, yp = profiles(image)
    result.update(x_profile=xp, y_profile=yp, intensity=xp.sum())
    for name, p, axis in (("x", xp, x_axis), ("y", yp, y_axis)):
        offset, amplitude, center, sigma = gauss_fit(p, axis)
        result[f"{name}_fwhm"] = full_width(axis, p, 0.5)
        if parameters.get("fw_threshold") is not None:
            result[f"{name}_fw"] = full_width(axis, p, parameters["fw_threshold"])
        result[f"{name}_center_of_mass"], result[f"{name}_rms"] = com_rms(p, axis, offset, center, sigma)
        result[f"{name}_fit_gauss_function"] = gauss(axis.astype(np.float64), offset, amplitude, center, sigma)
        result.update({f"{name}_fit_offset": offset, f"{name}_fit_amplitude": amplitude})
        result.update({f"{name}_fit_standard_deviation": sigma, f"{name}_fit_mean": center})
    region_config = parameters.get("image_good_region")
    if region_config:
        threshold, gfscale = region_config.get("threshold", 0.3), region_config.get("gfscale", 1.8)
        x0, x1 = good_region(xp, threshold, gfscale)
        y0, y1 = good_region(yp, threshold, gfscale)
        region = image[y0:y1, x0:x1]
        gx, gy = x_axis[x0:x1], y_axis[y0:y1]
        gxp, gyp = profiles(region)
        fits = {}
        for name, p, axis in (("x", gxp, gx), ("y", gyp, gy)):
            offset, amplitude, center, sigma = gauss_fit(p, axis)
            fits[name] = (center, sigma)
            result[f"gr_{name}_fit_gauss_function"] = gauss(axis.astype(np.float64), offset, amplitude, center, sigma)
            result.update({f"gr_{name}_fit_offset": offset, f"gr_{name}_fit_amplitude": amplitude})
            result.update({f"gr_{name}_fit_standard_deviation": sigma, f"gr_{name}_fit_mean": center})
        result.update(good_region=[x0, y0, x1, y1], gr_x_axis=gx, gr_y_axis=gy, gr_x_profile=gxp)
        result.update(gr_y_profile=gyp, gr_intensity=gxp.sum())
        slicing = parameters.get("image_slices")
        if slicing:
            count = slicing.get("number_of_slices", 1)
            count += 1 - count % 2
            scale = slicing.get("scale", 2)
            orientation = slicing.get("orientation", "vertical")
            result.update(slice_orientation=orientation, slice_amount=count)
            x_data = []
            bounds, half = calculate_slices(gx, *fits["x"], scale, count)
            for k in range(len(bounds) - 1):
                band = region[:, bounds[k] : bounds[k + 1]]
                _, _, center, sigma = gauss_fit(profiles(band)[1], gy)
                x_data.append((float(gx[bounds[k] + half]), center, sigma, profiles(band)[0].sum()))
            data = x_data
            if orientation == "vertical":
                data = []
                bounds, half = calculate_slices(gy, *fits["y"], scale, count)
                for k in range(len(bounds) - 1):
                    band = region[bounds[k] : bounds[k + 1], :]
                    _, _, center, sigma = gauss_fit(profiles(band)[0], gx)
                    data.append((center, float(gy[bounds[k] + half]), sigma, profiles(band)[0].sum()))
            for k, (cx, cy, sigma, intensity) in enumerate(data):
                result.update({f"slice_{k}_center_x": cx, f"slice_{k}_center_y": cy})
                result.update({f"slice_{k}_standard_deviation": sigma, f"slice_{k}_intensity": intensity})
            slope, offset = linear_fit([d[0] for d in x_data], [d[1] for d in x_data])
            sigma_x = result["gr_x_fit_standard_deviation"]
            result.update(coupling=slope * sigma_x**2, coupling_slope=slope, coupling_offset=offset)
    result["processing_parameters"] = json.dumps(parameters)
    return result
