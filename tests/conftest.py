"""Fixtures shared by every test: no test may leave a child process behind."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

import psutil
import pytest

# One OpenMP thread per process, as in camserver's instances: tests run on 2 cores beside servers.
os.environ.setdefault("OMP_NUM_THREADS", "1")


#: long-lived helpers of multiprocessing, shared by every test: not instances, never leaks
_INFRASTRUCTURE = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")


def _is_infrastructure(process: psutil.Process) -> bool:
    try:
        command = " ".join(process.cmdline())
    except psutil.Error:
        return False
    return any(marker in command for marker in _INFRASTRUCTURE)


def _children() -> set[int]:
    """Descendants of this test process, except multiprocessing's own helpers (whose children,
    the instances forked by the fork server, do count)."""
    found = set()
    for child in psutil.Process().children(recursive=True):
        try:
            own_helper = child.ppid() == os.getpid() and _is_infrastructure(child)
        except psutil.Error:
            continue
        if not own_helper:
            found.add(child.pid)
    return found


def check_no_leaks() -> Iterator[None]:
    """Fail if child processes started meanwhile are still running (they get 5 s to exit)."""
    before = _children()
    yield
    deadline = time.monotonic() + 5.0
    leaked = _children() - before
    while leaked and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the process table, not waiting for a result
        leaked = _children() - before
    if leaked:
        for pid in leaked:
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(pid).kill()
        pytest.fail(f"test leaked child processes: {sorted(leaked)}")


@pytest.fixture(autouse=True)
def no_leaked_processes() -> Iterator[None]:
    """Fail a test that leaves child processes running."""
    yield from check_no_leaks()
