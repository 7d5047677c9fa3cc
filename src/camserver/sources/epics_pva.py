"""areaDetector images over PV Access (``source_type: pva``), read with p4p.

``source`` names an NTNDArray PV (an areaDetector ``NDPluginPva`` output such as
``13SIM1:Pva1:Image``), monitored. Each update is one frame: ``dimension[0]`` is the width,
``dimension[1]`` the height; arrays compressed by ``NDPluginCodec`` are decompressed
(:mod:`~camserver.sources.nd_codec`). The pulse id is the array's ``uniqueId``, the timestamp its
``timeStamp``. Colour (3-D) arrays and updates that cannot be decoded are counted in
:attr:`PvaSource.dropped` with the reason logged. The PV Access environment
(``EPICS_PVA_ADDR_LIST``, ...) applies as for any PV Access client. CamServer has no such source.

p4p (the ``epics`` extra) is imported when the source opens.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

from camserver.errors import SourceError
from camserver.models.camera import PvaCamera
from camserver.protocol import Timestamp
from camserver.sources.frame_queue import FrameQueue
from camserver.sources.nd_codec import decode_image
from camserver.sources.source import Frame

__all__ = ["PvaSource", "p4p_available"]

logger = logging.getLogger("camserver.sources.pva")


def p4p_available() -> bool:
    """Whether p4p (the ``epics`` extra) is installed."""
    return importlib.util.find_spec("p4p") is not None


def frame_of(value: Any) -> Frame:
    """The frame an NTNDArray update carries; :class:`ValueError` says why one cannot be used."""
    try:
        dimensions = [int(dimension["size"]) for dimension in value["dimension"]]
        values = value["value"]
        codec = str(value["codec.name"] or "")
        parameters = value["codec.parameters"]
        uncompressed = int(value["uncompressedSize"])
        unique_id = int(value["uniqueId"])
        seconds, nanoseconds = int(value["timeStamp.secondsPastEpoch"]), int(value["timeStamp.nanoseconds"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not an NTNDArray ({error})") from None
    if values is None or not hasattr(values, "dtype"):
        raise ValueError("the array has no value yet")
    if len(dimensions) != 2:
        raise ValueError(f"{len(dimensions)}-D arrays are not images here (colour arrays are not supported)")
    width, height = dimensions
    image = decode_image(
        values, width=width, height=height, codec=codec, parameters=parameters, uncompressed_size=uncompressed
    )
    timestamp = Timestamp(seconds, nanoseconds) if seconds > 0 else None
    return Frame(image=image, pulse_id=unique_id if unique_id > 0 else None, timestamp=timestamp)


class PvaSource:
    """A monitored NTNDArray PV; see the module docstring. ``queue_size`` frames are held for a slow reader."""

    def __init__(self, config: PvaCamera, *, queue_size: int = 4) -> None:
        self.config = config
        self.pv = config.source
        self.unusable = 0
        self.last_error = ""
        self._queue = FrameQueue(queue_size)
        self._context: Any = None
        self._subscription: Any = None
        self._geometry: tuple[int, int] | None = None

    @property
    def geometry(self) -> tuple[int, int] | None:
        """``(width, height)`` of the last image received."""
        return self._geometry

    @property
    def dropped(self) -> int:
        """Updates that could not be used, plus frames dropped from a full queue."""
        return self.unusable + self._queue.dropped

    def open(self) -> None:
        """Connect to the PV (it must answer within ``timeout`` seconds) and monitor it."""
        if self._context is not None:
            return
        try:
            from p4p.client.thread import Context, Disconnected, RemoteError
        except ImportError as error:
            raise SourceError(f"PV Access cameras need p4p: install camserver[epics] ({error})") from None
        context = Context("pva", unwrap=False)
        try:
            try:
                first = context.get(self.pv, timeout=self.config.timeout)
            except TimeoutError:
                waited = f"{self.config.timeout:g} s"
                raise SourceError(f"PV {self.pv} does not answer over PV Access within {waited}") from None
            except (RemoteError, Disconnected) as error:
                raise SourceError(f"cannot read PV {self.pv} over PV Access: {error}") from None
            if not (first.has("dimension") and first.has("value")):
                raise SourceError(f"PV {self.pv} is not an NTNDArray (its type is {first.getID()})")
            self._subscription = context.monitor(self.pv, self._on_update, notify_disconnect=True)
        except BaseException:
            context.close()
            raise
        self._context = context

    def _on_update(self, value: Any) -> None:
        if isinstance(value, Exception):
            logger.warning("PV %s: %s", self.pv, type(value).__name__)
            return
        try:
            frame = frame_of(value)
        except ValueError as error:
            self.unusable += 1
            if str(error) != self.last_error:
                logger.warning("PV %s: update skipped: %s", self.pv, error)
            self.last_error = str(error)
            return
        self._geometry = (frame.image.shape[1], frame.image.shape[0])
        self._queue.put(frame)

    def read(self, timeout: float) -> Frame | None:
        """The oldest received frame, or None if none arrives within ``timeout`` seconds."""
        if self._context is None:
            self.open()
        return self._queue.get(timeout)

    def close(self) -> None:
        """Stop the monitor and disconnect."""
        subscription, self._subscription = self._subscription, None
        context, self._context = self._context, None
        if subscription is not None:
            subscription.close()
        if context is not None:
            context.close()
        self._queue.clear()
