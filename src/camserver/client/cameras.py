"""``client.cameras``: the routes under ``/api/v1/cam`` (CamServer's camera server).

:class:`CameraCalls` builds the calls (sans-I/O); :class:`Cameras` and :class:`AsyncCameras`
send them with a :class:`~camserver.client.Client` or an :class:`~camserver.client.AsyncClient`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import numpy as np

from camserver.client.call import GRAB_TIME, START_TIME, STOP_TIME, Call, Reply, config_body, segment
from camserver.client.envelope import content_of, nothing, parsed
from camserver.client.image_payload import array_from_payload
from camserver.client.reports import Groups, InstanceReport, LogRecords, Names
from camserver.client.server import ServerCalls
from camserver.models.camera import CameraConfig
from camserver.models.instance import InstanceKind
from camserver.models.replies import (
    AliasesReply,
    CameraNamesReply,
    ConfigReply,
    GeometryReply,
    GroupsReply,
    ImageReply,
    InstanceInfoReply,
    OnlineReply,
    StreamReply,
)

__all__ = ["AsyncCameras", "CameraCalls", "Cameras"]

T = TypeVar("T")
PREFIX = "/api/v1/cam"


def _camera_config(reply: Reply) -> CameraConfig:
    return CameraConfig.load(parsed(ConfigReply)(reply).config)


def _image_options(
    raw: bool, scale: float | None, min_value: float | None, max_value: float | None, colormap: str | None
) -> dict[str, str]:
    options = {"raw": "true" if raw else None, "scale": scale, "min_value": min_value, "max_value": max_value}
    params = {key: str(value) for key, value in options.items() if value is not None}
    if colormap:
        params["colormap"] = colormap
    return params


class CameraCalls:
    """The calls of the camera routes."""

    @staticmethod
    def list() -> Call[Names]:
        """Names of all cameras."""
        return Call("GET", PREFIX, lambda reply: parsed(CameraNamesReply)(reply).cameras)

    @staticmethod
    def aliases() -> Call[dict[str, str]]:
        """``{alias: camera}``."""
        return Call("GET", f"{PREFIX}/aliases", lambda reply: parsed(AliasesReply)(reply).aliases)

    @staticmethod
    def groups() -> Call[Groups]:
        """``{group: [cameras]}``."""
        return Call("GET", f"{PREFIX}/groups", lambda reply: parsed(GroupsReply)(reply).groups)

    @staticmethod
    def config(name: str) -> Call[CameraConfig]:
        """A camera's config, every default filled in."""
        return Call("GET", f"{PREFIX}/{segment(name)}/config", _camera_config)

    @staticmethod
    def set_config(name: str, config: CameraConfig | Mapping[str, Any]) -> Call[CameraConfig]:
        """Save a complete config (a running instance applies it); the saved config."""
        return Call("POST", f"{PREFIX}/{segment(name)}/config", _camera_config, json=config_body(config))

    @staticmethod
    def delete_config(name: str) -> Call[None]:
        """Delete a camera's config."""
        return Call("DELETE", f"{PREFIX}/{segment(name)}/config", nothing)

    @staticmethod
    def stream(name: str) -> Call[str]:
        """The camera's stream address, its instance started if needed."""
        return Call(
            "GET", f"{PREFIX}/{segment(name)}", lambda reply: parsed(StreamReply)(reply).stream, server_time=START_TIME
        )

    @staticmethod
    def stream_addresses(name: str, node: str | None = None) -> Call[StreamReply]:
        """The camera's stream address and its local stream (shared memory, for readers on the
        camera's host, or on a cluster its ``node``; None if it has none), its instance started if needed."""
        params = {"node": node} if node else {}
        return Call("GET", f"{PREFIX}/{segment(name)}", parsed(StreamReply), params=params, server_time=START_TIME)

    @staticmethod
    def is_online(name: str) -> Call[bool]:
        """Whether the camera's source answers."""
        return Call(
            "GET",
            f"{PREFIX}/{segment(name)}/is_online",
            lambda reply: parsed(OnlineReply)(reply).online,
            server_time=GRAB_TIME,
        )

    @staticmethod
    def geometry(name: str) -> Call[tuple[int, int]]:
        """``(width, height)`` of the camera's images after its transforms."""
        return Call(
            "GET",
            f"{PREFIX}/{segment(name)}/geometry",
            lambda reply: parsed(GeometryReply)(reply).geometry,
            server_time=GRAB_TIME,
        )

    @staticmethod
    def image(
        name: str,
        *,
        raw: bool = False,
        scale: float | None = None,
        min_value: float | None = None,
        max_value: float | None = None,
        colormap: str | None = None,
    ) -> Call[bytes]:
        """One image as PNG bytes (``raw``: before the camera's transforms)."""
        params = _image_options(raw, scale, min_value, max_value, colormap)
        return Call("GET", f"{PREFIX}/{segment(name)}/image", content_of, params=params, server_time=GRAB_TIME)

    @staticmethod
    def array(name: str) -> Call[np.ndarray[Any, Any]]:
        """One image as a numpy array."""
        return Call(
            "GET",
            f"{PREFIX}/{segment(name)}/image_bytes",
            lambda reply: array_from_payload(parsed(ImageReply)(reply).image),
            server_time=GRAB_TIME,
        )

    @staticmethod
    def stop(name: str) -> Call[None]:
        """Stop the camera's instance."""
        return Call("DELETE", f"{PREFIX}/{segment(name)}", nothing, server_time=STOP_TIME)

    @staticmethod
    def delete(name: str) -> Call[None]:
        """Stop the camera's instance and forget it (its port is freed)."""
        return Call("DELETE", f"{PREFIX}/{segment(name)}/del", nothing, server_time=STOP_TIME)

    @staticmethod
    def stop_all() -> Call[None]:
        """Stop every camera instance."""
        return Call("DELETE", PREFIX, nothing, server_time=STOP_TIME)

    @staticmethod
    def info(name: str) -> Call[InstanceReport]:
        """The camera's instance: state, statistics, config."""
        return Call(
            "GET",
            f"{PREFIX}/{segment(name)}/info",
            lambda reply: parsed(InstanceInfoReply)(reply).info.identified(name, InstanceKind.CAMERA),
        )

    @staticmethod
    def instances() -> Call[dict[str, InstanceReport]]:
        """Running camera instances by name."""
        return ServerCalls.instances(InstanceKind.CAMERA)

    @staticmethod
    def logs(name: str) -> Call[LogRecords]:
        """The instance's recent log records."""
        return ServerCalls.instance_logs(name)


