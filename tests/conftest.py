"""Fixtures shared by every test: no test may leave a child process behind."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import psutil
import pytest

# One OpenMP thread per process, as in camserver's instances: tests run on 2 cores beside servers.
os.environ.setdefault("OMP_NUM_THREADS", "1")


def _children() -> set[int]:
    return {child.pid for child in psutil.Process().children(recursive=True)}


@pytest.fixture(autouse=True)
def no_leaked_processes() -> Iterator[None]:
    """Fail a test that leaves child processes running (they get 5 s to exit on their own)."""
    before = _children()
    yield
    deadline = time.monotonic() + 5.0
    leaked = _children() - before
    while leaked and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the process table, not waiting for a result
        leaked = _children() - before
    if leaked:
        for pid in leaked:
            try:
                psutil.Process(pid).kill()
            except psutil.NoSuchProcess:
                pass
        pytest.fail(f"test leaked child processes: {sorted(leaked)}")
