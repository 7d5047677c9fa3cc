"""The default processing function: CamServer's standard beam metrics (camserver-reference.md §5.3).

:func:`process_image` has CamServer's signature and channel set. :func:`standard_metrics` is the same
computation taking already computed profiles, so the pipeline can fuse pre-processing and profiles
into one pass over the frame.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import numpy as np

from camserver.errors import ConfigError
from camserver.processing.gaussian import GaussianFit, fit_gaussian, gaussian
from camserver.processing.kernels import PassResult, pixel_pass
from camserver.processing.profile import ProfileStatistics, analyse_profile, good_region_bounds
from camserver.processing.provenance import processing_parameters, timestamp_seconds
from camserver.processing.settings import good_region_settings, slices_settings
from camserver.processing.slices import coupling, x_slices, y_slices

__all__ = ["process_image", "standard_metrics"]

Array = np.ndarray[Any, Any]
_GOOD_REGION_KEYS = ("good_region", "gr_x_axis", "gr_y_axis", "gr_x_profile", "gr_y_profile")
_FIT_KEYS = ("fit_gauss_function", "fit_offset", "fit_amplitude", "fit_standard_deviation", "fit_mean")


def process_image(
    image: Array,
    pulse_id: int,
    timestamp: Any,
    x_axis: Array,
    y_axis: Array,
    parameters: MutableMapping[str, Any],
    bsdata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """CamServer's default function on an already pre-processed ``image`` (never modified)."""
    return standard_metrics(image, x_axis, y_axis, parameters, timestamp)


def standard_metrics(
    image: Array,
    x_axis: Array,
    y_axis: Array,
    parameters: Mapping[str, Any],
    timestamp: Any,
    *,
    frame: PassResult | None = None,
) -> dict[str, Any]:
    """The output channels for ``image``; ``frame`` holds its profiles and min/max if already known."""
    result: dict[str, Any] = {
        "x_axis": x_axis,
        "y_axis": y_axis,
        "image": image,
        "width": int(image.shape[1]),
        "height": int(image.shape[0]),
    }
    if parameters.get("processing_error"):
        result["image"] = np.zeros(image.shape, image.dtype)
        result["processing_parameters"] = processing_parameters(parameters)
        return result
    warnings: list[str] = []
    if frame is None or frame.x_profile is None or frame.y_profile is None:
        frame = pixel_pass(image)
    x_profile, y_profile = frame.x_profile, frame.y_profile
    assert x_profile is not None
    assert y_profile is not None
    if image.size == 0:
        warnings.append("the image is empty")
    elif frame.min_value != frame.min_value:
        warnings.append("the image has no finite pixel")
    fw_threshold = parameters.get("fw_threshold")
    level = None if fw_threshold is None else float(fw_threshold)
    # the fits compute in float64: axes converted once here, not in every fit
    x_positions = np.ascontiguousarray(x_axis, dtype=np.float64)
    y_positions = np.ascontiguousarray(y_axis, dtype=np.float64)
    x_stats = analyse_profile(x_profile, x_positions, level)
    y_stats = analyse_profile(y_profile, y_positions, level)
    result.update(
        timestamp=timestamp_seconds(timestamp),
        min_value=frame.min_value,
        max_value=frame.max_value,
        x_profile=x_profile,
        y_profile=y_profile,
        intensity=x_profile.sum(),
        x_fwhm=x_stats.fwhm,
        y_fwhm=y_stats.fwhm,
    )
    if level is not None:
        result.update(x_fw=x_stats.fw, y_fw=y_stats.fw)
    for prefix, stats in (("x", x_stats), ("y", y_stats)):
        _note_profile(prefix, stats, warnings)
        result[f"{prefix}_center_of_mass"] = stats.center_of_mass
        result[f"{prefix}_rms"] = stats.rms
        _put_fit(result, f"{prefix}_", stats.fit, stats.fit_function)
    if parameters.get("image_good_region"):
        _good_region(
            result,
            image,
            axes=(x_axis, y_axis),
            positions=(x_positions, y_positions),
            x_profile=x_profile,
            y_profile=y_profile,
            parameters=parameters,
            warnings=warnings,
        )
    result["processing_parameters"] = processing_parameters(parameters, warnings)
    return result


def _note_profile(prefix: str, stats: ProfileStatistics, warnings: list[str]) -> None:
    if stats.fit is None:
        return
    if not stats.fit.converged:
        warnings.append(f"{prefix} fit did not converge: the initial guess is reported")
    if stats.fwhm is not None and stats.fwhm != stats.fwhm:
        warnings.append(f"{prefix} profile is flat: no FWHM")
    if stats.center_of_mass is not None and stats.center_of_mass != stats.center_of_mass:
        warnings.append(f"{prefix} profile has no signal above the fitted offset: no centre of mass")


def _put_fit(result: dict[str, Any], prefix: str, fit: GaussianFit | None, function: Array | None) -> None:
    result[f"{prefix}fit_gauss_function"] = function
    result[f"{prefix}fit_offset"] = None if fit is None else fit.offset
    result[f"{prefix}fit_amplitude"] = None if fit is None else fit.amplitude
    result[f"{prefix}fit_standard_deviation"] = None if fit is None else fit.standard_deviation
    result[f"{prefix}fit_mean"] = None if fit is None else fit.mean


