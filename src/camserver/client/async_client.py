"""The async client: :class:`AsyncClient`, the twin of :class:`~camserver.client.Client`."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

import httpx

from camserver.client.backgrounds import AsyncBackgrounds
from camserver.client.call import Call
from camserver.client.cameras import AsyncCameras
from camserver.client.pipelines import AsyncPipelines
from camserver.client.scripts import AsyncScripts
from camserver.client.server import AsyncServer
from camserver.client.session import DEFAULT_URL, Session

__all__ = ["AsyncClient"]

T = TypeVar("T")


class AsyncClient:
    """A camserver server over its REST API, for asyncio; the same nouns and calls as
    :class:`~camserver.client.Client`, awaited.

    >>> async with AsyncClient("http://127.0.0.1:8888") as client:   # doctest: +SKIP
    ...     names = await client.cameras.list()

    ``transport`` replaces the network, e.g. ``httpx.ASGITransport(app)`` to run the server's app
    in-process.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        timeout: float = 10.0,
        token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.session = Session(url, timeout=timeout, token=token)
        self._http = httpx.AsyncClient(transport=transport, trust_env=transport is None, follow_redirects=False)
        self.cameras = AsyncCameras(self.send)
        self.pipelines = AsyncPipelines(self.send)
        self.backgrounds = AsyncBackgrounds(self.send)
        self.scripts = AsyncScripts(self.send)
        self.server = AsyncServer(self.send)

    @property
    def url(self) -> str:
        """The server's address."""
        return self.session.url

    @property
    def timeout(self) -> float:
        """Seconds every call waits for the server (plus the server's own deadline)."""
        return self.session.timeout

    def __repr__(self) -> str:
        return f"AsyncClient({self.url!r})"

    async def send(self, call: Call[T]) -> T:
        """Send ``call`` and return its result; the one path every method takes."""
        request = self.session.request(call)
        try:
            response = await self._http.send(request)
        except httpx.HTTPError as error:
            raise self.session.failure(request, error) from None
        return self.session.finish(call, request, response)

    async def close(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.close()
