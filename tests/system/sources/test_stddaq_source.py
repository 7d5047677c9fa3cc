"""The ``stddaq`` source: its stream address looked up in a real Redis server (Debian's redis-server) on loopback."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import redis

from camserver.errors import SourceError
from camserver.models import CameraConfig
from camserver.protocol import Timestamp
from camserver.sources import StdDaqSource, create_source, lookup_stream_address
from camserver.transport import Publisher
from tests.system.streams import free_port

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server on 127.0.0.1 with a port of its own, no persistence; stopped after the module."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("the stddaq tests need Debian's redis-server (make test installs it): apt-get install redis-server")
    folder: Path = tmp_path_factory.mktemp("redis")
    port = free_port()
    command = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(folder),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1.0)
        deadline = time.monotonic() + 30.0
        while True:
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                pass
            assert process.poll() is None, "redis-server exited at start"
            assert time.monotonic() < deadline, "redis-server did not answer within 30 s"
            time.sleep(0.02)  # polling interval
        client.close()
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _set(url: str, key: str, value: str, db: int = 0) -> None:
    host, port = url.split(":")
    with redis.Redis(host=host, port=int(port), db=db) as client:
        client.set(key, value)


def test_the_stream_of_a_device_is_looked_up_in_redis_and_read(redis_url: str) -> None:
    with Publisher("tcp://127.0.0.1:0", mode="PUSH", block=True, send_timeout=10.0) as publisher:
        _set(redis_url, "JF01T03V01", f"  {publisher.address}\n", db=2)  # CamServer strips the value
        config = CameraConfig.load(
            {"source": "JF01T03V01", "source_type": "stddaq", "url": redis_url, "db": "2", "mode": "PULL"}
        )
        source = create_source(config)
        assert isinstance(source, StdDaqSource)
        source.open()
        try:
            assert source.address == publisher.address
            image = np.arange(12, dtype=np.uint16).reshape(3, 4)
            publisher.send(
                {"JF01T03V01:FPICTURE": image, "other": 1.5}, pulse_id=42, timestamp=Timestamp(1_700_000_000, 5)
            )
            frame = source.read(20.0)
            assert frame is not None and frame.pulse_id == 42
            np.testing.assert_array_equal(frame.image, image)
            assert set(frame.extra) == {"other"}
        finally:
            source.close()


def test_a_device_redis_does_not_know_cannot_open(redis_url: str) -> None:
    with pytest.raises(SourceError, match=r"has no stream address for device 'UNKNOWN'"):
        lookup_stream_address(redis_url, 0, "UNKNOWN")


def test_redis_that_does_not_answer_says_so() -> None:
    url = f"127.0.0.1:{free_port()}"
    with pytest.raises(SourceError, match=r"cannot look up 'DEV' in Redis at 127.0.0.1"):
        lookup_stream_address(url, 0, "DEV", timeout=1.0)


def test_an_address_that_is_not_a_stream_is_refused_at_open(redis_url: str) -> None:
    _set(redis_url, "BROKEN", "not an address at all")
    source = create_source(CameraConfig.load({"source": "BROKEN", "source_type": "stddaq", "url": redis_url}))
    with pytest.raises(SourceError, match="Redis gave the stream address 'not an address at all'"):
        source.open()