class Cameras:
    """Cameras of a server, over a sync :class:`~camserver.client.Client` (``client.cameras``)."""

    def __init__(self, send: Callable[[Call[Any]], Any]) -> None:
        self._send = send

    def list(self) -> Names:
        """Names of all cameras."""
        return self._call(CameraCalls.list())

    def aliases(self) -> dict[str, str]:
        """``{alias: camera}``."""
        return self._call(CameraCalls.aliases())

    def groups(self) -> Groups:
        """``{group: [cameras]}``."""
        return self._call(CameraCalls.groups())

    def config(self, name: str) -> CameraConfig:
        """A camera's config, every default filled in."""
        return self._call(CameraCalls.config(name))

    def set_config(self, name: str, config: CameraConfig | Mapping[str, Any]) -> CameraConfig:
        """Save a complete config (a running instance applies it); the saved config."""
        return self._call(CameraCalls.set_config(name, config))

    def delete_config(self, name: str) -> None:
        """Delete a camera's config."""
        self._call(CameraCalls.delete_config(name))

    def stream(self, name: str) -> str:
        """The camera's stream address, its instance started if needed."""
        return self._call(CameraCalls.stream(name))

    def stream_addresses(self, name: str, *, node: str | None = None) -> StreamReply:
        """The camera's stream address and its local stream (``local_stream``, None if none; on a
        cluster, only for a reader on ``node`` when it is the camera's)."""
        return self._call(CameraCalls.stream_addresses(name, node))

    def is_online(self, name: str) -> bool:
        """Whether the camera's source answers."""
        return self._call(CameraCalls.is_online(name))

    def geometry(self, name: str) -> tuple[int, int]:
        """``(width, height)`` of the camera's images after its transforms."""
        return self._call(CameraCalls.geometry(name))

    def image(
        self,
        name: str,
        *,
        raw: bool = False,
        scale: float | None = None,
        min_value: float | None = None,
        max_value: float | None = None,
        colormap: str | None = None,
    ) -> bytes:
        """One image as PNG bytes (``raw``: before the camera's transforms)."""
        call = CameraCalls.image(
            name, raw=raw, scale=scale, min_value=min_value, max_value=max_value, colormap=colormap
        )
        return self._call(call)

    def array(self, name: str) -> np.ndarray[Any, Any]:
        """One image as a numpy array."""
        return self._call(CameraCalls.array(name))

    def stop(self, name: str) -> None:
        """Stop the camera's instance."""
        self._call(CameraCalls.stop(name))

    def delete(self, name: str) -> None:
        """Stop the camera's instance and forget it (its port is freed)."""
        self._call(CameraCalls.delete(name))

    def stop_all(self) -> None:
        """Stop every camera instance."""
        self._call(CameraCalls.stop_all())

    def info(self, name: str) -> InstanceReport:
        """The camera's instance: state, statistics, config."""
        return self._call(CameraCalls.info(name))

    def instances(self) -> dict[str, InstanceReport]:
        """Running camera instances by name."""
        return self._call(CameraCalls.instances())

    def logs(self, name: str) -> LogRecords:
        """The instance's recent log records."""
        return self._call(CameraCalls.logs(name))

    def _call(self, call: Call[T]) -> T:
        result: T = self._send(call)
        return result


