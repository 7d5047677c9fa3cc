"""``camserver check-config``: CamServer's own configs pass; broken copies fail, each problem listed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli.conftest import run_cli

CAMSERVER_CONFIGS = Path(__file__).parents[2] / "data" / "camserver-configs"


def test_camservers_own_configs_all_pass() -> None:
    checked = run_cli("check-config", str(CAMSERVER_CONFIGS))
    assert checked.exit_code == 0, checked.output
    lines = checked.stdout.splitlines()
    files = sorted(path for path in CAMSERVER_CONFIGS.glob("*/*.json"))
    assert lines[-1] == f"{len(files)} files checked: all valid"
    for path in files:
        assert f"ok      {path.parent.name}/{path.name}" in lines
    assert "INVALID" not in checked.stdout
    # unknown and disabled keys are reported, not errors
    assert "note: unknown keys, kept but not used: test" in checked.stdout  # pipeline_example_2
    assert "note: disabled keys: _image_background, _size_x, _size_y" in checked.stdout  # camera simulation
    # without background_config/ the backgrounds cannot be checked, and it says so
    assert "background 'simulation_20240320_144334_156830' not checked" in checked.stdout
    quiet = run_cli("check-config", str(CAMSERVER_CONFIGS), "--quiet")
    assert quiet.exit_code == 0
    assert quiet.stdout.splitlines() == [lines[-1]]


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of CamServer's configs with one problem per file, and a background folder."""
    folder = tmp_path / "configuration"
    shutil.copytree(CAMSERVER_CONFIGS, folder)
    cameras, pipelines = folder / "camera_config", folder / "pipeline_config"
    (folder / "background_config").mkdir()
    np.save(folder / "background_config" / "simulation_20240320_144334_156830.npy", np.zeros((2, 2), np.uint16))
    camera = json.loads((cameras / "camera_example_1.json").read_text())
    (cameras / "camera_example_1.json").write_text(json.dumps({**camera, "mirror_x": "sideways"}))
    (cameras / "no_source.json").write_text(json.dumps({"source_type": "simulation"}))
    (cameras / "truncated.json").write_text('{"source": "X", ')
    (cameras / "with_background.json").write_text(json.dumps({"source": "", "image_background": "gone"}))
    (pipelines / "orphan.json").write_text(json.dumps({"camera_name": "no_such_camera"}))
    (pipelines / "wrong_type.json").write_text(json.dumps({"pipeline_type": "magic", "camera_name": "simulation"}))
    (pipelines / "old_background.json").write_text(
        json.dumps({"camera_name": "simulation", "image_background_enable": True, "image_background": "old"})
    )
    (pipelines / "permanent_instances.json").write_text(json.dumps({"#off": "nothing", "on": "not_a_pipeline"}))
    return folder


def test_broken_configs_are_listed_one_by_one(broken: Path) -> None:
    checked = run_cli("check-config", str(broken))
    assert checked.exit_code == 1
    assert checked.stderr == f"error: 8 of {len(list(broken.glob('*/*.json')))} files are invalid\n"
    output = checked.stdout
    for path in (
        "camera_config/camera_example_1.json",
        "camera_config/no_source.json",
        "camera_config/truncated.json",
        "camera_config/with_background.json",
        "pipeline_config/orphan.json",
        "pipeline_config/wrong_type.json",
        "pipeline_config/old_background.json",
        "pipeline_config/permanent_instances.json",
    ):
        assert f"INVALID {path}" in output, path
    for problem in (
        "error: camera 'camera_example_1': mirror_x: Input should be a valid boolean",
        "error: 'source' not specified in configuration.",
        "error: cannot be read as JSON",
        "error: background 'gone' does not exist in background_config/",
        "error: camera 'no_such_camera' does not exist in camera_config/",
        "error: pipeline_type 'magic' not present in mapping.",
        "error: background 'old' does not exist in background_config/",
        "error: instance 'on' names pipeline 'not_a_pipeline', which does not exist",
    ):
        assert problem in output, problem
    assert "ok      pipeline_config/simulation_sp.json" in output  # its background exists now
    quiet = run_cli("check-config", str(broken), "-q")
    assert quiet.exit_code == 1
    assert "ok " not in quiet.stdout
    assert "note:" not in quiet.stdout
    assert quiet.stdout.count("INVALID") == 8


def test_what_is_not_a_configuration_folder(tmp_path: Path) -> None:
    missing = run_cli("check-config", str(tmp_path / "nothing"))
    assert missing.exit_code == 2
    assert missing.stderr == f"error: {tmp_path / 'nothing'} is not a folder\n"
    empty = run_cli("check-config", str(tmp_path))
    assert empty.exit_code == 2
    assert "neither camera_config/ nor pipeline_config/" in empty.stderr


def test_servers_json_rules_are_checked_for_real(tmp_path: Path) -> None:
    folder = tmp_path / "configuration"
    shutil.copytree(CAMSERVER_CONFIGS, folder)
    (folder / "camera_config" / "servers.json").write_text(
        json.dumps({"http://srv1:8880": {"instances": ["simulation:5554"]}})
    )
    (folder / "pipeline_config" / "servers.json").write_text(
        json.dumps(
            {
                "http://srv2:8881": {"cameras": ["simulation", "no_camera"], "instances": ["simulation_sp:5554"]},
                "http://srv3:8881": {"cameras": ["simulation"], "instances": ["simulation_sp", "x:7000", "y:7000"]},
                "http://srv4:8881": {"enabled": False, "instances": ["simulation2_sp"]},
                "http://srv5:8881": {"expandng": False},
            }
        )
    )
    checked = run_cli("check-config", str(folder), "--nodes", "srv1,srv2,srv3")
    assert checked.exit_code == 1
    assert "ok      camera_config/servers.json" in checked.stdout
    assert "INVALID pipeline_config/servers.json" in checked.stdout
    for problem in (
        "error: server http://srv5:8881: unknown keys expandng",
        "error: server http://srv5:8881 is unknown: no node of the cluster is called 'srv5' (nodes: srv1, srv2, srv3)",
        "error: port 7000 is given twice: to 'x' and to 'y'",
        "error: instance 'simulation_sp' is fixed on two servers: http://srv2:8881 and http://srv3:8881",
        "error: camera 'simulation' is listed by two servers: http://srv2:8881 and http://srv3:8881",
        "error: server http://srv2:8881 lists camera 'no_camera', which does not exist",
        "error: instance 'simulation2_sp' is fixed on server http://srv4:8881, which is disabled",
        "error: port 5554 of 'simulation_sp' is given to 'simulation' in camera_config/servers.json already",
    ):
        assert problem in checked.stdout, problem
    assert "note: server http://srv2:8881 is 'srv2'" in checked.stdout
    without_nodes = run_cli("check-config", str(folder))
    assert "is unknown" not in without_nodes.stdout  # not checked against a cluster unless its nodes are given
