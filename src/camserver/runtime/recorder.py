"""Recording messages to HDF5 (pipelines in ``mode: FILE``, and ``camserver record``), in the
layouts of CamServer's writer, so files read as CamServer's do.

Every record is one message; ``N`` counts segments from 1 (a new segment starts when a channel
changes shape or type and ``change`` is set):

``DEFAULT`` (CamServer's default)
    ``/dataN/<channel>/value`` (records, ...), ``/dataN/<channel>/timestamp`` (records, 2) uint64
    ``[sec, ns]``, ``/headerN/pulse_id`` (records,) uint64, ``/headerN/global_timestamp``
    (records, 2) uint64.
``FLAT``
    ``/dataN/<channel>`` and ``/dataN/<channel>_timestamp``, the header as ``DEFAULT``.
``BSH5``
    ``/<channel>/data``, ``/<channel>/timestamp``, ``/pulse_id``, ``/global_timestamp``; later
    segments ``/<channel>N/data``, ``/pulse_idN``, ...

``/general`` holds the datasets ``created``, ``user``, ``pid``, ``host`` and ``datasets`` (the
number of segments). Channel timestamps are written only with ``localtime`` (CamServer's key,
default true). Arrays keep their dtype and shape; Python numbers are ``float64``/``int64``/``bool``
as psi-bsread types them; strings are fixed-length bytes (``S1000`` as CamServer, wider when the
first value is longer, so ``processing_parameters`` is kept whole). Nothing is compressed, so any
HDF5 reader opens the file.

Where CamServer's writer fails, this one goes on: a channel that first appears in a later message
gets its dataset then (earlier records hold the fill value: NaN for floats, 0, empty strings); a
value that is ``None`` leaves the fill value; a channel that changes shape or type without
``change`` refuses that message, counted in ``dropped``.
"""

from __future__ import annotations

import getpass
import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from camserver.errors import ConfigError
from camserver.models.pipeline import PipelineConfig
from camserver.protocol import Timestamp

__all__ = ["LAYOUTS", "Hdf5Recorder", "RecorderStatistics", "open_recorder"]

logger = logging.getLogger("camserver.recorder")

#: CamServer's writer layouts
LAYOUTS = ("DEFAULT", "FLAT", "BSH5")
#: CamServer's string width
STRING_BYTES = 1000
_GROW = 64


@dataclass(slots=True)
class RecorderStatistics:
    """Counters shaped like a publisher's, so a pipeline reports both the same way."""

    sent: int = 0
    dropped: int = 0
    bytes_sent: int = 0
    header_changes: int = 0
    truncated_strings: int = 0


@dataclass(frozen=True, slots=True)
class _Kind:
    """What a channel's dataset holds: ``string``, ``scalar`` (numbers) or ``array``."""

    form: str
    shape: tuple[int, ...] = ()
    dtype: Any = None

    def fits(self, other: _Kind) -> bool:
        if self.form == other.form and self.form in ("scalar", "string"):
            return True  # a number is stored in the channel's type, a string in its width, as CamServer's writer does
        return self == other


def _kind(value: Any) -> _Kind:
    if isinstance(value, str | bytes):
        width = len(value.encode() if isinstance(value, str) else value)
        return _Kind("string", (), np.dtype(f"S{max(STRING_BYTES, 2 * width)}"))
    if isinstance(value, bool | np.bool_):
        return _Kind("scalar", (), np.dtype(bool))
    if isinstance(value, int) and not isinstance(value, np.generic):
        return _Kind("scalar", (), np.dtype(np.int64))
    if isinstance(value, float):
        return _Kind("scalar", (), np.dtype(np.float64))
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ConfigError(f"a {array.dtype} value cannot be recorded")
    dtype = array.dtype.newbyteorder("=")
    if isinstance(value, np.ndarray) or array.ndim:
        return _Kind("array", array.shape, dtype)
    return _Kind("scalar", (), dtype)


