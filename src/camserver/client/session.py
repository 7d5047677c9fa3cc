"""What both clients share to move a :class:`Call` over HTTP: the request, the reply, the failure.

:class:`Session` knows the server's address, the token and the timeout. It turns a call into an
``httpx.Request`` (with the call's timeout in its extensions, so ``send`` honours it), an
``httpx.Response`` into a :class:`Reply`, and an ``httpx`` exception into camserver's
:class:`~camserver.errors.TransportError` or :class:`~camserver.errors.Timeout` naming the URL.
The sync and the async client differ only in the line that sends.
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx

from camserver.client.call import Call, Reply
from camserver.errors import CamServerError, ConfigError, Timeout, TransportError

__all__ = ["DEFAULT_URL", "Session"]

T = TypeVar("T")

#: where ``camserver serve`` listens by default
DEFAULT_URL = "http://127.0.0.1:8888"


class Session:
    """The server's address, credentials and timeout, and the conversions both clients use."""

    def __init__(self, url: str = DEFAULT_URL, *, timeout: float = 10.0, token: str | None = None) -> None:
        if timeout <= 0:
            raise ConfigError(f"the timeout must be positive, not {timeout!r}")
        url = url.strip()
        if "://" not in url:
            url = f"http://{url}"
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as error:
            raise ConfigError(f"invalid server URL {url!r}: {error}") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ConfigError(f"invalid server URL {url!r}: use http://host:port")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.token = token or None

    def __repr__(self) -> str:
        return f"Session({self.url!r}, timeout={self.timeout!r})"

    def timeout_of(self, call: Call[Any]) -> float:
        """Seconds to wait for the reply to ``call``: the timeout plus the server's own work."""
        return self.timeout + call.server_time

    def request(self, call: Call[Any]) -> httpx.Request:
        """The HTTP request of ``call``."""
        timeout = httpx.Timeout(self.timeout_of(call))
        return httpx.Request(
            call.method,
            self.url + call.path,
            params=dict(call.params) or None,
            json=call.json,
            content=call.content,
            headers=call.headers(self.token),
            extensions={"timeout": timeout.as_dict()},
        )

    @staticmethod
    def reply(request: httpx.Request, response: httpx.Response) -> Reply:
        """The response as a :class:`Reply` (its body already read)."""
        return Reply(
            method=request.method,
            url=str(request.url),
            status_code=response.status_code,
            content_type=response.headers.get("content-type", ""),
            content=response.content,
        )

    def failure(self, request: httpx.Request, error: httpx.HTTPError) -> CamServerError:
        """camserver's exception for an ``httpx`` failure to get any reply."""
        where = f"{request.method} {request.url}"
        if isinstance(error, httpx.TimeoutException):
            waited = request.extensions.get("timeout", {}).get("read")
            after = f" after {waited:g} s" if isinstance(waited, int | float) else ""
            return Timeout(f"{where}: no answer from the server{after} ({type(error).__name__})")
        reason = str(error) or type(error).__name__
        return TransportError(f"{where}: cannot reach the server at {self.url}: {reason}")

    def finish(self, call: Call[T], request: httpx.Request, response: httpx.Response) -> T:
        """The result of ``call`` from its response (or the server's exception)."""
        return call.parse(self.reply(request, response))
