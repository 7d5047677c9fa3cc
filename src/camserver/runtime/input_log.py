"""The instance log's account of what its input could not use, without flooding it.

A hostile or misconfigured stream can deliver thousands of unusable messages a second. Each is
counted in the statistics at once; the log gets one line per kind of problem at most every
``interval`` seconds, with how many messages it covers and the last reason.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping

from camserver.sources import InputCounter

__all__ = ["InputLog"]

#: what each kind of counter means, as the log says it
_DESCRIPTIONS = {
    "decode_errors": "messages could not be decoded",
    "no_image": "messages skipped: no image channel",
    "not_2d": "messages skipped: the image channel is not a 2-D image",
    "pulse_id_order": "messages skipped: pulse id not above the last one (enforce_pid)",
    "timestamp_order": "messages skipped: timestamp not after the last one (enforce_timestamp)",
    "timestamp_check": "messages skipped: pulse id does not match the timestamp (check_timestamp)",
    "resyncs": "times the pulse-id order was taken up again",
}


class InputLog:
    """Turns input counters into log lines: at most one per kind every ``interval`` seconds."""

    def __init__(
        self, logger: logging.Logger, *, interval: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._logged: dict[str, int] = {}
        self._last_line: dict[str, float] = {}

    def update(self, counters: Mapping[str, InputCounter]) -> None:
        """Log the kinds whose count grew since their last line, if that line is old enough."""
        for kind, counter in counters.items():
            logged = self._logged.get(kind, 0)
            if counter.count < logged:  # a new source counts from 0 again
                self._logged[kind] = logged = 0
            if counter.count == logged:
                continue
            now = self._clock()
            if now - self._last_line.get(kind, -math.inf) < self._interval:
                continue
            description = _DESCRIPTIONS.get(kind, f"messages not used ({kind})")
            self._logger.warning("input: %d %s; last: %s", counter.count - logged, description, counter.last_reason)
            self._logged[kind] = counter.count
            self._last_line[kind] = now
