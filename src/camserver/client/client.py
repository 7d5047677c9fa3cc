"""The sync client: :class:`Client`."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

import httpx

from camserver.client.backgrounds import Backgrounds
from camserver.client.call import Call
from camserver.client.cameras import Cameras
from camserver.client.pipelines import Pipelines
from camserver.client.scripts import Scripts
from camserver.client.server import Server
from camserver.client.session import DEFAULT_URL, Session

__all__ = ["Client"]

T = TypeVar("T")


class Client:
    """A camserver (or CamServer) server over its REST API, one blocking call at a time.

    >>> with Client("http://127.0.0.1:8888") as client:          # doctest: +SKIP
    ...     client.cameras.list()
    ...     address = client.cameras.stream("simulation")

    The nouns mirror the server's routes: :attr:`cameras`, :attr:`pipelines`, :attr:`backgrounds`,
    :attr:`scripts`, :attr:`server`. Every call waits at most ``timeout`` seconds for the server
    (plus the server's own deadline where it starts or stops an instance); errors are raised as the
    server's exception classes (:mod:`camserver.errors`), unreachable servers and timeouts as
    :class:`~camserver.errors.TransportError` and :class:`~camserver.errors.Timeout`. ``token`` is
    sent as ``Authorization: Bearer``; ``transport`` replaces the network (e.g.
    ``httpx.MockTransport`` in tests).
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        timeout: float = 10.0,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.session = Session(url, timeout=timeout, token=token)
        # trust_env=False: a proxy from the environment must not take over the loopback or an injected transport
        self._http = httpx.Client(transport=transport, trust_env=transport is None, follow_redirects=False)
        self.cameras = Cameras(self.send)
        self.pipelines = Pipelines(self.send)
        self.backgrounds = Backgrounds(self.send)
        self.scripts = Scripts(self.send)
        self.server = Server(self.send)

    @property
    def url(self) -> str:
        """The server's address."""
        return self.session.url

    @property
    def timeout(self) -> float:
        """Seconds every call waits for the server (plus the server's own deadline)."""
        return self.session.timeout

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    def send(self, call: Call[T]) -> T:
        """Send ``call`` and return its result; the one path every method takes."""
        request = self.session.request(call)
        try:
            response = self._http.send(request)
        except httpx.HTTPError as error:
            raise self.session.failure(request, error) from None
        return self.session.finish(call, request, response)

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
