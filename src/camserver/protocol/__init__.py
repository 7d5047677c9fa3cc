"""The bsread wire protocol (``bsr_m-1.1`` / ``bsr_d-1.1``), sans-I/O.

Encode a dictionary of values into the frames of one ZMQ multipart message, and decode such frames
back. Nothing here touches a socket: :mod:`camserver.transport` moves the frames.

>>> import numpy as np
>>> from camserver.protocol import Decoder, Encoder, Timestamp
>>> message = Encoder().encode({"image": np.zeros((2, 3), np.uint16), "x": 1.5},
...                            pulse_id=7, timestamp=Timestamp(1700000000, 0))
>>> received = Decoder().decode([bytes(frame) for frame in message.frames])
>>> received.pulse_id, received.data["image"].shape, float(received.data["x"])
(7, (2, 3), 1.5)
"""

from camserver.protocol.channel import ChannelSpec, describe
from camserver.protocol.compression import Spreader, bitshuffle_lz4_decode, bitshuffle_lz4_encode, lz4_decode
from camserver.protocol.compression_policy import CompressionPolicy
from camserver.protocol.decoder import Decoder, InputFrame
from camserver.protocol.encoder import ZERO_COPY_BYTES, EncodedMessage, Encoder, encode_frames
from camserver.protocol.header import DataHeader
from camserver.protocol.header_strategy import HeaderStrategy, HeaderTracker
from camserver.protocol.message import ControlMessage, Message
from camserver.protocol.types import ByteOrder, ChannelType, Compression, Timestamp

__all__ = [
    "ZERO_COPY_BYTES",
    "ByteOrder",
    "ChannelSpec",
    "ChannelType",
    "Compression",
    "CompressionPolicy",
    "ControlMessage",
    "DataHeader",
    "Decoder",
    "EncodedMessage",
    "Encoder",
    "HeaderStrategy",
    "HeaderTracker",
    "InputFrame",
    "Message",
    "Spreader",
    "Timestamp",
    "bitshuffle_lz4_decode",
    "bitshuffle_lz4_encode",
    "describe",
    "encode_frames",
    "lz4_decode",
]
