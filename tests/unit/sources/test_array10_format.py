"""array-1.0 headers (no sockets)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from camserver.sources.array10 import decode_header, encode_array


def test_an_encoded_array_announces_its_shape_and_type() -> None:
    header, data = encode_array(np.zeros((3, 4), np.uint16), frame=9)
    assert json.loads(header) == {"htype": "array-1.0", "type": "uint16", "shape": [3, 4], "frame": 9}
    assert decode_header(header) == ((3, 4), np.dtype(np.uint16))
    assert len(data) == 24


def test_the_type_defaults_to_int8_as_camserver() -> None:
    assert decode_header(b'{"shape": [2, 5]}') == ((2, 5), np.dtype(np.int8))


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (b"\x00\x01", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"shape": [3]}', "shape"),
        (b'{"shape": [3, 0]}', "shape"),
        (b'{"shape": [3, true]}', "shape"),
        (b'{"shape": [3, 4], "type": "object"}', "not a numeric type"),
        (b'{"shape": [3, 4], "type": "no-such-type"}', "not a numeric type"),
        (b'{"shape": [3, 4], "type": 7}', "not a numeric type"),
        (b" " * 70000, "not an array-1.0 header"),
    ],
)
def test_a_bad_header_is_refused_with_the_reason(header: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        decode_header(header)
