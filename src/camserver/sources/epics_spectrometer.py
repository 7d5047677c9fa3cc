"""The EPICS PVs of CamServer's ``psss`` function, over Channel Access (caproto).

Inputs, monitored: ``<camera>:SPC_ROI_YMIN``, ``<camera>:SPC_ROI_YMAX`` (the rows to use) and
``<camera>:SPECTRUM_X`` (the energy of each column). Outputs, written by a thread of their own so
a slow IOC never holds a frame back: ``SPECTRUM_Y``, ``SPECTRUM_CENTER``, ``SPECTRUM_FWHM``,
``SPECTRUM_COM``, ``SPECTRUM_STD``, the newest result only (older ones not yet written are
replaced and counted in :attr:`EpicsSpectrometer.superseded`). PVs that do not answer at the start
are waited for in the background; until the energy axis arrives ``psss`` gives no output.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from camserver.errors import SourceError
from camserver.processing.psss import SpectrometerInputs, SpectrumResult
from camserver.protocol import Timestamp
from camserver.sources.epics_client import ChannelAccessClient

__all__ = ["EpicsSpectrometer"]

logger = logging.getLogger("camserver.sources.psss")

_INPUTS = ("SPC_ROI_YMIN", "SPC_ROI_YMAX", "SPECTRUM_X")
_OUTPUTS = ("SPECTRUM_Y", "SPECTRUM_CENTER", "SPECTRUM_FWHM", "SPECTRUM_COM", "SPECTRUM_STD")


class EpicsSpectrometer:
    """The :class:`~camserver.processing.psss.SpectrometerLink` of a camera's PVs; see the module docstring."""

    def __init__(self, camera: str, *, timeout: float = 3.0) -> None:
        self.camera = camera
        self.timeout = timeout
        self.written = 0
        self.superseded = 0
        self._client: ChannelAccessClient | None = None
        self._roi: list[float] = [0.0, 0.0]
        self._axis: np.ndarray[Any, Any] | None = None
        self._pending: SpectrumResult | None = None
        self._wake = threading.Condition()
        self._stop = False
        self._writer: threading.Thread | None = None

    def pv(self, suffix: str) -> str:
        """The full name of ``<camera>:<suffix>``."""
        return f"{self.camera}:{suffix}"

    def open(self) -> None:
        """Connect the PVs, monitor the inputs and start the writer."""
        if self._client is not None:
            return
        client = ChannelAccessClient(timeout=self.timeout)
        try:
            missing = client.connect([self.pv(name) for name in (*_INPUTS, *_OUTPUTS)])
            if missing:
                logger.warning("psss: no answer yet from %s; waiting for them", ", ".join(missing))
            client.monitor(self.pv("SPC_ROI_YMIN"), self._on_roi(0))
            client.monitor(self.pv("SPC_ROI_YMAX"), self._on_roi(1))
            client.monitor(self.pv("SPECTRUM_X"), self._on_axis)
        except BaseException:
            client.close()
            raise
        self._client = client
        self._stop = False
        self._writer = threading.Thread(target=self._write_results, name="psss-writer", daemon=True)
        self._writer.start()

    def _on_roi(self, index: int) -> Any:
        def update(values: Any, timestamp: Timestamp | None) -> None:
            self._roi[index] = float(values[0])

        return update

    def _on_axis(self, values: Any, timestamp: Timestamp | None) -> None:
        self._axis = np.array(values, dtype=np.float64)

    def inputs(self) -> SpectrometerInputs:
        """The rows and energy axis the PVs hold now."""
        if self._client is None:
            self.open()
        return SpectrometerInputs(roi=(self._roi[0], self._roi[1]), energy_axis=self._axis)

    def publish(self, pulse_id: int, result: SpectrumResult) -> None:
        """Hand a result to the writer (replacing one not yet written)."""
        with self._wake:
            if self._pending is not None:
                self.superseded += 1
            self._pending = result
            self._wake.notify()

    def _write_results(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._stop:
                    self._wake.wait()
                if self._stop:
                    return
                result, self._pending = self._pending, None
            client = self._client
            if client is None or result is None:
                continue
            values = (result.spectrum, result.center, result.fwhm, result.center_of_mass, result.standard_deviation)
            for suffix, value in zip(_OUTPUTS, values, strict=True):
                name = self.pv(suffix)
                if not client.connected(name):
                    continue
                try:
                    client.write(name, value)
                except SourceError as error:
                    logger.warning("psss: %s", error)
            self.written += 1

    def close(self) -> None:
        """Stop the writer and disconnect."""
        with self._wake:
            self._stop = True
            self._wake.notify()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.join()
        client, self._client = self._client, None
        if client is not None:
            client.close()
