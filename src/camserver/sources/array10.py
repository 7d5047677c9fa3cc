"""``array-1.0`` streams (``source_type: array10``), as CamServer reads them.

A frame is a JSON header such as ``{"htype": "array-1.0", "type": "uint16", "shape": [480, 640],
"frame": 7}`` (``shape`` is ``[height, width]``, ``type`` defaults to ``int8``) followed by the raw
values, row after row: two frames of one ZMQ message, or (as CamServer's frame-by-frame receive
also accepts) two single-frame messages. The socket is SUB unless ``mode`` says PULL. Frames carry
no pulse id or timestamp: the camera numbers and stamps them, as CamServer does. A message that
is not of this form is counted in :attr:`Array10Source.dropped` with its reason logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np

from camserver.models.camera import Array10Camera
from camserver.sources.raw_image_stream import RawImageStream
from camserver.sources.source import Frame

__all__ = ["Array10Source", "decode_header", "encode_array"]

logger = logging.getLogger("camserver.sources.array10")

_MAX_HEADER_BYTES = 65536
_NUMBER_KINDS = frozenset("biuf")


def decode_header(frame: Any) -> tuple[tuple[int, int], np.dtype[Any]]:
    """``(height, width)`` and the value type an ``array-1.0`` header announces.

    Raises :class:`ValueError` saying what is wrong."""
    raw = memoryview(frame).cast("B")
    if len(raw) > _MAX_HEADER_BYTES:
        raise ValueError(f"a header of {len(raw)} bytes is not an array-1.0 header")
    try:
        header = json.loads(bytes(raw))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"the header is not JSON ({error})") from None
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    shape = header.get("shape")
    if (
        not isinstance(shape, list)
        or len(shape) != 2
        or not all(isinstance(size, int) and not isinstance(size, bool) and size > 0 for size in shape)
    ):
        raise ValueError(f"shape {shape!r} is not [height, width] of two positive integers")
    name = header.get("type", "int8")
    try:
        dtype = np.dtype(name) if isinstance(name, str) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in _NUMBER_KINDS:
        raise ValueError(f"type {name!r} is not a numeric type")
    return (shape[0], shape[1]), dtype


def encode_array(image: np.ndarray[Any, Any], frame: int = 0) -> list[bytes]:
    """The two frames of an ``array-1.0`` message for ``image`` (for tests and simulators)."""
    header = {"htype": "array-1.0", "type": image.dtype.name, "shape": list(image.shape), "frame": frame}
    return [json.dumps(header).encode(), np.ascontiguousarray(image).tobytes()]


class Array10Source(RawImageStream):
    """Images from an ``array-1.0`` stream; see the module docstring."""

    kind = "array-1.0"
    logger = logger

    def __init__(self, config: Array10Camera, *, queue_size: int = 10) -> None:
        super().__init__(config, queue_size=queue_size)
        self._pending: tuple[tuple[int, int], np.dtype[Any]] | None = None  # a header whose data comes next

    def _reset(self) -> None:
        self._pending = None

    def _decode(self, frames: list[Any]) -> Frame | None:
        if len(frames) == 1 and self._pending is None:
            self._pending = decode_header(frames[0])
            return None
        if len(frames) == 1:
            assert self._pending is not None
            (height, width), dtype = self._pending
            data = frames[0]
        elif len(frames) == 2:
            (height, width), dtype = decode_header(frames[0])
            data = frames[1]
        else:
            raise ValueError(f"an array-1.0 message has a header and a data frame, not {len(frames)} frames")
        self._pending = None
        raw = memoryview(data).cast("B")
        expected = height * width * dtype.itemsize
        if len(raw) != expected:
            raise ValueError(f"{len(raw)} data bytes for {height}x{width} {dtype} (expected {expected})")
        return Frame(image=np.frombuffer(raw, dtype=dtype).reshape(height, width))
