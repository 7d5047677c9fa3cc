"""When a sender rebuilds its data header (CamServer's ``create_header``), and which channels it compresses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from camserver.errors import EncodeError
from camserver.protocol import (
    ChannelSpec,
    ChannelType,
    Compression,
    CompressionPolicy,
    DataHeader,
    HeaderStrategy,
    HeaderTracker,
    bitshuffle_lz4_decode,
)


def _types(tracker: HeaderTracker) -> dict[str, str]:
    assert tracker.header is not None
    return {channel.name: channel.type.value for channel in tracker.header.channels}


@pytest.mark.parametrize(
    ("value", "strategy"),
    [
        ("always", HeaderStrategy.ALWAYS),
        (True, HeaderStrategy.ALWAYS),
        ("once", HeaderStrategy.ONCE),
        (False, HeaderStrategy.ONCE),
        ("on_change", HeaderStrategy.ON_CHANGE),
        (None, HeaderStrategy.ON_CHANGE),
        ("anything", HeaderStrategy.ON_CHANGE),
        (1, HeaderStrategy.ON_CHANGE),
    ],
)
def test_parse_reads_create_header_as_camserver_does(value: Any, strategy: HeaderStrategy) -> None:
    assert HeaderStrategy.parse(value) is strategy


# -- on_change ------------------------------------------------------------------------------------


def test_on_change_builds_the_header_once_while_the_channels_stay_the_same() -> None:
    tracker = HeaderTracker()
    header, values, changed = tracker.layout({"x": 1.0, "n": 2})
    assert changed
    assert values == [1.0, 2]
    assert header.names() == ["x", "n"]
    again, _, changed = tracker.layout({"x": 3.0, "n": 4})
    assert not changed
    assert again is header
    assert tracker.header_changes == 0


@pytest.mark.parametrize(
    "second",
    [
        {"x": 1.0, "n": 2, "new": "s"},  # a channel appears
        {"x": 1.0},  # a channel disappears
        {"x": 1.0, "n": 2.5},  # a type changes
        {"x": [1.0, 2.0], "n": 2},  # a shape changes
        {"n": 2, "x": 1.0},  # the order changes
    ],
)
def test_on_change_rebuilds_the_header_when_the_channels_change(second: dict[str, Any]) -> None:
    tracker = HeaderTracker()
    first, _, _ = tracker.layout({"x": 1.0, "n": 2})
    header, _, changed = tracker.layout(second)
    assert changed
    assert header.hash != first.hash
    assert tracker.header_changes == 1


def test_on_change_leaves_out_a_none_for_a_channel_never_seen() -> None:
    tracker = HeaderTracker()
    header, values, _ = tracker.layout({"x": 1.0, "unknown": None})
    assert header.names() == ["x"]
    assert values == [1.0]


def test_on_change_keeps_a_known_channel_that_has_no_value_now() -> None:
    tracker = HeaderTracker()
    first, _, _ = tracker.layout({"image": np.zeros((4, 6), np.uint16), "x": 1.0})
    header, values, changed = tracker.layout({"image": None, "x": 2.0})
    assert not changed
    assert header is first
    assert values == [None, 2.0]


def test_on_change_refuses_a_message_where_nothing_has_a_value() -> None:
    with pytest.raises(EncodeError, match="at least one channel with a value"):
        HeaderTracker().layout({"a": None})


def test_a_refused_type_change_keeps_the_channel_without_value() -> None:
    tracker = HeaderTracker(allow_type_changes=False)
    first, _, _ = tracker.layout({"x": 1.0, "n": 2})
    header, values, changed = tracker.layout({"x": 1.0, "n": 2.5})
    assert not changed
    assert header is first
    assert values == [1.0, None]
    assert tracker.withheld == 1
    _, values, _ = tracker.layout({"x": [1.0, 2.0], "n": 3})  # shape changes are still allowed
    assert values == [[1.0, 2.0], 3]


def test_a_refused_shape_change_keeps_the_channel_without_value() -> None:
    tracker = HeaderTracker(allow_shape_changes=False)
    tracker.layout({"image": np.zeros((4, 6), np.uint16)})
    header, values, changed = tracker.layout({"image": np.zeros((5, 6), np.uint16)})
    assert not changed
    assert values == [None]
    assert header.channels[0].shape == (6, 4)
    assert tracker.withheld == 1
    _, values, changed = tracker.layout({"image": np.zeros((4, 6), np.int32)})  # type changes are allowed
    assert changed
    assert values[0].dtype == np.int32


# -- always ---------------------------------------------------------------------------------------


def test_always_describes_a_none_for_a_new_channel_as_an_empty_float64() -> None:
    tracker = HeaderTracker(HeaderStrategy.ALWAYS)
    header, values, _ = tracker.layout({"x": 1, "nothing": None})
    assert header.channels[1] == ChannelSpec("nothing", ChannelType.FLOAT64)
    assert values == [1, None]


def test_always_keeps_the_hash_while_the_bytes_stay_the_same() -> None:
    tracker = HeaderTracker(HeaderStrategy.ALWAYS)
    first, _, _ = tracker.layout({"x": 1, "s": "a"})
    second, _, changed = tracker.layout({"x": 2, "s": "bb"})
    assert not changed
    assert second.hash == first.hash
    third, _, changed = tracker.layout({"x": 2.0, "s": "bb"})
    assert changed
    assert third.hash != first.hash
    assert _types(tracker) == {"x": "float64", "s": "string"}


def test_always_keeps_the_type_of_a_known_channel_that_is_none_now() -> None:
    tracker = HeaderTracker(HeaderStrategy.ALWAYS)
    tracker.layout({"n": np.int8(1)})
    _, values, changed = tracker.layout({"n": None})
    assert not changed
    assert values == [None]
    assert _types(tracker) == {"n": "int8"}


# -- once -----------------------------------------------------------------------------------------


def test_once_fixes_the_channels_of_the_first_message() -> None:
    tracker = HeaderTracker(HeaderStrategy.ONCE)
    first, _, changed = tracker.layout({"x": 1.0, "n": 2})
    assert changed
    header, values, changed = tracker.layout({"n": 5, "x": 3.0, "extra": "left out"})
    assert header is first
    assert not changed
    assert values == [3.0, 5]  # in the header's order
    assert tracker.withheld == 1
    _, values, _ = tracker.layout({"x": "not a float", "n": np.int64(6)})
    assert values == [None, np.int64(6)]
    assert tracker.withheld == 2
    _, values, _ = tracker.layout({"n": 7})
    assert values == [None, 7]
    assert tracker.header_changes == 0


def test_once_withholds_a_value_of_another_shape() -> None:
    tracker = HeaderTracker(HeaderStrategy.ONCE)
    tracker.layout({"a": [1.0, 2.0]})
    _, values, _ = tracker.layout({"a": [1.0, 2.0, 3.0]})
    assert values == [None]
    assert tracker.withheld == 1


# -- compression and forget -------------------------------------------------------------------------


def test_compression_policy_applies_to_arrays_scalars_and_named_channels() -> None:
    policy = CompressionPolicy(
        arrays=Compression.BITSHUFFLE_LZ4, channels={"special": Compression.BITSHUFFLE_LZ4, "plain": Compression.NONE}
    )
    tracker = HeaderTracker(compression=policy)
    header, _, _ = tracker.layout(
        {
            "image": np.zeros((4, 6), np.uint16),
            "list": [1, 2],
            "x": 1.0,
            "one": np.zeros(1),
            "column": np.zeros((1, 1)),
            "special": 5,
            "plain": np.zeros(10),
        }
    )
    compressions = {channel.name: channel.compression for channel in header.channels}
    assert compressions == {
        "image": Compression.BITSHUFFLE_LZ4,
        "list": Compression.BITSHUFFLE_LZ4,
        "x": Compression.NONE,
        "one": Compression.NONE,
        "column": Compression.BITSHUFFLE_LZ4,
        "special": Compression.BITSHUFFLE_LZ4,
        "plain": Compression.NONE,
    }


def test_header_compression_is_used_for_the_frame() -> None:
    header, _, _ = HeaderTracker(header_compression=Compression.BITSHUFFLE_LZ4).layout({"x": 1.0})
    assert header.compression is Compression.BITSHUFFLE_LZ4
    plain = DataHeader.build(header.channels)
    assert bitshuffle_lz4_decode(header.frame, 1).tobytes() == plain.frame


def test_forget_rebuilds_the_header_from_the_next_message() -> None:
    tracker = HeaderTracker()
    first, _, _ = tracker.layout({"image": np.zeros((4, 6), np.uint16)})
    tracker.compression = CompressionPolicy(arrays=Compression.BITSHUFFLE_LZ4)
    tracker.forget()
    assert tracker.header is None
    header, _, changed = tracker.layout({"image": np.zeros((4, 6), np.uint16)})
    assert changed
    assert header.channels[0].compression is Compression.BITSHUFFLE_LZ4
    assert header.hash != first.hash
    assert tracker.header_changes == 1


def test_compression_policy_defaults_to_none() -> None:
    policy = CompressionPolicy()
    assert policy.for_channel("image", is_array=True) is Compression.NONE
    assert policy.for_channel("x", is_array=False) is Compression.NONE


@pytest.mark.parametrize(
    "options",
    [
        {"arrays": Compression.LZ4},
        {"scalars": Compression.LZ4},
        {"channels": {"x": Compression.LZ4}},
    ],
)
def test_compression_policy_refuses_lz4(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="lz4 is decode-only"):
        CompressionPolicy(**options)


def test_alternating_layouts_reuse_their_built_headers() -> None:
    tracker = HeaderTracker()
    first, _, _ = tracker.layout({"profile": np.zeros(10)})
    second, _, changed = tracker.layout({"profile": np.zeros(12)})
    again, _, changed_back = tracker.layout({"profile": np.zeros(10)})
    assert changed
    assert changed_back
    assert again is first
    assert second is not first
    assert tracker.header_changes == 2
