"""Receive bsread messages from a ZMQ SUB or PULL socket."""

from __future__ import annotations

import json
import math
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Self

import zmq

from camserver.errors import DecodeError, TransportError
from camserver.protocol import DEFAULT_MAX_MESSAGE_BYTES, ControlMessage, Decoder, Message
from camserver.transport.address import SocketMode
from camserver.transport.frame_receiver import FrameReceiver
from camserver.transport.frame_ring import Lease

__all__ = ["Subscriber", "SubscriberStatistics"]

#: a reader with a backlog limit takes in at least this many waiting messages at a time
_DRAIN_BOUND = 64


def _pulse_id(frame: Any) -> int | None:
    """The pulse id in a main header, or None if it cannot be read (the message is skipped anyway)."""
    if frame is None or len(frame) > 65536:
        return None
    try:
        value = json.loads(bytes(frame)).get("pulse_id")
    except (ValueError, AttributeError, RecursionError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


#: a jump of more pulse-id steps than this is a discontinuity (a restarted sender, a wild pulse id),
#: not that many missed pulses
_MAX_COUNTED_GAP = 1_000_000


@dataclass(slots=True)
class SubscriberStatistics:
    """What a subscriber received, and what it could not use.

    ``missed_pulses`` counts pulse ids skipped in the stream. The step between pulses is learned as
    the smallest positive step seen, so a 10 Hz camera on a 100 Hz pulse-id clock counts no misses.
    ``backlog_skips`` counts messages that arrived but were passed over for a newer one because the
    reader fell more than its ``backlog_limit`` behind (their pulse ids are no gap).
    A jump forward of more than a million steps counts as a discontinuity (``pulse_jumps``), not as
    missed pulses: one message with a wild pulse id cannot inflate the drop count.
    """

    received: int = 0
    bytes_received: int = 0
    decode_errors: int = 0
    last_decode_error: str = ""
    control_messages: int = 0
    format_changes: int = 0
    missed_pulses: int = 0
    pulse_gaps: int = 0
    backlog_skips: int = 0
    out_of_order: int = 0
    pulse_jumps: int = 0
    last_pulse_id: int | None = None
    pulse_step: int | None = None
    highest_pulse_id: int = 0

    def record_pulse(self, pulse_id: int) -> None:
        """Account a received pulse id: gaps, repeats and reversals.

        Gaps are measured from the highest pulse id counted so far, so a message out of order (a
        late one, or a hostile low pulse id) does not make the messages after it count as missed,
        and a wild high one (a jump) is not taken as the new highest.
        """
        last = self.last_pulse_id
        self.last_pulse_id = pulse_id
        if last is None:
            self.highest_pulse_id = pulse_id
            return
        highest = self.highest_pulse_id
        bound = _MAX_COUNTED_GAP * (self.pulse_step or 1)
        if pulse_id <= last:
            self.out_of_order += 1
            if highest - pulse_id > bound:
                self.highest_pulse_id = pulse_id  # far back: the sender started again
                return
        elif (
            last >= highest
            and pulse_id - last <= bound
            and (self.pulse_step is None or pulse_id - last < self.pulse_step)
        ):
            # the stream's step is smaller than believed; later gaps are measured in it
            self.pulse_step = pulse_id - last
        if pulse_id <= highest:  # a repeat, or still catching up with the highest pulse id
            return
        gap = pulse_id - highest
        if gap > bound:
            self.pulse_jumps += 1  # the highest pulse id stays: a wild one does not move it
            return
        step = self.pulse_step or gap
        if gap > step:
            self.pulse_gaps += 1
            self.missed_pulses += gap // step - 1
        self.highest_pulse_id = pulse_id


class Subscriber:
    """A bsread receiver: connects (or binds) a SUB or PULL socket and yields decoded messages.

    Arrays are read-only views over the received frames (zero copy). Undecodable messages are
    counted in :attr:`statistics` and skipped; control messages (``bsr_stop``...) too.

    ``backlog_limit`` (None: never) is for readers that would rather see the newest message than
    every message: when more than that many messages are waiting, all but the newest are passed
    over without being decoded (counted in ``backlog_skips``), so a reader slower than its stream
    keeps its own full rate on fresh messages instead of working through a queue of stale ones. A
    shorter backlog (a pause of the reader) is worked off in order.
    """

    def __init__(
        self,
        address: str,
        *,
        mode: SocketMode | str = SocketMode.SUB,
        bind: bool = False,
        queue_size: int = 10,
        receive_timeout: float | None = 1.0,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        backlog_limit: int | None = None,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
    ) -> None:
        self.mode = SocketMode.parse(mode) if isinstance(mode, str) else mode
        if self.mode not in (SocketMode.SUB, SocketMode.PULL):
            raise TransportError(f"a subscriber receives with SUB or PULL, not {self.mode}")
        self.receive_timeout = receive_timeout
        self.backlog_limit = backlog_limit
        self.statistics = SubscriberStatistics()
        #: what of the last message is lent rather than owned (a local stream's ring slot; None: all owned)
        self.lease: Lease | None = None
        self._pending: deque[list[Any]] = deque()
        self._decoder = Decoder(max_message_bytes=max_message_bytes)
        self._frames = FrameReceiver(address, mode=self.mode, bind=bind, queue_size=queue_size, context=context)
        self.address = self._frames.address

    def receive(self, timeout: float | None = None) -> Message | None:
        """The next decodable message, or None if none arrives within ``timeout`` seconds
        (default: the subscriber's ``receive_timeout``; ``math.inf`` waits forever)."""
        if timeout is None:
            timeout = self.receive_timeout
        deadline = None if timeout is None or math.isinf(timeout) else time.monotonic() + timeout
        while True:
            if not self._pending:
                frames = self._frames.receive(None if deadline is None else max(0.0, deadline - time.monotonic()))
                if frames is None:
                    return None
                self._pending.append(frames)
            if self.backlog_limit is not None:
                self._skip_backlog(self.backlog_limit)
            buffers = self._buffers(self._pending.popleft())
            message = None if buffers is None else self._decode(buffers)
            if message is not None:
                return message
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def _skip_backlog(self, limit: int) -> None:
        """Take in what is waiting (a bounded number) and, when more than ``limit`` messages wait,
        pass over all but the newest."""
        pending = self._pending
        bound = max(4 * limit, _DRAIN_BOUND)
        while len(pending) < bound and (frames := self._frames.receive(0)) is not None:
            pending.append(frames)
        if len(pending) <= limit:
            return
        statistics = self.statistics
        while len(pending) > 1:
            pulse_id = _pulse_id(self._main_header(pending.popleft()))
            if pulse_id is None:  # not a message it could have decoded: its pulse shows as a gap
                statistics.decode_errors += 1
                statistics.last_decode_error = "a message passed over in a backlog has no readable pulse id"
                continue
            statistics.backlog_skips += 1
            statistics.record_pulse(pulse_id)

    def _main_header(self, frames: list[Any]) -> Any:
        """The main-header frame of a message as received (None if there is none)."""
        return frames[0] if frames else None

    def _buffers(self, frames: list[memoryview]) -> list[memoryview] | None:
        """The message's frames (a subclass may fetch some from elsewhere); None to skip the message."""
        return frames

    def _decode(self, frames: list[memoryview]) -> Message | None:
        statistics = self.statistics
        try:
            decoded = self._decoder.decode(frames)
        except DecodeError as error:
            statistics.decode_errors += 1
            statistics.last_decode_error = str(error)
            return None
        if isinstance(decoded, ControlMessage):
            statistics.control_messages += 1
            return None
        statistics.received += 1
        statistics.bytes_received += decoded.nbytes
        if decoded.format_changed:
            statistics.format_changes += 1
        statistics.record_pulse(decoded.pulse_id)
        return decoded

    def __iter__(self) -> Iterator[Message]:
        """Messages as they arrive; the iteration ends when none arrives for ``receive_timeout``
        seconds (or never, if that is None)."""
        while not self.closed:
            message = self.receive()
            if message is None:
                return
            yield message

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._frames.closed

    def close(self) -> None:
        """Close the socket."""
        self._frames.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
