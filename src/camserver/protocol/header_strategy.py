"""When a sender rebuilds its data header: CamServer's ``create_header`` strategies.

* ``on_change`` (default): the header follows the values; it is rebuilt when a channel appears,
  disappears, or changes type or shape. With ``allow_type_changes`` / ``allow_shape_changes`` off,
  a changed channel keeps its old description and is sent without a value instead. A ``None`` for
  a channel never seen is left out.
* ``always``: the header is derived from every message; ``None`` for a new channel is sent as an
  empty float64 scalar. The hash still changes only when the bytes do.
* ``once``: the first message fixes the channels. Later, a missing channel or a value that does not
  fit its description is sent without a value, and a new channel is left out. Unlike CamServer,
  this never corrupts the stream; every value not sent is counted in :attr:`HeaderTracker.withheld`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import numpy as np

from camserver.errors import EncodeError
from camserver.protocol.channel import ChannelSpec, describe
from camserver.protocol.compression_policy import CompressionPolicy
from camserver.protocol.header import DataHeader
from camserver.protocol.types import Compression

__all__ = ["HeaderStrategy", "HeaderTracker"]

_BUILT_HEADERS = 64


class HeaderStrategy(StrEnum):
    """CamServer's ``create_header`` values."""

    ON_CHANGE = "on_change"
    ALWAYS = "always"
    ONCE = "once"

    @classmethod
    def parse(cls, value: object) -> HeaderStrategy:
        """Read a ``create_header`` config value as CamServer does: ``"always"``/``True`` is
        always, ``"once"``/``False`` is once, anything else on_change."""
        if value is True or value == "always":
            return cls.ALWAYS
        if value is False or value == "once":
            return cls.ONCE
        return cls.ON_CHANGE


_INT64_MAX = 2**63 - 1
_DESCRIBED_MAX = 4096


def _value_key(value: object) -> object:
    """What determines a value's channel description, cheaply; None when only :func:`describe`
    can tell (lists, unusual objects)."""
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape)
    if isinstance(value, np.generic):
        return value.dtype.str
    kind = type(value)
    if kind is int:
        return (int, value > _INT64_MAX)  # type: ignore[operator]
    if kind in (float, str, bool):
        return kind
    return None


def _is_array(value: object) -> bool:
    if isinstance(value, np.ndarray):
        return value.size != 1 or value.ndim > 1
    return isinstance(value, list | tuple)


class HeaderTracker:
    """Keeps a sender's data header in line with the values it sends, by one strategy."""

    def __init__(
        self,
        strategy: HeaderStrategy = HeaderStrategy.ON_CHANGE,
        *,
        allow_type_changes: bool = True,
        allow_shape_changes: bool = True,
        compression: CompressionPolicy | None = None,
        header_compression: Compression = Compression.NONE,
    ) -> None:
        self.strategy = strategy
        self.allow_type_changes = allow_type_changes
        self.allow_shape_changes = allow_shape_changes
        self.compression = compression or CompressionPolicy()
        self.header_compression = header_compression
        self.header: DataHeader | None = None
        self._specs: dict[str, ChannelSpec] = {}
        self._built: dict[tuple[ChannelSpec, ...], DataHeader] = {}
        self._described: dict[tuple[str, object], ChannelSpec] = {}
        #: how often the header was rebuilt after the first one
        self.header_changes = 0
        #: values not sent because they did not fit the header (``once``, disallowed changes)
        self.withheld = 0

    def forget(self) -> None:
        """Describe every channel afresh from the next message on (after a compression change)."""
        self._specs = {}
        self._built.clear()
        self._described.clear()
        if self.header is not None:
            self.header = None
            self.header_changes += 1

    def _describe(self, name: str, value: object) -> ChannelSpec:
        key = _value_key(value)
        if key is not None:
            cached = self._described.get((name, key))
            if cached is not None:
                return cached
        spec = describe(name, value, self.compression.for_channel(name, is_array=_is_array(value)))
        if key is not None:
            if len(self._described) >= _DESCRIBED_MAX:
                self._described.clear()
            self._described[(name, key)] = spec
        return spec

    def layout(self, data: Mapping[str, Any]) -> tuple[DataHeader, list[Any], bool]:
        """The header to send ``data`` with, the values in header order, and whether the header
        changed since the previous message."""
        if self.strategy is HeaderStrategy.ONCE and self.header is not None:
            return self.header, self._fit_fixed(data), False
        specs: list[ChannelSpec] = []
        values: list[Any] = []
        for name, value in data.items():
            known = self._specs.get(name)
            if value is None:
                if known is not None:
                    specs.append(known)
                elif self.strategy is HeaderStrategy.ON_CHANGE:
                    continue
                else:
                    specs.append(self._describe(name, None))
                values.append(None)
                continue
            spec = self._describe(name, value)
            if known is not None and spec is not known and spec != known and self.strategy is HeaderStrategy.ON_CHANGE:
                refused = (spec.type != known.type and not self.allow_type_changes) or (
                    spec.shape != known.shape and not self.allow_shape_changes
                )
                if refused:
                    self.withheld += 1
                    specs.append(known)
                    values.append(None)
                    continue
            specs.append(spec)
            values.append(value)
        if not specs:
            raise EncodeError("a bsread message needs at least one channel with a value")
        changed = self._adopt(tuple(specs))
        assert self.header is not None
        return self.header, values, changed

    def _adopt(self, specs: tuple[ChannelSpec, ...]) -> bool:
        if self.header is not None and self.header.channels == specs:
            return False
        first = self.header is None
        # Headers that alternate (a good region whose width changes with the beam) are built once.
        header = self._built.get(specs)
        if header is None or header.compression is not self.header_compression:
            header = DataHeader.build(specs, self.header_compression)
            self._built[specs] = header
            while len(self._built) > _BUILT_HEADERS:
                del self._built[next(iter(self._built))]
        self.header = header
        self._specs = {spec.name: spec for spec in specs}
        if not first:
            self.header_changes += 1
        return True

    def _fit_fixed(self, data: Mapping[str, Any]) -> list[Any]:
        assert self.header is not None
        values: list[Any] = []
        for spec in self.header.channels:
            value = data.get(spec.name)
            if value is not None:
                described = self._describe(spec.name, value)
                if (described.type, described.shape) != (spec.type, spec.shape):
                    self.withheld += 1
                    value = None
            values.append(value)
        self.withheld += sum(1 for name in data if name not in self._specs)
        return values
