"""From a camera config to its source: every ``source_type`` maps to a class here, or is refused with the reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from camserver.errors import ConfigError
from camserver.models.camera import (
    SOURCE_TYPES,
    AreaDetectorCamera,
    Array10Camera,
    BsreadCamera,
    CameraConfig,
    EpicsCamera,
    Hdf5Camera,
    PvaCamera,
    ScriptCamera,
    SimulationCamera,
    StdDaqCamera,
    StdDaqStreamCamera,
)
from camserver.sources.area_detector import AreaDetectorSource
from camserver.sources.array10 import Array10Source
from camserver.sources.bsread_camera import BsreadCameraSource
from camserver.sources.bsread_stream import BsreadSource
from camserver.sources.epics import EpicsSource
from camserver.sources.epics_client import caproto_available
from camserver.sources.epics_pva import PvaSource, p4p_available
from camserver.sources.hdf5_file import Hdf5Source, h5py_available
from camserver.sources.script import load_user_source
from camserver.sources.simulation import SimulationSource
from camserver.sources.source import Source
from camserver.sources.stddaq import StdDaqSource, redis_available
from camserver.sources.stddaq_stream import StdDaqStreamSource

__all__ = ["create_source", "unavailable_reason"]

_Config = TypeVar("_Config", bound=CameraConfig)


def _typed(config: CameraConfig, kind: type[_Config]) -> _Config:
    """``config`` as the class of its source type (a plain ``CameraConfig`` is validated again)."""
    if not isinstance(config, kind):
        config = CameraConfig.load(config.to_dict(expanded=False))
        if not isinstance(config, kind):
            raise ConfigError(f"source_type '{config.source_type}' needs a {kind.__name__}")
    return config


def _epics(config: CameraConfig, user_scripts: Path | None) -> Source:
    return EpicsSource(_typed(config, EpicsCamera).source)


def _area_detector(config: CameraConfig, user_scripts: Path | None) -> Source:
    return AreaDetectorSource(_typed(config, AreaDetectorCamera).source)


def _simulation(config: CameraConfig, user_scripts: Path | None) -> Source:
    return SimulationSource(_typed(config, SimulationCamera))


def _bsread_camera(config: CameraConfig, user_scripts: Path | None) -> Source:
    return BsreadCameraSource(_typed(config, BsreadCamera))


def _bschannel(config: CameraConfig, user_scripts: Path | None) -> Source:
    return BsreadSource(_typed(config, BsreadCamera))


def _stream(config: CameraConfig, user_scripts: Path | None) -> Source:
    return StdDaqStreamSource(_typed(config, StdDaqStreamCamera))


def _stddaq(config: CameraConfig, user_scripts: Path | None) -> Source:
    return StdDaqSource(_typed(config, StdDaqCamera))


def _array10(config: CameraConfig, user_scripts: Path | None) -> Source:
    return Array10Source(_typed(config, Array10Camera))


def _pva(config: CameraConfig, user_scripts: Path | None) -> Source:
    return PvaSource(_typed(config, PvaCamera))


def _hdf5(config: CameraConfig, user_scripts: Path | None) -> Source:
    return Hdf5Source(_typed(config, Hdf5Camera))


def _script(config: CameraConfig, user_scripts: Path | None) -> Source:
    return load_user_source(_typed(config, ScriptCamera), user_scripts)


_FACTORIES: dict[str, Callable[[CameraConfig, Path | None], Source]] = {
    "epics": _epics,
    "area_detector": _area_detector,
    "simulation": _simulation,
    "bsread": _bsread_camera,
    "bsread_simulation": _bsread_camera,
    "bschannel": _bschannel,
    "stream": _stream,
    "stddaq": _stddaq,
    "array10": _array10,
    "pva": _pva,
    "hdf5": _hdf5,
    "script": _script,
}

#: what a source type needs installed: (check, reason when missing)
_NEEDS: dict[str, tuple[Callable[[], bool], str]] = {
    "epics": (caproto_available, "EPICS cameras need caproto: install camserver[epics]"),
    "area_detector": (caproto_available, "areaDetector cameras need caproto: install camserver[epics]"),
    "hdf5": (h5py_available, "HDF5 cameras need h5py: install camserver[hdf5]"),
    "stddaq": (redis_available, "stddaq cameras need the redis package: install camserver[stddaq]"),
    "pva": (p4p_available, "PV Access cameras need p4p: install camserver[epics]"),
}


def unavailable_reason(source_type: str) -> str | None:
    """Why cameras of ``source_type`` cannot run on this server, or None if they can."""
    if source_type not in _FACTORIES:
        return f"source_type '{source_type}' is not supported. Available: {list(SOURCE_TYPES)}"
    check, reason = _NEEDS.get(source_type, (lambda: True, ""))
    return None if check() else reason


def create_source(config: CameraConfig, *, user_scripts: Path | None = None) -> Source:
    """The source of a camera, constructed but not opened.

    ``user_scripts`` is the server's user-scripts folder, given only where user scripts are
    allowed; without it a ``script`` camera raises :class:`camserver.errors.PermissionDenied`.
    A source type that cannot run here raises :class:`ConfigError` saying why.
    """
    reason = unavailable_reason(config.source_type)
    if reason is not None:
        raise ConfigError(reason)
    return _FACTORIES[config.source_type](config, user_scripts)
