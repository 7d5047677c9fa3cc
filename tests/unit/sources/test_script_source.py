"""User-defined sources: refused unless the server allows user scripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from camserver.errors import ConfigError, PermissionDenied, ScriptNotFound
from camserver.models import CameraConfig
from camserver.sources import create_source

_USER_SOURCE = """
import numpy as np
from camserver.sources import Frame

class {name}:
    def __init__(self, config):
        self.config = config
        self.geometry = (4, 2)
        self.dropped = 0

    def open(self):
        pass

    def read(self, timeout):
        return Frame(np.ones((2, 4), np.uint16))

    def close(self):
        pass
"""


def _config(name: str = "MySource") -> CameraConfig:
    return CameraConfig.load({"source": "anything", "source_type": "script", "class": name})


def test_a_script_camera_is_refused_without_a_user_scripts_folder(tmp_path: Path) -> None:
    (tmp_path / "MySource.py").write_text(_USER_SOURCE.format(name="MySource"))
    with pytest.raises(PermissionDenied, match="user scripts are not allowed on this server"):
        create_source(_config())


def test_an_allowed_user_source_is_loaded_and_works(tmp_path: Path) -> None:
    (tmp_path / "MySource.py").write_text(_USER_SOURCE.format(name="MySource"))
    source = create_source(_config(), user_scripts=tmp_path)
    source.open()
    frame = source.read(0.1)
    assert frame is not None and frame.image.shape == (2, 4)
    assert source.geometry == (4, 2)


def test_a_missing_script_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(ScriptNotFound, match="Absent.py"):
        create_source(_config("Absent"), user_scripts=tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("raise RuntimeError('broken')", "failed to load: RuntimeError: broken"),
        ("OtherName = 1", "defines no class"),
        ("class MySource:\n    def __init__(self, config):\n        pass\n", "does not implement the Source protocol"),
    ],
)
def test_a_bad_script_is_a_config_error_saying_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "MySource.py").write_text(text)
    with pytest.raises(ConfigError, match=message):
        create_source(_config(), user_scripts=tmp_path)


def test_class_must_be_a_python_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="class"):
        create_source(_config("../evil"), user_scripts=tmp_path)
