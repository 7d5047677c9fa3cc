"""A simulated EPICS camera IOC per test, in a child process on loopback with ports of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from camserver.testing import IocProcess


@pytest.fixture
def ioc(monkeypatch: pytest.MonkeyPatch) -> Iterator[IocProcess]:
    """The IOC ``SIM:CAM`` at 20 Hz, 64x48, with this process's CA client pointed at it."""
    process = IocProcess("SIM:CAM", rate=20, width=64, height=48)
    for name, value in process.environment.items():
        monkeypatch.setenv(name, value)
    process.start()
    try:
        yield process
    finally:
        process.stop()
