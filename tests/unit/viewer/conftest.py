"""Fixtures of the viewer's unit tests: real bsread messages, made without any socket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from camserver.protocol import Decoder, Encoder, Message, Timestamp

MakeMessage = Callable[..., Message]


@pytest.fixture
def make_message() -> MakeMessage:
    """``make_message(data, pulse_id=1, seconds=1.7e9)``: encoded and decoded as a receiver gets it."""
    encoder = Encoder()
    decoder = Decoder()

    def make(data: dict[str, Any], *, pulse_id: int = 1, seconds: float = 1_700_000_000.0) -> Message:
        stamp = Timestamp(int(seconds), int((seconds % 1) * 1e9))
        encoded = encoder.encode(data, pulse_id=pulse_id, timestamp=stamp)
        message = decoder.decode([bytes(frame) for frame in encoded.frames])
        assert isinstance(message, Message)
        return message

    return make


def beam(height: int = 48, width: int = 64, *, peak: int = 3000) -> np.ndarray[Any, Any]:
    """A uint16 Gaussian spot on a flat floor of 100 counts."""
    y, x = np.mgrid[:height, :width]
    spot = peak * np.exp(-((x - width / 2) ** 2) / 50 - ((y - height / 2) ** 2) / 30)
    return (100 + spot).astype(np.uint16)
