"""A pipeline reads its camera's frames straight out of the camera's ring when nothing keeps a frame
beyond processing it, and throws away (and counts) what it made of a frame overwritten meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from camserver.models.instance import InstanceKind, InstanceSpec
from camserver.protocol import Encoder, Message, Timestamp
from camserver.protocol.decoder import Decoder
from camserver.runtime.ordered_executor import Completed
from camserver.runtime.pipeline_loop import PipelineLoop
from camserver.runtime.pipeline_stage import ProcessingStage, Resources, create_stage
from camserver.transport import LocalSubscriber
from tests.integration.test_pipeline_local_input import Channel

IMAGE = np.arange(64 * 48, dtype=np.uint16).reshape(48, 64)


class Lease:
    """A stand-in for a ring's lease that lapses when the test says so."""

    def __init__(self, *, valid: bool) -> None:
        self._valid = valid

    def valid(self) -> bool:
        return self._valid

    def holds(self, value: Any) -> bool:
        return False


class Output:
    """Collects what the loop sends."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def send(self, data: dict[str, Any], *, pulse_id: int, timestamp: Timestamp) -> bool:
        self.sent.append(pulse_id)
        return True


def _loop(config: dict[str, Any]) -> PipelineLoop:
    spec = InstanceSpec(
        instance_id="lending", kind=InstanceKind.PIPELINE, config={"camera_name": "camera", **config},
        camera_stream="tcp://127.0.0.1:9", camera_local_stream="tcp://127.0.0.1:9",
    )  # fmt: skip
    return PipelineLoop(spec, Channel())


@pytest.fixture
def local_input(tmp_path: Path) -> Iterator[LocalSubscriber]:
    """A local-stream reader (connected to nothing: the test only asks what it would do)."""
    subscriber = LocalSubscriber("tcp://127.0.0.1:9", folder=tmp_path)
    yield subscriber
    subscriber.close()


@pytest.mark.parametrize(
    ("config", "lends"),
    [
        ({}, True),
        ({"image_threshold": 10, "image_region_of_interest": [0, 32, 0, 24]}, True),
        ({"averaging": 3}, False),
        ({"image_averaging": 3}, False),
        ({"processing_threads": 2}, False),
        ({"pipeline_type": "stream", "function": "propagate_stream"}, False),
    ],
)
def test_frames_are_lent_only_where_nothing_keeps_them(
    local_input: LocalSubscriber, config: dict[str, Any], lends: bool
) -> None:
    loop = _loop(config)
    loop._stage = create_stage(loop.config, Resources())
    loop._input = local_input
    loop._update_lending()
    assert local_input.lend is lends


def _message(pulse_id: int) -> Message:
    encoded = Encoder().encode({"image": IMAGE}, pulse_id=pulse_id, timestamp=Timestamp(1, 0))
    message = Decoder().decode([bytes(memoryview(frame)) for frame in encoded.frames])
    assert isinstance(message, Message)
    return message


def test_a_frame_overwritten_while_it_was_processed_is_counted_and_not_sent() -> None:
    loop = _loop({})
    stage = create_stage(loop.config, Resources())
    assert isinstance(stage, ProcessingStage)
    output = Output()
    for pulse_id, lease in [(1, Lease(valid=True)), (2, Lease(valid=False)), (3, None)]:
        item = (_message(pulse_id), None, lease)
        loop._emit(Completed(item, loop._process(stage, item)), output)
    assert output.sent == [1, 3]
    assert loop.statistics.input_drops == 1
    assert loop.statistics.processing_errors == 0


def test_a_lent_frame_comes_out_as_a_copy() -> None:
    stage = create_stage(_loop({}).config, Resources())
    assert isinstance(stage, ProcessingStage)
    message = _message(1)
    lent = stage.process(message, None, lent=True)
    owned = stage.process(message, None)
    assert lent is not None
    assert owned is not None
    np.testing.assert_array_equal(lent["image"], IMAGE)
    assert not np.shares_memory(lent["image"], message["image"]), "a lent frame is never sent as received"
    assert np.shares_memory(owned["image"], message["image"]), "an owned frame goes out without a copy"
