"""Waiting for something in a test (every tier uses this one helper): poll with a deadline, never
sleep for a result."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

__all__ = ["DEADLINE", "wait_for", "wait_until"]

T = TypeVar("T")

#: seconds a system test waits for anything; a healthy run needs a small fraction of it
DEADLINE = 30.0


def wait_until(predicate: Callable[[], T], what: str, *, timeout: float = DEADLINE, interval: float = 0.02) -> T:
    """Poll ``predicate`` until it returns something true, and return that; fail the test with
    ``what`` if it does not within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)  # the polling interval, not a wait for a result


def wait_for(fetch: Callable[[], T], condition: Callable[[T], bool], what: str, *, timeout: float = DEADLINE) -> T:
    """Poll ``fetch`` until ``condition`` holds for what it returns, and return that."""

    def check() -> tuple[T] | None:
        value = fetch()
        return (value,) if condition(value) else None

    return wait_until(check, what, timeout=timeout)[0]
