"""Stream ports for instances, from a range, preferring the port an instance had before."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from camserver.errors import Conflict, StorageError
from camserver.models.instance import ExitCode, InstanceInfo, InstanceSpec
from camserver.service.atomic_file import write_atomically

logger = logging.getLogger("camserver.ports")

__all__ = ["PORT_ATTEMPTS", "PortAllocator", "port_taken"]

#: how often an instance is started on a newly allocated port when its port was taken meanwhile
PORT_ATTEMPTS = 3


def port_taken(spec: InstanceSpec, info: InstanceInfo) -> bool:
    """True if the instance of ``spec`` failed because another socket took the port allocated to
    it (not one its config fixes) between the allocation and its bind."""
    fixed = spec.config.get("port")
    return info.exit_code == ExitCode.PORT_IN_USE and spec.port is not None and spec.port != fixed


class PortAllocator:
    """Hands out ports of ``[first, last)`` that nothing on ``host`` listens on.

    An instance gets its previous port back when that port is still free, so a restarted camera
    keeps its stream address and connected clients reconnect by themselves. "Free" is what a
    stream's own bind needs: the probe binds with ``SO_REUSEADDR``, as ZMQ does, so connections of
    the previous instance still in TIME-WAIT do not count as a listener (only a socket that listens
    on the port does). With ``memory`` (a JSON file) the last ``remembered`` assignments outlive
    the server: after a restart of the server its instances come back on the addresses clients know.
    """

    def __init__(
        self, first: int, last: int, *, host: str = "127.0.0.1", memory: Path | None = None, remembered: int = 1000
    ) -> None:
        self.first, self.last, self.host = first, last, host
        self._used: dict[int, str] = {}
        self._taken_at: dict[int, float] = {}
        self._memory = memory
        self._remembered = remembered
        self._last: dict[str, int] = self._recall()
        self._next = first
        self._lock = threading.Lock()

    def _recall(self) -> dict[str, int]:
        if self._memory is None:
            return {}
        try:
            stored = json.loads(self._memory.read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(stored, dict):
            return {}
        return {str(owner): port for owner, port in stored.items() if isinstance(port, int)}

    def _remember(self, owner: str, port: int) -> None:
        if self._last.get(owner) == port:
            return
        self._last.pop(owner, None)
        self._last[owner] = port  # the newest last: the oldest are forgotten first
        while len(self._last) > self._remembered:
            del self._last[next(iter(self._last))]
        if self._memory is None:
            return
        text = json.dumps(self._last, indent=1).encode()
        try:
            write_atomically(self._memory, lambda stream: stream.write(text))
        except StorageError as error:  # a full or read-only disk costs only the memory of ports
            logger.warning("stream ports not remembered: %s", error)

    def _free(self, port: int) -> bool:
        if port in self._used:
            return False
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # as ZMQ binds: a port whose last connections linger in TIME_WAIT (a killed instance's)
            # is free, a port something listens on is not
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.host if self.host not in ("", "*") else "0.0.0.0", port))
            except OSError:
                return False
        return True

    def allocate(self, owner: str, *, preferred: int | None = None) -> int:
        """A free port for ``owner``; raises :class:`Conflict` when the range is exhausted.

        An owner holds one port at a time: asking again (a restart) gives back the old one first.
        """
        with self._lock:
            for port in [port for port, holder in self._used.items() if holder == owner]:
                self._drop(port)
            for candidate in (preferred, self._last.get(owner)):
                if candidate is not None and self._free(candidate):
                    return self._take(owner, candidate)
            for _ in range(self.last - self.first):
                candidate = self._next
                self._next = self.first + (self._next + 1 - self.first) % (self.last - self.first)
                if self._free(candidate):
                    return self._take(owner, candidate)
        raise Conflict("All ports are used. Stop some instances before opening a new stream.")

    def taken_elsewhere(self, owner: str, port: int) -> None:
        """Another socket took ``port`` between its allocation to ``owner`` and the bind (another
        program, another server on this host): give it up, and do not prefer it for ``owner`` again."""
        with self._lock:
            if self._used.get(port) == owner:
                self._drop(port)
            if self._last.get(owner) == port:
                del self._last[owner]

    def _take(self, owner: str, port: int) -> int:
        self._used[port] = owner
        self._taken_at[port] = time.monotonic()
        self._remember(owner, port)
        return port

    def claim(self, owner: str, port: int) -> None:
        """Record that ``owner`` holds ``port`` already (an instance that runs since before this
        server started), without checking it."""
        with self._lock:
            self._take(owner, port)

    def release(self, owner: str) -> None:
        """Give back every port ``owner`` holds."""
        with self._lock:
            for port in [port for port, holder in self._used.items() if holder == owner]:
                self._drop(port)

    def reclaim(self, is_active: Callable[[str], bool], *, grace: float = 60.0) -> None:
        """Give back the ports of owners that ended (allocated more than ``grace`` s ago, so an
        instance that is still starting keeps its port)."""
        now = time.monotonic()
        with self._lock:
            for port, owner in list(self._used.items()):
                if now - self._taken_at.get(port, now) > grace and not is_active(owner):
                    self._drop(port)

    def _drop(self, port: int) -> None:
        self._used.pop(port, None)
        self._taken_at.pop(port, None)
