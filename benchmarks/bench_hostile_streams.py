"""Hostile streams at full rate into a camera (bschannel source) and a pipeline (its input).

The scenario is :func:`hostile_run`; ``tests/system/test_hostile_streams.py`` runs it and checks
every count exactly, this module reports its figures (docs/RELIABILITY.md, "Hostile streams").
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import numpy as np
import zmq

from benchmarks.harness import Row
from camserver.testing.hostile_messages import HostileMessages, Outcome
from camserver.transport import Subscriber

__all__ = ["HostileRun", "hostile_run", "run"]

TITLE = "Hostile streams: a camera and a pipeline fed garbage at full rate"
DESCRIPTION = """
A camserver server runs in this process (`camserver.testing.running_server`; instances are forked
processes as in production). A bare ZMQ PUSH socket feeds a `bschannel` camera (mode PULL) or a
`stream` pipeline (`input_stream`, `input_mode: PULL`, `propagate_stream`) as fast as the instance
takes messages: every kind of `camserver.testing.HostileMessages` (garbage frames, wrong part
counts, main and data headers that are not JSON, not UTF-8 or nested 50 000 deep, unknown types,
stale hashes, values shorter than declared, a 2^31 x 2^31 image, corrupt compressed values, strings
that are not UTF-8, pulse ids beyond uint64 and negative, messages without an image, pulse ids
2^63-1 and 2^64-1), each followed by a good 320x240 uint16 image, for a number of rounds, plus a few
11 MB messages declaring two 1 GiB `bitshuffle_lz4` channels. *Rate*: messages (hostile and good)
sent per second over the burst; the sender waits whenever the instance's input queue (the PUSH
socket's 1000 messages and the instance's receive queue) is full, so this is the rate the instance
takes them at, give or take one queue. *Counted*: the instance's `decode_errors` (and,
for the camera, `input_drops`) over the hostile messages that should count there (1.0: every one).
*Peak memory*: the instance process's peak resident size (VmHWM) at the end, beside the same
figure taken after the first good frames, before the burst. *Next good frame*:
from the end of the burst to the first good frame sent after it coming out of the instance (it
includes working off what was still queued). Restarts: the instance's
process id before and after (0: the same process ran throughout).
"""

Target = Literal["camera", "pipeline"]
_SEND_TIMEOUT_MS = 30_000
_DEADLINE = 60.0
_IMAGE_SHAPE = (240, 320)


@dataclass
class HostileRun:
    """What one run sent, and what the instance reported."""

    target: Target
    hostile: Counter[Outcome] = field(default_factory=Counter)
    good: int = 0
    burst_seconds: float = 0.0
    recovery_seconds: float = 0.0
    statistics: dict[str, Any] = field(default_factory=dict)
    pid_before: int = 0
    pid_after: int = 0
    state: str = ""
    peak_rss_before: int = 0
    peak_rss: int = 0
    log: str = ""

    @property
    def expected(self) -> dict[str, int]:
        """The figures the instance must report: exact counts of what was sent."""
        undecodable, no_image, extreme = (self.hostile[outcome] for outcome in Outcome)
        if self.target == "camera":  # a camera delivers images; a message without one is an input drop
            return {"rx_count": self.good + extreme, "decode_errors": undecodable, "input_drops": no_image}
        return {"rx_count": self.good + no_image + extreme, "decode_errors": undecodable, "input_drops": 0}


class _Feed:
    """A bare PUSH socket bound on loopback: sends any frames, waits (bounded) for the reader."""

    def __init__(self) -> None:
        self.socket: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.PUSH)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.SNDHWM, 1000)
        self.socket.setsockopt(zmq.SNDTIMEO, _SEND_TIMEOUT_MS)
        port = self.socket.bind_to_random_port("tcp://127.0.0.1")
        self.address = f"tcp://127.0.0.1:{port}"

    def send(self, frames: list[bytes]) -> None:
        self.socket.send_multipart(frames)  # zmq.Again after 30 s: the instance stopped reading

    def close(self) -> None:
        self.socket.close(linger=0)


class _Instance:
    """The camera or pipeline under test, through the REST API."""

    def __init__(self, http: httpx.Client, target: Target, feed: str) -> None:
        self.http = http
        if target == "camera":
            self.name = f"hostile_{feed.rsplit(':', 1)[1]}"
            config = {"source": feed, "source_type": "bschannel", "mode": "PULL", "no_client_timeout": 0}
            self._call("POST", f"/api/v1/cam/{self.name}/config", json=config)
            self.stream = self._call("GET", f"/api/v1/cam/{self.name}")["stream"]
            self.info_path = f"/api/v1/cam/{self.name}/info"
            self.stop_path = f"/api/v1/cam/{self.name}"
        else:
            config = {"pipeline_type": "stream", "function": "propagate_stream", "input_stream": feed,
                      "input_mode": "PULL", "no_client_timeout": 0}  # fmt: skip
            body = self._call("POST", "/api/v1/pipeline", json=config)
            self.name, self.stream = body["instance_id"], body["stream"]
            self.info_path = f"/api/v1/pipeline/instance/{self.name}/info"
            self.stop_path = f"/api/v1/pipeline/{self.name}"

    def _call(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        response = self.http.request(method, path, **options)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = self._call("GET", self.info_path)["info"]
        return info

    def log(self) -> str:
        records = self._call("GET", f"/api/v1/logs/instance/{self.name}")["logs"]
        return "\n".join(" - ".join(record) for record in records)

    def stop(self) -> None:
        self._call("DELETE", self.stop_path)


def _peak_rss(pid: int) -> int:
    """The process's peak resident size in bytes (Linux: VmHWM), 0 where unknown."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _first_at_least(feed: _Feed, output: Subscriber, hostile: HostileMessages, pulse_id: int) -> tuple[int, int]:
    """Send good frames from ``pulse_id`` on until one of them comes out of the instance (a PUB
    output loses what is sent before a subscriber joined, or while its queue is full). Returns the
    next pulse id to use and the frames sent."""
    deadline = time.monotonic() + _DEADLINE
    sent = 0
    wanted = pulse_id
    while time.monotonic() < deadline:
        feed.send(hostile.good(pulse_id))
        sent += 1
        pulse_id += 1
        while (message := output.receive(timeout=0.05)) is not None:
            if wanted <= message.pulse_id < 2**63 - 1:
                return pulse_id, sent
    raise TimeoutError(f"no good frame came out of the instance within {_DEADLINE:g} s")


