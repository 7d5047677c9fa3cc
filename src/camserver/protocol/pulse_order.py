"""The pulse-id and timestamp order of one stream, which no single message can poison.

``enforce_pid`` drops a message whose pulse id is not above the last one taken; ``enforce_timestamp``
the same for the global timestamp (CamServer's checks). Done naively, one message with pulse id
``2**63 - 1`` or a timestamp far in the future makes every later message "old" until the instance
restarts. :class:`PulseOrder` therefore follows the stream again after
:data:`RESYNC_AFTER` consecutive rejections: the message that would have been the next rejection
is taken as the new reference and counted in :attr:`PulseOrder.resyncs`. A sender that restarted
its pulse ids from 0 is followed the same way.
"""

from __future__ import annotations

from enum import Enum

from camserver.protocol.types import Timestamp

__all__ = ["RESYNC_AFTER", "Ordering", "PulseOrder"]

#: consecutive out-of-order messages after which the stream is taken as it is now
RESYNC_AFTER = 10


class Ordering(Enum):
    """The verdict on one message."""

    IN_ORDER = "in_order"  #: taken; it is the new reference
    RESYNCED = "resynced"  #: taken after RESYNC_AFTER rejections in a row; the new reference
    OLD_PULSE_ID = "old_pulse_id"  #: pulse id not above the reference (enforce_pid)
    OLD_TIMESTAMP = "old_timestamp"  #: timestamp not after the reference (enforce_timestamp)


class PulseOrder:
    """Decides per message whether it advances the stream; holds the reference and the counts."""

    def __init__(self, *, resync_after: int = RESYNC_AFTER) -> None:
        if resync_after < 1:
            raise ValueError("resync_after must be at least 1")
        self.resync_after = resync_after
        self.resyncs = 0
        #: what the last re-synchronisation jumped over, for the log
        self.last_resync = ""
        self.last_rejection = ""
        self.last_pulse_id: int | None = None
        self.last_timestamp: Timestamp | None = None
        self._rejected = 0

    def check(self, pulse_id: int, timestamp: Timestamp, *, pulse_ids: bool, timestamps: bool) -> Ordering:
        """The verdict on a message; a message taken (``IN_ORDER``, ``RESYNCED``) becomes the reference.

        ``pulse_ids`` and ``timestamps`` say which checks apply (``enforce_pid``, ``enforce_timestamp``).
        """
        last_pulse_id, last_timestamp = self.last_pulse_id, self.last_timestamp
        verdict = Ordering.IN_ORDER
        if pulse_ids and last_pulse_id is not None and pulse_id <= last_pulse_id:
            verdict = Ordering.OLD_PULSE_ID
            self.last_rejection = f"pulse id {pulse_id} is not above the last one taken, {last_pulse_id}"
        elif timestamps and last_timestamp is not None and timestamp <= last_timestamp:
            verdict = Ordering.OLD_TIMESTAMP
            self.last_rejection = (
                f"timestamp {timestamp.sec}.{timestamp.ns:09d} (pulse id {pulse_id}) is not after the last one "
                f"taken, {last_timestamp.sec}.{last_timestamp.ns:09d}"
            )
        if verdict is not Ordering.IN_ORDER:
            self._rejected += 1
            if self._rejected <= self.resync_after:
                return verdict
            self.resyncs += 1
            self.last_resync = (
                f"{self._rejected - 1} messages in a row were out of order ({self.last_rejection}): following "
                f"the stream again from pulse id {pulse_id} (the last one taken was {last_pulse_id})"
            )
            verdict = Ordering.RESYNCED
        self._rejected = 0
        self.last_pulse_id, self.last_timestamp = pulse_id, timestamp
        return verdict

    def reset(self) -> None:
        """Forget the reference (the next message is taken whatever its pulse id)."""
        self.last_pulse_id = self.last_timestamp = None
        self._rejected = 0
