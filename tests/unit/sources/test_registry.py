"""create_source: every source type maps to a source, or says why it cannot run here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import camserver.sources.registry as registry
from camserver.errors import ConfigError, PermissionDenied
from camserver.models import SOURCE_TYPES, CameraConfig
from camserver.sources import (
    AreaDetectorSource,
    Array10Source,
    BsreadCameraSource,
    BsreadSource,
    EpicsSource,
    Hdf5Source,
    PvaSource,
    SimulationSource,
    Source,
    StdDaqSource,
    StdDaqStreamSource,
    create_source,
    unavailable_reason,
)

_CONFIGS: dict[str, tuple[dict[str, Any], type | None]] = {
    "epics": ({"source": "CAM:PREFIX"}, EpicsSource),
    "area_detector": ({"source": "AD:PREFIX"}, AreaDetectorSource),
    "simulation": ({"source": "sim"}, SimulationSource),
    "bsread": ({"source": "CAM", "url": "tcp://127.0.0.1:9000"}, BsreadCameraSource),
    "bsread_simulation": ({"source": "SIM"}, BsreadCameraSource),
    "bschannel": ({"source": "tcp://127.0.0.1:9001"}, BsreadSource),
    "stream": ({"source": "tcp://127.0.0.1:9002"}, StdDaqStreamSource),
    "stddaq": ({"source": "DET:JF01", "url": "127.0.0.1:6379"}, StdDaqSource),
    "array10": ({"source": "tcp://127.0.0.1:9003"}, Array10Source),
    "pva": ({"source": "13SIM1:Pva1:Image"}, PvaSource),
    "hdf5": ({"source": "file.h5:/images"}, Hdf5Source),
    "script": ({"source": "anything", "class": "Mine"}, None),
}


def test_every_source_type_is_covered_here() -> None:
    assert set(_CONFIGS) == set(SOURCE_TYPES)


@pytest.mark.parametrize("source_type", sorted(set(_CONFIGS) - {"script"}))
def test_each_source_type_makes_its_source_without_opening_it(source_type: str) -> None:
    data, expected = _CONFIGS[source_type]
    source = create_source(CameraConfig.load({**data, "source_type": source_type}))
    assert expected is not None and isinstance(source, expected)
    assert isinstance(source, Source)
    assert unavailable_reason(source_type) is None


def test_script_cameras_are_permission_denied_without_user_scripts() -> None:
    data, _ = _CONFIGS["script"]
    with pytest.raises(PermissionDenied):
        create_source(CameraConfig.load({**data, "source_type": "script"}))


def test_a_plain_camera_config_is_validated_as_its_source_type() -> None:
    config = CameraConfig.model_validate({"source": "sim", "source_type": "simulation", "size_x": 64})
    source = create_source(config)
    assert isinstance(source, SimulationSource) and source.geometry == (64, 960)


def test_a_missing_extra_is_a_config_error_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry._NEEDS, "hdf5", (lambda: False, "HDF5 cameras need h5py: install camserver[hdf5]"))
    with pytest.raises(ConfigError, match=r"camserver\[hdf5\]"):
        create_source(CameraConfig.load({"source": "f.h5:/d", "source_type": "hdf5"}))


def test_an_unknown_source_type_is_explained() -> None:
    reason = unavailable_reason("no_such_type")
    assert reason is not None and "not supported" in reason and "simulation" in reason


def test_user_scripts_folder_is_passed_to_script_sources(tmp_path: Path) -> None:
    (tmp_path / "Mine.py").write_text("class Mine:\n    pass\n")
    with pytest.raises(ConfigError, match="Source protocol|could not be created"):
        create_source(CameraConfig.load({**_CONFIGS["script"][0], "source_type": "script"}), user_scripts=tmp_path)
