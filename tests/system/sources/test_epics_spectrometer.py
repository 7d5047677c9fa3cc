"""psss's EPICS link against a caproto IOC on loopback: inputs monitored, results written to the output PVs."""

from __future__ import annotations

import time

import numpy as np
import pytest
from caproto.sync.client import read

from camserver.processing.psss import Psss
from camserver.sources.epics_spectrometer import EpicsSpectrometer
from camserver.testing import IocProcess
from camserver.testing.epics_ioc import caput

pytestmark = pytest.mark.system


def test_psss_reads_its_inputs_and_writes_its_results_over_channel_access(monkeypatch: pytest.MonkeyPatch) -> None:
    process = IocProcess("SPEC:CAM", rate=2, width=64, height=48, spectrometer=True)
    for name, value in process.environment.items():
        monkeypatch.setenv(name, value)
    with process:
        link = EpicsSpectrometer("SPEC:CAM")
        link.open()
        try:
            deadline = time.monotonic() + 20.0
            while link.inputs().energy_axis is None or link.inputs().roi != (0, 48):
                assert time.monotonic() < deadline, "the spectrometer inputs did not arrive"
                time.sleep(0.02)  # polling interval
            np.testing.assert_array_equal(link.inputs().energy_axis, 9000.0 + np.arange(64))
            caput("SPEC:CAM:SPC_ROI_YMIN", 8)
            while link.inputs().roi != (8, 48):
                assert time.monotonic() < deadline, "the new ROI did not arrive"
                time.sleep(0.02)  # polling interval
            energies = 9000.0 + np.arange(64)
            line = 50.0 * np.exp(-((energies - 9030.0) ** 2) / (2 * 6.0**2))
            image = np.tile(line, (48, 1))
            output = Psss(link)(image, 3, (0, 0), None, None, {"camera_name": "SPEC:CAM"})
            assert output is not None
            while link.written < 1:
                assert time.monotonic() < deadline, "psss wrote no result"
                time.sleep(0.02)  # polling interval
            center = read("SPEC:CAM:SPECTRUM_CENTER", timeout=5, repeater=False).data[0]
            assert center == pytest.approx(output["SPEC:CAM:SPECTRUM_CENTER"]) and center == pytest.approx(9030, abs=1)
            written = read("SPEC:CAM:SPECTRUM_Y", timeout=5, repeater=False).data
            np.testing.assert_allclose(written, image[8:48].sum(axis=0))
            assert read("SPEC:CAM:SPECTRUM_FWHM", timeout=5, repeater=False).data[0] == pytest.approx(
                output["SPEC:CAM:SPECTRUM_FWHM"]
            )
        finally:
            link.close()
