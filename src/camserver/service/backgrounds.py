"""Background images: versioned ``.npy`` files, ``<camera>_YYYYmmdd_HHMMSS_ffffff``."""

from __future__ import annotations

import io
import re
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from camserver.errors import BackgroundNotFound, ConfigError, StorageError
from camserver.models.config_model import check_name
from camserver.service.atomic_file import remove_temporaries, write_atomically
from camserver.service.pickled_array import array_from_pickle

__all__ = ["BackgroundStore", "array_from_npy_bytes", "array_from_upload"]

_NPY_MAGIC = b"\x93NUMPY"
_MAX_UPLOAD_BYTES = 1 << 30
_STAMP = r"\d{8}_\d{6}_\d{6}"


def _checked(array: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    if array.ndim != 2 or array.dtype.kind not in "uif":
        raise ConfigError(f"a background is a 2-D numeric image, not {array.ndim}-D {array.dtype}")
    return array


def array_from_npy_bytes(payload: bytes) -> np.ndarray[Any, Any]:
    """The array in ``.npy`` bytes (``numpy.save``); a pickle inside the ``.npy`` is refused."""
    if len(payload) > _MAX_UPLOAD_BYTES:
        raise ConfigError(f"background upload of {len(payload)} bytes exceeds {_MAX_UPLOAD_BYTES}")
    if not payload.startswith(_NPY_MAGIC):
        raise ConfigError("the upload is not .npy bytes (numpy.save format)")
    try:
        array: np.ndarray[Any, Any] = np.load(io.BytesIO(payload), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ConfigError(f"the .npy bytes cannot be read: {error}") from None
    return _checked(array)


def array_from_upload(payload: bytes) -> np.ndarray[Any, Any]:
    """A background upload: ``.npy`` bytes (the documented format), or a pickled numpy array as
    psi-camserver-client's ``set_background_image_array`` sends it, read by an unpickler that
    builds nothing but a numeric array (:mod:`camserver.service.pickled_array`)."""
    if len(payload) > _MAX_UPLOAD_BYTES:
        raise ConfigError(f"background upload of {len(payload)} bytes exceeds {_MAX_UPLOAD_BYTES}")
    if payload.startswith(_NPY_MAGIC):
        return array_from_npy_bytes(payload)
    try:
        array = array_from_pickle(payload)
    except ConfigError as error:
        raise ConfigError(f"{error}. Upload .npy bytes (numpy.save) or a pickled numeric array") from None
    return _checked(array)


class BackgroundStore:
    """A folder of background images. Ids are file stems; "latest" matches the camera name exactly
    (a camera ``cam`` never picks up ``cam_x``'s backgrounds)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(f"cannot create the background folder {folder}: {error.strerror}") from None
        remove_temporaries(folder)
        self._lock = threading.Lock()

    def path(self, background_id: str) -> Path:
        """The file of a background; raises :class:`BackgroundNotFound`."""
        path = self.folder / f"{check_name(background_id, what='background id')}.npy"
        if not path.is_file():
            raise BackgroundNotFound(f"Background '{background_id}' does not exist.")
        return path

    def load(self, background_id: str) -> np.ndarray[Any, Any]:
        """The background image."""
        path = self.path(background_id)
        try:
            array: np.ndarray[Any, Any] = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:  # EOFError: an empty file
            raise ConfigError(f"background file {path.name} cannot be read: {error}") from None
        return array

    def ids(self, camera: str) -> list[str]:
        """Ids of the camera's collected backgrounds, oldest first."""
        pattern = re.compile(rf"^{re.escape(camera)}_{_STAMP}$")
        return sorted(path.stem for path in self.folder.glob("*.npy") if pattern.match(path.stem))

    def latest(self, camera: str) -> str:
        """Id of the camera's newest background."""
        ids = self.ids(camera)
        if not ids:
            raise BackgroundNotFound(f"No background for camera '{camera}'.")
        return ids[-1]

    def save(self, background_id: str, image: np.ndarray[Any, Any]) -> str:
        """Store ``image`` under ``background_id`` (atomically); returns the id."""
        path = self.folder / f"{check_name(background_id, what='background id')}.npy"
        array = np.ascontiguousarray(image)
        with self._lock:
            write_atomically(path, lambda stream: np.save(stream, array, allow_pickle=False))
        return background_id

    def new_id(self, camera: str) -> str:
        """A fresh id for a background of ``camera``, stamped now."""
        check_name(camera, what="camera name")
        return f"{camera}_{datetime.now():%Y%m%d_%H%M%S_%f}"
