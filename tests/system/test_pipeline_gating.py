"""Which frames a running pipeline lets through, changed live with ``POST /instance/<id>/config``.

Every pipeline here is fed losslessly (the test PUSHes, the pipeline PULLs) and sends with PUSH to
the test's PULL, so the pulse ids that come out are exact, and a frame sent after an update
returned is handled with the new config.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pytest

from camserver.testing.server import RunningServer, running_server
from camserver.transport import Subscriber
from tests.system.rest import Rest
from tests.system.streams import Feed, pulse_ids, read

pytestmark = pytest.mark.system

JITTER = """
import time

def process(stream_data, pulse_id, timestamp, parameters):
    time.sleep((pulse_id % 3) * 0.01)  # later frames often finish first on another thread
    return {"value": stream_data["value"]}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("gating"), allow_user_scripts=True) as running:
        yield running


@pytest.fixture(scope="module")
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    client.upload_script("jitter.py", JITTER)
    yield client
    client.close()


@dataclass
class Relay:
    """A pipeline between a feed and a reader."""

    rest: Rest
    instance_id: str
    feed: Feed
    output: Subscriber
    fed: int = 0

    def send(self, *pulses: int, may_end: bool = False) -> None:
        self.feed.send(pulses, may_end=may_end)
        self.fed += len(pulses)

    def read(self, count: int) -> list[int]:
        return pulse_ids(read(self.output, count))

    def update(self, **changes: Any) -> None:
        self.rest.update(self.instance_id, changes)

    def settle(self) -> None:
        """Wait until the pipeline has taken every frame fed so far."""
        self.rest.wait_figure(self.instance_id, "rx_count", self.fed)

    def nothing_more(self) -> bool:
        return self.output.receive(timeout=0.3) is None


class StartRelay(Protocol):
    def __call__(self, **config: Any) -> Relay: ...


@pytest.fixture
def relay(rest: Rest) -> Iterator[StartRelay]:
    started: list[Relay] = []

    def start(**config: Any) -> Relay:
        feed = Feed()
        instance_id, stream = rest.create(
            {
                "pipeline_type": "stream", "function": "propagate_stream", "input_stream": feed.address,
                "input_mode": "PULL", "mode": "PUSH", "no_client_timeout": 0, **config,
            }
        )  # fmt: skip
        relay = Relay(rest, instance_id, feed, Subscriber(stream, mode="PULL", queue_size=1000, receive_timeout=20))
        started.append(relay)
        return relay

    yield start
    for relay in started:
        if rest.exit_code(relay.instance_id) is None:
            rest.stop(relay.instance_id)
        relay.output.close()
        relay.feed.close()


def test_pause_skips_frames_until_it_is_lifted(relay: StartRelay, rest: Rest) -> None:
    pipe = relay()
    pipe.send(1, 2, 3)
    assert pipe.read(3) == [1, 2, 3]
    pipe.update(pause=True)
    pipe.send(4, 5, 6, 7)
    pipe.settle()
    pipe.update(pause=False)
    pipe.send(8)
    assert pipe.read(1) == [8]  # nothing of 4..7
    assert rest.wait_figure(pipe.instance_id, "skipped", 4) == 4
    assert rest.info(pipe.instance_id)["config"]["pause"] is False


def test_paused_is_read_as_pause(relay: StartRelay, rest: Rest) -> None:
    pipe = relay(paused=True)  # CamServer's README spelling
    assert rest.info(pipe.instance_id)["config"]["pause"] is True
    pipe.send(1, 2)
    pipe.settle()
    pipe.update(paused=False)
    pipe.send(3)
    assert pipe.read(1) == [3]


def test_downsampling_keeps_one_frame_in_n(relay: StartRelay, rest: Rest) -> None:
    pipe = relay()
    pipe.send(1)
    assert pipe.read(1) == [1]
    pipe.update(downsampling=3)
    pipe.send(*range(2, 32))
    kept = pipe.read(10)
    assert [later - earlier for earlier, later in itertools.pairwise(kept)] == [3] * 9
    pipe.settle()
    assert pipe.nothing_more()
    pipe.update(downsampling=None)
    pipe.send(40, 41)
    assert pipe.read(2) == [40, 41]
    assert rest.wait_figure(pipe.instance_id, "skipped", 20) == 20


