"""CamServer's ``psss`` function (the photon single-shot spectrometer): an energy spectrum from a camera image.

Per frame, with the camera's name as prefix of every channel and PV:

1. Inputs (from EPICS, through a :class:`SpectrometerLink`): the rows to use, ``SPC_ROI_YMIN`` ..
   ``SPC_ROI_YMAX`` (the whole image unless ``rows >= ymax > ymin >= 0``), and the energy of each
   column, ``SPECTRUM_X``. Without an energy axis, or with one shorter than the image is wide, the
   frame gives no output (CamServer's behaviour); a longer one is cut to the width.
2. ``image - pixel_bkg`` (parameter, default 0) over the rows, minus a passive background
   (``image_background_enable: "passive"``) of the same shape, summed over the rows: the spectrum
   ``SPECTRUM_Y`` (float64).
3. The spectrum smoothed by a Savitzky-Golay filter (window 51, cubic; a narrower image uses the
   widest odd window it has). A Gaussian is fitted to every second sample of the smoothed spectrum
   with the analytic Jacobian and at most 10 evaluations; the initial guess (offset = minimum,
   amplitude = range, centre = centre of mass, sigma from the area) stands when the fit fails or
   when the amplitude is not above 1.5 counts per row (noise only). ``SPECTRUM_CENTER`` is the
   centre, ``SPECTRUM_FWHM`` 2.355 sigma.
4. ``SPECTRUM_COM`` and ``SPECTRUM_STD``: mean and standard deviation of the energy axis weighted by
   the smoothed spectrum.

The outputs go to the stream and, for every pulse id above the last written one, to the PVs
``SPECTRUM_Y``, ``SPECTRUM_CENTER``, ``SPECTRUM_FWHM``, ``SPECTRUM_COM``, ``SPECTRUM_STD``.
``<camera>:processing_parameters`` says which rows and which background were used.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from camserver.errors import ProcessingError

__all__ = ["Psss", "SpectrometerInputs", "SpectrometerLink", "SpectrumResult", "fit_gaussian", "spectrum"]

Array = np.ndarray[Any, Any]
logger = logging.getLogger("camserver.processing.psss")

_WINDOW = 51
_ORDER = 3
_MAX_EVALUATIONS = 10
_FWHM_PER_SIGMA = 2.355


@dataclass(frozen=True, slots=True)
class SpectrometerInputs:
    """What the spectrometer's PVs say now: the rows to use and the energy of each column."""

    roi: tuple[float, float] = (0, 0)
    energy_axis: Array | None = None


@dataclass(frozen=True, slots=True)
class SpectrumResult:
    """One frame's spectrum and its figures."""

    spectrum: Array
    energy_axis: Array
    center: float
    fwhm: float
    center_of_mass: float
    standard_deviation: float
    rows: tuple[int, int]


class SpectrometerLink(Protocol):
    """Where ``psss`` reads its inputs and writes its results (the camera's EPICS PVs)."""

    def inputs(self) -> SpectrometerInputs: ...

    def publish(self, pulse_id: int, result: SpectrumResult) -> None: ...

    def close(self) -> None: ...


def _gauss(x: Array, offset: float, amplitude: float, center: float, sigma: float) -> Array:
    result: Array = offset + amplitude * np.exp(-((x - center) ** 2) / (2 * sigma**2))
    return result


def _gauss_jacobian(x: Array, offset: float, amplitude: float, center: float, sigma: float) -> Array:
    exponential = np.exp(-((x - center) ** 2) / (2 * sigma**2))
    return np.stack(
        [
            np.ones_like(x),
            exponential,
            amplitude * exponential * (x - center) / sigma**2,
            amplitude * exponential * (x - center) ** 2 / sigma**3,
        ],
        axis=1,
    )


def fit_gaussian(profile: Array, axis: Array, *, skip: bool = False) -> tuple[float, float, float, float]:
    """``(offset, amplitude, center, sigma)`` of a Gaussian through ``profile`` (see the module
    docstring: at most 10 evaluations, the initial guess when the fit fails or ``skip``)."""
    profile = np.asarray(profile, dtype=np.float64)
    axis = np.asarray(axis, dtype=np.float64)
    offset = float(profile.min())
    amplitude = float(profile.max()) - offset
    total = float(profile.sum())
    center = float(np.dot(axis, profile) / total) if total else float(axis[int(np.argmax(profile))])
    area = float(np.trapezoid(profile - offset, x=axis))
    sigma = abs(area / (amplitude * math.sqrt(2 * math.pi))) if amplitude else 0.0
    guess = (offset, amplitude, center, sigma)
    if skip or amplitude == 0 or sigma == 0 or len(profile) < 4:
        return guess
    import scipy.optimize  # imported where it is used: instances of other pipelines start without it

    try:
        optimum, _ = scipy.optimize.curve_fit(
            _gauss, axis, profile, p0=guess, jac=_gauss_jacobian, maxfev=_MAX_EVALUATIONS
        )
    except (RuntimeError, ValueError, scipy.optimize.OptimizeWarning, FloatingPointError):
        return guess
    offset, amplitude, center, sigma = (float(value) for value in optimum)
    if not all(math.isfinite(value) for value in (offset, amplitude, center, sigma)):
        return guess
    return offset, amplitude, center, abs(sigma)


