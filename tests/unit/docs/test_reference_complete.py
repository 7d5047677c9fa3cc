"""The reference pages name every config key, setting and route there is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from camserver.models import camera, pipeline
from camserver.service import ServerSettings

REFERENCE = Path(__file__).resolve().parents[3] / "docs" / "reference"
CAMERA_CLASSES = [
    camera.CameraConfig, camera.SimulationCamera, camera.BsreadCamera, camera.Hdf5Camera, camera.ScriptCamera,
]  # fmt: skip


def keys(model: type) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}  # type: ignore[attr-defined]


@pytest.mark.parametrize("model", [*CAMERA_CLASSES, pipeline.PipelineConfig], ids=lambda model: model.__name__)
def test_every_config_key_is_documented(model: type) -> None:
    text = (REFERENCE / "configs.md").read_text()
    missing = sorted(key for key in keys(model) if f"`{key}`" not in text)
    assert missing == []


def test_every_setting_is_documented() -> None:
    text = (REFERENCE / "settings.md").read_text()
    assert sorted(name for name in ServerSettings.model_fields if f"`{name}`" not in text) == []


def test_every_route_is_documented(tmp_path: Path) -> None:
    from camserver.api import build_app

    app = build_app(ServerSettings(data_dir=tmp_path))
    text = re.sub(r"\{[^}]*\}", "{}", (REFERENCE / "rest-api.md").read_text())
    paths = [re.sub(r"\{[^}]*\}", "{}", path) for path in app.openapi()["paths"]]
    assert sorted(path for path in paths if f"`{path}`" not in text) == []
