"""The server's log ring: CamServer's ``[asctime, logger, level, message]`` records, bounded."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator

import pytest

from camserver.service.log_ring import LogRing

ASCTIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@pytest.fixture
def logger(request: pytest.FixtureRequest) -> Iterator[logging.Logger]:
    """A logger of its own per test, not propagating to pytest's handlers."""
    named = logging.getLogger(f"camserver.test.log_ring.{request.node.name}")
    named.setLevel(logging.DEBUG)
    named.propagate = False
    yield named
    for handler in list(named.handlers):
        named.removeHandler(handler)


def attached(logger: logging.Logger, ring: LogRing) -> LogRing:
    logger.addHandler(ring)
    return ring


def test_records_are_camservers_four_fields(logger: logging.Logger) -> None:
    ring = attached(logger, LogRing())

    logger.warning("camera %s is offline", "cam1")

    [record] = ring.records()
    asctime, name, level, message = record
    assert ASCTIME.match(asctime)
    assert name == logger.name
    assert level == "WARNING"
    assert message == "camera cam1 is offline"


def test_records_are_oldest_first(logger: logging.Logger) -> None:
    ring = attached(logger, LogRing())

    for index in range(5):
        logger.info("message %d", index)

    assert [record[3] for record in ring.records()] == [f"message {index}" for index in range(5)]


def test_the_ring_keeps_only_the_last_records(logger: logging.Logger) -> None:
    ring = attached(logger, LogRing(size=3))

    for index in range(10):
        logger.info("message %d", index)

    assert [record[3] for record in ring.records()] == ["message 7", "message 8", "message 9"]


def test_default_size_is_camservers_500(logger: logging.Logger) -> None:
    ring = attached(logger, LogRing())

    for index in range(600):
        logger.info("message %d", index)

    records = ring.records()
    assert len(records) == 500
    assert records[0][3] == "message 100"


def test_records_below_the_level_are_not_kept(logger: logging.Logger) -> None:
    ring = attached(logger, LogRing(level=logging.INFO))

    logger.debug("noise")
    logger.info("kept")
    logger.error("also kept")

    assert [(record[2], record[3]) for record in ring.records()] == [("INFO", "kept"), ("ERROR", "also kept")]


def test_exceptions_are_kept_with_their_traceback(logger: logging.Logger) -> None:
    ring = attached(logger, LogRing())

    try:
        raise ValueError("bad frame")
    except ValueError:
        logger.exception("processing failed")

    message = ring.records()[0][3]
    assert message.startswith("processing failed")
    assert "ValueError: bad frame" in message


def test_records_are_a_copy(logger: logging.Logger) -> None:
    ring = attached(logger, LogRing())
    logger.info("one")

    taken = ring.records()
    taken.clear()
    logger.info("two")

    assert [record[3] for record in ring.records()] == ["one", "two"]


def test_as_text_is_camservers_txt_form() -> None:
    records = [
        ["2024-03-20 14:43:34", "cam_server", "INFO", "started"],
        ["2024-03-20 14:43:35", "cam_server", "ERROR", "stopped"],
    ]

    assert LogRing.as_text(records) == (
        "2024-03-20 14:43:34 - cam_server - INFO - started\n2024-03-20 14:43:35 - cam_server - ERROR - stopped\n"
    )
    assert LogRing.as_text([]) == ""


def test_concurrent_logging_loses_nothing(logger: logging.Logger) -> None:
    ring = attached(logger, LogRing(size=10_000))

    def log_many(thread: int) -> None:
        for index in range(200):
            logger.info("thread %d message %d", thread, index)

    threads = [threading.Thread(target=log_many, args=(thread,)) for thread in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    messages = [record[3] for record in ring.records()]
    assert len(messages) == 800
    assert len(set(messages)) == 800
