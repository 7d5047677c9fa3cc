"""Recording messages to HDF5 (pipelines in ``mode: FILE``, and ``camserver record``).

Layouts (``layout`` key; every record is one message):

``DEFAULT``
    ``/data/<channel>/value`` (n, ...), ``/data/<channel>/timestamp`` (n,) float64 seconds,
    ``/data/<channel>/valid`` (n,) bool (false where the message had no value),
    ``/header/pulse_id`` (n,) int64, ``/header/global_timestamp`` (n, 2) int64 ``[sec, ns]``.
``FLAT``
    ``/data/<channel>`` and ``/data/<channel>_timestamp``, plus ``/header`` as above.
``BSH5``
    psi-bsread's ``bs h5`` layout: ``/<channel>/data``, ``/<channel>/timestamp``,
    ``/<channel>/pulse_id``, one group per channel.

``/general`` holds ``created``, ``user``, ``pid``, ``host`` and ``datasets`` as attributes.
Arrays are stored with the bitshuffle/LZ4 filter (HDF5 filter 32008; readers need
``import hdf5plugin``), one record per chunk. When a channel changes shape or type and ``change``
is set, a new segment starts (``/data1``, ``/header1``, ...); without ``change`` the message is
refused and counted. Strings are variable-length UTF-8.
"""

from __future__ import annotations

import getpass
import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from camserver.errors import ConfigError
from camserver.models.pipeline import PipelineConfig
from camserver.protocol import Timestamp

__all__ = ["Hdf5Recorder", "RecorderStatistics", "open_recorder"]

_GROW = 64


@dataclass(slots=True)
class RecorderStatistics:
    """Counters shaped like a publisher's, so a pipeline reports both the same way."""

    sent: int = 0
    dropped: int = 0
    bytes_sent: int = 0
    header_changes: int = 0


def _kind(value: Any) -> tuple[str, tuple[int, ...], Any]:
    """(``"string"`` | ``"number"``, shape, dtype) of a value."""
    if isinstance(value, str):
        return "string", (), None
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ConfigError(f"a {array.dtype} value cannot be recorded")
    return "number", array.shape, array.dtype.newbyteorder("=")


class Hdf5Recorder:
    """Writes messages to one HDF5 file, growing its datasets as records arrive."""

    def __init__(self, path: Path, *, layout: str = "DEFAULT", change: bool = False, compress: bool = True) -> None:
        try:
            import h5py
        except ImportError:
            raise ConfigError("recording to HDF5 needs the 'hdf5' extra: pip install 'camserver[hdf5]'") from None
        if layout not in ("DEFAULT", "FLAT", "BSH5"):
            raise ConfigError(f"unknown layout {layout!r}; use DEFAULT, FLAT or BSH5")
        self._h5py = h5py
        self.path = path
        self.layout = layout
        self.change = change
        self.compress = compress
        self.block = False
        self.statistics = RecorderStatistics()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = h5py.File(path, "w")
        except OSError as error:
            raise ConfigError(f"cannot create {path}: {error}") from None
        general = self._file.create_group("general")
        general.attrs.update(
            created=time.strftime("%Y-%m-%dT%H:%M:%S%z"), user=getpass.getuser(), pid=os.getpid(),
            host=socket.gethostname(),
        )  # fmt: skip
        self._segment = 0
        self._count = 0
        self._kinds: dict[str, tuple[str, tuple[int, ...], Any]] = {}
        self._datasets: dict[str, Any] = {}

    def _group(self, name: str) -> str:
        return name if self._segment == 0 else f"{name}{self._segment}"

    def _dataset(self, path: str, shape: tuple[int, ...], dtype: Any, *, array: bool) -> Any:
        dataset = self._datasets.get(path)
        if dataset is None:
            options: dict[str, Any] = {}
            if array and self.compress and shape:
                import hdf5plugin

                options = {"chunks": (1, *shape), **hdf5plugin.Bitshuffle(cname="lz4")}
            dataset = self._file.create_dataset(path, shape=(_GROW, *shape), maxshape=(None, *shape), dtype=dtype,
                                                **options)  # fmt: skip
            self._datasets[path] = dataset
        if dataset.shape[0] <= self._count:
            dataset.resize(self._count + _GROW, axis=0)
        return dataset

    def _paths(self, channel: str) -> tuple[str, str, str | None]:
        data = self._group("data")
        if self.layout == "FLAT":
            return f"{data}/{channel}", f"{data}/{channel}_timestamp", None
        if self.layout == "BSH5":
            return f"{channel}/data", f"{channel}/timestamp", f"{channel}/pulse_id"
        return f"{data}/{channel}/value", f"{data}/{channel}/timestamp", f"{data}/{channel}/valid"

    def _new_segment(self) -> None:
        self._trim()
        self._segment += 1
        self._count = 0
        self._kinds.clear()
        self._datasets.clear()
        self.statistics.header_changes += 1

    def send(self, data: Mapping[str, Any], *, pulse_id: int, timestamp: Timestamp | None = None) -> bool:
        """Append one record; False (counted) if a channel changed shape or type without ``change``."""
        timestamp = timestamp or Timestamp.now()
        kinds = {name: _kind(value) for name, value in data.items() if value is not None}
        clash = [name for name, found in kinds.items() if name in self._kinds and self._kinds[name] != found]
        if clash:
            if not self.change:
                self.statistics.dropped += 1
                return False
            self._new_segment()
        if self.layout == "BSH5" and self._segment:
            raise ConfigError("the BSH5 layout cannot start a new segment")
        for name, found in kinds.items():
            self._kinds.setdefault(name, found)
        written = 0
        for name, (kind, shape, dtype) in self._kinds.items():
            value_path, time_path, extra_path = self._paths(name)
            stored_dtype = self._h5py.string_dtype() if kind == "string" else dtype
            value = data.get(name)
            dataset = self._dataset(value_path, shape, stored_dtype, array=bool(shape))
            if value is not None:
                dataset[self._count] = value
                written += getattr(value, "nbytes", 8)
            self._dataset(time_path, (), np.float64, array=False)[self._count] = timestamp.seconds
            if extra_path is not None and self.layout == "BSH5":
                self._dataset(extra_path, (), np.int64, array=False)[self._count] = pulse_id
            elif extra_path is not None:
                self._dataset(extra_path, (), np.bool_, array=False)[self._count] = value is not None
        if self.layout != "BSH5":
            header = self._group("header")
            self._dataset(f"{header}/pulse_id", (), np.int64, array=False)[self._count] = pulse_id
            self._dataset(f"{header}/global_timestamp", (2,), np.int64, array=False)[self._count] = list(timestamp)
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
            self._file.attrs["records"] = self.statistics.sent
            self._file["general"].attrs["datasets"] = sorted(self._datasets)
            self._file.close()


def open_recorder(config: PipelineConfig) -> Hdf5Recorder:
    """The recorder of a pipeline in ``mode: FILE``."""
    if not config.file:
        raise ConfigError("mode FILE needs 'file', the HDF5 file to write")
    return Hdf5Recorder(Path(config.file), layout=config.layout, change=config.change)
