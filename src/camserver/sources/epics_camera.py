"""What the EPICS sources share: monitors feeding a bounded frame queue, geometry tracking, reconnects."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from camserver.errors import SourceError
from camserver.protocol import Timestamp
from camserver.sources.epics_client import ChannelAccessClient
from camserver.sources.frame_queue import FrameQueue
from camserver.sources.source import Frame

__all__ = ["EpicsCameraSource"]

logger = logging.getLogger("camserver.sources.epics")


class EpicsCameraSource:
    """Base of the Channel Access cameras: the picture PV is monitored, each update is cut to the
    current ``width * height`` (longer: truncated; shorter: counted in :attr:`dropped` and skipped),
    reshaped to ``(height, width)`` and queued; :meth:`read` takes frames from the queue. While the
    IOC is away ``read`` returns None; frames resume by themselves when it is back.

    Width and height arrive as separate updates, so after either changes only frames of exactly the
    new size are taken until one has arrived (or ``SETTLE_FRAMES`` were refused, for IOCs that
    always post the whole waveform): a frame between the two updates is never cut to a
    half-changed size.

    Subclasses name their PVs and say how the online check is done (:meth:`_check_online`).
    """

    #: frames refused at most while a geometry change settles
    SETTLE_FRAMES = 10
    #: the PV whose updates are the frames
    picture_pv: str
    #: the PVs holding the width and the height
    width_pv: str
    height_pv: str

    def __init__(self, prefix: str, *, connect_timeout: float = 3.0, queue_size: int = 4) -> None:
        self.prefix = prefix.rstrip(":")
        self.connect_timeout = connect_timeout
        self.unusable = 0
        self._queue = FrameQueue(queue_size)
        self._client: ChannelAccessClient | None = None
        self._width = 0
        self._height = 0
        self._settling = 0

    def pv(self, suffix: str) -> str:
        """The full name of the PV ``<prefix>:<suffix>``."""
        return f"{self.prefix}:{suffix}"

    @property
    def geometry(self) -> tuple[int, int] | None:
        """``(width, height)`` as the IOC reports it now."""
        return (self._width, self._height) if self._client is not None else None

    @property
    def dropped(self) -> int:
        """Frames dropped from a full queue plus frames shorter than ``width * height``."""
        return self._queue.dropped + self.unusable

    @property
    def connected(self) -> bool:
        """Whether the picture PV is connected now."""
        return self._client is not None and self._client.connected(self.pv(self.picture_pv))

    def offline(self, detail: str = "") -> SourceError:
        """CamServer's message for a camera that does not answer."""
        return SourceError(f"Camera with prefix {self.prefix} is offline{detail}")

    def open(self) -> None:
        """Connect, check the camera is online, read the geometry and start the monitors."""
        if self._client is not None:
            return
        client = ChannelAccessClient(timeout=self.connect_timeout)
        try:
            self._check_online(client)
            names = [self.pv(self.width_pv), self.pv(self.height_pv), self.pv(self.picture_pv)]
            names += [self.pv(suffix) for suffix in self._other_pvs()]
            missing = client.connect(names)
            if missing:
                raise self.offline(f": no answer from {', '.join(missing)} within {self.connect_timeout:g} s")
            self._width = int(client.read_number(names[0]))
            self._height = int(client.read_number(names[1]))
            self._monitor_others(client)
            client.monitor(names[0], self._on_width)
            client.monitor(names[1], self._on_height)
            client.monitor(names[2], self._on_picture)
        except BaseException:
            client.close()
            raise
        self._client = client

    def _check_online(self, client: ChannelAccessClient) -> None:
        raise NotImplementedError

    def _other_pvs(self) -> list[str]:
        return []

    def _monitor_others(self, client: ChannelAccessClient) -> None:
        """Start monitors of the subclass's other PVs (before the picture's)."""

    def _convert(self, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The picture's values in the type the camera means (native byte order)."""
        return values.astype(values.dtype.newbyteorder("="), copy=False)

    def _pulse_id(self, timestamp: Timestamp | None) -> int | None:
        """The pulse id of the frame taken at ``timestamp`` (None: the camera has none)."""
        return None

    def _on_width(self, values: Any, timestamp: Timestamp | None) -> None:
        if int(values[0]) != self._width:
            self._width = int(values[0])
            self._settling = self.SETTLE_FRAMES

    def _on_height(self, values: Any, timestamp: Timestamp | None) -> None:
        if int(values[0]) != self._height:
            self._height = int(values[0])
            self._settling = self.SETTLE_FRAMES

    def _on_picture(self, values: Any, timestamp: Timestamp | None) -> None:
        width, height = self._width, self._height
        size = width * height
        if self._settling and len(values) != size:
            self._settling -= 1
            self.unusable += 1
            return
        self._settling = 0
        if size <= 0 or len(values) < size:
            self.unusable += 1
            logger.debug("%s: %d values for %dx%d, frame skipped", self.prefix, len(values), width, height)
            return
        image = self._convert(np.asarray(values)[:size]).reshape(height, width)
        self._queue.put(Frame(image=image, pulse_id=self._pulse_id(timestamp), timestamp=timestamp))

    def read(self, timeout: float) -> Frame | None:
        """The oldest queued frame, or None if none arrives within ``timeout`` seconds."""
        if self._client is None:
            self.open()
        assert self._client is not None
        self._client.search_again()
        return self._queue.get(timeout)

    def close(self) -> None:
        """Stop the monitors and disconnect; queued frames are forgotten."""
        client, self._client = self._client, None
        if client is not None:
            client.close()
        self._queue.clear()
