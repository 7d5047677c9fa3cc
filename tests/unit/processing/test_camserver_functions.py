"""CamServer's other built-in functions: psen, psss (with an in-memory EPICS link) and custom_pipeline."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from camserver.errors import ProcessingError
from camserver.processing import load_function
from camserver.processing.library import CUSTOM_FUNCTIONS, PROCESSING_FUNCTIONS
from camserver.processing.psss import Psss, SpectrometerInputs, SpectrumResult, fit_gaussian, spectrum


def test_psen_gives_the_x_profiles_of_its_two_regions() -> None:
    image = np.arange(6 * 8, dtype=np.uint16).reshape(6, 8)
    parameters: dict[str, Any] = {"camera_name": "CAM", "roi_signal": [1, 3, 2, 2], "roi_background": [0, 8, 0, 1]}
    result = PROCESSING_FUNCTIONS["psen"](image, 1, (0, 0), None, None, parameters)
    np.testing.assert_array_equal(result["CAM.roi_signal_x_profile"], [17 + 25, 18 + 26, 19 + 27])
    np.testing.assert_array_equal(result["CAM.roi_background_x_profile"], np.arange(8))
    assert result["CAM.roi_signal_x_profile"].dtype == np.int64
    assert json.loads(result["CAM.processing_parameters"]) == {
        "roi_signal": [1, 3, 2, 2],
        "roi_background": [0, 8, 0, 1],
    }


def test_psen_without_regions_gives_only_its_parameters_and_refuses_bad_regions() -> None:
    image = np.ones((4, 4))
    assert set(PROCESSING_FUNCTIONS["psen"](image, 1, (0, 0), None, None, {"camera_name": "C"})) == {
        "C.processing_parameters"
    }
    with pytest.raises(ProcessingError, match="roi_signal"):
        PROCESSING_FUNCTIONS["psen"](image, 1, (0, 0), None, None, {"camera_name": "C", "roi_signal": [0, -1, 0, 1]})


# -- psss ----------------------------------------------------------------------------------------

_ENERGY = 9000.0 + np.arange(600, dtype=np.float64)
_CENTER, _SIGMA = 9250.0, 40.0


def _spectrometer_image(rows: int = 40, *, noise: float = 1.0, offset: float = 50.0) -> np.ndarray:
    line = 8.0 * np.exp(-((_ENERGY - _CENTER) ** 2) / (2 * _SIGMA**2))
    rng = np.random.default_rng(3)
    return np.tile(line, (rows, 1)) + offset + rng.normal(0, noise, (rows, len(_ENERGY)))


class MemoryLink:
    def __init__(self, inputs: SpectrometerInputs) -> None:
        self.current = inputs
        self.published: list[tuple[int, SpectrumResult]] = []
        self.closed = False

    def inputs(self) -> SpectrometerInputs:
        return self.current

    def publish(self, pulse_id: int, result: SpectrumResult) -> None:
        self.published.append((pulse_id, result))

    def close(self) -> None:
        self.closed = True


def test_the_gaussian_fit_recovers_a_known_line() -> None:
    axis = np.linspace(-50, 50, 201)
    profile = 3.0 + 20.0 * np.exp(-((axis - 4.5) ** 2) / (2 * 7.0**2))
    offset, amplitude, center, sigma = fit_gaussian(profile, axis)
    assert center == pytest.approx(4.5, abs=0.05)
    assert sigma == pytest.approx(7.0, rel=0.02)
    assert offset == pytest.approx(3.0, abs=0.2) and amplitude == pytest.approx(20.0, rel=0.02)
    assert fit_gaussian(profile, axis, skip=True)[0] == pytest.approx(3.0)  # the guess: offset = minimum


def test_psss_finds_the_centre_and_width_of_a_known_spectrum() -> None:
    image = _spectrometer_image()
    result = spectrum(image, SpectrometerInputs((0, 0), _ENERGY), pixel_background=50.0)
    assert result is not None
    assert result.center == pytest.approx(_CENTER, abs=0.5)
    assert result.fwhm == pytest.approx(2.355 * _SIGMA, rel=0.03)
    assert result.center_of_mass == pytest.approx(_CENTER, abs=1.0)
    assert result.standard_deviation == pytest.approx(_SIGMA, rel=0.1)
    np.testing.assert_allclose(result.spectrum, (image - 50.0).sum(axis=0))


def test_psss_uses_the_rows_of_its_roi_and_subtracts_a_passive_background() -> None:
    image = _spectrometer_image(noise=0.0)
    background = np.full(image.shape, 10.0)
    parameters: dict[str, Any] = {"camera_name": "SPEC", "pixel_bkg": 0, "background_data": background}
    link = MemoryLink(SpectrometerInputs((10, 30), _ENERGY))
    output = Psss(link)(image, 7, (0, 0), None, None, parameters)
    assert output is not None
    np.testing.assert_allclose(output["SPEC:SPECTRUM_Y"], (image[10:30] - 10.0).sum(axis=0))
    assert output["SPEC:SPECTRUM_CENTER"] == pytest.approx(_CENTER, abs=0.5)
    assert set(output) == {
        "SPEC:processing_parameters",
        "SPEC:SPECTRUM_Y",
        "SPEC:SPECTRUM_X",
        "SPEC:SPECTRUM_CENTER",
        "SPEC:SPECTRUM_FWHM",
        "SPEC:SPECTRUM_COM",
        "SPEC:SPECTRUM_STD",
    }
    assert "background_data" not in parameters
    assert [pulse_id for pulse_id, _ in link.published] == [7]


def test_psss_publishes_only_newer_pulses_and_skips_frames_without_an_energy_axis() -> None:
    image = _spectrometer_image()
    link = MemoryLink(SpectrometerInputs((0, 0), _ENERGY))
    function = Psss(link)
    for pulse_id in (5, 4, 6):
        assert function(image, pulse_id, (0, 0), None, None, {"camera_name": "S"}) is not None
    assert [pulse_id for pulse_id, _ in link.published] == [5, 6]
    link.current = SpectrometerInputs((0, 0), None)
    assert function(image, 9, (0, 0), None, None, {"camera_name": "S"}) is None
    link.current = SpectrometerInputs((0, 0), _ENERGY[:100])
    assert function(image, 10, (0, 0), None, None, {"camera_name": "S"}) is None
    function.close()
    assert link.closed


def test_psss_on_noise_only_keeps_the_estimate_instead_of_fitting() -> None:
    image = np.random.default_rng(5).normal(100.0, 1.0, (20, 200))
    result = spectrum(image, SpectrometerInputs((0, 0), _ENERGY[:200]), pixel_background=100.0)
    assert result is not None and np.isfinite(result.center) and np.isfinite(result.fwhm)


def test_custom_pipeline_makes_camservers_example_data_without_a_pulse_id() -> None:
    function = load_function("custom_pipeline", kind="custom")
    assert function is CUSTOM_FUNCTIONS["custom_pipeline"]
    data, timestamp, pulse_id, size = function({}, True)
    assert data["scalar"] == 10.0 and data["str"] == "True"
    assert data["image"].shape == (10, 20) and data["waveform"].shape == (10,)
    assert data["image"].min() >= 1 and data["image"].max() <= 100
    assert pulse_id is None and size == 200 and timestamp > 1.6e9
