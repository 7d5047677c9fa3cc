"""Each kind of hostile message is what it says it is, for camserver's decoder (no sockets)."""

from __future__ import annotations

import numpy as np
import pytest

from camserver.errors import DecodeError
from camserver.protocol import Decoder, Message
from camserver.testing.hostile_messages import HostileMessages, Outcome

IMAGE = np.arange(48 * 64, dtype=np.uint16).reshape(48, 64)
HOSTILE = HostileMessages(IMAGE, huge=True)


@pytest.mark.parametrize("kind", sorted(HOSTILE.kinds()))
def test_each_kind_has_the_outcome_it_declares_and_the_next_good_message_decodes(kind: str) -> None:
    outcome, build = HOSTILE.kinds()[kind]
    decoder = Decoder()
    decoder.decode(HOSTILE.good(1))  # the good stream's header is known, as in a running receiver
    frames = build()
    if outcome is Outcome.UNDECODABLE:
        with pytest.raises(DecodeError):
            decoder.decode(frames)
    else:
        message = decoder.decode(frames)
        assert isinstance(message, Message)
        image = message.data.get("image")
        is_image = isinstance(image, np.ndarray) and image.ndim == 2
        assert is_image is (outcome is Outcome.EXTREME)
        if outcome is Outcome.EXTREME:
            assert message.pulse_id >= 2**63 - 1
    after = decoder.decode(HOSTILE.good(2))
    assert isinstance(after, Message)
    np.testing.assert_array_equal(after.data["image"], IMAGE)


def test_the_two_gib_message_is_small_on_the_wire_and_refused_for_what_it_declares() -> None:
    frames = HOSTILE.two_gib_channels()
    assert 8_000_000 < sum(len(frame) for frame in frames) < 12_000_000
    with pytest.raises(DecodeError, match="channel 'a' announces 1073741824 bytes, more than the limit of 268435456"):
        Decoder().decode(frames)
    # a limit above each channel but below their sum: the message as a whole is refused
    with pytest.raises(DecodeError, match="declares 2147483648 bytes of values, more than the limit of 1610612736"):
        Decoder(max_message_bytes=3 << 29).decode(frames)


def test_the_messages_are_the_same_on_every_run() -> None:
    again = HostileMessages(IMAGE)
    first = HostileMessages(IMAGE)
    assert [again.garbage() for _ in range(3)] == [first.garbage() for _ in range(3)]
