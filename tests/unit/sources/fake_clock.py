"""A clock for pacing tests: ``sleep`` advances it instead of waiting."""

from __future__ import annotations


class FakeClock:
    """Monotonic seconds that move only when slept on (or advanced by the test)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
