"""``processing_parameters``: the JSON of the effective parameters that travels with every frame.

CamServer serialises the full parameter dict (after removing the passive background array) into the
``processing_parameters`` channel; that is its provenance mechanism. camserver does the same and adds
``processing_warnings`` (a list of sentences) when some channels of this frame could not be computed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["processing_parameters", "timestamp_seconds"]

_NOT_SERIALISED = frozenset({"background_data"})


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def processing_parameters(parameters: Mapping[str, Any], warnings: Iterable[str] = ()) -> str:
    """JSON of ``parameters`` without ``background_data``, plus ``processing_warnings`` if any."""
    values = {key: value for key, value in parameters.items() if key not in _NOT_SERIALISED}
    notes = list(warnings)
    if notes:
        values["processing_warnings"] = notes
    return json.dumps(values, default=_plain)


def timestamp_seconds(timestamp: object) -> float | None:
    """A ``(sec, ns)`` global timestamp as float seconds (numbers pass through, None stays None)."""
    if timestamp is None:
        return None
    if isinstance(timestamp, (tuple, list)) and len(timestamp) == 2:
        seconds, nanoseconds = timestamp
        return float(seconds) + float(nanoseconds) / 1e9
    return float(timestamp)  # type: ignore[arg-type]
