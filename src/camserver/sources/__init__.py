"""Where camera frames come from: one module per source type, one :class:`Source` protocol.

:func:`create_source` turns a camera config into its source (constructed, not opened). Sources
deliver raw frames with their own pulse ids and timestamps where they have them; the camera
instance transforms and publishes them. :class:`camserver.testing.MemorySource` is the in-memory
twin for tests.
"""

from camserver.sources.area_detector import AreaDetectorSource, as_data_type
from camserver.sources.array10 import Array10Source
from camserver.sources.bsread_camera import BsreadCameraSource, BsreadConnections, read_stream_address
from camserver.sources.bsread_stream import BsreadCounters, BsreadSource
from camserver.sources.epics import EpicsSource
from camserver.sources.epics_pva import PvaSource
from camserver.sources.frame_clock import FrameClock
from camserver.sources.frame_queue import FrameQueue
from camserver.sources.hdf5_file import Hdf5Source
from camserver.sources.pulse_merge import PulseMerge
from camserver.sources.registry import create_source, unavailable_reason
from camserver.sources.script import load_user_source
from camserver.sources.simulated_beam import SimulatedBeam
from camserver.sources.simulation import SimulationSource
from camserver.sources.source import Frame, Source
from camserver.sources.stddaq import StdDaqSource, lookup_stream_address
from camserver.sources.stddaq_stream import StdDaqStreamSource

__all__ = [
    "AreaDetectorSource",
    "Array10Source",
    "BsreadCameraSource",
    "BsreadConnections",
    "BsreadCounters",
    "BsreadSource",
    "EpicsSource",
    "Frame",
    "FrameClock",
    "FrameQueue",
    "Hdf5Source",
    "PulseMerge",
    "PvaSource",
    "SimulatedBeam",
    "SimulationSource",
    "Source",
    "StdDaqSource",
    "StdDaqStreamSource",
    "as_data_type",
    "create_source",
    "load_user_source",
    "lookup_stream_address",
    "read_stream_address",
    "unavailable_reason",
]
