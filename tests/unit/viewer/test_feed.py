"""The feed's thread: newest message only, continuous or sampling reads, shared renderings.

The subscriber is a fake (no socket): a stream that either has a message at once (a stream faster
than any viewer) or only when the test pushes one (a slow stream).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from camserver.errors import ConfigError, TransportError
from camserver.models.instance import InstanceInfo, InstanceKind, InstanceState
from camserver.protocol import Message
from camserver.service.viewer.feed import FeedSnapshot, ViewerFeed
from camserver.service.viewer.settings import ViewSettings
from camserver.transport import SubscriberStatistics
from tests.unit.viewer.conftest import MakeMessage, beam
from tests.waiting import wait_until

DEADLINE = 10.0


class FakeStream:
    """Messages for fake subscribers: those the test pushes; or, with ``fast``, a new message at
    every receive; or, with ``period``, a new message every ``period`` seconds (a slow camera)."""

    def __init__(self, make_message: MakeMessage) -> None:
        self.make_message = make_message
        self.fast = False
        self.period: float | None = None
        self.pulse_id = 0
        self.pending: list[Message] = []
        self.changed = threading.Condition()
        self.sources: list[FakeSource] = []
        self.fail_opens = 0

    def message(self) -> Message:
        self.pulse_id += 1
        return self.make_message({"image": beam(), "width": 64}, pulse_id=self.pulse_id)

    def push(self) -> Message:
        with self.changed:
            message = self.message()
            self.pending.append(message)
            self.changed.notify_all()
        return message

    def open(self, address: str) -> FakeSource:
        if self.fail_opens:
            self.fail_opens -= 1
            raise TransportError(f"cannot connect to {address}")
        source = FakeSource(self)
        self.sources.append(source)
        return source


class FakeSource:
    def __init__(self, stream: FakeStream) -> None:
        self.stream = stream
        self.statistics = SubscriberStatistics()
        self.closed = False

    def receive(self, timeout: float | None = None) -> Message | None:
        stream = self.stream
        with stream.changed:
            if stream.fast:
                return stream.message()
            if stream.period is not None and timeout is not None and timeout >= stream.period:
                stream.changed.wait(stream.period)  # the camera's next frame
                return stream.message()
            stream.changed.wait_for(lambda: bool(stream.pending) or stream.fast, timeout)
            if stream.fast:
                return stream.message()
            return stream.pending.pop(0) if stream.pending else None

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def stream(make_message: MakeMessage) -> FakeStream:
    return FakeStream(make_message)


@pytest.fixture
def feed(stream: FakeStream) -> Iterator[ViewerFeed]:
    running = ViewerFeed("tcp://fake:1", name="camera fake", open_source=stream.open).start()
    running.want("browser", 25.0)
    yield running
    running.close()


def test_a_slow_stream_is_read_continuously_and_each_message_published(feed: ViewerFeed, stream: FakeStream) -> None:
    calls: list[int] = []
    feed.add_listener(lambda: calls.append(1))
    first = stream.push()
    wait_until(lambda: feed.latest() is not None, "the first message")
    snapshot = feed.latest()
    assert snapshot is not None
    assert snapshot.seq == 1
    assert snapshot.message.pulse_id == first.pulse_id
    second = stream.push()
    wait_until(lambda: (feed.latest() or snapshot).seq == 2, "the second message")
    assert feed.latest().message.pulse_id == second.pulse_id  # type: ignore[union-attr]
    assert calls == [1, 1]
    assert feed.mode == "continuous"
    assert feed.connections == 1  # one subscriber, kept connected


def test_a_fast_stream_is_sampled_with_a_fresh_connection_per_frame(feed: ViewerFeed, stream: FakeStream) -> None:
    stream.fast = True
    wait_until(lambda: feed.mode == "sampling" and feed.connections >= 4, "sampling")
    feed.close()
    assert all(source.closed for source in stream.sources)
    snapshot = feed.latest()
    assert snapshot is not None
    # what sampling skipped never reached this process: far fewer received than were sent
    assert feed.received <= stream.pulse_id


def test_a_stream_slower_than_the_viewer_goes_back_to_continuous_reading(feed: ViewerFeed, stream: FakeStream) -> None:
    stream.fast = True
    wait_until(lambda: feed.mode == "sampling", "sampling")
    with stream.changed:
        stream.fast = False
        stream.period = 0.06  # a camera slower than the 25 frames per second asked for
    seen = feed.latest().seq  # type: ignore[union-attr]
    # a fresh connection now waits for the camera's next frame: longer than one frame interval
    wait_until(lambda: feed.mode == "continuous", "continuous reading")
    wait_until(lambda: feed.latest().seq > seen + 2, "newer messages")  # type: ignore[union-attr]
    connections = feed.connections
    wait_until(lambda: feed.latest().seq > seen + 6, "more messages")  # type: ignore[union-attr]
    assert feed.connections == connections  # kept connected


def test_the_frame_rate_is_the_highest_any_browser_asks_for(stream: FakeStream) -> None:
    feed = ViewerFeed("tcp://fake:1", open_source=stream.open)
    assert feed.fps() == 1.0  # nobody asks: idle rate
    feed.want("a", 2.0)
    feed.want("b", 15.0)
    assert feed.fps() == 15.0
    feed.unwant("b")
    assert feed.fps() == 2.0


def test_a_connection_error_is_reported_and_retried(stream: FakeStream) -> None:
    stream.fail_opens = 1
    feed = ViewerFeed("tcp://fake:2", open_source=stream.open).start()
    try:
        wait_until(lambda: feed.error is not None, "the error")
        assert "cannot connect to tcp://fake:2" in (feed.statistics()["error"] or "")
        stream.push()
        wait_until(lambda: feed.latest() is not None, "a message after the retry")
        assert feed.statistics()["error"] is None
    finally:
        feed.close()


def test_renderings_are_shared_between_equal_settings(feed: ViewerFeed, stream: FakeStream) -> None:
    stream.push()
    wait_until(lambda: feed.latest() is not None, "a message")
    snapshot = feed.latest()
    assert snapshot is not None
    first = feed.render(snapshot, ViewSettings(fps=5))
    assert feed.render(snapshot, ViewSettings(fps=20)) is first
    other = feed.render(snapshot, ViewSettings(colormap="gray"))
    assert other is not first
    assert first.meta["type"] == "frame"
    assert first.meta["pulse_id"] == snapshot.message.pulse_id
    assert first.meta["image"] == {"width": 64, "height": 48, "dtype": "uint16"}
    assert first.jpeg[:2] == b"\xff\xd8"


def test_a_message_without_an_image_cannot_be_rendered(feed: ViewerFeed, make_message: MakeMessage) -> None:
    from camserver.service.viewer.feed import FeedSnapshot

    snapshot = FeedSnapshot(1, make_message({"x": 1.0, "y": np.zeros(3)}), 0.0)
    with pytest.raises(ConfigError, match="no 2-D 'image' channel"):
        feed.render(snapshot, ViewSettings())


def test_statistics_carry_the_instance_figures(stream: FakeStream) -> None:
    info = InstanceInfo(instance_id="cam", kind=InstanceKind.CAMERA, state=InstanceState.RUNNING)
    info.statistics.tx_rate = 99.0
    info.statistics.output_drops = 3
    info.statistics.subscriber_overflows = 2
    feed = ViewerFeed("tcp://fake:3", open_source=stream.open, instance_info=lambda: info).start()
    try:
        wait_until(lambda: feed.statistics()["instance"] is not None, "the instance figures")
        figures: dict[str, Any] = feed.statistics()
        assert figures["instance"]["state"] == "running"
        assert figures["instance"]["rate"] == 99.0
        assert figures["instance"]["output_drops"] == 3
        assert figures["instance"]["subscriber_overflows"] == 2
        assert figures["stream"] == "tcp://fake:3"
    finally:
        feed.close()


def test_a_fast_stream_of_small_messages_is_read_whole_while_a_browser_charts_it(
    feed: ViewerFeed, stream: FakeStream
) -> None:
    feed.want("browser", 5.0, ["width", "missing"])
    stream.fast = True
    wait_until(lambda: feed.history.last_index >= 200, "200 charted messages")
    assert feed.mode == "continuous"  # the fake messages bring few bytes: no sampling
    batch, cursor = feed.history.since(0, ["width", "missing"])
    assert cursor >= 200
    pulses = batch.pulse_id
    assert pulses == list(range(pulses[0], pulses[0] + len(pulses)))  # every message, none skipped
    assert set(batch.values["width"]) == {64.0}
    assert set(batch.values["missing"]) == {None}
    feed.unwant("browser")
    assert not feed.follows_history


def test_raw_pixel_values_come_from_the_frame_asked_for(feed: ViewerFeed, stream: FakeStream) -> None:
    from camserver.service.viewer.messages import PixelRequest

    with pytest.raises(ConfigError, match="has sent no frame yet"):
        feed.pixels(PixelRequest(x=0, y=0, width=1, height=1))
    first = stream.push()
    wait_until(lambda: feed.latest() is not None, "the first message")
    stream.push()
    wait_until(lambda: (feed.latest() or FeedSnapshot(0, first, 0)).seq == 2, "the second message")
    answer = feed.pixels(PixelRequest(seq=1, x=10, y=12, width=3, height=2))
    image = first.data["image"]
    assert answer["seq"] == 1
    assert answer["values"] == image[12:14, 10:13].tolist()
    clamped = feed.pixels(PixelRequest(seq=99, x=10_000, y=0, width=5, height=1))  # not kept: the newest
    assert clamped["seq"] == 2
    assert (clamped["x"], clamped["width"]) == (image.shape[1] - 1, 1)
