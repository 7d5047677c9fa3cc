"""A pipeline fed faster than it processes: it passes over its backlog for the newest frame and
counts every frame it did not process as an input drop.

The feed is a PUB socket that holds back instead of dropping (``XPUB_NODROP``), so every frame sent
reaches the pipeline's queue; the pipeline sends with PUSH to the test's PULL, so every frame it
sends arrives. What the pipeline does in between is then exactly visible: the pulse ids that come
out, and its counters. Its function takes 20 ms a frame, the test a fraction of a millisecond to
send one, so the pipeline is overloaded on any machine.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from camserver.protocol import Timestamp
from camserver.testing.server import RunningServer, running_server
from camserver.transport import Publisher, Subscriber
from tests.system.rest import Rest
from tests.waiting import DEADLINE

pytestmark = pytest.mark.system

SLOW = """
import time

def process(stream_data, pulse_id, timestamp, parameters):
    time.sleep(0.02)  # a function that needs 20 ms a frame
    return {"value": stream_data["value"]}
"""
BURST = 200


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("overload"), allow_user_scripts=True) as running:
        yield running


@pytest.fixture(scope="module")
def rest(server: RunningServer) -> Iterator[Rest]:
    client = Rest(server.url)
    client.upload_script("slow.py", SLOW)
    yield client
    client.close()


def _send(feed: Publisher, pulse_id: int) -> None:
    sent = feed.send({"value": pulse_id}, pulse_id=pulse_id, timestamp=Timestamp(1_700_000_000 + pulse_id, 0))
    assert sent, f"pulse {pulse_id} was not taken within the feed's timeout"


def test_an_overloaded_pipeline_takes_the_newest_frame_and_counts_every_frame_it_passed_over(rest: Rest) -> None:
    feed = Publisher("tcp://127.0.0.1:0", mode="PUB", nodrop=True, block=True, send_timeout=DEADLINE)
    config = {"pipeline_type": "stream", "function": "slow", "input_stream": feed.address, "mode": "PUSH"}
    instance_id, stream = rest.create({**config, "no_client_timeout": 0})
    output = Subscriber(stream, mode="PULL", queue_size=10_000, receive_timeout=DEADLINE)
    try:
        # join: one frame at a time until one comes out (frames before the subscription are not seen)
        first, joined = None, 0
        while first is None and joined < 1000:
            _send(feed, joined)
            first = output.receive(timeout=0.1)
            joined += 1
        assert first is not None, "the pipeline never joined the feed"
        last = joined + BURST
        for pulse_id in range(joined, last + 1):
            _send(feed, pulse_id)
        received = [first.pulse_id]
        while received[-1] != last:
            message = output.receive()
            assert message is not None, f"the newest frame {last} never came out (last: {received[-1]})"
            received.append(message.pulse_id)
        assert received == sorted(set(received)), "frames come out once each, in pulse-id order"
        figures = rest.wait_figure(instance_id, "tx_count", len(received))
        assert figures == len(received)
        statistics = rest.statistics(instance_id)
        # every frame from the first one out to the last one sent was processed or counted as dropped
        assert statistics["input_drops"] + len(received) == last - received[0] + 1
        assert statistics["input_drops"] > BURST // 2, "the pipeline is far slower than its feed: it passed frames over"
        assert statistics["processing_errors"] == statistics["output_drops"] == 0
    finally:
        rest.stop(instance_id)
        output.close()
        feed.close()
