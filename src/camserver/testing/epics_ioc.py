"""A simulated EPICS camera IOC served by caproto: for tests, demos and trying the EPICS sources.

It serves, under ``<prefix>:``, the PVs camserver's ``epics`` source reads (``INIT``, ``WIDTH``,
``HEIGHT``, ``FPICTURE``: a flat int16 waveform with a jittering Gaussian beam) and an
areaDetector-style set for the ``area_detector`` source (``cam1:Acquire``, ``cam1:DataType``,
``cam1:ColorMode``, ``cam1:ArrayCounter_RBV``, ``image1:ArrayData``, ``image1:ArraySize0_RBV``,
``image1:ArraySize1_RBV``). Writing ``WIDTH``/``HEIGHT`` changes the geometry from the next frame
on: the IOC then posts ``WIDTH``, ``HEIGHT`` and the first picture of that size, in that order.
With ``bsread_address`` it also serves ``BSREADCONFIG`` (a char waveform holding that stream
address, as a bsread camera announces its stream); with ``spectrometer`` the PVs of CamServer's
``psss`` function: inputs ``SPC_ROI_YMIN``, ``SPC_ROI_YMAX``, ``SPECTRUM_X`` (one energy per
column) and outputs ``SPECTRUM_Y``, ``SPECTRUM_CENTER``, ``SPECTRUM_FWHM``, ``SPECTRUM_COM``,
``SPECTRUM_STD``.
The areaDetector image carries the data type of ``cam1:DataType`` bit for bit in the CA type of
the same width (CA has no unsigned types), and its first pixel holds a marker derived from the
array counter so a client can check both.

Run it with ``python -m camserver.testing.epics_ioc --prefix SIM:CAM --rate 10``. It binds to
127.0.0.1 and sends beacons only there unless ``EPICS_CAS_INTF_ADDR_LIST`` /
``EPICS_CAS_BEACON_ADDR_LIST`` say otherwise. Tests start it with :class:`IocProcess`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from caproto import SkipWrite
from caproto._data import (
    ChannelByte,
    ChannelChar,
    ChannelData,
    ChannelDouble,
    ChannelEnum,
    ChannelInteger,
    ChannelShort,
    ChannelString,
)
from caproto.asyncio.server import Context

__all__ = ["AD_DATA_TYPES", "CameraIoc", "ad_marker", "caput", "main"]

#: areaDetector's ``NDDataType_t`` names, in the order of the ``cam1:DataType`` enum
AD_DATA_TYPES = ("Int8", "UInt8", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64", "Float32", "Float64")
_SERVED_AD_TYPES = {"Int8": "i1", "UInt8": "u1", "Int16": "i2", "UInt16": "u2", "Int32": "i4", "UInt32": "u4"}
_VARIANTS = 4
#: printed on stdout once the IOC answers
READY_LINE = "camserver-epics-ioc ready"


def ad_marker(data_type: str, counter: int) -> int:
    """The value of the first pixel of areaDetector frame ``counter``: above the signed range of
    unsigned types, so a client that does not reinterpret the data sees a different number."""
    markers = {"UInt8": 200 + counter % 50, "UInt16": 65000 + counter % 500, "UInt32": 4_000_000_000 + counter}
    return markers.get(data_type, 100 + counter % 20)


class _GeometrySetting(ChannelInteger):  # type: ignore[misc]
    """``WIDTH``/``HEIGHT``: a put is a request the frame loop applies before the next picture."""

    def __init__(self, *, requests: dict[str, int], key: str, limit: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._requests = requests
        self._key = key
        self._limit = limit

    async def verify_value(self, value: Any) -> Any:
        size = int(value)
        if not 1 <= size <= self._limit:
            raise ValueError(f"{self._key} must be between 1 and {self._limit}")
        self._requests[self._key] = size
        return SkipWrite


def _spectrometer_pvs(prefix: str, width: int, height: int, max_width: int) -> dict[str, ChannelData]:
    """The inputs (a y range of the whole image, 1 eV per column from 9000 eV) and the outputs of psss."""
    energies = 9000.0 + np.arange(width, dtype=np.float64)
    pvs: dict[str, ChannelData] = {
        prefix + "SPC_ROI_YMIN": ChannelInteger(value=0),
        prefix + "SPC_ROI_YMAX": ChannelInteger(value=height),
        prefix + "SPECTRUM_X": ChannelDouble(value=energies, max_length=max_width),
        prefix + "SPECTRUM_Y": ChannelDouble(value=np.zeros(width), max_length=max_width),
    }
    for name in ("SPECTRUM_CENTER", "SPECTRUM_FWHM", "SPECTRUM_COM", "SPECTRUM_STD"):
        pvs[prefix + name] = ChannelDouble(value=0.0)
    return pvs


def _waveform(type_code: str, length: int) -> ChannelData:
    zeros = np.zeros(length, dtype=type_code)
    if type_code in ("i1", "u1"):
        return ChannelByte(value=zeros.view(np.uint8).tobytes(), max_length=length)
    if type_code in ("i2", "u2"):
        return ChannelShort(value=zeros.view(np.int16), max_length=length)
    return ChannelInteger(value=zeros.view(np.int32), max_length=length)


class CameraIoc:
    """The PV database of one simulated camera and the coroutine that updates it at ``rate`` Hz."""

    def __init__(
        self,
        prefix: str,
        *,
        width: int = 320,
        height: int = 240,
        rate: float = 10.0,
        max_width: int = 2560,
        max_height: int = 2160,
        ad_data_type: str = "UInt16",
        status: str = "INIT",
        seed: int | None = None,
        bsread_address: str | None = None,
        spectrometer: bool = False,
    ) -> None:
        if ad_data_type not in _SERVED_AD_TYPES:
            raise ValueError(f"ad_data_type must be one of {sorted(_SERVED_AD_TYPES)}")
        self.prefix = prefix.rstrip(":") + ":"
        self.rate = rate
        self.ad_data_type = ad_data_type
        self._geometry = {"WIDTH": width, "HEIGHT": height}
        self._requests: dict[str, int] = {}
        self._random = np.random.default_rng(seed)
        self._counter = 0
        self._cache_key: tuple[int, int] | None = None
        self._cache: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = []
        limit = max_width * max_height
        code = _SERVED_AD_TYPES[ad_data_type]
        p = self.prefix
        self.pvdb: dict[str, ChannelData] = {
            p + "INIT": ChannelString(value=status),
            p + "WIDTH": _GeometrySetting(requests=self._requests, key="WIDTH", limit=max_width, value=width),
            p + "HEIGHT": _GeometrySetting(requests=self._requests, key="HEIGHT", limit=max_height, value=height),
            p + "FPICTURE": ChannelShort(value=np.zeros(width * height, np.int16), max_length=limit),
            p + "cam1:Acquire": ChannelEnum(value="Acquire", enum_strings=["Done", "Acquire"]),
            p + "cam1:DataType": ChannelEnum(value=ad_data_type, enum_strings=list(AD_DATA_TYPES)),
            p + "cam1:ColorMode": ChannelEnum(value="Mono", enum_strings=["Mono", "Bayer", "RGB1"]),
            p + "cam1:ArrayCounter_RBV": ChannelInteger(value=0),
            p + "image1:ArrayData": _waveform(code, limit),
            p + "image1:ArraySize0_RBV": ChannelInteger(value=width),
            p + "image1:ArraySize1_RBV": ChannelInteger(value=height),
        }
        if bsread_address is not None:
            self.pvdb[p + "BSREADCONFIG"] = ChannelChar(value=bsread_address, max_length=256)
        if spectrometer:
            self.pvdb.update(_spectrometer_pvs(p, width, height, max_width))

    def _beam(self, width: int, height: int, peak: float, dtype: str) -> np.ndarray[Any, Any]:
        x = np.arange(width, dtype=np.float32) - width / 2 - self._random.uniform(-3, 3)
        y = np.arange(height, dtype=np.float32) - height / 2 - self._random.uniform(-3, 3)
        sigma_x, sigma_y = max(width / 10, 1.0), max(height / 12, 1.0)
        beam = np.outer(np.exp(-0.5 * (y / sigma_y) ** 2), np.exp(-0.5 * (x / sigma_x) ** 2)) * peak
        noise = self._random.integers(0, max(int(peak) // 40, 2), size=(height, width))
        return (beam + noise).astype(dtype).ravel()

    def _pictures(self, width: int, height: int) -> list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
        """A few jittered frames per geometry, cycled: the IOC spends its time serving, not drawing."""
        if self._cache_key != (width, height):
            code = _SERVED_AD_TYPES[self.ad_data_type]
            peak = 0.9 * float(np.iinfo(code).max)
            self._cache = [
                (self._beam(width, height, 4000.0, "int16"), self._beam(width, height, peak, code))
                for _ in range(_VARIANTS)
            ]
            self._cache_key = (width, height)
        return self._cache

    async def _frame(self) -> None:
        p, pvdb = self.prefix, self.pvdb
        for key in ("WIDTH", "HEIGHT"):
            if key in self._requests:
                self._geometry[key] = self._requests.pop(key)
                await pvdb[p + key].write(self._geometry[key], verify_value=False)
                size_pv = "image1:ArraySize0_RBV" if key == "WIDTH" else "image1:ArraySize1_RBV"
                await pvdb[p + size_pv].write(self._geometry[key])
        picture, image = self._pictures(self._geometry["WIDTH"], self._geometry["HEIGHT"])[self._counter % _VARIANTS]
        now = time.time()
        await pvdb[p + "FPICTURE"].write(picture, timestamp=now)
        image = image.copy()
        image[0] = ad_marker(self.ad_data_type, self._counter)
        await pvdb[p + "cam1:ArrayCounter_RBV"].write(self._counter, timestamp=now)
        served = image.view(np.uint8).tobytes() if image.itemsize == 1 else image.view(f"i{image.itemsize}")
        await pvdb[p + "image1:ArrayData"].write(served, timestamp=now)
        self._counter += 1

    async def run_frames(self, async_lib: Any) -> None:
        """Startup hook: announce readiness, then post frames at ``rate`` Hz until cancelled."""
        print(READY_LINE, flush=True)
        period = 1.0 / self.rate
        next_due = time.monotonic()
        while True:
            await self._frame()
            next_due = max(next_due + period, time.monotonic())
            await asyncio.sleep(next_due - time.monotonic())


def caput(name: str, value: int | float | str, *, timeout: float = 2.0) -> None:
    """Write one PV (with the CA environment of this process), as EPICS' ``caput`` does."""
    from caproto.sync.client import write

    write(name, value, notify=True, timeout=timeout, repeater=False)


