"""``camserver cameras`` and ``camserver pipelines``: list, show, set, delete."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.integration.cli.conftest import Invoke


def test_cameras_list_and_show(camserver: Invoke) -> None:
    listed = camserver("cameras", "list")
    assert listed.exit_code == 0
    assert listed.stdout == "sim\n"
    shown = camserver("cameras", "show", "sim")
    assert shown.exit_code == 0
    config = json.loads(shown.stdout)
    assert (config["name"], config["size_x"], config["mirror_x"]) == ("sim", 64, False)
    as_yaml = camserver("cameras", "show", "sim", "--yaml")
    assert as_yaml.exit_code == 0
    assert yaml.safe_load(as_yaml.stdout) == config


def test_cameras_set_from_json_and_yaml_then_delete(camserver: Invoke, tmp_path: Path) -> None:
    json_file = tmp_path / "cam.json"
    json_file.write_text(json.dumps({"source": "", "source_type": "simulation", "rotate": 1, "colour": "red"}))
    saved = camserver("cameras", "set", "cam2", str(json_file))
    assert saved.exit_code == 0
    assert saved.stdout == "saved camera 'cam2'\n"
    assert "note: unknown keys kept but not used: colour" in saved.stderr
    yaml_file = tmp_path / "cam.yaml"
    yaml_file.write_text("source: ''\nsource_type: simulation\nrotate: 2\n")
    assert camserver("cameras", "set", "cam2", str(yaml_file)).exit_code == 0
    assert json.loads(camserver("cameras", "show", "cam2").stdout)["rotate"] == 2
    assert camserver("cameras", "list").stdout == "cam2\nsim\n"
    deleted = camserver("cameras", "delete", "cam2")
    assert (deleted.exit_code, deleted.stdout) == (0, "deleted camera 'cam2'\n")
    assert camserver("cameras", "list").stdout == "sim\n"


def test_config_errors(camserver: Invoke, tmp_path: Path) -> None:
    invalid = tmp_path / "bad.json"
    invalid.write_text(json.dumps({"source": "", "source_type": "simulation", "mirror_x": "sideways"}))
    refused = camserver("cameras", "set", "bad", str(invalid))
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: camera 'bad': mirror_x:")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    unreadable = camserver("cameras", "set", "bad", str(broken))
    assert unreadable.exit_code == 2
    assert unreadable.stderr.startswith(f"error: {broken} is not valid JSON")
    a_list = tmp_path / "list.yaml"
    a_list.write_text("- 1\n- 2\n")
    assert "must hold one config" in camserver("cameras", "set", "bad", str(a_list)).stderr
    missing = camserver("cameras", "show", "nothing")
    assert missing.exit_code == 1
    assert missing.stderr == "error: Camera 'nothing' does not exist.\n"
    assert camserver("cameras", "delete", "nothing").exit_code == 1
    assert camserver("cameras", "show").exit_code == 2  # usage: the name is missing


def test_pipelines_list_show_set_delete(camserver: Invoke, tmp_path: Path) -> None:
    assert camserver("pipelines", "list").stdout == "sim_sp\n"
    config = json.loads(camserver("pipelines", "show", "sim_sp").stdout)
    assert (config["camera_name"], config["pipeline_type"]) == ("sim", "processing")
    assert yaml.safe_load(camserver("pipelines", "show", "sim_sp", "--yaml").stdout)["camera_name"] == "sim"
    source = tmp_path / "p.yml"
    source.write_text("camera_name: sim\nimage_threshold: 4\n")
    saved = camserver("pipelines", "set", "thresholded", str(source))
    assert (saved.exit_code, saved.stdout) == (0, "saved pipeline 'thresholded'\n")
    assert json.loads(camserver("pipelines", "show", "thresholded").stdout)["image_threshold"] == 4
    source.write_text("pipeline_type: processing\n")
    refused = camserver("pipelines", "set", "thresholded", str(source))
    assert refused.exit_code == 1
    assert "Camera name not specified" in refused.stderr
    assert camserver("pipelines", "delete", "thresholded").exit_code == 0
    assert camserver("pipelines", "list").stdout == "sim_sp\n"
    gone = camserver("pipelines", "delete", "thresholded")
    assert gone.exit_code == 1
    assert gone.stderr.startswith("error: ")
