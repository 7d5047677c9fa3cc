"""Which pipeline inputs are requested from the DataBuffer dispatcher (CamServer's rules)."""

from __future__ import annotations

from typing import Any

import pytest

from camserver.models import PipelineConfig


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"pipeline_type": "stream", "bsread_channels": ["A", "B"]}, {"input": ["A", "B"]}),
        ({"pipeline_type": "stream", "bsread_channels": "A,B", "bsread_address": "tcp://h:1"}, {}),
        ({"pipeline_type": "stream", "bsread_channels": ["A"], "input_stream": "tcp://h:1"}, {}),
        ({"camera_name": "cam", "bsread_channels": '["A"]'}, {"input2": ["A"]}),
        ({"camera_name": "cam", "bsread_channels": ["A"], "bsread_address": "tcp://h:1"}, {}),
        ({"camera_name": "cam", "bsread_channels2": ["X"]}, {"input2": ["X"]}),
        ({"camera_name": "cam", "bsread_channels2": ["X"], "input_stream2": "tcp://h:2"}, {}),
        (
            {"pipeline_type": "stream", "bsread_channels": ["A"], "bsread_channels2": ["X"]},
            {"input": ["A"], "input2": ["X"]},
        ),
        ({"camera_name": "cam", "bsread_channels": []}, {}),
    ],
)
def test_channels_without_an_address_go_to_the_dispatcher(
    config: dict[str, Any], expected: dict[str, list[str]]
) -> None:
    assert PipelineConfig.load(config).dispatcher_requests() == expected


def test_the_dispatcher_keys_are_camservers_with_its_defaults() -> None:
    config = PipelineConfig.load({"camera_name": "cam"})
    assert (config.dispatcher_url, config.dispatcher_verify_request, config.dispatcher_disable_compression) == (
        None,
        True,
        False,
    )
