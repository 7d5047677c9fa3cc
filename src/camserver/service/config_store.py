"""Named configs kept as JSON files, one per name, written atomically."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Protocol

from camserver.errors import ConfigError, NotFound, StorageError
from camserver.models.config_model import check_name
from camserver.service.atomic_file import remove_temporaries, write_atomically

__all__ = ["ConfigStore", "FileConfigStore", "write_json_atomically"]

#: files in a config folder that are not named configs (CamServer's conventions)
_NOT_CONFIGS = ("permanent_instances.json", "servers.json")
_NOT_CONFIG_SUFFIXES = ("_parameters.json", "_background.json")


def write_json_atomically(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` so a reader sees the old file or the new one, never half."""
    text = json.dumps(data, indent=1) + "\n"
    write_atomically(path, lambda stream: stream.write(text.encode()))


class ConfigStore(Protocol):
    """Where named configs live. ``get`` raises the store's :class:`NotFound` subclass."""

    def names(self) -> list[str]: ...

    def exists(self, name: str) -> bool: ...

    def get(self, name: str) -> dict[str, Any]: ...

    def set(self, name: str, config: dict[str, Any]) -> None: ...

    def delete(self, name: str) -> None: ...


class FileConfigStore:
    """A folder of ``<name>.json`` files, CamServer's layout; ``name`` is forced into each file."""

    def __init__(self, folder: Path, *, not_found: type[NotFound], kind: str) -> None:
        self.folder = folder
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(f"cannot create the {kind} config folder {folder}: {error.strerror}") from None
        remove_temporaries(folder)
        self._not_found = not_found
        self._kind = kind
        self._lock = threading.Lock()

    def _path(self, name: str) -> Path:
        return self.folder / f"{check_name(name, what=f'{self._kind} name')}.json"

    def names(self) -> list[str]:
        return sorted(
            path.stem
            for path in self.folder.glob("*.json")
            if path.name not in _NOT_CONFIGS and not path.name.endswith(_NOT_CONFIG_SUFFIXES)
        )

    def exists(self, name: str) -> bool:
        try:
            return self._path(name).is_file()
        except ConfigError:
            return False

    def get(self, name: str) -> dict[str, Any]:
        path = self._path(name)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise self._not_found(f"Config '{name}' does not exist.") from None
        try:
            data = json.loads(content)  # JSON is UTF-8, whatever the locale
        except ValueError as error:  # also UnicodeDecodeError
            raise ConfigError(f"{self._kind} config file {path.name} is not valid JSON: {error}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{self._kind} config file {path.name} does not hold a JSON object")
        data["name"] = name
        return data

    def set(self, name: str, config: dict[str, Any]) -> None:
        path = self._path(name)
        with self._lock:
            write_json_atomically(path, {**config, "name": name})

    def delete(self, name: str) -> None:
        path = self._path(name)
        with self._lock:
            try:
                path.unlink()
            except FileNotFoundError:
                raise self._not_found(f"Config '{name}' does not exist.") from None
            except OSError as error:
                raise StorageError(f"cannot delete {self._kind} config '{name}': {error.strerror}") from None
