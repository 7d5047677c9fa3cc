"""Replay of images from an HDF5 file (``source_type: hdf5``).

``source`` is ``"file.h5:/dataset"``: a 3-D dataset ``(n, height, width)`` replayed frame by
frame, over and over, at ``frame_rate`` on the same absolute schedule as the simulation camera.
Frames are read one at a time (compressed datasets need ``hdf5plugin`` for their filters, loaded
when installed). h5py is the ``hdf5`` extra and is imported only when a file is opened.
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from camserver.errors import ConfigError, SourceError
from camserver.models.camera import Hdf5Camera
from camserver.sources.frame_clock import FrameClock
from camserver.sources.source import Frame

__all__ = ["Hdf5Source", "h5py_available", "split_source"]

_MISSING_H5PY = "HDF5 cameras need h5py: install camserver[hdf5]"


def h5py_available() -> bool:
    """Whether the ``hdf5`` extra (h5py) is installed."""
    return importlib.util.find_spec("h5py") is not None


def split_source(source: str) -> tuple[Path, str]:
    """``"file.h5:/dataset"`` -> ``(Path("file.h5"), "/dataset")``; :class:`ConfigError` otherwise."""
    file, separator, dataset = source.rpartition(":")
    if not separator or not file or not dataset.startswith("/") or dataset == "/":
        raise ConfigError(f"an hdf5 camera's source must be 'file.h5:/dataset', not {source!r}")
    return Path(file), dataset


class Hdf5Source:
    """Frames of a 3-D HDF5 dataset, cycled at ``frame_rate``; pulse ids count frame periods."""

    def __init__(
        self,
        config: Hdf5Camera,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.path, self.dataset_name = split_source(config.source)
        self._frame_clock = FrameClock(config.frame_rate or 10.0, clock=clock, sleep=sleep)
        self._file: Any = None
        self._dataset: Any = None
        self._geometry: tuple[int, int] | None = None

    @property
    def geometry(self) -> tuple[int, int] | None:
        """``(width, height)`` of the dataset's frames, once open."""
        return self._geometry

    @property
    def dropped(self) -> int:
        """Frames skipped because the reader was a whole frame period or more late."""
        return self._frame_clock.skipped

    @property
    def frames(self) -> int:
        """Frames in the dataset (0 before :meth:`open`)."""
        return int(self._dataset.shape[0]) if self._dataset is not None else 0

    def open(self) -> None:
        """Open the file and check the dataset; :class:`SourceError` says what is wrong."""
        if self._file is not None:
            return
        try:
            import h5py
        except ImportError:
            raise SourceError(_MISSING_H5PY) from None
        with contextlib.suppress(ImportError):
            import hdf5plugin  # noqa: F401  - registers the compression filters
        if not self.path.is_file():
            raise SourceError(f"HDF5 file {str(self.path)!r} does not exist")
        try:
            file = h5py.File(self.path, "r")
        except OSError as error:
            raise SourceError(f"cannot open HDF5 file {str(self.path)!r}: {error}") from None
        try:
            dataset = file.get(self.dataset_name)
            if not isinstance(dataset, h5py.Dataset):
                what = "is not a dataset" if dataset is not None else "does not exist"
                raise SourceError(f"{self.dataset_name!r} in {str(self.path)!r} {what}")
            if dataset.ndim != 3 or 0 in dataset.shape:
                raise SourceError(
                    f"{self.dataset_name!r} in {str(self.path)!r} has shape {dataset.shape}: "
                    "an hdf5 camera needs a 3-D dataset (frames, height, width) with at least one frame"
                )
            if not np.issubdtype(dataset.dtype, np.number):
                raise SourceError(f"{self.dataset_name!r} in {str(self.path)!r} holds {dataset.dtype}, not numbers")
        except BaseException:
            file.close()
            raise
        self._file, self._dataset = file, dataset
        self._geometry = (int(dataset.shape[2]), int(dataset.shape[1]))
        self._frame_clock.start()

    def read(self, timeout: float) -> Frame | None:
        """The next frame when it is due, or None if it is due later than ``timeout`` seconds."""
        if self._dataset is None:
            self.open()
        index = self._frame_clock.wait(timeout)
        if index is None:
            return None
        image = np.asarray(self._dataset[index % self.frames])
        return Frame(image=image, pulse_id=index, timestamp=self._frame_clock.timestamp(index))

    def close(self) -> None:
        """Close the file."""
        file, self._file, self._dataset = self._file, None, None
        if file is not None:
            file.close()
