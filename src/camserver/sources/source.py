"""The one interface every camera source implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from camserver.protocol import Timestamp

__all__ = ["DECODE_ERRORS", "RESYNCS", "Frame", "InputCounter", "Source", "StreamSource", "combined_counters"]

#: the :meth:`StreamSource.input_counters` kind of messages that could not be decoded
DECODE_ERRORS = "decode_errors"
#: the kind that counts re-synchronisations of the pulse-id order (messages taken, not dropped)
RESYNCS = "resyncs"


@dataclass(slots=True)
class Frame:
    """One image as the source delivers it, before the camera's transforms.

    ``pulse_id`` and ``timestamp`` are the source's own (a camera counter, a PV timestamp, the
    pulse id of a bsread message) or None when it has none; the camera instance then numbers
    frames itself and stamps them on arrival. ``extra`` holds other channels that came with the
    frame (e.g. from a bsread stream); the camera forwards them.
    """

    image: np.ndarray[Any, Any]
    pulse_id: int | None = None
    timestamp: Timestamp | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Source(Protocol):
    """Where a camera's frames come from. Used from one thread: open, read until done, close.

    * :meth:`open` connects; it raises :class:`camserver.errors.SourceError` with the reason when
      the camera is offline or misconfigured (CamServer's messages where it has them, e.g.
      ``"Camera with prefix X is offline"``).
    * :meth:`read` returns the next frame, or None when none arrived within ``timeout`` seconds.
      Sources that produce frames themselves (simulation, file replay) pace them at their frame
      rate inside ``read``. A frame that cannot be used (wrong size, decode error) is counted in
      :attr:`dropped` and skipped, never raised, unless the source cannot go on at all
      (then :class:`SourceError`).
    * :attr:`geometry` is ``(width, height)`` of the raw frames once known (after ``open``).
    """

    @property
    def geometry(self) -> tuple[int, int] | None: ...

    @property
    def dropped(self) -> int: ...

    def open(self) -> None: ...

    def read(self, timeout: float) -> Frame | None: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class InputCounter:
    """How many messages of one kind a source received and did not deliver, and the last reason."""

    count: int = 0
    last_reason: str = ""

    def add(self, reason: str) -> None:
        """Count one message, and why."""
        self.count += 1
        self.last_reason = reason


def combined_counters(*groups: Mapping[str, InputCounter]) -> dict[str, InputCounter]:
    """The counters of several readers of one stream as one set: counts added per kind, the last
    non-empty reason kept."""
    combined: dict[str, InputCounter] = {}
    for group in groups:
        for kind, counter in group.items():
            total = combined.setdefault(kind, InputCounter())
            total.count += counter.count
            total.last_reason = counter.last_reason or total.last_reason
    return combined


@runtime_checkable
class StreamSource(Protocol):
    """A :class:`Source` that receives messages from a stream and says what it could not use.

    :meth:`input_counters` maps a kind to its counter: :data:`DECODE_ERRORS` (messages that are not
    valid bsread), :data:`RESYNCS` (times the pulse-id order was taken up again after a run of
    rejections; those messages were delivered) and any number of kinds of skipped messages
    (``pulse_id_order``, ``no_image``, ...). Decode errors and skipped messages are both in
    :attr:`Source.dropped`.
    """

    def input_counters(self) -> Mapping[str, InputCounter]: ...
