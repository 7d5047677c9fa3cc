"""Pairs the messages of two streams by pulse id (CamServer's second stream and bsread merge)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["Paired", "PulseAligner"]

Primary = TypeVar("Primary")


@dataclass(frozen=True, slots=True)
class Paired(Generic[Primary]):
    """A primary message and the data of the secondary message with the same pulse id."""

    primary: Primary
    secondary: dict[str, Any]


class PulseAligner(Generic[Primary]):
    """Holds primaries until the secondary of the same pulse id arrives.

    A primary whose pulse id the secondary stream has passed without a match is discarded and
    counted in :attr:`unmatched` (CamServer discards such images too); both buffers are bounded and
    what overflows them is counted in :attr:`overflowed`.
    """

    def __init__(self, *, primary_size: int = 1000, secondary_size: int = 1000) -> None:
        self._primaries: OrderedDict[int, Primary] = OrderedDict()
        self._secondaries: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._primary_size, self._secondary_size = primary_size, secondary_size
        self._newest_secondary = -1
        self.unmatched = 0
        self.overflowed = 0

    def add_primary(self, pulse_id: int, message: Primary) -> list[Paired[Primary]]:
        """Add a primary; returns the pairs now complete (in pulse-id order)."""
        self._primaries[pulse_id] = message
        if len(self._primaries) > self._primary_size:
            self._primaries.popitem(last=False)
            self.overflowed += 1
        return self._pairs()

    def add_secondary(self, pulse_id: int, data: Mapping[str, Any]) -> list[Paired[Primary]]:
        """Add a secondary message's channels; returns the pairs now complete."""
        self._secondaries[pulse_id] = dict(data)
        self._newest_secondary = max(self._newest_secondary, pulse_id)
        if len(self._secondaries) > self._secondary_size:
            self._secondaries.popitem(last=False)
            self.overflowed += 1
        return self._pairs()

    def _pairs(self) -> list[Paired[Primary]]:
        pairs: list[Paired[Primary]] = []
        for pulse_id in sorted(self._primaries):
            if pulse_id in self._secondaries:
                pairs.append(Paired(self._primaries.pop(pulse_id), self._secondaries.pop(pulse_id)))
            elif pulse_id < self._newest_secondary:
                del self._primaries[pulse_id]
                self.unmatched += 1
        for pulse_id in [p for p in self._secondaries if self._primaries and p < min(self._primaries)]:
            del self._secondaries[pulse_id]
        return pairs

    @property
    def waiting(self) -> int:
        """Primaries waiting for their partner."""
        return len(self._primaries)
