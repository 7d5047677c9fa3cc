"""std-daq's image stream (``source_type: stream``), as CamServer reads it.

Each ZMQ message has two frames: a packed little-endian ``ImageMetadata`` header of 30 bytes ::

    uint64 id          the frame's pulse id
    uint64 height
    uint64 width
    uint16 dtype       1 uint8, 2 uint16, 4 uint32, 8 uint64, 11 int8, 12 int16, 14 int32,
                       18 int64, 22 float16, 24 float32, 28 float64
    uint16 status      0 good image, 1 missing packets, 2 id mismatch
    uint16 source_id

then the frame, ``height * width`` values row after row. The socket is SUB (CamServer's only mode)
unless ``mode`` says PULL. The pulse id is the header's ``id``; frames carry no timestamp (the
camera stamps them on arrival). A message that is not of this form is counted in
:attr:`StdDaqStreamSource.dropped` with its reason logged; a bsread message says so, since camserver
read bsread under this source type before it matched CamServer (decision 0010: ``bschannel`` does
that).
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from camserver.sources.raw_image_stream import RawImageStream
from camserver.sources.source import Frame

__all__ = ["DTYPE_CODES", "ImageMetadata", "StdDaqStreamSource", "decode_image", "encode_image"]

logger = logging.getLogger("camserver.sources.stream")

_HEADER = struct.Struct("<QQQHHH")

#: std-daq's dtype codes (``ImageMetadata.dtype``) and the numpy types they stand for
DTYPE_CODES: dict[int, str] = {
    1: "uint8",
    2: "uint16",
    4: "uint32",
    8: "uint64",
    11: "int8",
    12: "int16",
    14: "int32",
    18: "int64",
    22: "float16",
    24: "float32",
    28: "float64",
}
_CODE_OF = {name: code for code, name in DTYPE_CODES.items()}
_MAX_PULSE_ID = 2**63 - 1
_STATUS = {0: "good image", 1: "missing packets", 2: "id mismatch"}


@dataclass(frozen=True, slots=True)
class ImageMetadata:
    """The header of one std-daq image."""

    id: int
    height: int
    width: int
    dtype: int
    status: int
    source_id: int

    @property
    def status_text(self) -> str:
        """What ``status`` means."""
        return _STATUS.get(self.status, f"unknown status {self.status}")


def decode_image(frames: list[Any]) -> tuple[ImageMetadata, np.ndarray[Any, Any]]:
    """The header and the image (a read-only view of the second frame) of one message.

    Raises :class:`ValueError` saying what is wrong with a message that is not a std-daq image.
    """
    if not frames:
        raise ValueError("empty message")
    header = memoryview(frames[0]).cast("B")
    if bytes(header[:1]) == b"{":
        raise ValueError("this is a bsread message (JSON header), not a std-daq image: use source_type 'bschannel'")
    if len(frames) < 2:
        raise ValueError(f"a std-daq image has a header and a data frame; this message has {len(frames)} frame")
    if len(header) < _HEADER.size:
        raise ValueError(f"header of {len(header)} bytes; std-daq's ImageMetadata has {_HEADER.size}")
    meta = ImageMetadata(*_HEADER.unpack_from(header, 0))
    if meta.id > _MAX_PULSE_ID:
        raise ValueError(f"image id {meta.id} is beyond the largest pulse id a bsread stream carries")
    name = DTYPE_CODES.get(meta.dtype)
    if name is None:
        raise ValueError(f"image {meta.id}: unknown dtype code {meta.dtype}")
    dtype = np.dtype(name).newbyteorder("<")
    data = memoryview(frames[1]).cast("B")
    expected = meta.height * meta.width * dtype.itemsize
    if meta.height == 0 or meta.width == 0 or len(data) != expected:
        raise ValueError(
            f"image {meta.id}: {len(data)} data bytes for {meta.height}x{meta.width} {name} (expected {expected})"
        )
    image = np.frombuffer(data, dtype=dtype).reshape(meta.height, meta.width)
    if not dtype.isnative:
        image = image.astype(dtype.newbyteorder("="))
    return meta, image


def encode_image(image: np.ndarray[Any, Any], pulse_id: int, *, status: int = 0, source_id: int = 0) -> list[bytes]:
    """The two frames std-daq sends for ``image`` (for tests and simulators)."""
    if image.ndim != 2:
        raise ValueError("a std-daq image is 2-D")
    code = _CODE_OF.get(image.dtype.name)
    if code is None:
        raise ValueError(f"std-daq has no dtype code for {image.dtype}")
    height, width = image.shape
    header = _HEADER.pack(pulse_id, height, width, code, status, source_id)
    return [header, np.ascontiguousarray(image, dtype=image.dtype.newbyteorder("<")).tobytes()]


class StdDaqStreamSource(RawImageStream):
    """Images from std-daq's image stream; see the module docstring."""

    kind = "std-daq"
    logger = logger

    def _decode(self, frames: list[Any]) -> Frame | None:
        meta, image = decode_image(frames)
        if meta.status and self.last_error != meta.status_text:
            self.logger.info("%s: image %d arrived with status %s", self.address, meta.id, meta.status_text)
            self.last_error = meta.status_text
        return Frame(image=image, pulse_id=meta.id)
