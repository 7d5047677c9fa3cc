"""Writing a file so readers see the old content or the new one, never a half-written file.

The new content goes to a temporary file beside the target, is flushed to the disk, and is then
renamed over the target (an atomic step on POSIX file systems); the folder is flushed too, so the
rename survives a power cut. A process killed at any point leaves the old file, and at worst a
temporary file, which :func:`remove_temporaries` clears when a store opens its folder. A write the
disk refuses (full, read-only, no permission) raises :class:`StorageError` saying so, and keeps
the old file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from camserver.errors import StorageError

__all__ = ["remove_temporaries", "write_atomically"]

_TEMPORARY_SUFFIX = ".tmp"
_LOW_SPACE = 1 << 20
#: what an operator should hear for the usual refusals of a disk
_MEANING = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the data directory is on a read-only file system",
    errno.EACCES: "the server may not write there",
    errno.EPERM: "the server may not write there",
    errno.EFBIG: "the file is larger than the system allows",
}


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _fsync_folder(folder: Path) -> None:
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # a folder that cannot be opened (some platforms) is flushed with its file system
    try:
        with contextlib.suppress(OSError):
            os.fsync(handle)
    finally:
        os.close(handle)


def _short_write_cause(folder: Path) -> int:
    """The errno behind a write that came up short without one (numpy's ``tofile`` says only
    "n requested and m written"): a full disk, if the folder's file system has no room left."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return 0
    return errno.ENOSPC if stats.f_bavail * stats.f_frsize < _LOW_SPACE else 0


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Create ``path`` by calling ``write`` on a temporary file beside it, then renaming it over.

    The file gets the permissions a plain ``open`` would give it (0666 minus the umask). Raises
    :class:`StorageError` when the disk refuses the write; the previous file is then unchanged.
    """
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_TEMPORARY_SUFFIX)
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
        temporary = None
        _fsync_folder(path.parent)
    except OSError as error:
        if isinstance(error, StorageError):
            raise
        code = error.errno or _short_write_cause(path.parent)
        meaning = _MEANING.get(code, error.strerror or str(error))
        raise StorageError(
            f"cannot write {path.name} in {path.parent}: {meaning} ({error.strerror or error}); "
            "the previous version is kept"
        ) from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                Path(temporary).unlink()


def remove_temporaries(folder: Path) -> list[Path]:
    """Remove what writes interrupted by a killed process left in ``folder``; returns them."""
    removed = []
    with contextlib.suppress(OSError):
        for candidate in folder.glob(f".*{_TEMPORARY_SUFFIX}"):
            with contextlib.suppress(OSError):
                candidate.unlink()
                removed.append(candidate)
    return removed
