"""The server's placement: the two ``servers.json`` pools (cameras', pipelines'), applied to the
nodes the backend has now.

On the local backend there is one node and nothing to choose: only the ports ``servers.json``
fixes for instances (``"name:port"``) are kept. On a cluster every start is placed by
:func:`camserver.service.placement.place`.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from camserver.backends import Backend
from camserver.backends.placement import Placement
from camserver.errors import ConfigError
from camserver.service.config_store import write_json_atomically
from camserver.service.placement import PlacementRequest, place
from camserver.service.server_pool import ServerPool

__all__ = ["Placer"]

logger = logging.getLogger("camserver.placement")


class Placer:
    """Places instances of both kinds by their ``servers.json`` (``camera``/``pipeline``)."""

    def __init__(self, backend: Backend, files: dict[str, Path]) -> None:
        self.backend = backend
        self.files = files
        self._raw: dict[str, dict[str, Any]] = {}
        self._pools: dict[str, ServerPool] = {}
        self._lock = threading.Lock()
        for kind, path in files.items():
            self._load(kind, path)

    @property
    def clustered(self) -> bool:
        """Whether instances are placed on nodes (not the local backend's one host)."""
        return self.backend.name != "local"

    def _load(self, kind: str, path: Path) -> None:
        data: dict[str, Any] = {}
        if path.is_file():
            try:
                loaded = json.loads(path.read_bytes())
                pool = ServerPool.from_json(loaded)
            except (OSError, ValueError) as error:  # ConfigError is a ValueError
                logger.error("%s is not used: %s", path, error)
                pool = ServerPool()
            else:
                data = loaded
                for problem in pool.problems:
                    logger.warning("%s: %s", path, problem)
        else:
            pool = ServerPool()
        self._raw[kind], self._pools[kind] = data, pool

    def pool(self, kind: str) -> ServerPool:
        """The pool of ``kind``'s ``servers.json`` (empty without one)."""
        with self._lock:
            return self._pools[kind]

    def config(self, kind: str) -> dict[str, Any]:
        """``kind``'s ``servers.json`` as it was given."""
        with self._lock:
            return self._raw[kind]

    def set_config(self, kind: str, data: Any) -> dict[str, Any]:
        """Replace ``kind``'s ``servers.json`` (and its file); later placements follow it. Raises
        :class:`ConfigError` naming the problems of rules that cannot be used."""
        pool = ServerPool.from_json(data)
        problems = pool.check()
        if problems:
            raise ConfigError("servers.json not changed: " + "; ".join(problems))
        write_json_atomically(self.files[kind], data)
        with self._lock:
            self._raw[kind], self._pools[kind] = dict(data), pool
        logger.info("%s servers.json replaced: %d servers", kind, len(pool.servers))
        return dict(data)

    def fixed_port(self, kind: str, *names: str | None) -> int | None:
        """The port ``servers.json`` fixes for an instance of one of ``names``, if any."""
        return self.pool(kind).fixed_port(*names)

    def pinned_server(self, kind: str, *names: str | None, camera: str | None = None) -> str | None:
        """The server an instance of ``names`` (a pipeline of ``camera``) is fixed to, if any."""
        if not self.clustered:
            return None
        pool = self.pool(kind)
        fixed = pool.fixed(*names)
        if fixed is not None:
            return fixed[0]
        return pool.camera_server(camera) if kind == "pipeline" else None

    def place(self, request: PlacementRequest) -> Placement | None:
        """Where ``request`` starts; None on the local backend. Raises :class:`PlacementError`."""
        if not self.clustered:
            return None
        placement = place(request, self.pool(request.kind), self.backend.nodes())
        logger.info("%s: %s", request.subject, placement.reason)
        return placement
