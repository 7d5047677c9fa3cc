"""A pipeline loop whose camera offers a local stream it cannot use falls back to the camera's bsread
stream by itself. The loop runs in a thread of the test, with real sockets on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import zmq

from camserver.models.instance import InstanceKind, InstanceSpec
from camserver.runtime.control import Command, Report, StartedReport, StopCommand
from camserver.runtime.pipeline_loop import PipelineLoop
from camserver.transport import Publisher, Subscriber
from tests.integration.test_transport import DEADLINE, LOCAL, good_frames, raw_socket, wait_until

IMAGE = np.arange(64 * 48, dtype=np.uint16).reshape(48, 64)


class Channel:
    """The control channel of a loop run in this process."""

    def __init__(self) -> None:
        self.reports: list[Report] = []
        self.pending: list[Command] = []
        self.lock = threading.Lock()

    def commands(self) -> list[Command]:
        with self.lock:
            pending, self.pending = self.pending, []
        return pending

    def send(self, report: Report) -> None:
        with self.lock:
            self.reports.append(report)

    def started(self) -> StartedReport | None:
        with self.lock:
            return next((report for report in self.reports if isinstance(report, StartedReport)), None)


@pytest.fixture
def bogus_local() -> Iterator[tuple[zmq.Socket[bytes], str]]:
    """A 'local stream' whose notifications name a ring that does not exist on this host."""
    yield from raw_socket(zmq.PUB)


def _spec(input_kind: str, stream: str, local: str) -> InstanceSpec:
    """A pipeline reading a camera, or an upstream pipeline, that offers a local stream."""
    config = {"function": "transparent", "no_client_timeout": 0}
    if input_kind == "camera":
        return InstanceSpec(
            instance_id="fallback",
            kind=InstanceKind.PIPELINE,
            config={**config, "camera_name": "elsewhere"},
            camera_stream=stream,
            camera_local_stream=local,
        )
    return InstanceSpec(
        instance_id="fallback",
        kind=InstanceKind.PIPELINE,
        config={**config, "input_pipeline": "upstream"},
        input_streams={"input": stream},
        input_local_streams={"input": local},
    )


@pytest.mark.parametrize("input_kind", ["camera", "pipeline"])
def test_an_unusable_local_stream_falls_back_to_the_bsread_stream(
    bogus_local: tuple[zmq.Socket[bytes], str], tmp_path: Path, input_kind: str
) -> None:
    local_socket, local_address = bogus_local
    with Publisher(LOCAL) as camera:
        spec = _spec(input_kind, camera.address, local_address)
        channel = Channel()
        loop = PipelineLoop(spec, channel)
        thread = threading.Thread(target=loop.run, daemon=True)
        thread.start()
        try:
            wait_until(lambda: channel.started() is not None, "the pipeline to start")
            started = channel.started()
            assert started is not None
            frames = good_frames(1, {"image": IMAGE})
            descriptor = {"ring": "camserver-ring-1-elsewhere-00", "slot": 0, "sequence": 2,
                          "parts": [[2, 0, IMAGE.nbytes]]}  # fmt: skip
            notification = [json.dumps(descriptor).encode(), *frames[:2], b"", *frames[3:]]
            with Subscriber(started.stream, receive_timeout=0.02) as output:
                message = None
                for pulse_id in range(5000):
                    local_socket.send_multipart(notification)
                    camera.send({"image": IMAGE}, pulse_id=pulse_id)
                    message = output.receive()
                    if message is not None:
                        break
                assert message is not None, "the pipeline never sent what the bsread stream brought"
                np.testing.assert_array_equal(message["image"], IMAGE)
        finally:
            with channel.lock:
                channel.pending.append(StopCommand("test over"))
            thread.join(DEADLINE)
        assert not thread.is_alive()
