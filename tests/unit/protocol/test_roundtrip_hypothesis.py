"""Property: any message of bsread values survives encode -> bytes -> decode with equal values, dtypes, shapes.

Random messages mix all 12 types as Python and numpy scalars, 1-D and 2-D arrays in either byte order,
strings (non-ASCII too), bools and None, under every value and data-header compression camserver sends.
Hypothesis runs derandomized and without a database, so the examples are the same on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from camserver.protocol import (
    ChannelType,
    Compression,
    CompressionPolicy,
    Decoder,
    Encoder,
    HeaderStrategy,
    Message,
    Timestamp,
)

SETTINGS = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NUMERIC = [channel_type for channel_type in ChannelType if channel_type is not ChannelType.STRING]
COMPRESSIONS = st.sampled_from([Compression.NONE, Compression.BITSHUFFLE_LZ4])


@st.composite
def numpy_dtypes(draw: st.DrawFn) -> np.dtype[Any]:
    dtype = draw(st.sampled_from(NUMERIC)).dtype()
    if dtype.itemsize > 1:
        dtype = dtype.newbyteorder(draw(st.sampled_from("<>")))
    return dtype


@st.composite
def arrays(draw: st.DrawFn) -> np.ndarray[Any, Any]:
    dtype = draw(numpy_dtypes())
    shape = draw(
        st.one_of(
            st.tuples(st.integers(0, 40)),
            st.tuples(st.integers(2, 12), st.integers(1, 12)),  # images at least two rows high (§3.4)
            st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
            st.just(()),
        )
    )
    elements = st.floats(width=32) if dtype.kind == "f" and dtype.itemsize == 4 else None
    return draw(hnp.arrays(dtype, shape, elements=elements))


@st.composite
def numpy_scalars(draw: st.DrawFn) -> np.generic:
    array = draw(hnp.arrays(draw(st.sampled_from(NUMERIC)).dtype(), ()))
    scalar: np.generic = array[()]
    return scalar


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    numpy_scalars(),
    arrays(),
    st.lists(st.integers(-1000, 1000), min_size=2, max_size=10),
)
MESSAGES = st.dictionaries(st.text(min_size=1, max_size=12), VALUES, min_size=1, max_size=6)


@dataclass(frozen=True)
class Expected:
    """What a receiver gets back for one sent value."""

    value: Any
    dtype: np.dtype[Any] | None  # None for strings and empty channels
    shape: tuple[int, ...] | None  # None for scalars


def expected(value: Any) -> Expected:
    if value is None:
        return Expected(None, None, None)
    if isinstance(value, str):
        return Expected(value or None, None, None)  # an empty string is an empty frame
    if isinstance(value, bool):
        return Expected(value, np.dtype(bool), None)
    if isinstance(value, int):
        return Expected(value, np.dtype("i8" if value < 2**63 else "u8"), None)
    if isinstance(value, float):
        return Expected(value, np.dtype("f8"), None)
    array = np.asarray(value)
    if array.size == 0:
        return Expected(None, None, None)  # indistinguishable from "no value" (§4.1)
    if array.ndim == 0 or array.shape == (1,):
        return Expected(array.reshape(-1)[0], array.dtype.newbyteorder("="), None)  # shape [1] is a scalar
    return Expected(array, array.dtype, array.shape)


def assert_received(name: str, received: Any, sent: Any) -> None:
    want = expected(sent)
    if want.value is None:
        assert received is None, name
        return
    if want.dtype is None:
        assert received == want.value, name
        return
    assert received.dtype == want.dtype, (name, received.dtype, want.dtype)
    if want.shape is None:
        assert np.ndim(received) == 0, name
    else:
        assert isinstance(received, np.ndarray), name
        assert received.shape == want.shape, name
    np.testing.assert_array_equal(received, want.value, err_msg=name)


def _wire(frames: list[Any]) -> list[bytes]:
    return [frame.tobytes() if isinstance(frame, np.ndarray) else bytes(frame) for frame in frames]


@SETTINGS
@given(
    data=MESSAGES,
    arrays_compression=COMPRESSIONS,
    scalars_compression=COMPRESSIONS,
    header_compression=COMPRESSIONS,
    pulse_id=st.integers(0, 2**64 - 1),
    sec=st.integers(0, 2**40),
    ns=st.integers(0, 999_999_999),
)
def test_round_trip(
    data: dict[str, Any],
    arrays_compression: Compression,
    scalars_compression: Compression,
    header_compression: Compression,
    pulse_id: int,
    sec: int,
    ns: int,
) -> None:
    encoder = Encoder(
        strategy=HeaderStrategy.ALWAYS,  # a None for a new channel is sent, as an empty float64
        compression=CompressionPolicy(arrays=arrays_compression, scalars=scalars_compression),
        header_compression=header_compression,
    )
    timestamp = Timestamp(sec, ns)
    encoded = encoder.encode(data, pulse_id=pulse_id, timestamp=timestamp)
    frames = _wire(encoded.frames)
    assert len(frames) == 2 + 2 * len(data)
    assert encoded.nbytes == sum(len(frame) for frame in frames)
    message = Decoder().decode(frames)
    assert isinstance(message, Message)
    assert message.pulse_id == pulse_id
    assert message.timestamp == timestamp
    assert list(message.data) == list(data)
    for name, value in data.items():
        assert_received(name, message[name], value)
        assert message.channel_timestamps[name] == (None if value is None else timestamp)


@SETTINGS
@given(first=MESSAGES, blanks=st.sets(st.integers(0, 5)), compression=COMPRESSIONS)
def test_a_stream_keeps_its_header_while_values_go_missing(
    first: dict[str, Any], blanks: set[int], compression: Compression
) -> None:
    encoder = Encoder(compression=CompressionPolicy(arrays=compression), header_compression=compression)
    decoder = Decoder()
    sendable = {name: value for name, value in first.items() if value is not None}
    if not sendable:
        return
    message = decoder.decode(_wire(encoder.encode(sendable, pulse_id=1).frames))
    assert isinstance(message, Message)
    assert message.format_changed
    names = list(sendable)
    second = {name: (None if index in blanks else value) for index, (name, value) in enumerate(sendable.items())}
    if all(value is None for value in second.values()):
        second[names[0]] = sendable[names[0]]
    encoded = encoder.encode(second, pulse_id=2)
    again = decoder.decode(_wire(encoded.frames))
    assert isinstance(again, Message)
    assert not encoded.header_changed
    assert not again.format_changed
    assert again.header is message.header
    for name, value in second.items():
        assert_received(name, again[name], value)
