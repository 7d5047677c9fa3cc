"""Loading built-in and user functions by name or path, with reload and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from camserver.errors import ConfigError
from camserver.processing import load_function, merge, process_image, propagate_stream, transparent
from camserver.processing.library import propagate_stream_with_prefix


def test_builtins_by_camserver_names():
    assert load_function("default", kind="processing") is process_image
    assert load_function("processor", kind="processing") is process_image
    assert load_function("transparent", kind="processing") is transparent
    assert load_function("merge", kind="processing") is merge
    assert load_function("propagate_stream", kind="stream") is propagate_stream
    prefixed = load_function("propagate_stream_with_prefix", kind="stream")
    assert prefixed({"a": 1}, 0, (0, 0), {"prefix": "cam:"}) == {"cam:a": 1}
    assert propagate_stream_with_prefix({"b": 2}, 0, (0, 0), {}) == {"b": 2}


def test_user_module_by_name_on_a_search_path_and_by_path(tmp_path):
    (tmp_path / "my_function.py").write_text(
        "def process_image(image, pulse_id, timestamp, x_axis, y_axis, parameters, bsdata=None):\n"
        "    return {'total': int(image.sum())}\n"
    )
    function = load_function("my_function", kind="processing", search_paths=[tmp_path / "missing", tmp_path])
    assert function(np.ones((2, 2)), 0, (0, 0), None, None, {}) == {"total": 4}
    assert load_function("my_function.py", kind="processing", search_paths=[tmp_path]) is function
    assert load_function(str(tmp_path / "my_function.py"), kind="processing") is function


def test_reload_executes_the_file_again(tmp_path):
    path = tmp_path / "stream_function.py"
    path.write_text("def process(stream_data, pulse_id, timestamp, parameters):\n    return {'version': 1}\n")
    assert load_function(str(path), kind="stream")({}, 0, (0, 0), {}) == {"version": 1}
    path.write_text("def process(stream_data, pulse_id, timestamp, parameters):\n    return {'version': 2}\n")
    assert load_function(str(path), kind="stream")({}, 0, (0, 0), {}) == {"version": 1}
    assert load_function(str(path), kind="stream", reload=True)({}, 0, (0, 0), {}) == {"version": 2}


def test_errors_name_what_is_missing(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_function("absent", kind="processing", search_paths=[tmp_path])
    (tmp_path / "wrong.py").write_text("def process(stream_data, pulse_id, timestamp, parameters):\n    pass\n")
    with pytest.raises(ConfigError, match=r"does not define 'process_image\(\)'"):
        load_function("wrong", kind="processing", search_paths=[tmp_path])
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')\n")
    with pytest.raises(ConfigError, match="boom"):
        load_function("broken", kind="processing", search_paths=[tmp_path])
    (tmp_path / "compiled.c").write_text("int x;\n")
    with pytest.raises(ConfigError, match="compiled"):
        load_function("compiled", kind="processing", search_paths=[tmp_path])
    with pytest.raises(ConfigError, match="kind"):
        load_function("default", kind="video")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="No processing function"):
        load_function("", kind="custom")