def _smoothed(values: Array) -> Array:
    window = min(_WINDOW, len(values) if len(values) % 2 else len(values) - 1)
    if window <= _ORDER:
        return values.copy()
    import scipy.signal

    result: Array = scipy.signal.savgol_filter(values, window, _ORDER)
    return result


def spectrum(
    image: Array,
    inputs: SpectrometerInputs,
    *,
    pixel_background: float = 0.0,
    background: Array | None = None,
) -> SpectrumResult | None:
    """The spectrum of one image (see the module docstring); None without a usable energy axis."""
    rows, columns = image.shape
    axis = inputs.energy_axis
    if axis is None or len(axis) < columns:
        return None
    axis = np.asarray(axis[:columns], dtype=np.float64)
    first, last = 0, rows
    low, high = int(inputs.roi[0]), int(inputs.roi[1])
    if rows >= high > low >= 0:
        first, last = low, high
    values = image[first:last].astype(np.float64) - float(pixel_background)
    if background is not None:
        values -= background[first:last]
    profile = values.sum(axis=0)
    smooth = _smoothed(profile)
    skip = float(smooth.max() - smooth.min()) <= (last - first) * 1.5
    _, _, center, sigma = fit_gaussian(smooth[::2], axis[::2], skip=skip)
    total = float(smooth.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = smooth / total if total else np.full_like(smooth, np.nan)
        center_of_mass = float(np.sum(axis * weights))
        deviation = float(np.sqrt(np.sum((axis - center_of_mass) ** 2 * weights)))
    return SpectrumResult(
        spectrum=profile,
        energy_axis=axis,
        center=center,
        fwhm=_FWHM_PER_SIGMA * sigma,
        center_of_mass=center_of_mass,
        standard_deviation=deviation,
        rows=(first, last),
    )


class Psss:
    """The ``psss`` processing function of one pipeline, reading and writing through ``link``."""

    def __init__(self, link: SpectrometerLink) -> None:
        self.link = link
        self.__name__ = "psss"
        self._lock = threading.Lock()
        self._published: int | None = None
        self._warned = ""

    def _warn(self, message: str) -> None:
        if message != self._warned:
            logger.warning("psss: %s", message)
        self._warned = message

    def __call__(
        self,
        image: Array,
        pulse_id: int,
        timestamp: Any,
        x_axis: Array,
        y_axis: Array,
        parameters: MutableMapping[str, Any],
        bsdata: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        camera = parameters.get("camera_name")
        if not camera:
            raise ProcessingError("psss: the pipeline needs camera_name (its channels and PVs are named after it)")
        inputs = self.link.inputs()
        if inputs.energy_axis is None:
            self._warn(f"the energy axis {camera}:SPECTRUM_X is not connected: no output")
            return None
        if len(inputs.energy_axis) < image.shape[1]:
            self._warn(f"the energy axis has {len(inputs.energy_axis)} values, the image {image.shape[1]} columns")
            return None
        background = parameters.pop("background_data", None)
        if isinstance(background, np.ndarray) and background.shape != image.shape:
            self._warn(f"background of shape {background.shape} for images of {image.shape}: not subtracted")
            background = None
        elif not isinstance(background, np.ndarray):
            background = None
        result = spectrum(
            image, inputs, pixel_background=float(parameters.get("pixel_bkg") or 0.0), background=background
        )
        if result is None:
            return None
        used = parameters.get("image_background") if background is not None else None
        output: dict[str, Any] = {
            f"{camera}:processing_parameters": json.dumps({"roi": list(inputs.roi), "background": used}),
            f"{camera}:SPECTRUM_Y": result.spectrum,
            f"{camera}:SPECTRUM_X": result.energy_axis,
            f"{camera}:SPECTRUM_CENTER": result.center,
            f"{camera}:SPECTRUM_FWHM": result.fwhm,
            f"{camera}:SPECTRUM_COM": result.center_of_mass,
            f"{camera}:SPECTRUM_STD": result.standard_deviation,
        }
        with self._lock:
            newer = self._published is None or pulse_id > self._published
            if newer:
                self._published = pulse_id
        if newer:
            self.link.publish(pulse_id, result)
        return output

    def close(self) -> None:
        """Close the link."""
        self.link.close()
