"""Hostile bsread messages: what a broken or malicious sender can put on the wire.

:class:`HostileMessages` builds the frames of one multipart message of a given kind, for testing
a receiver (a camera of source type ``bschannel``/``bsread``, a pipeline's input) against them.
Every kind says what a camserver receiver makes of it:

* ``UNDECODABLE``: not valid bsread, or beyond the receiver's limits; counted in ``decode_errors``.
* ``NO_IMAGE``: valid bsread without a usable 2-D image; a camera counts it in ``input_drops``, a
  pipeline passes it to its function.
* ``EXTREME``: a valid image message with a pulse id at the end of the uint64 range; delivered.

No socket is opened here: send the frames with any ZMQ socket (``send_multipart``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from enum import Enum
from typing import Any

import numpy as np

from camserver.protocol import Compression, CompressionPolicy, Encoder, Timestamp

__all__ = ["HostileMessages", "Outcome"]

Frames = list[bytes]


class Outcome(Enum):
    """What a camserver receiver makes of a kind of hostile message."""

    UNDECODABLE = "undecodable"
    NO_IMAGE = "no_image"
    EXTREME = "extreme"


#: bytes one "huge" channel declares: 1 GiB, as in the attack of two such bitshuffle_lz4 channels
_GIB = 1 << 30
#: the wire size of each of those channels: just enough for LZ4's largest ratio (255:1) to be plausible
_HUGE_FRAME = _GIB // 255 + 1024
_STAMP = b"\x00" * 16


def _wire(frames: list[Any]) -> Frames:
    return [frame.tobytes() if isinstance(frame, np.ndarray) else bytes(frame) for frame in frames]


def _main(**fields: Any) -> bytes:
    header = {"htype": "bsr_m-1.1", "hash": "0" * 32, "pulse_id": 1, "global_timestamp": {"sec": 1, "ns": 0}}
    header.update(fields)
    return json.dumps(header).encode()


class HostileMessages:
    """Messages of each hostile kind, seeded (the same bytes on every run).

    ``image`` is the image of the good stream the hostile messages are mixed into: a stale-hash
    message reuses the hash of the good stream's data header with other header bytes.
    ``huge`` includes the 11 MB message declaring two 1 GiB ``bitshuffle_lz4`` channels (slow to
    send at a high rate; off by default).
    """

    def __init__(self, image: np.ndarray[Any, Any], *, seed: int = 20_260_101, huge: bool = False) -> None:
        self.rng = random.Random(seed)
        self.image = image
        self.huge = huge
        good = self.good(1, Timestamp(1, 0))
        self.good_hash: str = json.loads(good[0])["hash"]
        self.good_header = good[1]

    def good(self, pulse_id: int, timestamp: Timestamp | None = None) -> Frames:
        """A valid message of the good stream."""
        encoded = Encoder().encode({"image": self.image}, pulse_id=pulse_id, timestamp=timestamp or Timestamp.now())
        return _wire(encoded.frames)

    def kinds(self) -> dict[str, tuple[Outcome, Callable[[], Frames]]]:
        """Every kind: its outcome and a builder of one message."""
        kinds: dict[str, tuple[Outcome, Callable[[], Frames]]] = {
            "garbage": (Outcome.UNDECODABLE, self.garbage),
            "garbage_parts": (Outcome.UNDECODABLE, self.garbage_parts),
            "too_few_parts": (Outcome.UNDECODABLE, self.too_few_parts),
            "too_many_parts": (Outcome.UNDECODABLE, self.too_many_parts),
            "main_header_not_json": (Outcome.UNDECODABLE, lambda: [b"{htype: bsr", self.good_header]),
            "main_header_not_utf8": (Outcome.UNDECODABLE, lambda: [b"\xff\xfe\xfd{}", self.good_header]),
            "main_header_no_hash": (Outcome.UNDECODABLE, self.main_header_no_hash),
            "main_header_deeply_nested": (Outcome.UNDECODABLE, lambda: [b"[" * 60_000, b"x"]),
            "data_header_deeply_nested": (Outcome.UNDECODABLE, self.data_header_deeply_nested),
            "data_header_not_utf8": (Outcome.UNDECODABLE, self.data_header_not_utf8),
            "data_header_unknown_type": (Outcome.UNDECODABLE, self.data_header_unknown_type),
            "stale_hash": (Outcome.UNDECODABLE, self.stale_hash),
            "size_mismatch": (Outcome.UNDECODABLE, self.size_mismatch),
            "huge_shape": (Outcome.UNDECODABLE, self.huge_shape),
            "string_not_utf8": (Outcome.UNDECODABLE, self.string_not_utf8),
            "pulse_id_beyond_uint64": (Outcome.UNDECODABLE, lambda: self._with_pulse_id(2**64)),
            "pulse_id_negative": (Outcome.UNDECODABLE, lambda: self._with_pulse_id(-1)),
            "corrupt_compressed_value": (Outcome.UNDECODABLE, self.corrupt_compressed_value),
            "no_image": (Outcome.NO_IMAGE, self.no_image),
            "image_not_2d": (Outcome.NO_IMAGE, self.image_not_2d),
            "pulse_id_2**63-1": (Outcome.EXTREME, lambda: self.good(2**63 - 1)),
            "pulse_id_2**64-1": (Outcome.EXTREME, lambda: self.good(2**64 - 1)),
        }
        if self.huge:
            kinds["two_1_GiB_bitshuffle_channels"] = (Outcome.UNDECODABLE, self.two_gib_channels)
        return kinds

    # -- builders ---------------------------------------------------------------------------------

    def garbage(self) -> Frames:
        return [self.rng.randbytes(self.rng.randrange(1, 4096))]

    def garbage_parts(self) -> Frames:
        return [self.rng.randbytes(self.rng.randrange(0, 512)) for _ in range(self.rng.randrange(2, 9))]

    def too_few_parts(self) -> Frames:
        return self.good(7)[:-1]

    def too_many_parts(self) -> Frames:
        return [*self.good(7), b"", b""]

    def main_header_no_hash(self) -> Frames:
        frames = self.good(7)
        header = json.loads(frames[0])
        del header["hash"]
        return [json.dumps(header).encode(), *frames[1:]]

    def data_header_deeply_nested(self) -> Frames:
        header = b'{"htype":"bsr_d-1.1","channels":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
        return [_main(hash="deep"), header, b"", b""]

    def data_header_not_utf8(self) -> Frames:
        return [_main(hash="not-utf8"), b'{"channels":[{"name":"\xff\xfe"}]}', b"\x00" * 8, _STAMP]

    def data_header_unknown_type(self) -> Frames:
        header = json.dumps({"htype": "bsr_d-1.1", "channels": [{"name": "image", "type": "complex128"}]})
        return [_main(hash="complex"), header.encode(), b"\x00" * 16, _STAMP]

    def stale_hash(self) -> Frames:
        """The good stream's hash over another channel list (the sender forgot to recompute it)."""
        header = json.dumps({"htype": "bsr_d-1.1", "channels": [{"name": "image", "type": "uint8", "shape": [3]}]})
        return [_main(hash=self.good_hash), header.encode(), b"\x01\x02\x03", _STAMP]

    def size_mismatch(self) -> Frames:
        frames = self.good(7)
        frames[2] = frames[2][: len(frames[2]) // 2]
        return frames

    def huge_shape(self) -> Frames:
        header = json.dumps(
            {"htype": "bsr_d-1.1", "channels": [{"name": "image", "type": "uint16", "shape": [2**31, 2**31]}]}
        )
        return [_main(hash="huge"), header.encode(), b"\x00" * 64, _STAMP]

    def string_not_utf8(self) -> Frames:
        header = json.dumps({"htype": "bsr_d-1.1", "channels": [{"name": "label", "type": "string"}]})
        return [_main(hash="string"), header.encode(), b"\xc3\x28\xff", _STAMP]

    def corrupt_compressed_value(self) -> Frames:
        encoder = Encoder(compression=CompressionPolicy(arrays=Compression.BITSHUFFLE_LZ4))
        frames = _wire(encoder.encode({"image": self.image}, pulse_id=7, timestamp=Timestamp(1, 0)).frames)
        value = bytearray(frames[2])
        for index in range(16, len(value)):  # the LZ4 blocks after the bitshuffle header
            value[index] ^= 0xA5
        frames[2] = bytes(value)
        return frames

    def no_image(self) -> Frames:
        return _wire(Encoder().encode({"energy": 1.5, "label": "x"}, pulse_id=7, timestamp=Timestamp(1, 0)).frames)

    def image_not_2d(self) -> Frames:
        flat = np.asarray(self.image).reshape(-1)
        return _wire(Encoder().encode({"image": flat}, pulse_id=7, timestamp=Timestamp(1, 0)).frames)

    def two_gib_channels(self) -> Frames:
        """11 MB declaring two 1 GiB ``bitshuffle_lz4`` channels: refused before decompression."""
        channel = {"type": "uint8", "shape": [_GIB], "compression": "bitshuffle_lz4"}
        header = json.dumps({"htype": "bsr_d-1.1", "channels": [{"name": "a", **channel}, {"name": "b", **channel}]})
        value = _GIB.to_bytes(8, "big") + (8192).to_bytes(4, "big") + bytes(_HUGE_FRAME - 12)
        return [_main(hash="two-gib"), header.encode(), value, _STAMP, value, _STAMP]

    def _with_pulse_id(self, pulse_id: int) -> Frames:
        frames = self.good(7)
        header = json.loads(frames[0])
        header["pulse_id"] = pulse_id
        return [json.dumps(header).encode(), *frames[1:]]