def _loopback_defaults() -> None:
    os.environ.setdefault("EPICS_CAS_INTF_ADDR_LIST", "127.0.0.1")
    os.environ.setdefault("EPICS_CAS_AUTO_BEACON_ADDR_LIST", "NO")
    os.environ.setdefault("EPICS_CAS_BEACON_ADDR_LIST", "127.0.0.1")
    if "EPICS_CA_REPEATER_PORT" in os.environ:
        os.environ.setdefault("EPICS_CAS_BEACON_PORT", os.environ["EPICS_CA_REPEATER_PORT"])


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: serve one simulated camera until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m camserver.testing.epics_ioc", description=__doc__)
    parser.add_argument("--prefix", default="SIM:CAM")
    parser.add_argument("--rate", type=float, default=10.0, help="frames per second")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--max-width", type=int, default=2560)
    parser.add_argument("--max-height", type=int, default=2160)
    parser.add_argument("--ad-data-type", default="UInt16", choices=sorted(_SERVED_AD_TYPES))
    parser.add_argument("--status", default="INIT", help="what <prefix>:INIT reads")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--bsread-address", default=None, help="serve <prefix>:BSREADCONFIG with this address")
    parser.add_argument("--spectrometer", action="store_true", help="serve the PVs of the psss function")
    parser.add_argument("--verbose", action="store_true", help="show caproto's log")
    args = parser.parse_args(argv)
    _loopback_defaults()
    if not args.verbose:
        # a beacon to a port with no repeater behind it is refused, and caproto logs each one
        logging.getLogger("caproto").setLevel(logging.CRITICAL)
    ioc = CameraIoc(
        args.prefix,
        width=args.width,
        height=args.height,
        rate=args.rate,
        max_width=args.max_width,
        max_height=args.max_height,
        ad_data_type=args.ad_data_type,
        status=args.status,
        seed=args.seed,
        bsread_address=args.bsread_address,
        spectrometer=args.spectrometer,
    )
    interfaces = os.environ["EPICS_CAS_INTF_ADDR_LIST"].split()

    async def serve() -> None:
        await Context(ioc.pvdb, interfaces).run(startup_hook=ioc.run_frames)

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
