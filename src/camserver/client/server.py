"""``client.server``: the server itself: version, load and instances, heartbeat, logs, nodes.

``/info`` and ``/heartbeat`` exist under both prefixes, each about its own kind of instance;
``kind`` chooses (cameras by default, as CamServer's ``CamClient``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from camserver.client.call import Call, Reply, segment
from camserver.client.envelope import parsed, text_of
from camserver.client.reports import Heartbeat, InstanceReport, LogRecords, ServerReport
from camserver.errors import ConfigError
from camserver.models.instance import InstanceKind
from camserver.models.node import NodeList
from camserver.models.replies import HeartbeatReply, LogsReply, NodesReply, ServerInfoReply, VersionReply

__all__ = ["AsyncServer", "Heartbeat", "Server", "ServerCalls"]

T = TypeVar("T")

_PREFIXES = {InstanceKind.CAMERA: "/api/v1/cam", InstanceKind.PIPELINE: "/api/v1/pipeline"}


def _kind(kind: InstanceKind | str) -> InstanceKind:
    try:
        return InstanceKind(kind)
    except ValueError:
        raise ConfigError(f"unknown instance kind {kind!r}; use 'camera' or 'pipeline'") from None


class ServerCalls:
    """The calls of the server-wide routes."""

    @staticmethod
    def version() -> Call[str]:
        """The server's version."""
        return Call("GET", "/api/v1/cam/version", lambda reply: parsed(VersionReply)(reply).version)

    @staticmethod
    def info(kind: InstanceKind | str = InstanceKind.CAMERA) -> Call[ServerReport]:
        """Version, host load and the active instances of ``kind``."""
        chosen = _kind(kind)

        def parse(reply: Reply) -> ServerReport:
            return parsed(ServerInfoReply)(reply).info.identified(chosen)

        return Call("GET", f"{_PREFIXES[chosen]}/info", parse)

    @staticmethod
    def instances(kind: InstanceKind | str) -> Call[dict[str, InstanceReport]]:
        """The active instances of ``kind``, by id."""
        chosen = _kind(kind)

        def parse(reply: Reply) -> dict[str, InstanceReport]:
            return parsed(ServerInfoReply)(reply).info.identified(chosen).active_instances

        return Call("GET", f"{_PREFIXES[chosen]}/info", parse)

    @staticmethod
    def instance_logs(name: str) -> Call[LogRecords]:
        """The recent log records of the instance called ``name``."""
        return Call("GET", f"/api/v1/logs/instance/{segment(name)}", lambda reply: parsed(LogsReply)(reply).logs)

    @staticmethod
    def heartbeat(kind: InstanceKind | str = InstanceKind.CAMERA) -> Call[Heartbeat]:
        """Figures of every running instance of ``kind``, as numbers."""
        return Call("GET", f"{_PREFIXES[_kind(kind)]}/heartbeat", lambda reply: parsed(HeartbeatReply)(reply).instances)

    @staticmethod
    def logs() -> Call[LogRecords]:
        """The server's recent log records."""
        return Call("GET", "/api/v1/logs", lambda reply: parsed(LogsReply)(reply).logs)

    @staticmethod
    def logs_text() -> Call[str]:
        """The server's recent log records as text, one per line."""
        return Call("GET", "/api/v1/logs/txt", text_of)

    @staticmethod
    def nodes() -> Call[NodeList]:
        """The backend and the nodes instances run on, with their capacity and load (camserver only)."""
        return Call("GET", "/api/v1/nodes", parsed(NodesReply))


class Server:
    """The server, over a sync :class:`~camserver.client.Client` (``client.server``)."""

    def __init__(self, send: Callable[[Call[Any]], Any]) -> None:
        self._send = send

    def version(self) -> str:
        """The server's version."""
        return self._call(ServerCalls.version())

    def info(self, kind: InstanceKind | str = InstanceKind.CAMERA) -> ServerReport:
        """Version, host load and the active instances of ``kind``."""
        return self._call(ServerCalls.info(kind))

    def heartbeat(self, kind: InstanceKind | str = InstanceKind.CAMERA) -> Heartbeat:
        """Figures of every running instance of ``kind``, as numbers."""
        return self._call(ServerCalls.heartbeat(kind))

    def logs(self) -> LogRecords:
        """The server's recent log records."""
        return self._call(ServerCalls.logs())

    def logs_text(self) -> str:
        """The server's recent log records as text, one per line."""
        return self._call(ServerCalls.logs_text())

    def nodes(self) -> NodeList:
        """The backend and the nodes instances run on, with their capacity and load (camserver only)."""
        return self._call(ServerCalls.nodes())

    def _call(self, call: Call[T]) -> T:
        result: T = self._send(call)
        return result


class AsyncServer:
    """The server, over an :class:`~camserver.client.AsyncClient` (``client.server``)."""

    def __init__(self, send: Callable[[Call[Any]], Awaitable[Any]]) -> None:
        self._send = send

    async def version(self) -> str:
        """The server's version."""
        return await self._call(ServerCalls.version())

    async def info(self, kind: InstanceKind | str = InstanceKind.CAMERA) -> ServerReport:
        """Version, host load and the active instances of ``kind``."""
        return await self._call(ServerCalls.info(kind))

    async def heartbeat(self, kind: InstanceKind | str = InstanceKind.CAMERA) -> Heartbeat:
        """Figures of every running instance of ``kind``, as numbers."""
        return await self._call(ServerCalls.heartbeat(kind))

    async def logs(self) -> LogRecords:
        """The server's recent log records."""
        return await self._call(ServerCalls.logs())

    async def logs_text(self) -> str:
        """The server's recent log records as text, one per line."""
        return await self._call(ServerCalls.logs_text())

    async def nodes(self) -> NodeList:
        """The backend and the nodes instances run on, with their capacity and load (camserver only)."""
        return await self._call(ServerCalls.nodes())

    async def _call(self, call: Call[T]) -> T:
        result: T = await self._send(call)
        return result
