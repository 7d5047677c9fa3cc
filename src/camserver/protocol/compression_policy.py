"""Which channels a sender compresses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from camserver.protocol.types import Compression

__all__ = ["CompressionPolicy"]


@dataclass(frozen=True, slots=True)
class CompressionPolicy:
    """Compression per channel: ``arrays`` for values with more than one element, ``scalars`` for
    the rest, and ``channels`` to override either by name. Images are usually the only channels
    worth compressing (CamServer's ``image_compression``, pipelines' ``data_compression``).
    """

    arrays: Compression = Compression.NONE
    scalars: Compression = Compression.NONE
    channels: Mapping[str, Compression] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for compression in (self.arrays, self.scalars, *self.channels.values()):
            if compression is Compression.LZ4:
                raise ValueError("lz4 is decode-only: bsread implementations disagree on its size prefix")

    @property
    def active(self) -> bool:
        """Whether any channel is compressed."""
        chosen = (self.arrays, self.scalars, *self.channels.values())
        return any(compression is not Compression.NONE for compression in chosen)

    def for_channel(self, name: str, *, is_array: bool) -> Compression:
        """The compression of channel ``name``."""
        chosen = self.channels.get(name)
        if chosen is not None:
            return chosen
        return self.arrays if is_array else self.scalars