def _good_region(
    result: dict[str, Any],
    image: Array,
    *,
    axes: tuple[Array, Array],
    positions: tuple[Array, Array],
    x_profile: Array,
    y_profile: Array,
    parameters: Mapping[str, Any],
    warnings: list[str],
) -> None:
    for key in _GOOD_REGION_KEYS:
        result[key] = None
    for axis in ("x", "y"):
        for key in _FIT_KEYS:
            result[f"gr_{axis}_{key}"] = None
    result["gr_intensity"] = None
    slicing = parameters.get("image_slices")
    if slicing:
        _reset_slices(result, slicing)
    try:
        settings = good_region_settings(parameters)
    except ConfigError as error:
        warnings.append(f"no good region: {error}")
        return
    if settings is None:
        return
    x_bounds = good_region_bounds(x_profile, settings.threshold, settings.gfscale)
    y_bounds = good_region_bounds(y_profile, settings.threshold, settings.gfscale)
    if x_bounds is None or y_bounds is None or x_bounds[1] <= x_bounds[0] or y_bounds[1] <= y_bounds[0]:
        warnings.append("the good region is empty")
        return
    (x_start, x_end), (y_start, y_end) = x_bounds, y_bounds
    region = image[y_start:y_end, x_start:x_end]
    if slicing:  # read three times (profiles, then bands of rows and of columns): copied once into C order
        region = np.ascontiguousarray(region)
    region_x_axis, region_y_axis = axes[0][x_start:x_end], axes[1][y_start:y_end]
    x_positions, y_positions = positions[0][x_start:x_end], positions[1][y_start:y_end]
    profiles = pixel_pass(region)
    assert profiles.x_profile is not None
    assert profiles.y_profile is not None
    x_fit = fit_gaussian(profiles.x_profile, x_positions)
    y_fit = fit_gaussian(profiles.y_profile, y_positions)
    if x_fit is None or y_fit is None:
        warnings.append("the good region axes do not match the image")
        return
    result.update(
        good_region=[x_start, y_start, x_end, y_end],
        gr_x_axis=region_x_axis,
        gr_y_axis=region_y_axis,
        gr_x_profile=profiles.x_profile,
        gr_y_profile=profiles.y_profile,
        gr_intensity=profiles.x_profile.sum(),
    )
    _put_fit(result, "gr_x_", x_fit, gaussian(x_positions, *x_fit[:4]))
    _put_fit(result, "gr_y_", y_fit, gaussian(y_positions, *y_fit[:4]))
    if slicing:
        _slices(
            result,
            region,
            x_axis=region_x_axis,
            y_axis=region_y_axis,
            x_fit=x_fit,
            y_fit=y_fit,
            parameters=parameters,
            warnings=warnings,
        )


def _reset_slices(result: dict[str, Any], slicing: Any) -> None:
    count = slicing.get("number_of_slices", 1) if isinstance(slicing, Mapping) else 1
    count = count + 1 if isinstance(count, int) and count % 2 == 0 else count
    result["slice_orientation"] = slicing.get("orientation", "vertical") if isinstance(slicing, Mapping) else None
    result["slice_amount"] = count
    result["slice_length"] = None
    for index in range(count if isinstance(count, int) and count > 0 else 0):
        for key in ("center_x", "center_y", "standard_deviation", "intensity"):
            result[f"slice_{index}_{key}"] = None
    result.update(coupling=None, coupling_slope=None, coupling_offset=None)


def _slices(
    result: dict[str, Any],
    region: Array,
    *,
    x_axis: Array,
    y_axis: Array,
    x_fit: GaussianFit,
    y_fit: GaussianFit,
    parameters: Mapping[str, Any],
    warnings: list[str],
) -> None:
    try:
        settings = slices_settings(parameters)
    except ConfigError as error:
        warnings.append(f"no slices: {error}")
        return
    if settings is None:
        return
    count, scale = settings.number_of_slices, settings.scale
    across_x = x_slices(
        region, x_axis, y_axis, center=x_fit.mean, sigma=x_fit.standard_deviation, scale=scale, count=count
    )
    chosen = across_x
    if settings.orientation == "vertical":
        chosen = y_slices(
            region,
            x_axis,
            y_axis,
            center=y_fit.mean,
            sigma=y_fit.standard_deviation,
            scale=scale,
            count=count,
        )
    result["slice_length"] = chosen.length
    for index, item in enumerate(chosen.slices):
        result[f"slice_{index}_center_x"] = item.center_x
        result[f"slice_{index}_center_y"] = item.center_y
        result[f"slice_{index}_standard_deviation"] = item.standard_deviation
        result[f"slice_{index}_intensity"] = item.intensity
    if len(chosen.slices) < count:
        warnings.append(f"only {len(chosen.slices)} of {count} slices fit in the good region")
    fitted = coupling(across_x.slices, x_fit.standard_deviation)
    if fitted is None:
        warnings.append("no coupling: it needs at least two x-slices")
        return
    result.update(coupling=fitted.coupling, coupling_slope=fitted.slope, coupling_offset=fitted.offset)
