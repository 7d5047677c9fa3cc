"""One browser's pace: frame interval, acknowledgements, skipped messages, settings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from camserver.errors import ConfigError
from camserver.service.viewer.feed import FeedSnapshot, RenderedFrame
from camserver.service.viewer.history import HistoryRing
from camserver.service.viewer.session import ViewerSession
from camserver.service.viewer.settings import ViewSettings
from tests.unit.viewer.conftest import MakeMessage, beam


class FakeFeed:
    """A feed whose newest message the test sets."""

    def __init__(self) -> None:
        self.snapshot: FeedSnapshot | None = None
        self.wanted: dict[Any, float] = {}
        self.rendered: list[tuple[int, ViewSettings]] = []
        self.broken = False
        self.history = HistoryRing(size=8)
        self.followed: dict[Any, tuple[str, ...]] = {}

    def latest(self) -> FeedSnapshot | None:
        return self.snapshot

    def want(self, who: Any, fps: float, history: tuple[str, ...] = ()) -> None:
        self.wanted[who] = fps
        self.followed[who] = tuple(history)

    def unwant(self, who: Any) -> None:
        self.wanted.pop(who, None)

    def render(self, snapshot: FeedSnapshot, settings: ViewSettings) -> RenderedFrame:
        if self.broken:
            raise ConfigError("the stream has no 2-D 'image' channel to show")
        self.rendered.append((snapshot.seq, settings))
        meta = {"type": "frame", "seq": snapshot.seq, "timestamp": 1000.0}
        return RenderedFrame(snapshot.seq, b"jpeg", meta)  # type: ignore[arg-type]

    def statistics(self) -> dict[str, Any]:
        return {"mode": "continuous"}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def setup(make_message: MakeMessage) -> tuple[FakeFeed, Clock, ViewerSession, Any]:
    feed = FakeFeed()
    clock = Clock()
    session = ViewerSession(feed, ViewSettings(fps=10), clock=clock, wall_clock=lambda: 1000.25)  # type: ignore[arg-type]
    message = make_message({"image": beam()})

    def publish(seq: int) -> None:
        feed.snapshot = FeedSnapshot(seq, message, clock.now)

    return feed, clock, session, publish


def test_nothing_is_sent_before_the_first_message(setup: Any) -> None:
    feed, _, session, _ = setup
    assert session.wait_time() is None
    assert session.next_frame() is None
    assert feed.wanted[session] == 10.0


def test_frames_are_paced_by_the_frame_interval(setup: Any) -> None:
    _, clock, session, publish = setup
    publish(1)
    assert session.wait_time() == 0.0
    frame = session.next_frame()
    assert frame is not None
    assert frame.seq == 1
    assert frame.jpeg == b"jpeg"
    session.acknowledge(1)
    assert session.wait_time() is None  # nothing newer yet
    publish(2)
    waiting = session.wait_time()
    assert waiting is not None
    assert waiting == pytest.approx(0.09)  # 0.9 of the 100 ms interval
    clock.now += 0.1
    assert session.wait_time() == 0.0


def test_at_most_two_frames_wait_for_the_browser(setup: Any) -> None:
    _, clock, session, publish = setup
    for seq in (1, 2):
        publish(seq)
        clock.now += 1
        assert session.next_frame() is not None
    publish(3)
    clock.now += 1
    assert session.in_flight == 2
    assert session.wait_time() is None  # a browser that does not draw gets nothing more
    session.acknowledge(1)
    assert session.wait_time() == 0.0


def test_messages_replaced_before_they_were_sent_are_counted_as_skipped(setup: Any) -> None:
    feed, clock, session, publish = setup
    publish(1)
    session.next_frame()
    publish(5)
    clock.now += 1
    frame = session.next_frame()
    assert frame is not None
    assert session.skipped == 3
    assert [seq for seq, _ in feed.rendered] == [1, 5]


def test_the_frame_text_carries_the_statistics_and_the_latency(setup: Any) -> None:
    _, _, session, publish = setup
    publish(1)
    frame = session.next_frame()
    assert frame is not None
    meta = json.loads(frame.text)
    assert meta["type"] == "frame"
    assert meta["statistics"]["sent"] == 1
    assert meta["statistics"]["latency_ms"] == 250.0
    assert meta["statistics"]["feed"] == {"mode": "continuous"}
    assert json.loads(session.status())["type"] == "status"


def test_settings_change_the_rendering_and_the_feed_rate(setup: Any) -> None:
    feed, _, session, publish = setup
    session.update({"colormap": "gray", "fps": 25})
    assert feed.wanted[session] == 25.0
    publish(1)
    session.next_frame()
    assert feed.rendered[-1][1].colormap == "gray"


def test_bad_settings_are_refused_and_the_old_ones_kept(setup: Any) -> None:
    _, _, session, _ = setup
    with pytest.raises(ConfigError, match="unknown colormap"):
        session.update({"colormap": "nope"})
    assert session.settings.colormap == "rainbow"


def test_a_message_that_cannot_be_rendered_is_not_tried_again(setup: Any) -> None:
    feed, _, session, publish = setup
    feed.broken = True
    publish(1)
    with pytest.raises(ConfigError):
        session.next_frame()
    assert session.wait_time() is None
    assert session.next_frame() is None


def test_closing_stops_asking_the_feed(setup: Any) -> None:
    feed, _, session, _ = setup
    session.close()
    assert session not in feed.wanted


def test_a_frame_is_one_binary_message_of_length_description_and_jpeg(setup: Any) -> None:
    _, _, session, publish = setup
    publish(1)
    frame = session.next_frame()
    assert frame is not None
    message = frame.message()
    length = int.from_bytes(message[:4], "big")
    assert json.loads(message[4 : 4 + length])["seq"] == 1
    assert message[4 + length :] == b"jpeg"


def test_each_frame_carries_the_followed_channels_of_every_message_read_since_the_last(setup: Any) -> None:
    feed, clock, session, publish = setup
    session.update({"history": "x_center_of_mass,intensity"})
    assert feed.followed[session] == ("x_center_of_mass", "intensity")
    for pulse in (1, 2, 3):
        feed.history.append(
            pulse, 1000.0 + pulse, {"x_center_of_mass": 10.0 + pulse, "intensity": None}, ["x_center_of_mass"]
        )
    publish(1)
    frame = session.next_frame()
    assert frame is not None
    history = json.loads(frame.text)["history"]
    assert history["pulse_id"] == [1, 2, 3]
    assert history["values"] == {"x_center_of_mass": [11.0, 12.0, 13.0], "intensity": [None, None, None]}
    assert history["lost"] == 0
    # more records than the ring holds arrive before the next frame: the oldest are counted as lost
    for pulse in range(4, 16):
        feed.history.append(pulse, None, {"x_center_of_mass": 1.0}, ["x_center_of_mass"])
    clock.now += 1.0
    session.acknowledge(1)
    publish(2)
    frame = session.next_frame()
    assert frame is not None
    history = json.loads(frame.text)["history"]
    assert history["pulse_id"] == list(range(8, 16))
    assert history["lost"] == 4
    assert session.statistics()["history_lost"] == 4
