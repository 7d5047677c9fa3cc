"""Hostile streams at full rate into a camera and a pipeline: they keep running, count every bad
message exactly, and deliver the next good frame. A bsread camera follows its stream again after
a wild pulse id. (The figures of the same runs: ``python -m benchmarks.run hostile_streams``.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import zmq
from benchmarks.bench_hostile_streams import hostile_run

from camserver.protocol import RESYNC_AFTER, Encoder, Timestamp
from camserver.testing.hostile_messages import Outcome
from camserver.testing.server import RunningServer, running_server
from camserver.transport import Subscriber
from tests.system.rest import Rest
from tests.system.waiting import wait_for

pytestmark = pytest.mark.system

ROUNDS = 20  # every hostile kind 20 times, each followed by a good frame
HUGE = 3  # 11 MB messages declaring two 1 GiB bitshuffle_lz4 channels
GIB = 1 << 30


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("hostile")) as running:
        yield running


@pytest.fixture(scope="module")
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    yield client
    client.close()


@pytest.mark.parametrize("target", ["camera", "pipeline"])
def test_hostile_messages_are_counted_exactly_and_the_next_good_frame_comes_through(
    server: RunningServer, target: Any
) -> None:
    run = hostile_run(server.url, target, rounds=ROUNDS, huge=HUGE)
    assert run.hostile[Outcome.UNDECODABLE] == ROUNDS * 18 + HUGE
    assert {name: run.statistics[name] for name in run.expected} == run.expected
    assert run.statistics["processing_errors"] == 0
    # the same process ran throughout, and it never held the 2 GiB the huge messages declared
    assert run.pid_after == run.pid_before
    assert run.state == "running"
    assert 0 < run.peak_rss < GIB
    # one line per kind of problem at most every 10 s, with the reason
    assert "messages could not be decoded; last:" in run.log
    assert run.log.count("messages could not be decoded") <= 3
    if target == "camera":
        assert "messages skipped: no image channel; last:" in run.log


@pytest.fixture
def push() -> Iterator[tuple[zmq.Socket[bytes], str]]:
    socket: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.PUSH)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.SNDTIMEO, 30_000)
    port = socket.bind_to_random_port("tcp://127.0.0.1")
    yield socket, f"tcp://127.0.0.1:{port}"
    socket.close(linger=0)


def _frames(pulse_id: int) -> list[bytes]:
    image = np.full((8, 12), pulse_id % 1000, np.uint16)
    message = Encoder().encode({"CAM:FPICTURE": image}, pulse_id=pulse_id, timestamp=Timestamp(1_700_000_000, 0))
    return [frame.tobytes() if isinstance(frame, np.ndarray) else bytes(frame) for frame in message.frames]


def test_a_bsread_camera_follows_its_stream_again_after_a_wild_pulse_id(
    rest: Rest, push: tuple[zmq.Socket[bytes], str]
) -> None:
    socket, address = push
    config = {"source": "CAM", "source_type": "bsread", "url": address, "check_timestamp": False,
              "enforce_timestamp": False, "no_client_timeout": 0}  # fmt: skip
    rest.call("POST", "/api/v1/cam/wild/config", json=config)
    stream = rest.camera_stream("wild")
    with Subscriber(stream, receive_timeout=0.05) as output:
        pulse_id = 100
        for _ in range(2000):  # until the camera's stream reaches this subscriber
            socket.send_multipart(_frames(pulse_id))
            pulse_id += 1
            if output.receive() is not None:
                break
        socket.send_multipart(_frames(2**63 - 1))
        after = [pulse_id + index for index in range(RESYNC_AFTER + 20)]
        for value in after:
            socket.send_multipart(_frames(value))
        received = []
        while (message := output.receive(timeout=20)) is not None and message.pulse_id != after[-1]:
            received.append(message.pulse_id)
        assert message is not None, "the camera went silent after the wild pulse id"
    assert after[RESYNC_AFTER] in received  # the first pulse id after the ten rejected
    assert not set(after[:RESYNC_AFTER]) & set(received)
    detail = wait_for(lambda: rest.camera_info("wild")["detail"], lambda d: d["pulse_resyncs"] == 1, "the resync")
    assert detail["input_drops"] == RESYNC_AFTER
    assert "following the stream again from pulse id" in rest.log_text("wild")
    rest.call("DELETE", "/api/v1/cam/wild")
