"""The default processing function: CamServer's standard beam metrics (camserver-reference.md §5.3).

:func:`process_image` has CamServer's signature and channel set. :func:`standard_metrics` is the same
computation taking already computed profiles, so the pipeline can fuse pre-processing and profiles
into one pass over the frame.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, MutableMapping
from typing import Any

import numpy as np

from camserver.errors import ConfigError
from camserver.processing.gaussian import GaussianFit, gaussian
from camserver.processing.good_region import NO_SLICES, SLICES_ACROSS_X, SLICES_BOTH, GoodRegion, measure
from camserver.processing.kernels import PassResult, pixel_pass
from camserver.processing.profile import ProfileStatistics, analyse_profile
from camserver.processing.provenance import processing_parameters, timestamp_seconds
from camserver.processing.settings import GoodRegionSettings, SlicesSettings, good_region_settings, slices_settings
from camserver.processing.slices import coupling

__all__ = ["process_image", "standard_metrics"]

Array = np.ndarray[Any, Any]
_GOOD_REGION_KEYS = ("good_region", "gr_x_axis", "gr_y_axis", "gr_x_profile", "gr_y_profile")
_FIT_KEYS = ("fit_gauss_function", "fit_offset", "fit_amplitude", "fit_standard_deviation", "fit_mean")
# channel names made once, not per frame: the fit channels by prefix, the good region's all None
_FIT_NAMES = {prefix: tuple(prefix + key for key in _FIT_KEYS) for prefix in ("x_", "y_", "gr_x_", "gr_y_")}
_NO_GOOD_REGION = dict.fromkeys((*_GOOD_REGION_KEYS, *_FIT_NAMES["gr_x_"], *_FIT_NAMES["gr_y_"], "gr_intensity"), None)
_SLICE_KEYS = ("center_x", "center_y", "standard_deviation", "intensity")


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
    parsed: tuple[GoodRegionSettings | None, SlicesSettings | None] | None = None,
) -> dict[str, Any]:
    """The output channels for ``image``; ``frame`` holds its profiles and min/max if already known,
    ``parsed`` the good-region and slice settings of ``parameters`` if already parsed (and valid)."""
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
            parsed=parsed,
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
    names = _FIT_NAMES[prefix]
    if fit is None:
        result.update(zip(names, (function, None, None, None, None), strict=True))
    else:
        result.update(zip(names, (function, fit.offset, fit.amplitude, fit.standard_deviation, fit.mean), strict=True))


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
    parsed: tuple[GoodRegionSettings | None, SlicesSettings | None] | None,
) -> None:
    result.update(_NO_GOOD_REGION)
    slicing = parameters.get("image_slices")
    if slicing:
        _reset_slices(result, slicing)
    slices: SlicesSettings | None = None
    slices_error: ConfigError | None = None
    if parsed is not None:
        settings, slices = parsed
    else:
        try:
            settings = good_region_settings(parameters)
        except ConfigError as error:
            warnings.append(f"no good region: {error}")
            return
        try:
            slices = slices_settings(parameters) if slicing else None
        except ConfigError as error:
            slices_error = error
    if settings is None:
        return
    cut = NO_SLICES if slices is None else SLICES_BOTH if slices.orientation == "vertical" else SLICES_ACROSS_X
    found = measure(
        image,
        x_profile,
        y_profile,
        axes=axes,
        positions=positions,
        threshold=settings.threshold,
        gfscale=settings.gfscale,
        slicing=cut,
        count=1 if slices is None else slices.number_of_slices,
        scale=2.0 if slices is None else slices.scale,
    )
    if isinstance(found, str):
        warnings.append(found)
        return
    x_start, y_start, x_end, y_end = found.bounds
    x_positions, y_positions = positions[0][x_start:x_end], positions[1][y_start:y_end]
    result.update(
        good_region=found.bounds,
        gr_x_axis=axes[0][x_start:x_end],
        gr_y_axis=axes[1][y_start:y_end],
        gr_x_profile=found.x_profile,
        gr_y_profile=found.y_profile,
        gr_intensity=found.x_profile.sum(),
    )
    _put_fit(result, "gr_x_", found.x_fit, gaussian(x_positions, *found.x_fit[:4]))
    _put_fit(result, "gr_y_", found.y_fit, gaussian(y_positions, *found.y_fit[:4]))
    if slices_error is not None:
        warnings.append(f"no slices: {slices_error}")
    elif slices is not None and found.x_slices is not None:
        _slices(result, found, slices.number_of_slices, warnings)


def _reset_slices(result: dict[str, Any], slicing: Any) -> None:
    count = slicing.get("number_of_slices", 1) if isinstance(slicing, Mapping) else 1
    count = count + 1 if isinstance(count, int) and count % 2 == 0 else count
    result["slice_orientation"] = slicing.get("orientation", "vertical") if isinstance(slicing, Mapping) else None
    result["slice_amount"] = count
    result["slice_length"] = None
    if isinstance(count, int) and count > 0:
        result.update(_no_slices(count))
    result.update(coupling=None, coupling_slope=None, coupling_offset=None)


@functools.lru_cache(maxsize=16)
def _slice_names(count: int) -> tuple[tuple[str, ...], ...]:
    """The channel names of slice 0..count-1 (made once per count)."""
    return tuple(tuple(f"slice_{index}_{key}" for key in _SLICE_KEYS) for index in range(count))


@functools.lru_cache(maxsize=16)
def _no_slices(count: int) -> dict[str, None]:
    return dict.fromkeys((name for names in _slice_names(count) for name in names), None)


def _slices(result: dict[str, Any], found: GoodRegion, count: int, warnings: list[str]) -> None:
    across_x = found.x_slices
    assert across_x is not None
    chosen = found.y_slices if found.y_slices is not None else across_x
    result["slice_length"] = chosen.length
    for names, item in zip(_slice_names(count), chosen.slices, strict=False):  # fewer slices than names
        result.update(zip(names, item, strict=True))
    if len(chosen.slices) < count:
        warnings.append(f"only {len(chosen.slices)} of {count} slices fit in the good region")
    fitted = coupling(across_x.slices, found.x_fit.standard_deviation)
    if fitted is None:
        warnings.append("no coupling: it needs at least two x-slices")
        return
    result.update(coupling=fitted.coupling, coupling_slope=fitted.slope, coupling_offset=fitted.offset)
