"""Camera configs: CamServer's files load unchanged, its defaults, validation messages and spellings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from camserver.errors import ConfigError
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
from camserver.models.config_model import check_name

CAMERA_FOLDER = Path(__file__).parents[2] / "data" / "camserver-configs" / "camera_config"
CAMERA_FILES = sorted(path for path in CAMERA_FOLDER.glob("*.json") if path.name != "servers.json")

COMPRESSION_KEYS = (
    "image_compression",
    "scalar_compression",
    "data_header_compression",
    "forwarder_compression",
    "forwarder_data_header_compression",
)


def read_config(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def without_nulls(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


def test_the_data_folder_holds_camserver_camera_files() -> None:
    assert {path.stem for path in CAMERA_FILES} >= {"camera_example_1", "simulation", "simulation2"}


@pytest.mark.parametrize("path", CAMERA_FILES, ids=lambda path: path.stem)
def test_every_camserver_camera_file_loads_unchanged(path: Path) -> None:
    data = read_config(path)

    config = CameraConfig.load(data)

    expected_class = {"epics": EpicsCamera, "simulation": SimulationCamera}[data["source_type"]]
    assert type(config) is expected_class
    assert config.name == path.stem == data["name"]
    assert config.source == data["source"]
    assert config.unknown_keys() == []
    assert config.to_dict(expanded=False) == without_nulls(data)


@pytest.mark.parametrize("path", CAMERA_FILES, ids=lambda path: path.stem)
def test_every_camserver_camera_file_survives_a_round_trip(path: Path) -> None:
    config = CameraConfig.load(read_config(path))

    assert CameraConfig.load(config.to_dict()) == config
    assert CameraConfig.load(config.to_dict()).to_dict() == config.to_dict()
    assert CameraConfig.load(config.to_dict(expanded=False)) == config


def test_underscore_keys_are_disabled_kept_and_not_acted_on() -> None:
    data = read_config(CAMERA_FOLDER / "simulation.json")

    config = CameraConfig.load(data)

    assert config.disabled_keys() == ["_image_background", "_size_x", "_size_y"]
    assert config.unknown_keys() == []
    stored = config.to_dict(expanded=False)
    assert stored["_size_x"] == 300
    assert stored["_image_background"] == data["_image_background"]
    assert isinstance(config, SimulationCamera)
    assert (config.size_x, config.size_y) == (1280, 960)
    assert config.image_background is None


def test_values_of_the_simulation_file_are_read() -> None:
    config = CameraConfig.load(read_config(CAMERA_FOLDER / "simulation.json"))

    assert isinstance(config, SimulationCamera)
    assert config.roi == [441, 366, 295, 324]
    assert config.frame_rate == 2.0
    assert config.no_client_timeout == 0
    assert config.simulate_pulse_id is True
    assert config.camera_calibration == CameraCalibration(
        reference_marker=[44, 73, 1156, 859], reference_marker_width=3000.0, reference_marker_height=1700.0
    )


def test_camserver_defaults_fill_a_minimal_camera() -> None:
    config = CameraConfig.load({"source": "SARES20-CAM"})

    assert type(config) is EpicsCamera
    expanded = config.to_dict()
    assert {
        key: expanded[key]
        for key in (
            "camera_calibration",
            "mirror_x",
            "mirror_y",
            "rotate",
            "roi",
            "image_background",
            "source_type",
            "no_client_timeout",
            "queue_size",
            "protocol",
            "check_data",
        )
    } == {
        "camera_calibration": None,
        "mirror_x": False,
        "mirror_y": False,
        "rotate": 0,
        "roi": None,
        "image_background": None,
        "source_type": "epics",
        "no_client_timeout": 10.0,
        "queue_size": 100,
        "protocol": "tcp",
        "check_data": False,
    }
    assert config.to_dict(expanded=False) == {"source": "SARES20-CAM"}


def test_simulation_defaults_are_camservers() -> None:
    config = CameraConfig.load({"source": "", "source_type": "simulation"})

    assert isinstance(config, SimulationCamera)
    assert (config.size_x, config.size_y, config.frame_rate) == (1280, 960, 10.0)
    assert config.image_type == "beam"
    assert config.dtype == "uint16"


def test_bsread_defaults_are_camservers() -> None:
    config = CameraConfig.load({"source": "SARES20-CAM", "source_type": "bsread"})

    assert isinstance(config, BsreadCamera)
    assert (config.connections, config.buffer_size, config.buffer_threshold) == (1, 0, 0.5)
    assert (config.enforce_pid, config.enforce_timestamp, config.check_timestamp) == (True, True, True)
    assert config.timeout == -1.0
    assert config.url is None


@pytest.mark.parametrize(
    ("source_type", "expected_class"),
    [
        ("epics", EpicsCamera),
        ("area_detector", AreaDetectorCamera),
        ("simulation", SimulationCamera),
        ("bsread", BsreadCamera),
        ("bsread_simulation", BsreadCamera),
        ("bschannel", BsreadCamera),
        ("stream", StdDaqStreamCamera),
        ("stddaq", StdDaqCamera),
        ("array10", Array10Camera),
        ("pva", PvaCamera),
        ("hdf5", Hdf5Camera),
        ("script", ScriptCamera),
    ],
)
def test_source_type_chooses_the_class(source_type: str, expected_class: type[CameraConfig]) -> None:
    config = CameraConfig.load({"source": "x", "source_type": source_type})

    assert type(config) is expected_class
    assert config.source_type == source_type


def test_every_source_type_has_a_class() -> None:
    assert set(SOURCE_TYPES) == {
        "epics",
        "area_detector",
        "simulation",
        "bsread",
        "bsread_simulation",
        "bschannel",
        "stream",
        "stddaq",
        "array10",
        "pva",
        "hdf5",
        "script",
    }


def test_script_camera_reads_the_class_key() -> None:
    config = CameraConfig.load({"source": "x", "source_type": "script", "class": "MyCamera"})

    assert isinstance(config, ScriptCamera)
    assert config.class_ == "MyCamera"
    assert config.to_dict(expanded=False)["class"] == "MyCamera"


@pytest.mark.parametrize("data", [{}, {"name": "cam"}, {"source": None}, {"source_type": "simulation"}])
def test_missing_source_gives_camservers_message(data: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=re.escape("'source' not specified in configuration.")):
        CameraConfig.load(data)


def test_unknown_source_type_gives_camservers_message() -> None:
    with pytest.raises(ConfigError) as raised:
        CameraConfig.load({"source": "x", "source_type": "x"})

    assert str(raised.value) == f"Invalid source_type 'x'. Available: {list(SOURCE_TYPES)}"


def test_a_config_must_be_an_object() -> None:
    with pytest.raises(ConfigError, match="JSON object"):
        CameraConfig.load(["source", "x"])  # type: ignore[arg-type]


def test_null_means_default() -> None:
    config = CameraConfig.load(
        {"source": "x", "source_type": None, "mirror_x": None, "rotate": None, "queue_size": None, "roi": None}
    )

    assert type(config) is EpicsCamera
    assert (config.mirror_x, config.rotate, config.queue_size, config.roi) == (False, 0, 100, None)
    assert config.to_dict(expanded=False) == {"source": "x"}


def test_empty_calibration_means_no_calibration_as_in_camserver() -> None:
    config = CameraConfig.load({"source": "x", "camera_calibration": {}})

    assert config.camera_calibration is None


def test_partial_calibration_gets_camservers_defaults_and_keeps_extra_keys() -> None:
    config = CameraConfig.load({"source": "x", "camera_calibration": {"reference_marker_width": 5.0, "note": "m1"}})

    assert config.camera_calibration is not None
    dumped = config.camera_calibration.model_dump()
    assert dumped["reference_marker"] == [0, 0, 100, 100]
    assert dumped["reference_marker_width"] == 5.0
    assert dumped["note"] == "m1"


def test_partial_calibration_keeps_given_values_and_defaults_the_rest() -> None:
    config = CameraConfig.load({"source": "x", "camera_calibration": {"reference_marker_width": 3000.0}})

    assert config.camera_calibration == CameraCalibration(reference_marker_width=3000.0)
    assert config.camera_calibration.reference_marker == [0, 0, 100, 100]


@pytest.mark.parametrize(
    "calibration",
    [{"reference_marker": [0, 0, 100]}, {"reference_marker": [0, 0, 1, 1, 1]}, {"angle_vertical": "steep"}],
)
def test_invalid_calibration_is_refused(calibration: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="camera_calibration"):
        CameraConfig.load({"source": "x", "camera_calibration": calibration})


@pytest.mark.parametrize(
    ("roi", "expected"), [([0, 100, 0, 50], [0, 100, 0, 50]), ([10.0, 20.0, 30.0, 40.0], [10, 20, 30, 40])]
)
def test_valid_roi_is_kept_as_integers(roi: list[float], expected: list[int]) -> None:
    assert CameraConfig.load({"source": "x", "roi": roi}).roi == expected


@pytest.mark.parametrize(
    ("roi", "message"),
    [
        ([0, 100, 0], r"\[offset_x, size_x, offset_y, size_y\]"),
        ("0,100,0,50", r"\[offset_x, size_x, offset_y, size_y\]"),
        ([0, 100, 0, 50.5], "four integers"),
        ([0, True, 0, 50], "four integers"),
        ([-1, 100, 0, 50], "offsets must not be negative"),
        ([0, 0, 0, 50], "sizes must be positive"),
        ([0, 100, 0, -5], "sizes must be positive"),
    ],
)
def test_invalid_roi_is_refused_with_a_reason(roi: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=f"roi: .*{message}"):
        CameraConfig.load({"source": "x", "roi": roi})


@pytest.mark.parametrize(
    ("value", "as_list"), [("Electrons", ["Electrons"]), (["Photonics", "Test"], ["Photonics", "Test"]), ([], [])]
)
def test_alias_and_group_are_a_string_or_a_list(value: str | list[str], as_list: list[str]) -> None:
    config = CameraConfig.load({"source": "x", "alias": value, "group": value})

    assert config.alias == value
    assert config.group == value
    assert config.aliases == as_list
    assert config.groups == as_list
    assert config.to_dict(expanded=False)["alias"] == value


def test_aliases_and_groups_are_empty_when_not_set() -> None:
    config = CameraConfig.load({"source": "x"})

    assert (config.aliases, config.groups) == ([], [])


def test_aliases_and_groups_of_the_example_files() -> None:
    example_3 = CameraConfig.load(read_config(CAMERA_FOLDER / "camera_example_3.json"))
    example_4 = CameraConfig.load(read_config(CAMERA_FOLDER / "camera_example_4.json"))

    assert (example_3.aliases, example_3.groups) == (["cam3"], ["Photonics"])
    assert (example_4.aliases, example_4.groups) == (["cam4", "camera4"], ["Photonics", "Test"])


@pytest.mark.parametrize("key", ["alias", "group"])
@pytest.mark.parametrize("value", [3, ["a", 3], {"a": "b"}])
def test_alias_and_group_of_other_types_are_refused(key: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=f"{key}: must be a string or a list of strings"):
        CameraConfig.load({"source": "x", key: value})


@pytest.mark.parametrize("key", COMPRESSION_KEYS)
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (True, "bitshuffle_lz4"),
        (False, "none"),
        ("", "none"),
        ("none", "none"),
        ("bitshuffle_lz4", "bitshuffle_lz4"),
        ("Bitshuffle_LZ4", "bitshuffle_lz4"),
    ],
)
def test_compression_spellings(key: str, given: Any, expected: str) -> None:
    config = CameraConfig.load({"source": "x", key: given})

    assert getattr(config, key) == expected


@pytest.mark.parametrize("key", COMPRESSION_KEYS)
def test_compression_defaults_to_none(key: str) -> None:
    assert getattr(CameraConfig.load({"source": "x"}), key) == "none"


@pytest.mark.parametrize("key", COMPRESSION_KEYS)
def test_lz4_is_refused_with_a_reason(key: str) -> None:
    with pytest.raises(ConfigError, match=f"{key}: lz4 is not sent: .*size prefix.*use bitshuffle_lz4"):
        CameraConfig.load({"source": "x", key: "lz4"})


@pytest.mark.parametrize("given", ["zstd", 1, ["bitshuffle_lz4"]])
def test_unknown_compression_is_refused(given: Any) -> None:
    with pytest.raises(ConfigError, match="image_compression: unknown compression"):
        CameraConfig.load({"source": "x", "image_compression": given})


@pytest.mark.parametrize(
    "name", ["simulation", "SARES20-CAMS142-M5", "cam.x", "a:b", "camera_example_1", "A" * 200, "a..b"]
)
def test_valid_names(name: str) -> None:
    assert check_name(name) == name
    assert CameraConfig.load({"source": "x", "name": name}).name == name
    assert CameraConfig.load({"source": "x"}, name=name).name == name


@pytest.mark.parametrize(
    "name", ["", ".", "..", "../x", "a/b", "/etc/passwd", "a b", "cam\n", "kamera-\u00e9", "A" * 201, "a\\b"]
)
def test_invalid_names_are_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="invalid camera name"):
        check_name(name, what="camera name")
    with pytest.raises(ConfigError, match="invalid camera name"):
        CameraConfig.load({"source": "x"}, name=name)


def test_invalid_name_inside_the_config_is_refused() -> None:
    with pytest.raises(ConfigError, match=re.escape("name: invalid camera name '../x'")):
        CameraConfig.load({"source": "x", "name": "../x"})


def test_name_given_to_load_wins_over_the_one_in_the_config() -> None:
    assert CameraConfig.load({"source": "x", "name": "old"}, name="new").name == "new"


def test_validation_messages_name_the_camera_and_the_key() -> None:
    with pytest.raises(ConfigError) as raised:
        CameraConfig.load({"source": "x", "name": "cam", "mirror_x": "perhaps", "queue_size": 0})

    message = str(raised.value)
    assert message.startswith("camera 'cam': ")
    assert "mirror_x" in message
    assert "queue_size" in message


def test_keys_of_another_source_type_are_kept_as_unknown() -> None:
    config = CameraConfig.load({"source": "x", "size_x": 300, "frame_rat": 5})

    assert type(config) is EpicsCamera
    assert config.unknown_keys() == ["frame_rat", "size_x"]
    assert config.disabled_keys() == []
    assert config.to_dict(expanded=False) == {"source": "x", "size_x": 300, "frame_rat": 5}


def test_updated_changing_source_type_changes_the_class() -> None:
    config = CameraConfig.load({"source": "x", "name": "cam", "size_x": 300})

    simulated = config.updated({"source_type": "simulation"})

    assert type(simulated) is SimulationCamera
    assert isinstance(simulated, SimulationCamera)
    assert simulated.size_x == 300
    assert simulated.unknown_keys() == []
    assert simulated.name == "cam"

    back = simulated.updated({"source_type": "epics"})

    assert type(back) is EpicsCamera
    assert back.unknown_keys() == ["size_x"]


def test_updated_replaces_keys_and_none_restores_the_default() -> None:
    config = CameraConfig.load({"source": "x", "mirror_x": True, "rotate": 1})

    changed = config.updated({"mirror_x": None, "rotate": 3})

    assert (changed.mirror_x, changed.rotate) == (False, 3)
    assert changed.to_dict(expanded=False) == {"source": "x", "rotate": 3}
    assert (config.mirror_x, config.rotate) == (True, 1)


def test_updated_is_validated() -> None:
    config = CameraConfig.load({"source": "x"})

    with pytest.raises(ConfigError, match=re.escape("'source' not specified in configuration.")):
        config.updated({"source": None})
    with pytest.raises(ConfigError, match="Invalid source_type 'nope'"):
        config.updated({"source_type": "nope"})


@pytest.mark.parametrize(
    "data",
    [
        {"source": "x"},
        {"source": "", "source_type": "simulation", "size_x": 64, "alias": ["a"], "_off": 1, "extra": [1, 2]},
        {"source": "x", "source_type": "bsread", "url": "tcp://h:9000", "image_compression": True},
        {"source": "x", "source_type": "script", "class": "Mine", "camera_calibration": {}},
    ],
)
def test_load_of_to_dict_is_identity(data: dict[str, Any]) -> None:
    config = CameraConfig.load(data)

    assert CameraConfig.load(config.to_dict()) == config
    assert CameraConfig.load(config.to_dict(expanded=False)) == config
    assert json.loads(json.dumps(config.to_dict())) == config.to_dict()


def test_bsread_keys_without_effect_are_reported() -> None:
    config = CameraConfig.load({"source": "tcp://127.0.0.1:9999", "source_type": "bschannel", "connections": 2})
    assert list(config.inert_keys()) == ["connections"]
    assert CameraConfig.load({"source": "x", "source_type": "simulation"}).inert_keys() == {}
