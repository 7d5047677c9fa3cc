"""ImageProcessor: averaging state, config updates, errors, include/exclude, user and built-in functions."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from camserver.errors import ProcessingError
from camserver.processing import ImageProcessor, merge, process_image, transparent
from tests.unit.processing.frames import axes, beam

SHAPE = (30, 40)
X_AXIS, Y_AXIS = axes(SHAPE)


def _frame(value):
    return np.full(SHAPE, value, np.uint16)


def _process(processor, image, pulse_id=0, bsdata=None):
    return processor.process(image, pulse_id, (10, 500), X_AXIS, Y_AXIS, bsdata)


def test_positive_averaging_emits_the_mean_of_each_block():
    processor = ImageProcessor({"averaging": 3})
    assert _process(processor, _frame(1)) is None
    assert _process(processor, _frame(2)) is None
    result = _process(processor, _frame(6))
    assert result["image"].dtype == np.float64
    assert (result["image"] == 3.0).all()
    assert _process(processor, _frame(9)) is None


def test_negative_averaging_is_a_rolling_mean_on_every_frame():
    processor = ImageProcessor({"averaging": -2})
    means = [_process(processor, _frame(v))["image"][0, 0] for v in (2, 4, 10, 20)]
    assert means == [2.0, 3.0, 7.0, 15.0]


def test_late_image_averaging_runs_after_threshold():
    processor = ImageProcessor({"image_averaging": 2, "image_threshold": 5})
    first = _process(processor, _frame(4))["image"]
    second = _process(processor, _frame(10))["image"]
    assert first[0, 0] == 0.0
    assert second[0, 0] == 5.0


def test_rolling_mean_stays_exact_over_many_frames():
    processor = ImageProcessor({"image_averaging": 3})
    rng = np.random.default_rng(0)
    frames = [rng.random(SHAPE) * 1000 for _ in range(20)]
    for frame in frames:
        result = _process(processor, frame)
    np.testing.assert_allclose(result["image"], np.mean(frames[-3:], axis=0), rtol=1e-12)


def test_shape_change_restarts_the_buffer():
    processor = ImageProcessor({"averaging": -3})
    _process(processor, _frame(100))
    other = np.full((10, 12), 7, np.uint16)
    result = processor.process(other, 1, (0, 0), np.arange(12.0), np.arange(10.0))
    assert (result["image"] == 7.0).all()


def test_averaging_buffers_belong_to_each_processor():
    first, second = ImageProcessor({"averaging": -2}), ImageProcessor({"averaging": -2})
    _process(first, _frame(100))
    assert _process(second, _frame(2))["image"][0, 0] == 2.0


def test_update_keeps_or_resets_averaging():
    processor = ImageProcessor({"averaging": -2, "image_averaging": 2})
    _process(processor, _frame(10))
    processor.update({"averaging": -2, "image_averaging": 2, "include": ["image"]})
    # nothing that fills the buffers changed: early mean (10, 20) = 15, late mean (10, 15)
    assert _process(processor, _frame(20))["image"][0, 0] == 12.5
    processor.update({"averaging": -3, "image_averaging": 2})
    # early buffer restarted (40), late kept (15, 40)
    assert _process(processor, _frame(40))["image"][0, 0] == 27.5
    processor.update({"averaging": -3, "image_averaging": 2, "mirror_x": True})
    # early kept (40, 70) = 55, chain changed: late restarted
    assert _process(processor, _frame(70))["image"][0, 0] == 55.0


def test_update_applies_from_the_next_frame():
    image = beam(SHAPE, center=(20, 15), sigma=(4, 3))
    processor = ImageProcessor({})
    assert _process(processor, image)["width"] == 40
    processor.update({"image_region_of_interest": [5, 10, 0, 30]})
    assert _process(processor, image)["width"] == 10


def test_good_region_and_slices_follow_an_update_and_match_the_function_called_alone():
    # the processor parses the good-region and slice settings once per config and hands them over
    image = beam((60, 80), center=(40, 30), sigma=(6, 4), correlation=0.3)
    x_axis, y_axis = axes((60, 80))
    processor = ImageProcessor({"image_good_region": {"threshold": 0.3}, "image_slices": {"number_of_slices": 3}})
    for parameters in (
        {"image_good_region": {"threshold": 0.5, "gfscale": 2.0}, "image_slices": {"number_of_slices": 5}},
        {"image_good_region": {"threshold": 0.2}, "image_slices": {"orientation": "horizontal"}},
        {"image_good_region": {"threshold": 0.2}},
    ):
        processor.update(parameters)
        found = processor.process(image, 0, (10, 500), x_axis, y_axis)
        alone = process_image(image, 0, (10, 500), x_axis, y_axis, dict(processor.parameters))
        assert found is not None
        assert found.keys() == alone.keys()
        for key, value in alone.items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(found[key], value)
            else:
                assert found[key] == value, key
        assert ("slice_amount" in found) == ("image_slices" in parameters)
        if "image_slices" in parameters:
            assert found["slice_amount"] == parameters["image_slices"].get("number_of_slices", 1)


def test_missing_background_is_a_processing_error_or_a_notification():
    image = beam(SHAPE)
    config = {"image_background_enable": True, "image_background": "cam_20240101_000000_000000"}
    with pytest.raises(ProcessingError, match="Invalid background image file: cam_20240101"):
        _process(ImageProcessor(config), image)
    notified = ImageProcessor({**config, "name": "cam_sp"})
    result = _process(notified, image)
    assert not result["image"].any()
    assert set(result) == {"x_axis", "y_axis", "image", "width", "height", "processing_parameters"}
    parameters = json.loads(result["processing_parameters"])
    assert parameters["processing_error"].startswith("Invalid background image file")
    assert parameters["image_background_ok"] is False
    assert notified.warnings


def test_background_of_the_wrong_size():
    config = {"image_background_enable": True, "notify_on_error": True}
    result = _process(ImageProcessor(config, np.zeros((3, 3), np.uint16)), beam(SHAPE))
    assert json.loads(result["processing_parameters"])["processing_error"] == "Bad background image size"
    processor = ImageProcessor(config, np.zeros((3, 3), np.uint16), camera_geometry=(40, 30))
    assert any("does not match the camera" in note for note in processor.warnings)


def test_passive_background_is_handed_to_the_function():
    background = np.full(SHAPE, 3, np.uint16)
    seen = {}

    def function(image, pulse_id, timestamp, x_axis, y_axis, parameters, bsdata=None):
        seen["background"] = parameters.get("background_data")
        return {"sum": int(image.sum())}

    processor = ImageProcessor({"image_background_enable": "passive"}, background, function=function)
    result = _process(processor, _frame(5))
    assert result["sum"] == 5 * 30 * 40
    assert seen["background"] is not None
    assert "background_data" not in json.loads(result["processing_parameters"])


def test_user_function_gets_a_read_only_image_and_may_skip():
    calls = []

    def function(image, pulse_id, timestamp, x_axis, y_axis, parameters, bsdata=None):
        calls.append((pulse_id, timestamp, bsdata))
        with pytest.raises(ValueError, match="read-only"):
            image[0, 0] = 1
        parameters["state"] = parameters.get("state", 0) + 1
        return None if pulse_id % 2 else {"value": parameters["state"]}

    processor = ImageProcessor({"image_threshold": 2}, function=function)
    assert _process(processor, _frame(5), pulse_id=1, bsdata={"extra": 1}) is None
    result = _process(processor, _frame(5), pulse_id=2)
    assert result["value"] == 2
    assert "processing_parameters" in result
    assert calls[0] == (1, (10, 500), {"extra": 1})


def test_user_function_failures_are_processing_errors():
    def broken(*arguments):
        raise ZeroDivisionError("oops")

    with pytest.raises(ProcessingError, match="oops"):
        _process(ImageProcessor({}, function=broken), _frame(1))
    with pytest.raises(ProcessingError, match="dict"):
        _process(ImageProcessor({}, function=lambda *arguments: [1, 2]), _frame(1))


def test_include_and_exclude():
    include = _process(ImageProcessor({"include": ["x_fit_mean", "nothing"]}), beam(SHAPE))
    assert set(include) == {"x_fit_mean", "nothing", "processing_parameters"}
    assert include["nothing"] is None
    exclude = _process(ImageProcessor({"exclude": ["image", "processing_parameters"]}), beam(SHAPE))
    assert "image" not in exclude
    assert "processing_parameters" not in exclude
    assert "x_fit_mean" in exclude


def test_processing_parameters_are_the_effective_parameters():
    result = _process(ImageProcessor({"rotation": 90, "image_good_region": {"threshold": 0.5}}), beam(SHAPE))
    parameters = json.loads(result["processing_parameters"])
    assert parameters["rotation"] == {"angle": 90.0, "order": 1, "mode": "0.0"}
    assert parameters["image_good_region"] == {"threshold": 0.5, "gfscale": 1.8}


def test_builtin_functions():
    image = beam(SHAPE, center=(20, 15), sigma=(4, 3))
    plain = _process(ImageProcessor({}, function=process_image), image)
    assert plain["x_fit_mean"] == pytest.approx(20.0, abs=1e-3)
    merged = _process(ImageProcessor({}, function=merge), image, bsdata={"BPM:X": 1.5})
    assert merged["BPM:X"] == 1.5
    assert merged["x_fit_mean"] == plain["x_fit_mean"]
    assert merge(image, 0, (1, 0), X_AXIS, Y_AXIS, {}, {"BPM:Y": 2})["BPM:Y"] == 2
    shown = _process(ImageProcessor({}, function=transparent), image)
    assert set(shown) == {"x_axis", "y_axis", "width", "height", "image", "processing_parameters", "timestamp"}
    assert shown["timestamp"] == pytest.approx(10.0000005)


def test_one_processor_serves_two_threads():
    image = beam((120, 160), center=(80, 60), sigma=(10, 8), noise=5)
    image.flags.writeable = False
    processor = ImageProcessor({"image_threshold": 20, "image_good_region": {}, "image_slices": {}})
    x_axis, y_axis = axes(image.shape)
    expected = processor.process(image, 0, (0, 0), x_axis, y_axis)["x_fit_mean"]
    results = []

    def work():
        results.extend(processor.process(image, 1, (0, 0), x_axis, y_axis)["x_fit_mean"] for _ in range(20))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 40
