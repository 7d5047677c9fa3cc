"""The typed contract shared by server and client: configs, instance info, the REST API's answers
(``replies``, ``reports``). No I/O."""

from camserver.models.camera import (
    SOURCE_TYPES,
    AreaDetectorCamera,
    Array10Camera,
    BsreadCamera,
    CameraCalibration,
    CameraConfig,
    EpicsCamera,
    Hdf5Camera,
    PvaCamera,
    ScriptCamera,
    SimulationCamera,
    StdDaqCamera,
    StdDaqStreamCamera,
)
from camserver.models.config_model import NAME_PATTERN, ConfigModel, check_name
from camserver.models.pipeline import PIPELINE_TYPES, GoodRegion, PipelineConfig, Rotation, Slices
from camserver.models.replies import ErrorReply, Reply
from camserver.models.reports import HeartbeatEntry, InstanceReport, InstanceSummary, LogRecord, ServerReport

__all__ = [
    "NAME_PATTERN",
    "PIPELINE_TYPES",
    "SOURCE_TYPES",
    "AreaDetectorCamera",
    "Array10Camera",
    "BsreadCamera",
    "CameraCalibration",
    "CameraConfig",
    "ConfigModel",
    "EpicsCamera",
    "ErrorReply",
    "GoodRegion",
    "Hdf5Camera",
    "HeartbeatEntry",
    "InstanceReport",
    "InstanceSummary",
    "LogRecord",
    "PipelineConfig",
    "PvaCamera",
    "Reply",
    "Rotation",
    "ScriptCamera",
    "ServerReport",
    "SimulationCamera",
    "Slices",
    "StdDaqCamera",
    "StdDaqStreamCamera",
    "check_name",
]
