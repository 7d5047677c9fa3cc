"""File config store: CamServer's folder layout, readable errors, validated names, atomic writes."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from camserver.errors import CameraNotFound, ConfigError, NotFound, PipelineNotFound
from camserver.service.config_store import FileConfigStore, write_json_atomically

CONFIGS = Path(__file__).parents[2] / "data" / "camserver-configs"


def camera_store(folder: Path) -> FileConfigStore:
    return FileConfigStore(folder, not_found=CameraNotFound, kind="camera")


def pipeline_store(folder: Path) -> FileConfigStore:
    return FileConfigStore(folder, not_found=PipelineNotFound, kind="pipeline")


def leftovers(folder: Path) -> list[str]:
    """Files that are not finished JSON files (temporary files of a write)."""
    return sorted(path.name for path in folder.iterdir() if not path.name.endswith(".json"))


def test_the_folder_is_created(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "camera_config"

    store = camera_store(folder)

    assert folder.is_dir()
    assert store.names() == []


def test_names_list_camservers_configs_only(tmp_path: Path) -> None:
    folder = tmp_path / "pipeline_config"
    shutil.copytree(CONFIGS / "pipeline_config", folder)
    for extra in ("simulation_parameters.json", "simulation_background.json", "notes.txt"):
        (folder / extra).write_text("{}")

    names = pipeline_store(folder).names()

    assert names == sorted(
        path.stem
        for path in (CONFIGS / "pipeline_config").glob("*.json")
        if path.name not in ("servers.json", "permanent_instances.json")
    )
    assert "servers" not in names
    assert "permanent_instances" not in names
    assert "simulation_parameters" not in names
    assert "simulation_background" not in names
    assert "simulation_sp" in names


def test_names_of_the_camera_folder(tmp_path: Path) -> None:
    folder = tmp_path / "camera_config"
    shutil.copytree(CONFIGS / "camera_config", folder)

    assert camera_store(folder).names() == [
        "camera_example_1",
        "camera_example_2",
        "camera_example_3",
        "camera_example_4",
        "simulation",
        "simulation2",
    ]


def test_get_returns_the_file_content_and_forces_the_name(tmp_path: Path) -> None:
    folder = tmp_path / "pipeline_config"
    shutil.copytree(CONFIGS / "pipeline_config", folder)
    store = pipeline_store(folder)

    example_3 = store.get("pipeline_example_3")
    simulation = store.get("simulation_sp")

    original = json.loads((CONFIGS / "pipeline_config" / "pipeline_example_3.json").read_text())
    assert example_3 == {**original, "name": "pipeline_example_3"}
    assert "name" not in original
    assert simulation == json.loads((CONFIGS / "pipeline_config" / "simulation_sp.json").read_text())


def test_get_forces_the_file_name_over_the_name_inside(tmp_path: Path) -> None:
    (tmp_path / "renamed.json").write_text(json.dumps({"source": "x", "name": "original"}))

    assert camera_store(tmp_path).get("renamed") == {"source": "x", "name": "renamed"}


def test_missing_config_raises_the_stores_not_found(tmp_path: Path) -> None:
    with pytest.raises(CameraNotFound) as raised:
        camera_store(tmp_path).get("x")

    assert str(raised.value) == "Config 'x' does not exist."
    assert isinstance(raised.value, NotFound)
    assert isinstance(raised.value, KeyError)
    with pytest.raises(PipelineNotFound, match=re.escape("Config 'y' does not exist.")):
        pipeline_store(tmp_path).get("y")


def test_delete(tmp_path: Path) -> None:
    store = camera_store(tmp_path)
    store.set("cam", {"source": "x"})

    store.delete("cam")

    assert not store.exists("cam")
    assert store.names() == []
    with pytest.raises(CameraNotFound, match=re.escape("Config 'cam' does not exist.")):
        store.delete("cam")


@pytest.mark.parametrize("content", ["{", "", '{"source": "x",}', "\x00\x01", "{'source': 'x'}"])
def test_invalid_json_names_the_file(tmp_path: Path, content: str) -> None:
    (tmp_path / "broken.json").write_text(content)

    with pytest.raises(ConfigError, match=r"camera config file broken\.json is not valid JSON"):
        camera_store(tmp_path).get("broken")


def test_undecodable_bytes_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "latin.json").write_bytes(b'{"source": "caf\xe9"}')

    with pytest.raises(ConfigError, match=r"latin\.json"):
        camera_store(tmp_path).get("latin")


def test_non_ascii_utf8_is_read(tmp_path: Path) -> None:
    (tmp_path / "unicode.json").write_bytes('{"source": "x", "note": "5 \u00b5m"}'.encode())

    assert camera_store(tmp_path).get("unicode")["note"] == "5 \u00b5m"


@pytest.mark.parametrize("content", ["[]", "3", '"text"', "null"])
def test_json_that_is_not_an_object_names_the_file(tmp_path: Path, content: str) -> None:
    (tmp_path / "list.json").write_text(content)

    with pytest.raises(ConfigError, match=r"list\.json does not hold a JSON object"):
        pipeline_store(tmp_path).get("list")


@pytest.mark.parametrize("name", ["../x", "..", ".", "a/b", "/etc/passwd", "", "a b", "x\n", "..\\x"])
def test_invalid_names_are_refused_everywhere(tmp_path: Path, name: str) -> None:
    store = camera_store(tmp_path / "camera_config")
    (tmp_path / "x.json").write_text('{"source": "outside"}')

    with pytest.raises(ConfigError, match="invalid camera name"):
        store.get(name)
    with pytest.raises(ConfigError, match="invalid camera name"):
        store.set(name, {"source": "x"})
    with pytest.raises(ConfigError, match="invalid camera name"):
        store.delete(name)
    assert store.exists(name) is False
    assert (tmp_path / "x.json").read_text() == '{"source": "outside"}'
    assert sorted(path.name for path in tmp_path.iterdir()) == ["camera_config", "x.json"]


def test_set_then_get_round_trip_with_the_name_forced(tmp_path: Path) -> None:
    store = camera_store(tmp_path)
    config: dict[str, Any] = {"source": "x", "name": "other", "alias": ["a", "b"], "_size_x": 300, "roi": None}

    store.set("cam", config)

    assert store.get("cam") == {**config, "name": "cam"}
    assert store.exists("cam")
    assert store.names() == ["cam"]
    assert config["name"] == "other"
    assert json.loads((tmp_path / "cam.json").read_text())["name"] == "cam"


def test_set_replaces_the_whole_file(tmp_path: Path) -> None:
    store = camera_store(tmp_path)
    store.set("cam", {"source": "x", "mirror_x": True})

    store.set("cam", {"source": "y"})

    assert store.get("cam") == {"source": "y", "name": "cam"}


def test_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    store = camera_store(tmp_path)

    for index in range(20):
        store.set(f"cam{index % 3}", {"source": f"x{index}"})

    assert leftovers(tmp_path) == []
    assert store.names() == ["cam0", "cam1", "cam2"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "cam.json"
    write_json_atomically(path, {"source": "old"})

    with pytest.raises(TypeError):
        write_json_atomically(path, {"source": object()})

    assert json.loads(path.read_text()) == {"source": "old"}
    assert leftovers(tmp_path) == []


def test_write_json_atomically_creates_missing_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c.json"

    write_json_atomically(path, {"x": [1, 2]})

    assert json.loads(path.read_text()) == {"x": [1, 2]}


def test_a_concurrent_reader_never_sees_a_partial_file(tmp_path: Path) -> None:
    store = pipeline_store(tmp_path)
    big_list = [f"CHANNEL:{index:05d}" for index in range(2000)]
    store.set("pipe", {"camera_name": "cam", "version": -1, "include": big_list})
    writes = 60
    failures: list[BaseException] = []

    def write_many() -> None:
        try:
            for version in range(writes):
                store.set("pipe", {"camera_name": "cam", "version": version, "include": big_list})
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)

    writer = threading.Thread(target=write_many)
    writer.start()
    seen: set[int] = set()
    reads = 0
    while writer.is_alive() or reads == 0:
        config = store.get("pipe")  # raises ConfigError on a partial file
        assert config["include"] == big_list
        seen.add(config["version"])
        reads += 1
    writer.join()

    assert failures == []
    assert seen <= set(range(-1, writes))
    assert store.get("pipe")["version"] == writes - 1
    assert leftovers(tmp_path) == []
