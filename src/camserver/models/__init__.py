"""The typed contract shared by server and client: configs, instance info, API bodies. No I/O."""

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
    "GoodRegion",
    "Hdf5Camera",
    "PipelineConfig",
    "PvaCamera",
    "Rotation",
    "ScriptCamera",
    "SimulationCamera",
    "Slices",
    "StdDaqCamera",
    "StdDaqStreamCamera",
    "check_name",
]
