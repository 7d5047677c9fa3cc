"""areaDetector cameras over Channel Access (``source_type: area_detector``).

``source`` is the detector prefix ``P``. ``P:cam1:Acquire`` must answer (online check),
``P:image1:ArrayData`` is monitored for frames, ``P:image1:ArraySize0_RBV`` / ``ArraySize1_RBV``
give width and height, ``P:cam1:DataType`` the pixel type and ``P:cam1:ArrayCounter_RBV`` the pulse
id (paired with its array by their common timestamp, since the two updates may arrive in either
order). Channel Access has no unsigned types, so an IOC serves UInt16 pixels as DBR_SHORT (int16) and
so on: the data are reinterpreted bit for bit as the type ``DataType`` names (CamServer widens them
into the next signed type instead; we deliver exactly what the camera took).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from camserver.protocol import Timestamp
from camserver.sources.epics_camera import EpicsCameraSource
from camserver.sources.epics_client import ChannelAccessClient

__all__ = ["AD_DATA_TYPES", "AreaDetectorSource", "as_data_type"]

_COUNTERS_KEPT = 32

#: ``cam1:DataType`` states and the numpy types they mean
AD_DATA_TYPES: dict[str, np.dtype[Any]] = {
    name: np.dtype(code)
    for name, code in (
        ("Int8", "i1"), ("UInt8", "u1"), ("Int16", "i2"), ("UInt16", "u2"), ("Int32", "i4"),
        ("UInt32", "u4"), ("Int64", "i8"), ("UInt64", "u8"), ("Float32", "f4"), ("Float64", "f8"),
    )
}  # fmt: skip


def as_data_type(values: np.ndarray[Any, Any], data_type: str | None) -> np.ndarray[Any, Any]:
    """``values`` (as received over CA) in the type ``data_type`` names, native byte order.

    Integers of the same width are reinterpreted (int16 -> uint16 keeps every bit: -1 is 65535);
    other differences are converted by value. An unknown ``data_type`` leaves the values as they are.
    """
    values = values.astype(values.dtype.newbyteorder("="), copy=False)
    target = AD_DATA_TYPES.get(data_type or "")
    if target is None or values.dtype == target:
        return values
    both_integers = values.dtype.kind in "iu" and target.kind in "iu"
    if both_integers and values.dtype.itemsize == target.itemsize:
        return values.view(target)
    return values.astype(target)


class AreaDetectorSource(EpicsCameraSource):
    """An areaDetector IOC's ``image1`` array plugin, read over Channel Access."""

    picture_pv = "image1:ArrayData"
    width_pv = "image1:ArraySize0_RBV"
    height_pv = "image1:ArraySize1_RBV"

    def __init__(self, prefix: str, *, connect_timeout: float = 3.0, queue_size: int = 4) -> None:
        super().__init__(prefix, connect_timeout=connect_timeout, queue_size=queue_size)
        self.data_type: str | None = None
        self._counter: int | None = None
        self._counter_time: Timestamp | None = None
        self._counters: OrderedDict[Timestamp, int] = OrderedDict()

    def _check_online(self, client: ChannelAccessClient) -> None:
        if client.connect([self.pv("cam1:Acquire")]):
            raise self.offline()

    def _other_pvs(self) -> list[str]:
        return ["cam1:DataType", "cam1:ArrayCounter_RBV"]

    def _monitor_others(self, client: ChannelAccessClient) -> None:
        self.data_type = client.read_text(self.pv("cam1:DataType")).strip()
        counter, stamped = client.read_stamped_number(self.pv("cam1:ArrayCounter_RBV"))
        self._on_counter([counter], stamped)  # so an array arriving before the first update pairs right
        client.monitor(self.pv("cam1:DataType"), self._on_data_type, text=True)
        client.monitor(self.pv("cam1:ArrayCounter_RBV"), self._on_counter)

    def _on_data_type(self, values: Any, timestamp: Timestamp | None) -> None:
        self.data_type = str(values[0]).strip()

    def _on_counter(self, values: Any, timestamp: Timestamp | None) -> None:
        self._counter, self._counter_time = int(values[0]), timestamp
        if timestamp is not None:
            self._counters[timestamp] = self._counter
            while len(self._counters) > _COUNTERS_KEPT:
                self._counters.popitem(last=False)

    def _convert(self, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return as_data_type(values, self.data_type)

    def _pulse_id(self, timestamp: Timestamp | None) -> int | None:
        """The array counter posted with this array: the IOC stamps both with the array's time,
        but their updates may arrive in either order."""
        if timestamp is not None:
            counter = self._counters.get(timestamp)
            if counter is not None:
                return counter
            arrived_first = self._counter_time is not None and timestamp > self._counter_time
            if arrived_first and self._counter is not None:
                return self._counter + 1  # this array's counter update is still on its way
        return self._counter
