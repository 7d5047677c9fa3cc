"""InputLog: every kind of unusable input reaches the log, at most one line per kind per interval."""

from __future__ import annotations

import logging

import pytest

from camserver.runtime.input_log import InputLog
from camserver.sources import InputCounter


def test_one_line_per_kind_per_interval_with_the_count_and_the_last_reason(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    log = InputLog(logging.getLogger("test.input"), interval=10.0, clock=lambda: now[0])
    decode, order = InputCounter(), InputCounter()
    counters = {"decode_errors": decode, "pulse_id_order": order}
    with caplog.at_level(logging.WARNING, logger="test.input"):
        decode.add("main header is not valid JSON")
        log.update(counters)
        for index in range(500):  # a flood within the interval: counted, not logged
            decode.add(f"bad frame {index}")
            now[0] += 0.01
            log.update(counters)
        assert len(caplog.records) == 1
        now[0] = 10.5
        order.add("pulse id 3 is not above the last one taken, 9")
        log.update(counters)
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "input: 1 messages could not be decoded; last: main header is not valid JSON",
        "input: 500 messages could not be decoded; last: bad frame 499",
        "input: 1 messages skipped: pulse id not above the last one (enforce_pid); last: pulse id 3 is not above "
        "the last one taken, 9",
    ]


def test_nothing_is_logged_while_nothing_is_counted(caplog: pytest.LogCaptureFixture) -> None:
    log = InputLog(logging.getLogger("test.quiet"), interval=0.0)
    with caplog.at_level(logging.WARNING, logger="test.quiet"):
        log.update({"decode_errors": InputCounter()})
        log.update({"decode_errors": InputCounter()})
    assert caplog.records == []


def test_a_source_that_counts_from_zero_again_is_followed(caplog: pytest.LogCaptureFixture) -> None:
    log = InputLog(logging.getLogger("test.reopen"), interval=0.0)
    with caplog.at_level(logging.WARNING, logger="test.reopen"):
        log.update({"no_image": InputCounter(5, "first source")})
        log.update({"no_image": InputCounter(2, "second source")})
    assert [record.getMessage() for record in caplog.records] == [
        "input: 5 messages skipped: no image channel; last: first source",
        "input: 2 messages skipped: no image channel; last: second source",
    ]
