"""EPICS Channel Access cameras (``source_type: epics``), as CamServer reads them.

``source`` is the PV prefix. ``<prefix>:INIT`` must read ``"INIT"``; ``<prefix>:WIDTH`` and
``<prefix>:HEIGHT`` give the geometry (monitored: a change applies from the next frame);
``<prefix>:FPICTURE`` is a flat waveform, monitored. Frames carry the PV's EPICS timestamp and no
pulse id (the camera instance counts them).
"""

from __future__ import annotations

from camserver.errors import SourceError
from camserver.sources.epics_camera import EpicsCameraSource
from camserver.sources.epics_client import ChannelAccessClient

__all__ = ["EpicsSource"]


class EpicsSource(EpicsCameraSource):
    """A Channel Access camera with CamServer's PV layout. ``connect_timeout`` bounds every
    connection and read during :meth:`open`; ``queue_size`` frames are held for a slow reader.

    :meth:`open` raises :class:`SourceError` with CamServer's messages: ``"Camera with prefix X is
    offline"`` when ``INIT`` does not answer, ``"... is not initialized - Status Y"`` when it does
    not read ``INIT``.
    """

    picture_pv = "FPICTURE"
    width_pv = "WIDTH"
    height_pv = "HEIGHT"

    def _check_online(self, client: ChannelAccessClient) -> None:
        name = self.pv("INIT")
        if client.connect([name]):
            raise self.offline()
        status = client.read_text(name).strip()
        if status != "INIT":
            raise SourceError(f"Camera with prefix {self.prefix} is not initialized - Status {status}")