def test_max_frame_rate_lets_one_frame_through_per_period(relay: StartRelay) -> None:
    pipe = relay()
    pipe.send(1)
    assert pipe.read(1) == [1]
    pipe.update(max_frame_rate=0.05)  # one frame per 20 s: a burst leaves one frame
    pipe.send(*range(2, 12))
    assert pipe.read(1) == [2]
    pipe.settle()
    assert pipe.nothing_more()
    pipe.update(max_frame_rate=None)
    pipe.send(12, 13)
    assert pipe.read(2) == [12, 13]


def test_enforce_pid_drops_older_pulses(relay: StartRelay, rest: Rest) -> None:
    pipe = relay()
    pipe.send(10, 5)
    assert pipe.read(2) == [10, 5]  # off by default: any order passes
    pipe.update(enforce_pid=True)
    pipe.send(20, 15, 20, 21)
    assert pipe.read(2) == [20, 21]
    drops = rest.wait_figure(pipe.instance_id, "input_drops", 2)
    assert drops >= 2
    pipe.update(enforce_pid=False)
    pipe.send(3)
    assert pipe.read(1) == [3]


def test_pid_range_passes_its_range_then_ends_with_code_zero(relay: StartRelay, rest: Rest) -> None:
    pipe = relay()
    pipe.send(100)
    assert pipe.read(1) == [100]
    pipe.update(pid_range=[105, 108])
    # 109 is the first pulse past the range: the pipeline ends on it, so nothing is sent after it
    # (a later pulse would race the pipeline's end: a PUSH with no reader left waits for one)
    pipe.send(*range(101, 110))
    assert pipe.read(4) == [105, 106, 107, 108]
    assert rest.wait_exit(pipe.instance_id) == 0
    assert pipe.nothing_more()
    info = rest.info(pipe.instance_id)
    assert info["state"] == "stopped"
    assert "pid_range" in info["reason"]


def test_pid_range_given_at_start(relay: StartRelay, rest: Rest) -> None:
    pipe = relay(pid_range=[5, 7])
    pipe.send(*range(1, 9))  # ends on 8, the first pulse past the range: nothing is sent after it
    assert pipe.read(3) == [5, 6, 7]
    assert rest.wait_exit(pipe.instance_id) == 0
    assert rest.statistics(pipe.instance_id)["skipped"] == 4


def test_records_sends_exactly_n_messages_then_ends(relay: StartRelay, rest: Rest) -> None:
    pipe = relay(records=3)
    pipe.send(*range(1, 7), may_end=True)  # the pipeline may end after 3 before 4, 5 or 6 is queued
    assert pipe.read(3) == [1, 2, 3]
    assert rest.wait_exit(pipe.instance_id) == 0
    assert pipe.nothing_more()
    assert "3 records" in rest.info(pipe.instance_id)["reason"]


def test_records_set_live_counts_from_the_change(relay: StartRelay, rest: Rest) -> None:
    pipe = relay()
    pipe.send(1, 2, 3, 4)
    assert pipe.read(4) == [1, 2, 3, 4]
    pipe.update(records=2)
    pipe.send(5, 6, 7, 8, may_end=True)  # the pipeline may end after 6 before 7 or 8 is queued
    assert pipe.read(2) == [5, 6]
    assert rest.wait_exit(pipe.instance_id) == 0
    assert pipe.nothing_more()


def test_processing_threads_keep_pulse_id_order(relay: StartRelay, rest: Rest) -> None:
    pipe = relay(function="jitter", processing_threads=2)
    pipe.send(*range(1, 61))
    assert pipe.read(60) == list(range(1, 61))
    assert rest.info(pipe.instance_id)["config"]["processing_threads"] == 2


def test_gating_updates_are_validated(relay: StartRelay, rest: Rest) -> None:
    pipe = relay()
    body = rest.call(
        "POST", f"/api/v1/pipeline/instance/{pipe.instance_id}/config", json={"pid_range": [1]}, status=400
    )
    assert "pid_range" in body["status"]
    body = rest.call(
        "POST", f"/api/v1/pipeline/instance/{pipe.instance_id}/config", json={"downsampling": -2}, status=400
    )
    assert "downsampling" in body["status"]
    pipe.send(1)
    assert pipe.read(1) == [1]  # still running, with its old config