class Hdf5Recorder:
    """Writes messages to one HDF5 file in one of CamServer's layouts."""

    def __init__(self, path: Path, *, layout: str = "DEFAULT", change: bool = False, localtime: bool = True) -> None:
        try:
            import h5py
        except ImportError:
            raise ConfigError("recording to HDF5 needs the 'hdf5' extra: pip install 'camserver[hdf5]'") from None
        layout = layout.upper()
        if layout not in LAYOUTS:
            raise ConfigError(f"unknown layout {layout!r}; use DEFAULT, FLAT or BSH5")
        self.path = path
        self.layout = layout
        self.change = change
        self.localtime = localtime
        self.block = False
        self.statistics = RecorderStatistics()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file: Any = h5py.File(path, "w")
        except OSError as error:
            raise ConfigError(f"cannot create {path}: {error}") from None
        general = self._file.create_group("general")
        general["created"] = datetime.now().strftime("%d/%m/%Y %H:%M:%S.%f")
        general["user"] = getpass.getuser()
        general["pid"] = os.getpid()
        general["host"] = socket.gethostname()
        general["datasets"] = 1
        self._segment = 1
        self._count = 0
        self._kinds: dict[str, _Kind] = {}
        self._datasets: dict[str, Any] = {}

    # -- paths of CamServer's layouts ----------------------------------------------------------

    def _header_paths(self) -> tuple[str, str]:
        if self.layout == "BSH5":
            suffix = str(self._segment) if self._segment > 1 else ""
            return f"/pulse_id{suffix}", f"/global_timestamp{suffix}"
        return f"/header{self._segment}/pulse_id", f"/header{self._segment}/global_timestamp"

    def _channel_paths(self, channel: str) -> tuple[str, str]:
        if self.layout == "FLAT":
            return f"/data{self._segment}/{channel}", f"/data{self._segment}/{channel}_timestamp"
        if self.layout == "BSH5":
            group = f"/{channel}{self._segment}" if self._segment > 1 else f"/{channel}"
            return f"{group}/data", f"{group}/timestamp"
        return f"/data{self._segment}/{channel}/value", f"/data{self._segment}/{channel}/timestamp"

    # -- datasets ------------------------------------------------------------------------------

    def _dataset(self, path: str, shape: tuple[int, ...], dtype: Any) -> Any:
        dataset = self._datasets.get(path)
        if dataset is None:
            rows = max(_GROW, self._count + 1)
            options: dict[str, Any] = {"chunks": (1, *shape)} if shape else {}
            if np.dtype(dtype).kind == "f":
                options["fillvalue"] = np.nan
            dataset = self._file.create_dataset(
                path, shape=(rows, *shape), maxshape=(None, *shape), dtype=dtype, **options
            )
            self._datasets[path] = dataset
        if dataset.shape[0] <= self._count:
            dataset.resize(self._count + _GROW, axis=0)
        return dataset

    def _new_segment(self) -> None:
        self._trim()
        self._segment += 1
        self._count = 0
        self._kinds.clear()
        self._datasets.clear()
        self._file["general/datasets"][()] = self._segment
        self.statistics.header_changes += 1

    def _stored(self, kind: _Kind, value: Any) -> Any:
        if kind.form != "string":
            return value
        encoded = value.encode() if isinstance(value, str) else bytes(value)
        if len(encoded) > kind.dtype.itemsize:
            self.statistics.truncated_strings += 1
            if self.statistics.truncated_strings == 1:
                logger.warning("strings longer than %d bytes are cut to fit their dataset", kind.dtype.itemsize)
        return encoded

    # -- recording -----------------------------------------------------------------------------

    def send(self, data: Mapping[str, Any], *, pulse_id: int, timestamp: Timestamp | None = None) -> bool:
        """Append one record; False (counted) if a channel changed shape or type without ``change``."""
        timestamp = timestamp or Timestamp.now()
        kinds = {name: _kind(value) for name, value in data.items() if value is not None}
        changed = [name for name, kind in kinds.items() if name in self._kinds and not self._kinds[name].fits(kind)]
        if changed:
            if not self.change:
                self.statistics.dropped += 1
                return False
            self._new_segment()
        for name, kind in kinds.items():
            self._kinds.setdefault(name, kind)
        stamp = [timestamp.sec, timestamp.ns]
        written = 0
        for name, kind in self._kinds.items():
            value_path, time_path = self._channel_paths(name)
            dataset = self._dataset(value_path, kind.shape, kind.dtype)
            value = data.get(name)
            if value is not None:
                dataset[self._count] = self._stored(kind, value)
                written += int(getattr(value, "nbytes", 8))
            if self.localtime:
                self._dataset(time_path, (2,), np.uint64)[self._count] = stamp
        pulse_path, global_path = self._header_paths()
        self._dataset(pulse_path, (), np.uint64)[self._count] = pulse_id
        self._dataset(global_path, (2,), np.uint64)[self._count] = stamp
        self._count += 1
        self.statistics.sent += 1
        self.statistics.bytes_sent += written
        return True

    def _trim(self) -> None:
        for dataset in self._datasets.values():
            dataset.resize(self._count, axis=0)

    def close(self) -> None:
        """Trim the datasets to the records written and close the file."""
        if self._file:
            self._trim()
            self._file.close()


def open_recorder(config: PipelineConfig) -> Hdf5Recorder:
    """The recorder of a pipeline in ``mode: FILE``."""
    if not config.file:
        raise ConfigError("mode FILE needs 'file', the HDF5 file to write")
    return Hdf5Recorder(Path(config.file), layout=config.layout, change=config.change, localtime=config.localtime)
