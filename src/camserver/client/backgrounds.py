"""``client.backgrounds``: background images of cameras (routes under ``/api/v1/pipeline``).

:class:`BackgroundCalls` builds the calls (sans-I/O); :class:`Backgrounds` and
:class:`AsyncBackgrounds` send them. Uploads are ``.npy`` bytes, never pickles.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import numpy as np

from camserver.client.call import START_TIME, Call, segment
from camserver.client.envelope import content_of, nothing, parsed
from camserver.client.image_payload import array_from_payload, npy_bytes
from camserver.client.reports import Names
from camserver.models.replies import BackgroundIdReply, BackgroundIdsReply, ImageReply

__all__ = ["AsyncBackgrounds", "BackgroundCalls", "Backgrounds"]

T = TypeVar("T")
PREFIX = "/api/v1/pipeline"
#: seconds the server waits for the first frame of a camera when collecting
FRAME_TIME = 10.0


class BackgroundCalls:
    """The calls of the background routes."""

    @staticmethod
    def collect(camera: str, n_images: int = 10) -> Call[str]:
        """Average ``n_images`` frames of the camera into a new background; its id."""
        return Call(
            "POST",
            f"{PREFIX}/camera/{segment(camera)}/background",
            lambda reply: parsed(BackgroundIdReply)(reply).background_id,
            params={"n_images": str(n_images)},
            server_time=START_TIME + FRAME_TIME + max(0, n_images),
        )

    @staticmethod
    def latest(camera: str) -> Call[str]:
        """Id of the camera's newest background."""
        return Call(
            "GET",
            f"{PREFIX}/camera/{segment(camera)}/background",
            lambda reply: parsed(BackgroundIdReply)(reply).background_id,
        )

    @staticmethod
    def list(camera: str) -> Call[Names]:
        """Ids of the camera's backgrounds, oldest first."""
        return Call(
            "GET",
            f"{PREFIX}/camera/{segment(camera)}/backgrounds",
            lambda reply: parsed(BackgroundIdsReply)(reply).background_ids,
        )

    @staticmethod
    def image(
        background_id: str,
        *,
        scale: float | None = None,
        min_value: float | None = None,
        max_value: float | None = None,
        colormap: str | None = None,
    ) -> Call[bytes]:
        """A background as PNG bytes."""
        options = {"scale": scale, "min_value": min_value, "max_value": max_value, "colormap": colormap}
        params = {key: str(value) for key, value in options.items() if value is not None}
        return Call("GET", f"{PREFIX}/background/{segment(background_id)}/image", content_of, params=params)

    @staticmethod
    def array(background_id: str) -> Call[np.ndarray[Any, Any]]:
        """A background as a numpy array."""
        return Call(
            "GET",
            f"{PREFIX}/background/{segment(background_id)}/image_bytes",
            lambda reply: array_from_payload(parsed(ImageReply)(reply).image),
        )

    @staticmethod
    def upload(background_id: str, image: Any) -> Call[None]:
        """Store a 2-D array as the background ``background_id`` (sent as ``.npy`` bytes)."""
        return Call(
            "PUT",
            f"{PREFIX}/background/{segment(background_id)}/image_bytes",
            nothing,
            content=npy_bytes(image),
            content_type="application/octet-stream",
        )


class Backgrounds:
    """Backgrounds, over a sync :class:`~camserver.client.Client` (``client.backgrounds``)."""

    def __init__(self, send: Callable[[Call[Any]], Any]) -> None:
        self._send = send

    def collect(self, camera: str, n_images: int = 10) -> str:
        """Average ``n_images`` frames of the camera into a new background; its id."""
        return self._call(BackgroundCalls.collect(camera, n_images))

    def latest(self, camera: str) -> str:
        """Id of the camera's newest background."""
        return self._call(BackgroundCalls.latest(camera))

    def list(self, camera: str) -> Names:
        """Ids of the camera's backgrounds, oldest first."""
        return self._call(BackgroundCalls.list(camera))

    def image(
        self,
        background_id: str,
        *,
        scale: float | None = None,
        min_value: float | None = None,
        max_value: float | None = None,
        colormap: str | None = None,
    ) -> bytes:
        """A background as PNG bytes."""
        call = BackgroundCalls.image(
            background_id, scale=scale, min_value=min_value, max_value=max_value, colormap=colormap
        )
        return self._call(call)

    def array(self, background_id: str) -> np.ndarray[Any, Any]:
        """A background as a numpy array."""
        return self._call(BackgroundCalls.array(background_id))

    def upload(self, background_id: str, image: Any) -> None:
        """Store a 2-D array as the background ``background_id`` (sent as ``.npy`` bytes)."""
        self._call(BackgroundCalls.upload(background_id, image))

    def _call(self, call: Call[T]) -> T:
        result: T = self._send(call)
        return result


class AsyncBackgrounds:
    """Backgrounds, over an :class:`~camserver.client.AsyncClient` (``client.backgrounds``)."""

    def __init__(self, send: Callable[[Call[Any]], Awaitable[Any]]) -> None:
        self._send = send

    async def collect(self, camera: str, n_images: int = 10) -> str:
        """Average ``n_images`` frames of the camera into a new background; its id."""
        return await self._call(BackgroundCalls.collect(camera, n_images))

    async def latest(self, camera: str) -> str:
        """Id of the camera's newest background."""
        return await self._call(BackgroundCalls.latest(camera))

    async def list(self, camera: str) -> Names:
        """Ids of the camera's backgrounds, oldest first."""
        return await self._call(BackgroundCalls.list(camera))

    async def image(
        self,
        background_id: str,
        *,
        scale: float | None = None,
        min_value: float | None = None,
        max_value: float | None = None,
        colormap: str | None = None,
    ) -> bytes:
        """A background as PNG bytes."""
        call = BackgroundCalls.image(
            background_id, scale=scale, min_value=min_value, max_value=max_value, colormap=colormap
        )
        return await self._call(call)

    async def array(self, background_id: str) -> np.ndarray[Any, Any]:
        """A background as a numpy array."""
        return await self._call(BackgroundCalls.array(background_id))

    async def upload(self, background_id: str, image: Any) -> None:
        """Store a 2-D array as the background ``background_id`` (sent as ``.npy`` bytes)."""
        await self._call(BackgroundCalls.upload(background_id, image))

    async def _call(self, call: Call[T]) -> T:
        result: T = await self._send(call)
        return result
