"""User scripts and libraries: uploaded Python functions (and the files they import)."""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import Any

from camserver.errors import PermissionDenied, ScriptNotFound, StorageError
from camserver.models.config_model import check_name
from camserver.service.atomic_file import remove_temporaries, write_atomically

__all__ = ["ScriptStore"]

_MAX_BYTES = 64 * 1024 * 1024
_SCRIPT_SUFFIXES = (".py", ".c")


class ScriptStore:
    """``<folder>/<name>`` scripts and ``<folder>/lib/<name>`` libraries.

    Reading is always possible; writing and deleting only where the server allows user scripts,
    since an uploaded function runs with the server's rights.
    """

    def __init__(self, folder: Path, *, allowed: bool) -> None:
        self.folder = folder
        self.libraries = folder / "lib"
        self.allowed = allowed
        self._lock = threading.Lock()
        if allowed:
            try:
                self.libraries.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StorageError(f"cannot create the user-script folder {self.libraries}: {error.strerror}") from None
            remove_temporaries(folder)
            remove_temporaries(self.libraries)

    def _check_allowed(self) -> None:
        if not self.allowed:
            raise PermissionDenied("user scripts are not allowed on this server (start it with --allow-user-scripts)")

    @staticmethod
    def _path(folder: Path, name: str) -> Path:
        check_name(name, what="script name")
        return folder / name

    def scripts(self) -> list[str]:
        """Names of the uploaded scripts (``.py``, and ``.c`` kept from CamServer folders)."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if p.is_file() and p.suffix in _SCRIPT_SUFFIXES)

    def libs(self) -> list[str]:
        """Names of the uploaded libraries."""
        if not self.libraries.is_dir():
            return []
        return sorted(p.name for p in self.libraries.iterdir() if p.is_file())

    def _read(self, folder: Path, name: str, what: str) -> bytes:
        path = self._path(folder, name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise ScriptNotFound(f"{what} '{name}' does not exist.") from None

    def _write(self, folder: Path, name: str, content: bytes) -> None:
        self._check_allowed()
        if len(content) > _MAX_BYTES:
            raise PermissionDenied(f"uploads are limited to {_MAX_BYTES} bytes")
        path = self._path(folder, name)
        with self._lock:
            write_atomically(path, lambda stream: stream.write(content))

    def _delete(self, folder: Path, name: str, what: str) -> None:
        self._check_allowed()
        try:
            self._path(folder, name).unlink()
        except FileNotFoundError:
            raise ScriptNotFound(f"{what} '{name}' does not exist.") from None
        except OSError as error:
            raise StorageError(f"cannot delete {what.lower()} '{name}': {error.strerror}") from None

    def get_script(self, name: str) -> str:
        """A script's text."""
        return self._read(self.folder, name, "Script").decode("utf-8", errors="replace")

    def set_script(self, name: str, content: bytes) -> None:
        """Store a script (a ``.py`` file defining ``process_image`` or ``process``)."""
        self._write(self.folder, name, content)

    def delete_script(self, name: str) -> None:
        """Delete a script."""
        self._delete(self.folder, name, "Script")

    def get_lib(self, name: str) -> dict[str, Any]:
        """A library: text if it is UTF-8, else base64 with ``base64: true`` (CamServer's form)."""
        content = self._read(self.libraries, name, "Library")
        try:
            return {"lib": content.decode("utf-8")}
        except UnicodeDecodeError:
            return {"lib": base64.b64encode(content).decode(), "base64": True}

    def set_lib(self, name: str, content: bytes) -> None:
        """Store a library file."""
        self._write(self.libraries, name, content)

    def delete_lib(self, name: str) -> None:
        """Delete a library file."""
        self._delete(self.libraries, name, "Library")
