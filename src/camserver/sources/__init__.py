"""Where camera frames come from: one module per source type, one :class:`Source` protocol.

:func:`create_source` turns a camera config into its source (constructed, not opened). Sources
deliver raw frames with their own pulse ids and timestamps where they have them; the camera
instance transforms and publishes them. :class:`camserver.testing.MemorySource` is the in-memory
twin for tests.
"""

from camserver.sources.area_detector import AreaDetectorSource, as_data_type
from camserver.sources.bsread_stream import BsreadCounters, BsreadSource
from camserver.sources.epics import EpicsSource
from camserver.sources.frame_clock import FrameClock
from camserver.sources.frame_queue import FrameQueue
from camserver.sources.hdf5_file import Hdf5Source
from camserver.sources.registry import create_source, unavailable_reason
from camserver.sources.script import load_user_source
from camserver.sources.simulated_beam import SimulatedBeam
from camserver.sources.simulation import SimulationSource
from camserver.sources.source import Frame, Source

__all__ = [
    "AreaDetectorSource",
    "BsreadCounters",
    "BsreadSource",
    "EpicsSource",
    "Frame",
    "FrameClock",
    "FrameQueue",
    "Hdf5Source",
    "SimulatedBeam",
    "SimulationSource",
    "Source",
    "as_data_type",
    "create_source",
    "load_user_source",
    "unavailable_reason",
]