class AsyncCameras:
    """Cameras of a server, over an :class:`~camserver.client.AsyncClient` (``client.cameras``)."""

    def __init__(self, send: Callable[[Call[Any]], Awaitable[Any]]) -> None:
        self._send = send

    async def list(self) -> Names:
        """Names of all cameras."""
        return await self._call(CameraCalls.list())

    async def aliases(self) -> dict[str, str]:
        """``{alias: camera}``."""
        return await self._call(CameraCalls.aliases())

    async def groups(self) -> Groups:
        """``{group: [cameras]}``."""
        return await self._call(CameraCalls.groups())

    async def config(self, name: str) -> CameraConfig:
        """A camera's config, every default filled in."""
        return await self._call(CameraCalls.config(name))

    async def set_config(self, name: str, config: CameraConfig | Mapping[str, Any]) -> CameraConfig:
        """Save a complete config (a running instance applies it); the saved config."""
        return await self._call(CameraCalls.set_config(name, config))

    async def delete_config(self, name: str) -> None:
        """Delete a camera's config."""
        await self._call(CameraCalls.delete_config(name))

    async def stream(self, name: str) -> str:
        """The camera's stream address, its instance started if needed."""
        return await self._call(CameraCalls.stream(name))

    async def stream_addresses(self, name: str, *, node: str | None = None) -> StreamReply:
        """The camera's stream address and its local stream (``local_stream``, None if none; on a
        cluster, only for a reader on ``node`` when it is the camera's)."""
        return await self._call(CameraCalls.stream_addresses(name, node))

    async def is_online(self, name: str) -> bool:
        """Whether the camera's source answers."""
        return await self._call(CameraCalls.is_online(name))

    async def geometry(self, name: str) -> tuple[int, int]:
        """``(width, height)`` of the camera's images after its transforms."""
        return await self._call(CameraCalls.geometry(name))

    async def image(
        self,
        name: str,
        *,
        raw: bool = False,
        scale: float | None = None,
        min_value: float | None = None,
        max_value: float | None = None,
        colormap: str | None = None,
    ) -> bytes:
        """One image as PNG bytes (``raw``: before the camera's transforms)."""
        call = CameraCalls.image(
            name, raw=raw, scale=scale, min_value=min_value, max_value=max_value, colormap=colormap
        )
        return await self._call(call)

    async def array(self, name: str) -> np.ndarray[Any, Any]:
        """One image as a numpy array."""
        return await self._call(CameraCalls.array(name))

    async def stop(self, name: str) -> None:
        """Stop the camera's instance."""
        await self._call(CameraCalls.stop(name))

    async def delete(self, name: str) -> None:
        """Stop the camera's instance and forget it (its port is freed)."""
        await self._call(CameraCalls.delete(name))

    async def stop_all(self) -> None:
        """Stop every camera instance."""
        await self._call(CameraCalls.stop_all())

    async def info(self, name: str) -> InstanceReport:
        """The camera's instance: state, statistics, config."""
        return await self._call(CameraCalls.info(name))

    async def instances(self) -> dict[str, InstanceReport]:
        """Running camera instances by name."""
        return await self._call(CameraCalls.instances())

    async def logs(self, name: str) -> LogRecords:
        """The instance's recent log records."""
        return await self._call(CameraCalls.logs(name))

    async def _call(self, call: Call[T]) -> T:
        result: T = await self._send(call)
        return result