def _settled(instance: _Instance, expected: dict[str, int]) -> dict[str, Any]:
    """The instance's figures once it has received all that was sent (it reports once a second)."""
    deadline = time.monotonic() + _DEADLINE
    while True:
        detail: dict[str, Any] = instance.info()["detail"]
        if detail["rx_count"] >= expected["rx_count"] and detail["decode_errors"] >= expected["decode_errors"]:
            return detail
        if time.monotonic() > deadline:
            return detail  # the caller compares and says what is missing
        time.sleep(0.05)  # polling the instance's once-a-second report


@contextmanager
def _opened(url: str, target: Target) -> Iterator[tuple[_Feed, httpx.Client, _Instance]]:
    feed = _Feed()
    http = httpx.Client(base_url=url, timeout=60.0)
    instance: _Instance | None = None
    try:
        instance = _Instance(http, target, feed.address)
        yield feed, http, instance
    finally:
        if instance is not None:
            instance.stop()
        http.close()
        feed.close()


def hostile_run(url: str, target: Target, *, rounds: int, huge: int = 0) -> HostileRun:
    """Feed the ``target`` of the server at ``url``: every hostile kind ``rounds`` times, each
    followed by a good frame, plus ``huge`` 11 MB messages declaring two 1 GiB channels; then the
    next good frame. Returns what was sent and what the instance reports once it has it all."""
    height, width = _IMAGE_SHAPE
    image = (np.arange(height * width) % 4096).astype(np.uint16).reshape(height, width)
    hostile = HostileMessages(image, huge=huge > 0)
    kinds = hostile.kinds()
    huge_kind = kinds.pop("two_1_GiB_bitshuffle_channels", None)
    result = HostileRun(target)
    with _opened(url, target) as (feed, _, instance), Subscriber(instance.stream, receive_timeout=1.0) as output:
        pulse_id, joined = _first_at_least(feed, output, hostile, 1000)
        result.good += joined
        result.pid_before = instance.info()["pid"]
        result.peak_rss_before = _peak_rss(result.pid_before)
        started = time.perf_counter()
        for index in range(rounds):
            for outcome, build in kinds.values():
                feed.send(build())
                result.hostile[outcome] += 1
                feed.send(hostile.good(pulse_id))
                result.good += 1
                pulse_id += 1
            if huge_kind is not None and index < huge:
                feed.send(huge_kind[1]())
                result.hostile[huge_kind[0]] += 1
        result.burst_seconds = time.perf_counter() - started
        started = time.perf_counter()
        pulse_id, sent = _first_at_least(feed, output, hostile, pulse_id)
        result.recovery_seconds = time.perf_counter() - started
        result.good += sent
        result.statistics = _settled(instance, result.expected)
        info = instance.info()
        result.pid_after, result.state = info["pid"], info["state"]
        result.peak_rss = _peak_rss(result.pid_after)
        result.log = instance.log()
    return result


def _rows(run: HostileRun) -> list[Row]:
    target = run.target
    messages = run.good + sum(run.hostile.values())
    figures = run.statistics
    expected = run.expected
    counted = figures["decode_errors"] + (figures["input_drops"] if target == "camera" else 0)
    should = expected["decode_errors"] + (expected["input_drops"] if target == "camera" else 0)
    exact = all(figures[name] == value for name, value in expected.items())
    return [
        Row(f"{target}: messages taken", messages / run.burst_seconds, "messages/s",
            note=f"{sum(run.hostile.values())} hostile, {run.good} good"),
        Row(f"{target}: bad messages counted", counted / max(should, 1), "of those sent", target="1.0, exact",
            passed=exact),
        Row(f"{target}: peak memory", run.peak_rss / 2**20, "MB", reference="before the burst",
            reference_value=run.peak_rss_before / 2**20, lower_is_better=True),
        Row(f"{target}: next good frame after the burst", 1e3 * run.recovery_seconds, "ms", lower_is_better=True),
        Row(f"{target}: restarts", float(run.pid_after != run.pid_before), "restarts", target="0",
            passed=run.pid_after == run.pid_before and run.state == "running", lower_is_better=True),
    ]  # fmt: skip


def run(smoke: bool = False) -> list[Row]:
    from camserver.testing.server import running_server

    rounds, huge = (2, 1) if smoke else (200, 5)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder, running_server(Path(folder)) as server:
        for target in ("camera", "pipeline"):
            rows += _rows(hostile_run(server.url, target, rounds=rounds, huge=huge))
    return rows
