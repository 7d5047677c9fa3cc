"""Pipeline configs: CamServer's files, defaults (incl. run-time ones), messages, partial updates, drift."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from camserver.errors import ConfigError
from camserver.models.pipeline import PIPELINE_TYPES, GoodRegion, PipelineConfig, Rotation, Slices

PIPELINE_FOLDER = Path(__file__).parents[2] / "data" / "camserver-configs" / "pipeline_config"
NOT_CONFIGS = ("servers.json", "permanent_instances.json")
PIPELINE_FILES = sorted(path for path in PIPELINE_FOLDER.glob("*.json") if path.name not in NOT_CONFIGS)


def read_config(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PIPELINE_FOLDER / name).read_text())
    return data


def without_nulls(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


def processing(**keys: Any) -> PipelineConfig:
    return PipelineConfig.load({"camera_name": "simulation", **keys})


def test_the_data_folder_holds_camserver_pipeline_files() -> None:
    assert {path.stem for path in PIPELINE_FILES} >= {"simulation_sp", "stream_example", "pipeline_example_4"}


@pytest.mark.parametrize("path", PIPELINE_FILES, ids=lambda path: path.stem)
def test_every_camserver_pipeline_file_loads_unchanged(path: Path) -> None:
    data = json.loads(path.read_text())

    config = PipelineConfig.load(data)

    assert config.name == data.get("name")
    assert config.pipeline_type == data.get("pipeline_type", "processing")
    assert config.camera_name == data.get("camera_name")
    expected = without_nulls(data)
    if expected.get("bsread_channels") == []:
        expected["bsread_channels"] = None  # CamServer: an empty channel list means none
    assert config.to_dict(expanded=False) == expected


@pytest.mark.parametrize("path", PIPELINE_FILES, ids=lambda path: path.stem)
def test_every_camserver_pipeline_file_survives_a_round_trip(path: Path) -> None:
    config = PipelineConfig.load(json.loads(path.read_text()))

    assert PipelineConfig.load(config.to_dict()) == config
    assert PipelineConfig.load(config.to_dict(expanded=False)) == config
    assert PipelineConfig.load(config.parameters()).parameters() == config.parameters()


@pytest.mark.parametrize("path", PIPELINE_FILES, ids=lambda path: path.stem)
def test_name_given_to_load_is_forced(path: Path) -> None:
    assert PipelineConfig.load(json.loads(path.read_text()), name=path.stem).name == path.stem


def test_files_that_are_not_configs_are_not_pipelines() -> None:
    for name in NOT_CONFIGS:
        assert (PIPELINE_FOLDER / name).is_file()
    with pytest.raises(ConfigError):
        PipelineConfig.load(read_config("permanent_instances.json"))


def test_simulation_sp_keeps_user_keys_and_disabled_keys() -> None:
    config = PipelineConfig.load(read_config("simulation_sp.json"))

    assert config.unknown_keys() == ["pv_fit_x", "pv_fit_y"]
    assert "_function" in config.disabled_keys()
    assert "_bsread_channels" in config.disabled_keys()
    assert len(config.disabled_keys()) == 16
    # a disabled key is not acted on
    assert config.function is None
    assert config.processing_threads == 0
    assert config.input_stream is None
    assert config.create_header == "on_change"
    # the keys that are set are read
    assert config.image_background_enable is True
    assert config.image_background == "simulation_20240320_144334_156830"
    assert config.debug is True
    assert config.no_client_timeout == 0
    assert config.group == ["simulation", "sp"]


def test_values_of_the_example_files_are_read() -> None:
    example_4 = PipelineConfig.load(read_config("pipeline_example_4.json"))
    simulation2 = PipelineConfig.load(read_config("simulation2_sp.json"))
    stream = PipelineConfig.load(read_config("stream_example.json"))

    assert example_4.image_good_region == GoodRegion(threshold=0.9, gfscale=3.0)
    assert example_4.image_slices == Slices(number_of_slices=1, scale=1.0, orientation="vertical")
    assert example_4.image_region_of_interest == [0, 100, 0, 100]
    assert example_4.image_threshold == 0.5
    assert (simulation2.function, simulation2.processing_threads, simulation2.block) == ("transparent", 4, False)
    assert simulation2.include is not None
    assert "processing_parameters" in simulation2.include
    assert simulation2.exclude == []
    assert (stream.pipeline_type, stream.input_mode, stream.mode) == ("stream", "PULL", "PUB")
    assert (stream.abort_on_timeout, stream.stream_timeout) == (True, 20.0)
    assert stream.bsread_channels is None
    assert stream.downsampling is None


def test_processing_defaults_are_camservers() -> None:
    config = processing()

    expanded = config.to_dict()
    assert {
        key: expanded[key]
        for key in (
            "pipeline_type",
            "image_background_enable",
            "image_background",
            "image_threshold",
            "image_region_of_interest",
            "image_good_region",
            "image_slices",
            "camera_timeout",
            "create_header",
            "allow_type_changes",
            "allow_shape_changes",
            "queue_size",
            "block",
            "no_client_timeout",
            "pause",
            "abort_on_error",
            "abort_on_timeout",
            "receive_timeout",
            "processing_threads",
            "thread_buffer_size",
            "send_buffer_size",
            "bsread_image_buf",
            "bsread_data_buf",
            "merge_queue_size",
            "merge_buffer_size",
            "enforce_pid",
            "localtime",
            "reload",
        )
    } == {
        "pipeline_type": "processing",
        "image_background_enable": False,
        "image_background": None,
        "image_threshold": None,
        "image_region_of_interest": None,
        "image_good_region": None,
        "image_slices": None,
        "camera_timeout": 10.0,
        "create_header": "on_change",
        "allow_type_changes": True,
        "allow_shape_changes": True,
        "queue_size": 10,
        "block": True,
        "no_client_timeout": 10.0,
        "pause": False,
        "abort_on_error": True,
        "abort_on_timeout": False,
        "receive_timeout": 1000,
        "processing_threads": 0,
        "thread_buffer_size": 20,
        "send_buffer_size": 40,
        "bsread_image_buf": 1000,
        "bsread_data_buf": 1000,
        "merge_queue_size": 100,
        "merge_buffer_size": 100,
        "enforce_pid": False,
        "localtime": True,
        "reload": False,
    }
    assert config.to_dict(expanded=False) == {"camera_name": "simulation"}


def test_good_region_and_slices_sub_defaults() -> None:
    config = processing(image_good_region={}, image_slices={})

    assert config.to_dict()["image_good_region"] == {"threshold": 0.3, "gfscale": 1.8}
    assert config.to_dict()["image_slices"] == {"number_of_slices": 1, "scale": 2.0, "orientation": "vertical"}


@pytest.mark.parametrize(
    ("pipeline_type", "extra", "mode"),
    [
        ("processing", {"camera_name": "c"}, "PUB"),
        ("stream", {}, "PUB"),
        ("custom", {}, "PUB"),
        ("fanin", {}, "PUB"),
        ("fanout", {}, "PUSH"),
        ("store", {"camera_name": "c"}, "PUSH"),
    ],
)
def test_effective_mode(pipeline_type: str, extra: dict[str, Any], mode: str) -> None:
    config = PipelineConfig.load({"pipeline_type": pipeline_type, **extra})

    assert config.mode is None
    assert config.effective_mode == mode
    assert config.parameters()["mode"] == mode


@pytest.mark.parametrize("pipeline_type", ["fanout", "store", "processing"])
def test_a_given_mode_wins_over_the_type_default(pipeline_type: str) -> None:
    config = PipelineConfig.load({"pipeline_type": pipeline_type, "camera_name": "c", "mode": "pub"})

    assert config.effective_mode == "PUB"
    config = PipelineConfig.load({"pipeline_type": pipeline_type, "camera_name": "c", "mode": "PUSH"})
    assert config.effective_mode == "PUSH"


@pytest.mark.parametrize(
    ("pipeline_type", "input_mode"), [("fanin", "PULL"), ("processing", "SUB"), ("stream", "SUB"), ("fanout", "SUB")]
)
def test_effective_input_mode(pipeline_type: str, input_mode: str) -> None:
    config = PipelineConfig.load({"pipeline_type": pipeline_type, "camera_name": "c"})

    assert config.effective_input_mode == input_mode
    assert config.parameters()["input_mode"] == input_mode
    assert PipelineConfig.load({"pipeline_type": "fanin", "input_mode": "SUB"}).effective_input_mode == "SUB"


@pytest.mark.parametrize(
    ("name", "given", "notify"),
    [
        ("simulation_sp", None, True),
        ("simulation", None, False),
        ("sp", None, False),
        (None, None, False),
        ("simulation_sp", False, False),
        ("simulation", True, True),
    ],
)
def test_notify_on_error_defaults_to_true_for_sp_pipelines(name: str | None, given: bool | None, notify: bool) -> None:
    config = processing(name=name, notify_on_error=given)

    assert config.effective_notify_on_error is notify
    assert config.parameters()["notify_on_error"] is notify


def test_notify_on_error_follows_the_forced_name() -> None:
    assert PipelineConfig.load(read_config("pipeline_example_3.json"), name="x_sp").effective_notify_on_error


@pytest.mark.parametrize(
    "data",
    [{}, {"pipeline_type": "processing"}, {"pipeline_type": "store"}, {"camera_name": None}, {"camera_name": ""}],
)
def test_missing_camera_gives_camservers_message(data: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=re.escape("Camera name not specified in configuration.")):
        PipelineConfig.load(data)


@pytest.mark.parametrize("pipeline_type", ["stream", "custom", "fanout", "fanin"])
def test_types_without_a_camera_need_no_camera_name(pipeline_type: str) -> None:
    assert PipelineConfig.load({"pipeline_type": pipeline_type}).camera_name is None


@pytest.mark.parametrize("pipeline_type", ["x", "Processing", "camera"])
def test_unknown_pipeline_type_gives_camservers_message(pipeline_type: str) -> None:
    with pytest.raises(ConfigError) as raised:
        PipelineConfig.load({"camera_name": "c", "pipeline_type": pipeline_type})

    assert str(raised.value).endswith(
        f"pipeline_type '{pipeline_type}' not present in mapping. Available: {list(PIPELINE_TYPES)}"
    )


def test_every_camserver_pipeline_type_is_known() -> None:
    assert set(PIPELINE_TYPES) == {"processing", "store", "stream", "custom", "script", "fanout", "fanin"}


def test_null_pipeline_type_means_processing() -> None:
    assert PipelineConfig.load({"camera_name": "c", "pipeline_type": None}).pipeline_type == "processing"


@pytest.mark.parametrize("number", ["3", 2.0, 1.5, True, None])
def test_number_of_slices_must_be_an_integer(number: Any) -> None:
    with pytest.raises(ConfigError, match="number_of_slices must be an integer"):
        processing(image_slices={"number_of_slices": number})


@pytest.mark.parametrize("number", [1, 3, 11])
def test_integer_number_of_slices_is_accepted(number: int) -> None:
    config = processing(image_slices={"number_of_slices": number})

    assert config.image_slices is not None
    assert config.image_slices.number_of_slices == number


@pytest.mark.parametrize("orientation", ["diagonal", "Vertical", 1])
def test_slice_orientation_must_be_vertical_or_horizontal(orientation: Any) -> None:
    with pytest.raises(ConfigError, match="Invalid slice orientation"):
        processing(image_slices={"orientation": orientation})


def test_horizontal_slices_are_accepted() -> None:
    config = processing(image_slices={"orientation": "horizontal"})

    assert config.image_slices == Slices(orientation="horizontal")


def test_file_mode_needs_a_file() -> None:
    with pytest.raises(ConfigError, match="mode FILE needs 'file'"):
        processing(mode="FILE")

    config = processing(mode="file", file="/data/out.h5")
    assert (config.mode, config.file, config.effective_mode) == ("FILE", "/data/out.h5", "FILE")


@pytest.mark.parametrize("mode", ["SUB", "PULL", "SEND"])
def test_output_mode_must_be_a_sending_mode(mode: str) -> None:
    with pytest.raises(ConfigError, match="mode"):
        processing(mode=mode)


def test_validation_messages_name_the_pipeline_and_the_key() -> None:
    with pytest.raises(ConfigError) as raised:
        processing(name="cam_sp", queue_size="many", bsread_image_buf=6000)

    message = str(raised.value)
    assert message.startswith("pipeline 'cam_sp': ")
    assert "queue_size" in message
    assert "bsread_image_buf" in message


def test_invalid_pipeline_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="invalid pipeline name"):
        processing(name="../etc/passwd")
    with pytest.raises(ConfigError, match="invalid pipeline name"):
        PipelineConfig.load({"camera_name": "c"}, name="a b")


def test_updated_merges_good_region_and_slices_key_by_key() -> None:
    config = processing(
        name="cam_sp",
        image_threshold=2,
        image_good_region={"threshold": 0.5},
        image_slices={"number_of_slices": 3, "scale": 1.5},
    )

    changed = config.updated({"image_good_region": {"gfscale": 2.5}, "image_slices": {"orientation": "horizontal"}})

    assert changed.image_good_region == GoodRegion(threshold=0.5, gfscale=2.5)
    assert changed.image_slices == Slices(number_of_slices=3, scale=1.5, orientation="horizontal")
    assert changed.image_threshold == 2.0
    assert changed.name == "cam_sp"
    assert config.image_good_region == GoodRegion(threshold=0.5)


def test_updated_sub_dict_over_no_sub_dict_gets_the_sub_defaults() -> None:
    changed = processing().updated({"image_good_region": {"gfscale": 2.5}})

    assert changed.image_good_region == GoodRegion(threshold=0.3, gfscale=2.5)


def test_updated_replaces_other_keys() -> None:
    config = processing(include=["a", "b"], image_region_of_interest=[0, 10, 0, 10])

    changed = config.updated({"include": ["c"], "image_region_of_interest": [1, 2, 3, 4]})

    assert changed.include == ["c"]
    assert changed.image_region_of_interest == [1, 2, 3, 4]


@pytest.mark.parametrize("key", ["image_threshold", "image_good_region", "image_slices"])
def test_updated_none_removes_a_key(key: str) -> None:
    config = processing(image_threshold=2.0, image_good_region={"threshold": 0.5}, image_slices={})

    changed = config.updated({key: None})

    assert key not in changed.to_dict(expanded=False)
    assert getattr(changed, key) is None


@pytest.mark.parametrize("changes", [{}, None])
def test_empty_update_gives_camservers_message(changes: Any) -> None:
    with pytest.raises(ConfigError, match=re.escape("Config updates cannot be empty.")):
        processing().updated(changes)


def test_updated_is_validated() -> None:
    config = processing()

    with pytest.raises(ConfigError, match=re.escape("Camera name not specified in configuration.")):
        config.updated({"camera_name": None})
    with pytest.raises(ConfigError, match="pipeline_type 'nope' not present in mapping"):
        config.updated({"pipeline_type": "nope"})
    with pytest.raises(ConfigError, match="number_of_slices must be an integer"):
        config.updated({"image_slices": {"number_of_slices": "5"}})


def test_updated_keeps_unknown_keys_and_adds_new_ones() -> None:
    config = processing(pv_fit_x="PV:X")

    changed = config.updated({"pv_fit_y": "PV:Y", "_function": "off.py"})

    assert changed.unknown_keys() == ["pv_fit_x", "pv_fit_y"]
    assert changed.disabled_keys() == ["_function"]


@pytest.mark.parametrize(
    ("drifted", "key", "value"), [("paused", "pause", True), ("bsread_mode", "input_mode", "PULL")]
)
def test_readme_drift_is_accepted(drifted: str, key: str, value: Any) -> None:
    config = processing(**{drifted: value})

    assert getattr(config, key) == value
    assert config.to_dict(expanded=False) == {"camera_name": "simulation", key: value}
    assert drifted not in config.to_dict()
    assert config.unknown_keys() == []


def test_drifted_spelling_is_normalised() -> None:
    assert processing(bsread_mode="pull").input_mode == "PULL"


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (("paused", True), ("pause", False), False),
        (("pause", False), ("paused", True), False),
        (("paused", False), ("pause", True), True),
        (("pause", True), ("paused", False), True),
    ],
)
def test_canonical_pause_wins_over_the_drifted_one(
    first: tuple[str, bool], second: tuple[str, bool], expected: bool
) -> None:
    given = dict([first, second])

    assert processing(**given).pause is expected
    assert processing().updated(given).pause is expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [({"bsread_mode": "PULL", "input_mode": "SUB"}, "SUB"), ({"input_mode": "SUB", "bsread_mode": "PULL"}, "SUB")],
)
def test_canonical_input_mode_wins_over_bsread_mode(given: dict[str, str], expected: str) -> None:
    assert processing(**given).input_mode == expected
    assert processing().updated(given).input_mode == expected


def test_null_canonical_key_lets_the_drifted_one_apply() -> None:
    assert processing(paused=True, pause=None).pause is True


def test_updated_with_a_drifted_key_changes_the_canonical_key() -> None:
    config = processing(pause=True)

    assert config.updated({"paused": False}).pause is False
    assert processing().updated({"bsread_mode": "PULL"}).input_mode == "PULL"


@pytest.mark.parametrize(
    ("rotation", "expected"),
    [
        (90, Rotation(angle=90.0)),
        (12.5, Rotation(angle=12.5)),
        ({"angle": 45}, Rotation(angle=45.0, order=1, mode="0.0")),
        ({"angle": 45, "order": 3, "mode": "nearest"}, Rotation(angle=45.0, order=3, mode="nearest")),
        ({"angle": 45, "mode": 2}, Rotation(angle=45.0, mode="2.0")),
        (0, None),
    ],
)
def test_rotation_as_number_or_object(rotation: Any, expected: Rotation | None) -> None:
    assert processing(rotation=rotation).rotation == expected


@pytest.mark.parametrize("rotation", [{"angle": 1, "mode": "spiral"}, {"angle": 1, "order": 9}, {"turn": 1}, "90"])
def test_invalid_rotation_is_refused(rotation: Any) -> None:
    with pytest.raises(ConfigError, match="rotation"):
        processing(rotation=rotation)


@pytest.mark.parametrize(
    ("channels", "expected"),
    [
        (["A:X", "B:Y"], ["A:X", "B:Y"]),
        ('["A:X", "B:Y"]', ["A:X", "B:Y"]),
        ("A:X, B:Y", ["A:X", "B:Y"]),
        ("A:X", ["A:X"]),
        ([], None),
        ("", None),
        ("   ", None),
        ("[]", None),
    ],
)
def test_bsread_channels_spellings(channels: Any, expected: list[str] | None) -> None:
    config = PipelineConfig.load({"pipeline_type": "stream", "bsread_channels": channels, "bsread_channels2": channels})

    assert config.bsread_channels == expected
    assert config.bsread_channels2 == expected


def test_bsread_channels_of_other_types_are_refused() -> None:
    with pytest.raises(ConfigError, match="bsread_channels"):
        PipelineConfig.load({"pipeline_type": "stream", "bsread_channels": 5})


def test_parameters_hold_every_key_user_keys_and_runtime_values() -> None:
    config = PipelineConfig.load(read_config("simulation_sp.json"))

    parameters = config.parameters()

    assert set(parameters) >= set(config.to_dict())
    assert set(parameters) >= {name for name in PipelineConfig.model_fields if name != "copy_image"}
    assert parameters["pv_fit_x"] == "TESTIOC:TESTCALCOUT:Input"
    assert parameters["pv_fit_y"] == "TESTIOC:TESTCALCOUT:Output"
    assert parameters["_function"] == "transparent.py"
    assert parameters["copy"] is False
    assert parameters["mode"] == "PUB"
    assert parameters["input_mode"] == "SUB"
    assert parameters["notify_on_error"] is True
    assert parameters["name"] == "simulation_sp"
    assert parameters["camera_name"] == "simulation"
    assert parameters["image_background_enable"] is True
    assert parameters["rotation"] is None
    json.dumps(parameters)


def test_parameters_of_a_fanout_pipeline_carry_its_runtime_mode() -> None:
    parameters = PipelineConfig.load({"pipeline_type": "fanout", "name": "fan"}).parameters()

    assert (parameters["mode"], parameters["input_mode"], parameters["notify_on_error"]) == ("PUSH", "SUB", False)


@pytest.mark.parametrize("key", ["data_compression", "data_header_compression"])
@pytest.mark.parametrize(("given", "expected"), [(True, "bitshuffle_lz4"), (False, "none"), ("none", "none")])
def test_output_compression_spellings(key: str, given: Any, expected: str) -> None:
    assert getattr(processing(**{key: given}), key) == expected


def test_lz4_output_compression_is_refused_with_a_reason() -> None:
    with pytest.raises(ConfigError, match="data_compression: lz4 is not sent"):
        processing(data_compression="lz4")


@pytest.mark.parametrize("pid_range", [[1], [1, 2, 3], "1-2"])
def test_pid_range_is_start_and_stop(pid_range: Any) -> None:
    with pytest.raises(ConfigError, match="pid_range"):
        processing(pid_range=pid_range)

    assert processing(pid_range=[100, 200]).pid_range == [100, 200]


def test_script_pipeline_needs_its_script() -> None:
    with pytest.raises(ConfigError, match="pipeline_script"):
        PipelineConfig.load({"pipeline_type": "script"})

    assert PipelineConfig.load({"pipeline_type": "script", "pipeline_script": "run.py"}).pipeline_script == "run.py"


def test_copy_is_read_and_written_under_camservers_key() -> None:
    config = processing(copy=True)

    assert config.copy_image is True
    assert config.to_dict(expanded=False) == {"camera_name": "simulation", "copy": True}
    assert "copy_image" not in config.to_dict()


def test_group_as_string_or_list() -> None:
    assert processing(group="sp").group == "sp"
    assert processing(group=["simulation", "sp"]).group == ["simulation", "sp"]
    with pytest.raises(ConfigError, match="group"):
        processing(group=5)


def test_keys_without_effect_are_reported_with_the_reason() -> None:
    config = PipelineConfig.load({"camera_name": "cam", "multiprocessing": True, "copy": True, "block": False})
    ignored = config.inert_keys()
    assert set(ignored) == {"multiprocessing", "copy"}
    assert "threads" in ignored["multiprocessing"]
    assert PipelineConfig.load({"camera_name": "cam", "multiprocessing": False}).inert_keys() == {}
